"""A person at a terminal: ``backlog import`` and ``backlog run`` in a real terminal (tmux).

The pane shows the progress bar and Swedish lines only; the workers' JSON events go to the log
file, never into the bar, and ``import`` prints no log line. Captured from tmux's own screen,
as a person would see it.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from mock_sites.testing import MockSites
from qa.people import generate_rows, taken_birth_dates, write_rows_csv
from tests.fixtures.settings import environment_of

from .helpers import robot_settings, wait_until

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed"),
]

DONE = "TERMINAL-TEST-DONE"


@pytest.fixture
def tmux(tmp_path: Path) -> Iterator[list[str]]:
    """The tmux command on a server of its own (its own socket), stopped afterwards."""
    command = ["tmux", "-S", str(tmp_path / "tmux.sock")]
    yield command
    subprocess.run([*command, "kill-server"], check=False, capture_output=True)


def _pane(tmux: list[str]) -> str:
    result = subprocess.run(
        [*tmux, "capture-pane", "-p", "-J", "-S", "-500", "-t", "run"],
        capture_output=True,
        text=True,
        check=False,
    )
    return result.stdout


def test_terminal_run_shows_bar_and_swedish_summary_but_no_json_lines(
    mock_sites: MockSites, tmp_path: Path, tmux: list[str]
) -> None:
    settings = robot_settings(tmp_path, mock_sites)
    records = {"pmo": mock_sites.records("pmo"), "rns": mock_sites.records("rns")}
    rows = generate_rows(3, seed=4711, taken=taken_birth_dates(records))
    csv_file = write_rows_csv(rows, tmp_path / "patienter.csv")
    env = environment_of(settings)
    exports = "".join(
        f"export {k}={shlex.quote(v)}\n" for k, v in env.items() if k.startswith("RESERVROBOT_")
    )
    python = shlex.quote(sys.executable)
    script = tmp_path / "run.sh"
    script.write_text(
        f"{exports}cd {shlex.quote(str(tmp_path))}\n"
        f"{python} -m apps backlog import {shlex.quote(str(csv_file))}\n"
        f"{python} -m apps backlog run --workers 2\n"
        f"echo {DONE} $?\n"
        "sleep 600\n",
        encoding="utf-8",
    )
    path_env = {"PATH": os.environ.get("PATH", ""), "HOME": str(tmp_path), "TERM": "xterm"}
    subprocess.run(
        [*tmux, "new-session", "-d", "-s", "run", "-x", "150", "-y", "50", f"bash {script}"],
        check=True,
        env=path_env,
    )
    wait_until(lambda: DONE in _pane(tmux), timeout=240, what="the run to finish in tmux")
    screen = _pane(tmux)

    lines = [line.strip() for line in screen.splitlines() if line.strip()]
    assert f"{DONE} 0" in screen, screen
    assert not [line for line in lines if line.startswith("{") or '"event"' in line], screen
    assert "INFO" not in screen and "import_done" not in screen, screen
    assert "Ärendekön" in screen, screen  # the bar, with its Swedish name
    assert any(line.startswith("Körning ") and "3 klara" in line for line in lines), screen
    assert "ärenden/min" in screen and "," in screen.split("ärenden/min")[0][-8:], screen

    # The events are not lost: they are JSON lines in the log file, from the workers too.
    log = settings.data_dir / "logs" / "reservrobot.jsonl"
    events = [json.loads(line) for line in log.read_text("utf-8").splitlines()]
    assert any(e.get("event") == "request_done" for e in events)
    assert all(r["family_name"] not in log.read_text("utf-8") for r in rows)
