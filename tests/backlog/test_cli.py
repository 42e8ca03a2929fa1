"""The ``reservrobot backlog``/``audit`` commands that need no browser, and their exit codes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import SecretStr
from typer.testing import CliRunner

from apps.backlog.lock import run_lock
from apps.backlog.store import ItemStatus, WorkerIdentity, open_store
from apps.cli.main import app
from flows.rules.outcome import Outcome, OutcomeKind
from robot.settings import Settings

from .conftest import TEMPLATES

ROWS = (
    "födelsedatum;kön;efternamn;förnamn;patientgrupp;utdelningsadress;postnummer;ort;referens\n"
    "2019-04-12;K;Ek;Eva;asylsokande;Gatan 1;803 20;Gävle;MOTT-1\n"
    "2018-01-02;M;Berg;Per;asylsokande;Gatan 2;803 20;Gävle;MOTT-2\n"
)


@pytest.fixture
def rows_csv(tmp_path: Path) -> Path:
    path = tmp_path / "rader.csv"
    path.write_text(ROWS, "utf-8")
    return path


runner = CliRunner()


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {
        "RESERVROBOT_DATA_DIR": str(tmp_path / "data"),
        "RESERVROBOT_PSEUDONYM_KEY": "cli-test-key",
        "COLUMNS": "200",
    }


def settings_of(env: dict[str, str]) -> Settings:
    """The settings the commands run with (the queue refuses another pseudonym key)."""
    return Settings(
        data_dir=Path(env["RESERVROBOT_DATA_DIR"]),
        pseudonym_key=SecretStr(env["RESERVROBOT_PSEUDONYM_KEY"]),
    )


def test_import_exit_codes_say_whether_rows_were_rejected(
    env: dict[str, str], tmp_path: Path
) -> None:
    examples = runner.invoke(
        app, ["backlog", "import", str(TEMPLATES / "backlog_mall.xlsx")], env=env
    )
    assert examples.exit_code == 2, examples.output
    assert "0 tillagda" in examples.output and "påhittat exempel" in examples.output
    rows = tmp_path / "rader.csv"
    rows.write_text(ROWS, "utf-8")
    ok = runner.invoke(app, ["backlog", "import", str(rows)], env=env)
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


def test_status_json_counts_and_oldest_pending(env: dict[str, str], rows_csv: Path) -> None:
    runner.invoke(app, ["backlog", "import", str(rows_csv)], env=env)
    result = runner.invoke(app, ["backlog", "status", "--json"], env=env)
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["counts"]["pending"] == 2 and data["counts"]["done"] == 0
    assert data["oldest_pending"]["id"] == 1 and data["last_run"] is None
    human = runner.invoke(app, ["backlog", "status"], env=env)
    assert "Väntar" in human.output and "Äldsta väntande: nr 1" in human.output


def test_retry_requeues_failed_items_and_audits_who_did_it(
    env: dict[str, str], rows_csv: Path
) -> None:
    runner.invoke(app, ["backlog", "import", str(rows_csv)], env=env)
    store = open_store(settings_of(env))
    item = store.claim_next(WorkerIdentity.current("w"))
    assert item is not None
    store.finish(
        item.id,
        Outcome(kind=OutcomeKind.FAILED, reason_code="site_error"),
        status=ItemStatus.FAILED,
        attempts=3,
    )
    result = runner.invoke(app, ["backlog", "retry"], env=env)
    assert result.exit_code == 0 and "1 misslyckade" in result.output
    again = store.get(item.id)
    assert again is not None and again.status == ItemStatus.PENDING and again.attempts == 0
    store.close()
    audit = runner.invoke(app, ["audit", "show", "--ref", "MOTT-1", "--json"], env=env)
    assert audit.exit_code == 0, audit.output
    [entry] = json.loads(audit.output)
    assert entry["step"] == "retry" and entry["actor"].startswith("person:")
    assert entry["ref"] != "MOTT-1" and entry["ref"].startswith("p_")


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
    missing = runner.invoke(
        app, ["backlog", "report", "--run", "99", "--out", str(tmp_path / "r99")], env=env
    )
    assert missing.exit_code == 3, missing.output
    assert "Körning 99 finns inte" in missing.output
    assert not (tmp_path / "r99").exists()


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


@pytest.mark.parametrize("command", [["run"], ["status"], ["report", "--out", "r"], ["workers"]])
def test_a_corrupt_queue_file_exits_4_with_a_swedish_message_never_nothing_to_do(
    env: dict[str, str], tmp_path: Path, command: list[str]
) -> None:
    queue_file = Path(env["RESERVROBOT_DATA_DIR"]) / "queue.sqlite3"
    queue_file.parent.mkdir(parents=True)
    queue_file.write_bytes(b"this is no database " * 400)
    if command[0] == "report":
        command = ["report", "--out", str(tmp_path / "r")]
    result = subprocess.run(
        [sys.executable, "-m", "apps", "backlog", *command],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 4, result.stdout + result.stderr
    assert "lagring (kön, journalen, granskningsloggen) går inte att läsa" in result.stderr
    assert "skadad" in result.stderr
    assert "Inget att göra" not in result.stdout + result.stderr


def test_pause_drain_resume_and_workers_of_one_machine(env: dict[str, str]) -> None:
    assert runner.invoke(app, ["backlog", "drain", "--machine", "m1"], env=env).exit_code == 0
    assert runner.invoke(app, ["backlog", "pause", "--machine", "m2"], env=env).exit_code == 0
    listed = runner.invoke(app, ["backlog", "workers", "--json"], env=env)
    assert listed.exit_code == 0, listed.output
    assert json.loads(listed.output) == {
        "machines": {"m1": "draining", "m2": "paused"},
        "workers": [],
    }
    drained = runner.invoke(app, ["backlog", "run", "--machine", "m1"], env=env)
    assert drained.exit_code == 0 and "töms" in drained.output.lower()
    assert runner.invoke(app, ["backlog", "resume", "--machine", "m1"], env=env).exit_code == 0
    human = runner.invoke(app, ["backlog", "workers"], env=env)
    assert "Maskin m1: Kör" in human.output and "Maskin m2: Pausad" in human.output


def test_metrics_are_prometheus_text_with_depth_oldest_case_workers_and_failures(
    env: dict[str, str], rows_csv: Path, tmp_path: Path
) -> None:
    runner.invoke(app, ["backlog", "import", str(rows_csv)], env=env)
    settings = settings_of(env)
    with open_store(settings) as store:
        worker = WorkerIdentity.current("m1/run1-w1", machine="m1")
        store.register_worker(worker, run_id=None)
        first = store.claim_next(worker)
        assert first is not None
        store.finish(
            first.id,
            Outcome(kind=OutcomeKind.NEEDS_PERSON, reason_code="uncertain_match_pmo"),
            status=ItemStatus.NEEDS_PERSON,
        )
        second = store.claim_next(worker)
        assert second is not None
        store.finish(
            second.id,
            Outcome(kind=OutcomeKind.FAILED, reason_code="site_error"),
            status=ItemStatus.FAILED,
        )
    result = runner.invoke(app, ["backlog", "metrics"], env=env)
    assert result.exit_code == 0, result.output
    text = result.output
    assert "# TYPE reservrobot_queue_items gauge" in text
    assert 'reservrobot_queue_items{status="needs_person"} 1' in text
    assert 'reservrobot_queue_items{status="failed"} 1' in text
    assert 'reservrobot_queue_items{status="pending"} 0' in text
    assert "reservrobot_queue_oldest_needs_person_age_seconds " in text
    assert "reservrobot_queue_failed_attempts_last_hour 1" in text
    assert 'reservrobot_worker_up{machine="m1",worker="m1/run1-w1"} 1' in text
    assert 'reservrobot_machine_workers_alive{machine="m1"} 1' in text
    out_file = tmp_path / "textfile" / "reservrobot.prom"
    assert (
        runner.invoke(app, ["backlog", "metrics", "--out", str(out_file)], env=env).exit_code == 0
    )
    assert out_file.read_text("utf-8").startswith("# HELP reservrobot_queue_items")


def test_backlog_show_gives_every_reason_in_swedish(env: dict[str, str], rows_csv: Path) -> None:
    """Issue 24, point 15: a history's reasons are words, never codes."""
    assert runner.invoke(app, ["backlog", "import", str(rows_csv)], env=env).exit_code == 0
    settings = settings_of(env)
    with open_store(settings) as store:
        item = store.claim_next(WorkerIdentity.current("w"))
        assert item is not None
        failed = Outcome(kind=OutcomeKind.FAILED, reason_code="site_error")
        store.finish(item.id, failed, status=ItemStatus.PENDING, attempts=1)
    narrow = {k: v for k, v in env.items() if k != "COLUMNS"}
    shown = runner.invoke(app, ["backlog", "show", str(item.id)], env=narrow)
    assert shown.exit_code == 0, shown.output
    assert "site_error" not in shown.stdout
    assert "svarar inte" in shown.stdout or "Tekniskt fel" in shown.stdout, shown.stdout
