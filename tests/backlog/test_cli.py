"""The ``reservrobot backlog``/``audit`` commands that need no browser, and their exit codes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from apps.backlog.lock import run_lock
from apps.backlog.store import ItemStatus, SqliteQueueStore
from apps.cli.main import app

from .conftest import TEMPLATES

runner = CliRunner()


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {
        "RESERVROBOT_DATA_DIR": str(tmp_path / "data"),
        "RESERVROBOT_PSEUDONYM_KEY": "cli-test-key",
        "COLUMNS": "200",
    }


def test_import_exit_codes_say_whether_rows_were_rejected(
    env: dict[str, str], tmp_path: Path
) -> None:
    ok = runner.invoke(app, ["backlog", "import", str(TEMPLATES / "backlog_mall.xlsx")], env=env)
    assert ok.exit_code == 0, ok.output
    assert "2 tillagda" in ok.output
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "födelsedatum;kön;efternamn;förnamn;patientgrupp;utdelningsadress;"
        "postnummer;ort\n2019-02-30;K;Ek;Eva;asylsokande;G 1;80320;Gävle\n",
        "utf-8",
    )
    rejected = runner.invoke(app, ["backlog", "import", str(bad)], env=env)
    assert rejected.exit_code == 2
    assert "födelsedatum" in rejected.output and "Datumet finns inte." in rejected.output
    junk = tmp_path / "junk.csv"
    junk.write_bytes(b"\x00\x00")
    unreadable = runner.invoke(app, ["backlog", "import", str(junk)], env=env)
    assert unreadable.exit_code == 3


def test_status_json_counts_and_oldest_pending(env: dict[str, str]) -> None:
    runner.invoke(app, ["backlog", "import", str(TEMPLATES / "backlog_mall.csv")], env=env)
    result = runner.invoke(app, ["backlog", "status", "--json"], env=env)
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["counts"]["pending"] == 2 and data["counts"]["done"] == 0
    assert data["oldest_pending"]["id"] == 1 and data["last_run"] is None
    human = runner.invoke(app, ["backlog", "status"], env=env)
    assert "Väntar" in human.output and "Äldsta väntande: nr 1" in human.output


def test_retry_requeues_failed_items_and_audits_who_did_it(env: dict[str, str]) -> None:
    runner.invoke(app, ["backlog", "import", str(TEMPLATES / "backlog_mall.csv")], env=env)
    store = SqliteQueueStore(Path(env["RESERVROBOT_DATA_DIR"]) / "queue.sqlite3")
    item = store.claim("w")
    assert item is not None
    store.finish(
        item.id,
        {"kind": "failed", "reason_code": "site_error"},
        status=ItemStatus.FAILED,
        attempts=3,
    )
    result = runner.invoke(app, ["backlog", "retry"], env=env)
    assert result.exit_code == 0 and "1 misslyckade" in result.output
    again = store.get(item.id)
    assert again is not None and again.status == ItemStatus.PENDING and again.attempts == 0
    store.close()
    audit = runner.invoke(app, ["audit", "show", "--ref", "MALL-0001", "--json"], env=env)
    assert audit.exit_code == 0, audit.output
    [entry] = json.loads(audit.output)
    assert entry["step"] == "retry" and entry["actor"].startswith("person:")
    assert entry["ref"] != "MALL-0001" and entry["ref"].startswith("p_")


def test_template_and_report_commands_write_files(env: dict[str, str], tmp_path: Path) -> None:
    for name in ("ny.xlsx", "ny.csv"):
        result = runner.invoke(app, ["backlog", "template", str(tmp_path / name)], env=env)
        assert result.exit_code == 0 and (tmp_path / name).stat().st_size > 100
    assert (
        runner.invoke(app, ["backlog", "template", str(tmp_path / "x.txt")], env=env).exit_code == 3
    )
    result = runner.invoke(app, ["backlog", "report", "--out", str(tmp_path / "r")], env=env)
    assert result.exit_code == 0
    assert {p.name for p in (tmp_path / "r").iterdir()} == {
        "rapport.html",
        "resultat.csv",
        "resultat.xlsx",
    }


def test_run_with_nothing_to_do_exits_zero_without_starting_a_browser(env: dict[str, str]) -> None:
    result = runner.invoke(app, ["backlog", "run"], env=env)
    assert result.exit_code == 0 and "Inget att göra" in result.output


def test_second_run_exits_75_while_another_holds_the_queue(env: dict[str, str]) -> None:
    queue_file = Path(env["RESERVROBOT_DATA_DIR"]) / "queue.sqlite3"
    with run_lock(queue_file):
        proc = subprocess.run(
            [sys.executable, "-m", "apps", "backlog", "run"],
            env={**os.environ, **env},
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert proc.returncode == 75, proc.stderr
    assert "En annan körning använder redan kön" in proc.stderr
    after = subprocess.run(
        [sys.executable, "-m", "apps", "backlog", "run"],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert after.returncode == 0, after.stderr


def test_watch_interval_parsing() -> None:
    from apps.backlog.cli import parse_interval

    assert [parse_interval(t) for t in ("90", "30s", "10m", "1h")] == [90, 30, 600, 3600]
    with pytest.raises(Exception, match="10m"):
        parse_interval("tio minuter")
