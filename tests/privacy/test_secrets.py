"""The robot account's secrets live in the OS credential store, never on a clerk's PC.

A real Secret Service: ``gnome-keyring-daemon`` in a private D-Bus session that the fixture
starts (its own HOME, so no keyring of the machine is touched). ``reservrobot secrets set``
stores the robot's passwords there without echo, ``backlog run`` logs in with them (no password
in the environment or any file), and ``reservrobot ui`` refuses to start on a PC that holds a
robot password unless the settings call it a shared robot station.
"""

from __future__ import annotations

import os
import queue
import re
import secrets
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from apps.cli.doctor import secrets_check, sign_in_check
from mock_sites.common.config import User
from mock_sites.testing import MockSites, run_mock_sites
from robot.settings import Settings
from tests.backlog.helpers import queue_generated, robot_settings
from tests.fixtures.settings import environment_of

pytestmark = pytest.mark.e2e

URL_RE = re.compile(r"http://127\.0\.0\.1:[0-9]+/\?token=")
START_TIMEOUT_S = 30.0


def _bus_has_secrets(env: dict[str, str]) -> bool:
    reply = subprocess.run(
        [
            "dbus-send",
            "--session",
            "--print-reply",
            "--dest=org.freedesktop.DBus",
            "/org/freedesktop/DBus",
            "org.freedesktop.DBus.NameHasOwner",
            "string:org.freedesktop.secrets",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=10,
        check=False,
    )
    return "boolean true" in reply.stdout


@pytest.fixture(scope="module")
def secret_service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """A private D-Bus session with gnome-keyring's Secret Service, unlocked; its environment."""
    for tool in ("dbus-daemon", "dbus-send", "gnome-keyring-daemon"):
        if shutil.which(tool) is None:
            pytest.skip(f"{tool} is not installed (apt-get install dbus gnome-keyring)")
    home = tmp_path_factory.mktemp("keyring-home")
    runtime = home / "run"
    runtime.mkdir(mode=0o700)
    env = {"HOME": str(home), "XDG_RUNTIME_DIR": str(runtime), "PATH": os.environ["PATH"]}
    bus = subprocess.Popen(
        ["dbus-daemon", "--session", "--nofork", "--print-address=1"],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )
    daemon: subprocess.Popen[bytes] | None = None
    try:
        assert bus.stdout is not None
        env["DBUS_SESSION_BUS_ADDRESS"] = bus.stdout.readline().strip()
        # --unlock reads the login keyring's password from stdin (and creates that keyring).
        daemon = subprocess.Popen(
            ["gnome-keyring-daemon", "--foreground", "--components=secrets", "--unlock"],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=env,
        )
        assert daemon.stdin is not None
        daemon.stdin.write(secrets.token_hex(8).encode())
        daemon.stdin.close()
        deadline = time.monotonic() + START_TIMEOUT_S
        while not _bus_has_secrets(env):
            if time.monotonic() > deadline or daemon.poll() is not None:
                pytest.fail("gnome-keyring-daemon did not offer the Secret Service")
            time.sleep(0.05)
        yield env
    finally:
        for proc in (daemon, bus):
            if proc is not None:
                proc.terminate()
                proc.wait(timeout=10)


@pytest.fixture(scope="module")
def robot_sites(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[MockSites, str]]:
    """Mock sites whose only user is the robot's account, with a unique password."""
    password = "Rb-" + secrets.token_hex(8)
    users = (User("robotkonto", password, "Roboten"),)
    with run_mock_sites(tmp_path_factory.mktemp("robot-mock"), users=users) as sites:
        yield sites, password


def _cli(args: list[str], env: dict[str, str], cwd: Path, stdin: str = "") -> tuple[int, str]:
    done = subprocess.run(
        [sys.executable, "-m", "apps", *args],
        input=stdin,
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    return done.returncode, done.stdout + done.stderr


def _env(settings: Settings, keyring_env: dict[str, str]) -> dict[str, str]:
    # No password in the environment: the credential store is the only place that has one.
    env = environment_of(settings, passwords=False, **keyring_env)
    env["RESERVROBOT_PMO_USERNAME"] = env["RESERVROBOT_RNS_USERNAME"] = "robotkonto"
    env["PYTHONPATH"] = str(Path(__file__).resolve().parents[2])
    return env


def test_backlog_run_takes_its_password_from_the_secret_service_and_never_from_a_file(
    secret_service: dict[str, str], robot_sites: tuple[MockSites, str], tmp_path: Path
) -> None:
    sites, password = robot_sites
    settings = robot_settings(tmp_path, sites)
    env = _env(settings, secret_service)
    for name in ("pmo", "rns"):
        code, output = _cli(["secrets", "set", name], env, tmp_path, f"{password}\n{password}\n")
        assert code == 0, output
        assert "Sparad i nyckelringen (SecretService) som reservrobot/" in output
        assert password not in output  # never echoed
    code, shown = _cli(["config", "show"], env, tmp_path)
    assert code == 0, shown
    assert re.search(r"pmo\.password +\*+ \(operativsystemets nyckelring", shown), shown
    assert password not in shown

    rows = queue_generated(settings, sites, 1, seed=1919)
    code, output = _cli(["backlog", "run", "--retry-delay", "0"], env, tmp_path)
    assert code == 0, output
    patients = [
        p for p in sites.records("pmo")["patients"] if p["family_name"] == rows[0]["family_name"]
    ]
    assert [p["created_by"] for p in patients] == ["robotkonto"]
    # Never from a file: nothing the run wrote, nor its working folder, holds the password.
    written = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert written
    assert [p for p in written if password.encode() in p.read_bytes()] == []


def _lines(stream: object, out: queue.Queue[str]) -> None:
    for line in stream:  # type: ignore[attr-defined]
        out.put(line)


def test_ui_refuses_to_start_with_a_robot_password_on_the_pc(
    secret_service: dict[str, str], robot_sites: tuple[MockSites, str], tmp_path: Path
) -> None:
    sites, password = robot_sites
    env = _env(robot_settings(tmp_path, sites), secret_service)
    code, _ = _cli(["secrets", "set", "pmo"], env, tmp_path, f"{password}\n{password}\n")
    assert code == 0
    code, output = _cli(["ui", "--no-browser", "--port", "0"], env, tmp_path)
    assert code == 3, output
    flat = " ".join(output.split())
    assert "Roboten startas inte" in flat
    assert "Det finns ett lösenord för robotens konto på den här datorn" in flat
    assert "pmo_password i operativsystemets nyckelring" in flat
    assert 'ui_sign_in = "robot_account"' in flat
    assert password not in output
    assert not URL_RE.search(output)


def test_ui_starts_on_a_shared_robot_station_that_says_so(
    secret_service: dict[str, str], robot_sites: tuple[MockSites, str], tmp_path: Path
) -> None:
    sites, password = robot_sites
    env = _env(robot_settings(tmp_path, sites), secret_service)
    env["RESERVROBOT_PMO_PASSWORD"] = password  # as a service manager would inject it
    env["RESERVROBOT_UI_SIGN_IN"] = "robot_account"
    env["PYTHONUNBUFFERED"] = "1"
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
        seen = ""
        while not URL_RE.search(seen):
            seen = lines.get(timeout=60)
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=60)


def test_doctor_fails_on_a_password_in_a_file_another_user_can_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("RESERVROBOT_KEYRING", "0")
    for name in [k for k in os.environ if k.startswith("RESERVROBOT_") and k.endswith("PASSWORD")]:
        monkeypatch.delenv(name)
    toml = tmp_path / "reservrobot.toml"
    toml.write_text('pmo_password = "i-filen"\n', encoding="utf-8")
    monkeypatch.setenv("RESERVROBOT_CONFIG_FILE", str(toml))
    toml.chmod(0o644)
    shared = secrets_check(Settings())
    assert not shared.ok
    assert f"{toml} innehåller en hemlighet och kan läsas av andra användare" in shared.detail
    assert "i-filen" not in shared.detail
    toml.chmod(0o600)
    private = secrets_check(Settings())
    assert private.ok
    assert f"pmo_password: inställningsfilen {toml}" in private.detail


def test_doctor_warns_about_a_shared_robot_station() -> None:
    station = sign_in_check(Settings(ui_sign_in="robot_account"))
    assert station.ok and station.warning
    assert "PMO:s logg visar roboten och inte handläggaren" in station.detail
    clerk = sign_in_check(Settings(ui_sign_in="clerk"))
    assert clerk.ok and not clerk.warning
