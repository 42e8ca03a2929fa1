"""What killed browsers leave in the temp folder is removed, what a live one uses is kept, and
the cleaner's timer runs until stopped (``robot.leftovers``). A real killed browser's leftovers:
tests/privacy/test_raw_trace.py."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

from robot.leftovers import (
    ARTIFACTS_PREFIX,
    CLEANER_THREAD,
    GRACE_S,
    PROFILE_PREFIX,
    LeftoverCleaner,
    remove_browser_temp_folders,
)

PROGRESS_DEADLINE_S = 30  # only a guard against hanging; never what a test asserts
# Waits until stdin closes; its arguments are what the test puts on its command line.
_IDLE = "import sys; sys.stdin.read()"


def _folder(temp: Path, name: str, *, changed: float) -> Path:
    folder = temp / name
    (folder / "Default").mkdir(parents=True)
    (folder / "Default" / "Cookies").write_bytes(b"a profile's file")
    os.utime(folder, (changed, changed))
    return folder


@pytest.fixture
def idle() -> Iterator[list[subprocess.Popen[bytes]]]:
    """Processes started by a test (as a live browser would be), ended after it."""
    started: list[subprocess.Popen[bytes]] = []
    yield started
    for proc in started:
        if proc.stdin:
            proc.stdin.close()
        proc.wait(timeout=PROGRESS_DEADLINE_S)


def _start(idle: list[subprocess.Popen[bytes]], *args: str) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen([sys.executable, "-c", _IDLE, *args], stdin=subprocess.PIPE)
    idle.append(proc)
    # Progress, not a pause: its command line is readable once it runs.
    deadline = time.monotonic() + PROGRESS_DEADLINE_S
    while list(args) != psutil.Process(proc.pid).cmdline()[-len(args) :]:
        assert time.monotonic() < deadline, "the stand-in browser did not start"
        time.sleep(0.01)
    return proc


def test_a_dead_browsers_profile_goes_and_a_live_or_young_one_stays(
    tmp_path: Path, idle: list[subprocess.Popen[bytes]]
) -> None:
    old = time.time() - GRACE_S - 60
    dead = _folder(tmp_path, f"{PROFILE_PREFIX}dead01", changed=old)
    live = _folder(tmp_path, f"{PROFILE_PREFIX}live01", changed=old)
    young = _folder(tmp_path, f"{PROFILE_PREFIX}young1", changed=time.time())
    other = _folder(tmp_path, "someone-elses-folder", changed=old)
    _start(idle, f"--user-data-dir={live}")  # Chromium names its profile so

    assert remove_browser_temp_folders(tmp_path) == 1
    assert not dead.exists()
    assert live.is_dir() and young.is_dir() and other.is_dir()


def test_an_artifacts_folder_stays_while_a_playwright_older_than_it_runs(
    tmp_path: Path, idle: list[subprocess.Popen[bytes]]
) -> None:
    before_boot = psutil.boot_time() - 3600  # older than every process: its maker is gone
    orphan = _folder(tmp_path, f"{ARTIFACTS_PREFIX}orphan", changed=before_boot)
    driver = _start(idle, "playwright", "run-driver")  # a live Playwright driver
    made = psutil.Process(driver.pid).create_time() + 1
    in_use = _folder(tmp_path, f"{ARTIFACTS_PREFIX}in_use", changed=made)

    assert remove_browser_temp_folders(tmp_path, now=made + GRACE_S + 1) == 1
    assert not orphan.exists() and in_use.is_dir()


def test_the_cleaner_runs_on_its_timer_until_stopped() -> None:
    calls: list[float] = []

    def clean() -> None:
        calls.append(time.monotonic())
        if len(calls) == 1:
            raise OSError("a folder in use")  # logged; the next pass tries again

    # Other cleaners may run in this process (a Runner of another test's fixture): this
    # cleaner's thread is the one that was not there before it started.
    before = {t for t in threading.enumerate() if t.name == CLEANER_THREAD}
    with LeftoverCleaner(clean, interval_s=0.01) as cleaner:
        assert cleaner.wait_for_passes(3, timeout_s=PROGRESS_DEADLINE_S)
        [thread] = [
            t for t in threading.enumerate() if t.name == CLEANER_THREAD and t not in before
        ]
        assert thread.daemon  # never keeps an entry point from exiting
    assert len(calls) >= 3  # the failed first pass did not end the timer
    # Stopped means stopped: the thread has ended, so no pass can follow.
    assert not thread.is_alive()
