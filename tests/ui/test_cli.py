"""``reservrobot ui`` prints a token URL on loopback and serves the app until Ctrl+C."""

from __future__ import annotations

import os
import queue
import re
import signal
import subprocess
import sys
import threading
from pathlib import Path

import httpx
import pytest

from mock_sites.testing import MockSites

REPO_ROOT = Path(__file__).resolve().parents[2]
URL_RE = re.compile(r"(http://127\.0\.0\.1:[0-9]+/\?token=[\w-]+)")


def _lines(stream: object, out: queue.Queue[str]) -> None:
    for line in stream:  # type: ignore[attr-defined]
        out.put(line)


def test_ui_command_prints_token_url_and_stops_on_ctrl_c(
    mock_sites: MockSites, tmp_path: Path
) -> None:
    env = {
        **os.environ,
        "PYTHONUNBUFFERED": "1",
        "RESERVROBOT_PMO_URL": mock_sites.pmo_url,
        "RESERVROBOT_RNS_URL": mock_sites.rns_url,
        "RESERVROBOT_PLEXUS_URL": mock_sites.plexus_url,
        "RESERVROBOT_DATA_DIR": str(tmp_path),
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "apps", "ui", "--no-browser", "--port", "0"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=_lines, args=(proc.stdout, lines), daemon=True).start()
    try:
        url = None
        while url is None:
            match = URL_RE.search(lines.get(timeout=60))
            url = match.group(1) if match else None
        base = url.split("?", 1)[0]
        with httpx.Client(trust_env=False, timeout=10.0, follow_redirects=True) as client:
            assert client.get(base).status_code == 403
            page = client.get(url)  # follows the redirect with the cookie set
            assert page.status_code == 200
            assert "Registrera ny patient" in page.text
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            code = proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            pytest.fail("reservrobot ui did not stop on Ctrl+C")
    assert code == 0
