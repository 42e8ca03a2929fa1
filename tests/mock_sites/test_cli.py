"""``reservrobot-qa mock serve``: starts the three sites, checks them, reports a busy port."""

from __future__ import annotations

import socket
import sqlite3
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _serve(tmp_path: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "qa",
            "mock",
            "serve",
            "--check",
            "--data-dir",
            str(tmp_path),
            *extra,
        ],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
        check=False,
    )


def test_serve_check_should_log_in_to_all_three_sites(tmp_path: Path) -> None:
    result = _serve(
        tmp_path, "--plexus-port", "0", "--pmo-port", "0", "--rns-port", "0", "--pmo-layout", "b"
    )
    assert result.returncode == 0, result.stderr
    assert "PMO (layout b)" in result.stdout
    for site in ("plexus", "pmo", "rns"):
        assert f"OK  {site}:" in result.stdout
    assert {p.name for p in tmp_path.iterdir()} >= {"pmo.sqlite3", "rns.sqlite3", "plexus.sqlite3"}


def test_serve_should_say_plainly_when_a_port_is_taken(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = str(busy.getsockname()[1])
        result = _serve(tmp_path, "--plexus-port", "0", "--pmo-port", port, "--rns-port", "0")
    assert result.returncode == 1
    assert f"Kunde inte starta mock-sajterna: cannot listen on 127.0.0.1:{port}" in result.stderr


def test_serve_should_plant_anomalies_from_the_date_given(tmp_path: Path) -> None:
    common = ("--plexus-port", "0", "--pmo-port", "0", "--rns-port", "0")
    refused = _serve(tmp_path / "bad", *common, "--anomalies-from", "mars")
    result = _serve(tmp_path / "ok", *common, "--anomalies-from", "1931-03-02")
    assert refused.returncode == 3 and "ÅÅÅÅ-MM-DD" in refused.stderr
    assert result.returncode == 0, result.stderr
    db = sqlite3.connect(tmp_path / "ok" / "rns.sqlite3")
    try:
        count = db.execute("SELECT COUNT(*) FROM persons WHERE birth_date LIKE '1931-03-%'")
        assert count.fetchone() == (12,)
    finally:
        db.close()
