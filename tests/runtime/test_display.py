"""virtual_display: a private Xvfb when there is no display, nothing when there is one."""

from __future__ import annotations

import os
from pathlib import Path

import psutil
import pytest

from robot.display import X11_SOCKET_DIR, virtual_display, xvfb_available

pytestmark = pytest.mark.skipif(not xvfb_available(), reason="Xvfb is not installed")


def _xvfb_pids() -> set[int]:
    return {p.pid for p in psutil.Process().children() if p.name() == "Xvfb"}


def test_virtual_display_starts_xvfb_sets_display_and_stops_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("DISPLAY", raising=False)
    before = _xvfb_pids()
    with virtual_display() as display:
        assert os.environ["DISPLAY"] == display
        socket = X11_SOCKET_DIR / f"X{display.lstrip(':')}"
        assert socket.exists()
        started = _xvfb_pids() - before
        assert len(started) == 1
        cmdline = psutil.Process(next(iter(started))).cmdline()
        assert cmdline[1:] == [display, "-screen", "0", "1280x1024x24", "-nolisten", "tcp"]
    assert "DISPLAY" not in os.environ
    assert not socket.exists()
    assert _xvfb_pids() == before


def test_virtual_displays_at_once_get_different_numbers(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DISPLAY", raising=False)
    with virtual_display() as first:
        monkeypatch.delenv("DISPLAY")
        with virtual_display() as second:
            assert second != first
            assert Path(X11_SOCKET_DIR / f"X{second.lstrip(':')}").exists()


def test_virtual_display_is_a_no_op_when_a_display_exists(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DISPLAY", ":4242")
    before = _xvfb_pids()
    with virtual_display() as display:
        assert display == ":4242"
        assert _xvfb_pids() == before
    assert os.environ["DISPLAY"] == ":4242"
