"""``reservrobot ui`` prints a token URL on loopback and serves the app until Ctrl+C."""

from __future__ import annotations

import json
import queue
import re
import signal
import socket
import subprocess
import sys
import threading
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page

from flows.rules.vocabulary import step_label_sv
from mock_sites.testing import MockSites
from robot.logs import contains_identity, log_file_path
from tests.fixtures.settings import environment_of, settings_for
from tests.ui.forms import REGISTERED, expect_outcome, fill_registration, submit_registration
from tests.ui.helpers import new_person

REPO_ROOT = Path(__file__).resolve().parents[2]
URL_RE = re.compile(r"(http://127\.0\.0\.1:[0-9]+/\?token=[\w-]+)")


def _lines(stream: object, out: queue.Queue[str]) -> None:
    for line in stream:  # type: ignore[attr-defined]
        out.put(line)


def test_ui_command_prints_token_url_says_its_work_in_swedish_and_stops_on_ctrl_c(
    mock_sites: MockSites, page: Page, tmp_path: Path
) -> None:
    """The app's console window (issue 24, point 11): one Swedish line per event a clerk can
    follow, no JSON, no reference, no name or number; every event as JSON in the log file."""
    data = tmp_path / "data"
    # A shared robot station (the robot's demo account, headless): no clerk signs in here.
    settings = settings_for(mock_sites, data, ui_sign_in="robot_account")
    proc = subprocess.Popen(
        [sys.executable, "-m", "apps", "ui", "--no-browser", "--port", "0"],
        cwd=tmp_path,
        env=environment_of(settings, PYTHONUNBUFFERED="1"),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    lines: queue.Queue[str] = queue.Queue()
    console: queue.Queue[str] = queue.Queue()
    threading.Thread(target=_lines, args=(proc.stdout, lines), daemon=True).start()
    reader = threading.Thread(target=_lines, args=(proc.stderr, console), daemon=True)
    reader.start()
    person = new_person(mock_sites)
    try:
        url = None
        while url is None:
            match = URL_RE.search(lines.get(timeout=60))
            url = match.group(1) if match else None
        base = url.split("?", 1)[0]
        with httpx.Client(trust_env=False, timeout=10.0, follow_redirects=True) as client:
            assert client.get(base).status_code == 403
            opened = client.get(url)  # follows the redirect with the cookie set
            assert opened.status_code == 200
            assert "Registrera ny patient" in opened.text
        page.goto(url)
        fill_registration(page, person)
        submit_registration(page)
        expect_outcome(page, REGISTERED)
        # Something that is not HTTP (a port scanner, say): uvicorn's warning, said before its
        # 400 answer, is the console's generic line, not uvicorn's own English.
        port = int(base.rsplit(":", 1)[1].strip("/"))
        with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
            raw.sendall(b"INTE HTTP\r\n\r\n")
            assert raw.recv(64).startswith(b"HTTP/1.1 400")
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            code = proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            pytest.fail("reservrobot ui did not stop on Ctrl+C")
    assert code == 0
    reader.join(timeout=10)  # the process has ended: its stderr is read to the end

    shown = "".join(_drain(console))
    shown_lines = shown.splitlines()
    assert shown_lines and all(CONSOLE_LINE.fullmatch(line) for line in shown_lines), shown
    problem = (
        "Problem: Ett tekniskt fel inträffade (appen fortsätter om den kan). "
        f"Se loggfilen {log_file_path(data)}"
    )
    for words in (
        problem,
        "Registrering startad",
        f"{step_label_sv('search_pmo')} – klar",
        f"{step_label_sv('create_rns')} – klar",
        "Resultat: Registrerad i PMO",
    ):
        assert any(line.endswith(f"  {words}") for line in shown_lines), shown
    assert '{"' not in shown and "=" not in shown
    assert not re.search(r"\bp_[0-9a-f]{12}\b", shown)
    assert not contains_identity(shown)
    assert person.family_name not in shown and person.given_names not in shown
    # The log file keeps every event, as JSON.
    events = [json.loads(line) for line in log_file_path(data).read_text().splitlines()]
    done = [e for e in events if e["event"] == "request_done"]
    assert [e["kind"] for e in done] == ["registered"] and done[0]["ref"].startswith("p_")
    assert {"ui_job_started", "step_done"} <= {e["event"] for e in events}
    assert any(e["logger"] == "uvicorn.error" and e["level"] == "warning" for e in events)


# ``17:05:12  Söker i PMO – klar``: a clock, two spaces, words.
CONSOLE_LINE = re.compile(r"[0-2][0-9]:[0-5][0-9]:[0-5][0-9]  \S.*")


def _drain(out: queue.Queue[str]) -> list[str]:
    found: list[str] = []
    while not out.empty():
        found.append(out.get_nowait())
    return found


CODE_URL_RE = re.compile(r"(http://127\.0\.0\.1:[0-9]+/\?kod=[\w-]+)")


def test_second_start_opens_the_running_app_and_a_taken_port_is_said_in_swedish(
    mock_sites: MockSites, tmp_path: Path
) -> None:
    """Issue 24, point 11: a double-click on the shortcut while the app runs opens it with a
    fresh one-time code (no "Address already in use"); the refusal page looks like the app."""
    # A clerk's computer: the clerk signs in, no robot account's password is here.
    settings = settings_for(mock_sites, tmp_path / "data")
    env = environment_of(settings, passwords=False, PYTHONUNBUFFERED="1")
    first = subprocess.Popen(
        [sys.executable, "-m", "apps", "ui", "--no-browser", "--port", "0"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=_lines, args=(first.stdout, lines), daemon=True).start()
    try:
        url = None
        while url is None:
            match = URL_RE.search(lines.get(timeout=60))
            url = match.group(1) if match else None
        base = url.split("?", 1)[0]
        port = int(base.rsplit(":", 1)[1].strip("/"))

        second = subprocess.run(
            [sys.executable, "-m", "apps", "ui", "--no-browser", "--port", "0"],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert second.returncode == 0, second.stderr
        assert "körs redan" in second.stdout
        code_url = CODE_URL_RE.search(second.stdout)
        assert code_url is not None and code_url.group(1).startswith(base), second.stdout
        with httpx.Client(trust_env=False, timeout=10.0, follow_redirects=True) as client:
            page = client.get(code_url.group(1))
            assert page.status_code == 200 and "Registrera ny patient" in page.text
            # The code is good once; the refusal page looks like the app and says what to do.
            again = client.get(code_url.group(1))
        with httpx.Client(trust_env=False, timeout=10.0) as stranger:
            refused = stranger.get(code_url.group(1))
            assert refused.status_code == 403
            assert "Reservnummerroboten" in refused.text and "Gör så här" in refused.text
            assert "#00507a" in refused.text  # the app's own header colour
            assert stranger.get(base + "att-hantera").status_code == 403
        assert again.status_code == 200  # already signed in: the old link just goes home

        # Another program holding a fixed port: said in Swedish, no "[Errno 98]".
        taken = subprocess.run(
            [sys.executable, "-m", "apps", "ui", "--no-browser", "--port", str(port)],
            cwd=tmp_path,
            env={**env, "RESERVROBOT_DATA_DIR": str(tmp_path / "other")},
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert taken.returncode != 0
        assert f"Porten {port}" in taken.stderr and "används redan" in taken.stderr
        assert "Errno" not in taken.stderr + taken.stdout
    finally:
        first.send_signal(signal.SIGINT)
        try:
            first.wait(timeout=60)
        except subprocess.TimeoutExpired:
            first.kill()
    assert not (tmp_path / "data" / "ui-running.json").exists()
