"""A second start of ``reservrobot ui`` finds the app that already runs and opens it.

A clerk double-clicks the shortcut again (the first window is behind another, or minimised):
instead of a port error, the second start asks the running app for a fresh one-time code and
opens the browser with it. The running app leaves a private file (0600, in the data folder of
the clerk's own account) with its port and a hand-off secret that is good for nothing but
asking for a one-time code; the file goes when the app stops. Only the same OS user can read
it, the same trust as the token the app printed on that user's terminal.
"""

from __future__ import annotations

import contextlib
import json
import secrets
from dataclasses import dataclass
from pathlib import Path

import httpx

from robot.files import write_private
from robot.processes import HolderProcess
from robot.settings import Settings

RUNNING_FILE = "ui-running.json"
HANDOFF_PATH = "/_ny-kod"
HANDOFF_HEADER = "x-reservrobot-handoff"


@dataclass(frozen=True)
class RunningApp:
    """What a running app tells a second start: where it listens and how to ask it."""

    port: int
    secret: str
    process: HolderProcess | None


def new_secret() -> str:
    return secrets.token_urlsafe(32)


def _path(settings: Settings) -> Path:
    return settings.data_dir / RUNNING_FILE


def announce(settings: Settings, *, port: int, secret: str) -> None:
    """Leave the running app's port and hand-off secret for a second start (0600)."""
    me = HolderProcess.current()
    data = {
        "port": port,
        "secret": secret,
        "process": None
        if me is None
        else {"host": me.host, "pid": me.pid, "started": me.started, "booted": me.booted},
    }
    write_private(_path(settings), json.dumps(data))


def withdraw(settings: Settings, *, secret: str) -> None:
    """Remove the file when it is still this app's (a later start may have replaced it)."""
    found = running(settings)
    if found is not None and secrets.compare_digest(found.secret, secret):
        with contextlib.suppress(FileNotFoundError):
            _path(settings).unlink()


def running(settings: Settings) -> RunningApp | None:
    """The app this OS user left running, if its file is there and its process not gone."""
    try:
        data = json.loads(_path(settings).read_text("utf-8"))
        process = data.get("process")
        found = RunningApp(
            port=int(data["port"]),
            secret=str(data["secret"]),
            process=None if process is None else HolderProcess(**process),
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if found.process is not None and found.process.is_gone():
        with contextlib.suppress(FileNotFoundError):
            _path(settings).unlink()  # left by an app that was killed
        return None
    return found


def ask_for_code(app: RunningApp, *, timeout_s: float = 5.0) -> str | None:
    """A fresh one-time code from the running app (None: it did not answer as itself)."""
    try:
        response = httpx.post(
            f"http://127.0.0.1:{app.port}{HANDOFF_PATH}",
            headers={HANDOFF_HEADER: app.secret},
            timeout=timeout_s,
            trust_env=False,
        )
    except httpx.HTTPError:
        return None
    if response.status_code != 200:
        return None
    code = response.json().get("kod")
    return str(code) if code else None
