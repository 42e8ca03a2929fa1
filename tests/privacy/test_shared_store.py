"""Against real systems, one store for every entry point (issue 25, point 1).

Each clerk PC had its own SQLite store under its own account, so the birth date's lease
excluded only that clerk's own jobs: two apps and a robot machine registered one person three
times. Now ``ui``, ``register`` and ``backlog run`` refuse a store local to one OS account
unless a setting says this is the region's only entry point, and ``doctor`` fails that set-up.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from apps.cli.doctor import safety_check
from apps.cli.main import app
from robot.settings import Settings

# Real systems, with the robot's own key and accounts: only the store is missing.
REAL = {
    "RESERVROBOT_PMO_URL": "https://pmo.region.example",
    "RESERVROBOT_RNS_URL": "https://rns.region.example",
    "RESERVROBOT_PLEXUS_URL": "https://plexus.region.example",
    "RESERVROBOT_PSEUDONYM_KEY": "the-regions-shared-key",
    "RESERVROBOT_PMO_USERNAME": "robot",
    "RESERVROBOT_PMO_PASSWORD": "s3cret-pmo",
    "RESERVROBOT_RNS_USERNAME": "robot",
    "RESERVROBOT_RNS_PASSWORD": "s3cret-rns",
}
REGISTER = [
    "register",
    *("--birth-date", "1990-01-01", "--sex", "K", "--family-name", "Test"),
    *("--given-names", "Testa", "--group", "asylsokande", "--street", "Gatan 1"),
    *("--postal-code", "80320", "--city", "Gävle", "--country", "SE"),
]


@pytest.mark.parametrize(
    "args", [REGISTER, ["backlog", "run"], ["ui", "--no-browser"]], ids=["register", "run", "ui"]
)
def test_entry_points_refuse_a_store_local_to_one_account_against_real_systems(
    args: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    env = {**REAL, "RESERVROBOT_DATA_DIR": str(tmp_path / "data")}
    result = CliRunner().invoke(app, args, env=env)
    said = " ".join(result.output.split())
    assert result.exit_code == 3, result.output
    assert "RESERVROBOT_STORE_DSN" in said and "RESERVROBOT_SOLE_ENTRY_POINT=true" in said
    assert not (tmp_path / "data" / "evidence").exists()  # stopped before anything started


def test_the_only_entry_point_may_keep_its_store_local(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in REAL.items():
        monkeypatch.setenv(name, value)
    assert Settings().unsafe_setup_problems() != []
    assert Settings(sole_entry_point=True).unsafe_setup_problems() == []
    assert Settings(store_dsn="postgresql://anna@db/reservrobot").unsafe_setup_problems() == []


def test_doctor_fails_a_store_local_to_one_account_against_real_systems(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name, value in REAL.items():
        monkeypatch.setenv(name, value)
    check = safety_check(Settings())
    assert not check.ok and "RESERVROBOT_STORE_DSN" in check.detail
    assert safety_check(Settings(sole_entry_point=True)).ok
