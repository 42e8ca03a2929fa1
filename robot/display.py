"""A virtual X display (Xvfb) for headed Chromium and the system clipboard on a server.

The system transfer mode needs a real X clipboard, and Ctrl+C only reaches it from a headed
browser. On a machine without a desktop, ``virtual_display()`` starts Xvfb for the duration of
a ``with`` block; where a display exists already it does nothing.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

from robot.errors import ConfigError

X11_SOCKET_DIR = Path("/tmp/.X11-unix")  # noqa: S108 - the X11 convention, not a temp file
SCREEN = "1280x1024x24"
FIRST_DISPLAY = 90
LAST_DISPLAY = 199
START_TIMEOUT_S = 10.0
_POLL_S = 0.02


def xvfb_available() -> bool:
    return shutil.which("Xvfb") is not None


@contextlib.contextmanager
def virtual_display() -> Iterator[str]:
    """Yield a usable ``DISPLAY``: the existing one, or a fresh Xvfb (stopped afterwards).

    While the Xvfb runs, ``os.environ["DISPLAY"]`` points at it, so Chromium, xclip and
    pyperclip started in the block use it; the variable is removed again at the end.
    """
    existing = os.environ.get("DISPLAY")
    if existing:
        yield existing
        return
    if not xvfb_available():
        raise ConfigError("Xvfb saknas: installera paketet xvfb eller kör med en skärm.")
    number, proc = _start_xvfb()
    display = f":{number}"
    os.environ["DISPLAY"] = display
    try:
        yield display
    finally:
        if os.environ.get("DISPLAY") == display:
            del os.environ["DISPLAY"]
        _stop(proc)


def _start_xvfb() -> tuple[int, subprocess.Popen[bytes]]:
    """Start Xvfb on the first free display number and wait until it accepts connections."""
    for number in range(FIRST_DISPLAY, LAST_DISPLAY + 1):
        if _display_in_use(number):
            continue
        proc = subprocess.Popen(
            ["Xvfb", f":{number}", "-screen", "0", SCREEN, "-nolisten", "tcp"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,  # a Ctrl+C in the terminal should not reach it first
        )
        if _wait_until_ready(number, proc):
            return number, proc
        # Lost a race for this number (or Xvfb failed): try the next one.
        _stop(proc)
    raise ConfigError("Kunde inte starta Xvfb: inget ledigt skärmnummer.")


def _lock_file(number: int) -> Path:
    return Path(f"/tmp/.X{number}-lock")  # noqa: S108 - the X11 convention


def _display_in_use(number: int) -> bool:
    return _lock_file(number).exists() or (X11_SOCKET_DIR / f"X{number}").exists()


def _owns_lock(number: int, pid: int) -> bool:
    """True when the display's lock file names ``pid`` (another Xvfb may have won the number)."""
    try:
        return int(_lock_file(number).read_text().strip() or 0) == pid
    except (OSError, ValueError):
        return False


def _wait_until_ready(number: int, proc: subprocess.Popen[bytes]) -> bool:
    """Poll the display's Unix socket until our Xvfb accepts a connection (bounded)."""
    path = str(X11_SOCKET_DIR / f"X{number}")
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return False
        if not _owns_lock(number, proc.pid):
            time.sleep(_POLL_S)
            continue
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            try:
                sock.connect(path)
            except OSError:
                pass
            else:
                return True
        time.sleep(_POLL_S)
    return False


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
