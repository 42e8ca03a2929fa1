"""What a killed process leaves behind, and who may remove it: working folders and browser temp.

Two kinds of leftovers, one rule each:

- **A working folder named by its process** (``process_tag()``: ``HolderProcess.tag``, so
  ``<pid>-<start>-<boot>-<machine>[-...]``): the evidence's staging folders
  (``<evidence>/.recording/``) and the browser's folders in memory (``robot.volatile``). It is
  removed only when its process is provably gone (``robot.processes``); any doubt keeps it.
- **Playwright's folders in the system temp folder** (``playwright_chromiumdev_profile-*``,
  Chromium's profile of a browser from ``launch()``; ``playwright-artifacts-*``, made by a
  Playwright that was given no artifacts folder). Playwright deletes both when the browser
  closes, and its driver does when the Python process dies; only a kill of the whole process
  group (or of the driver) leaves them. A folder of this user is removed when it is older than
  ``GRACE_S`` (just made, its browser may be starting) and nothing shows it in use: no running
  process names it on its command line (Chromium is started with ``--user-data-dir=<profile>``),
  and, for an artifacts folder, which no command line names, no Playwright process (one with
  "playwright" on its command line) that started before the folder last changed still runs.
  psutil reads the command lines on Linux, Windows and macOS alike.

``LeftoverCleaner`` runs a cleaning function on a timer in a daemon thread while an entry point
runs (the ``Runner`` starts one), so leftovers of a process killed meanwhile do not wait for
the next start.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import stat
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Self

import psutil

from robot.processes import HolderProcess, this_machine

_log = logging.getLogger(__name__)

# The temp folders of Playwright's own making (packages/playwright-core/src/server/browserType.ts:
# `playwright_${name}dev_profile-` for a launched browser's profile, `playwright-artifacts-`).
PROFILE_PREFIX = "playwright_chromiumdev_profile-"
ARTIFACTS_PREFIX = "playwright-artifacts-"
# A temp folder younger than this may belong to a browser being launched (the folder is made
# before the browser that names it starts): left for the next pass.
GRACE_S = 300.0
# How often the cleaner looks while an entry point runs, and its thread's name.
CLEAN_INTERVAL_S = 300.0
CLEANER_THREAD = "reservrobot-leftover-cleaner"


def process_tag() -> str:
    """This process as a folder name (``HolderProcess.tag``)."""
    me = HolderProcess.current()
    # Without it (the system will not say) the folder names no process and is kept.
    return me.tag() if me is not None else f"{os.getpid()}-unknown"


def owner_alive(name: str) -> bool:
    """False only when the process that made the folder ``name`` provably no longer runs (the
    runtime's one rule, ``robot.processes``); any doubt keeps the folder."""
    owner = HolderProcess.from_tag(name)
    if owner is None:
        owner = _legacy_owner(name)
    return owner is None or not owner.is_gone()


def _legacy_owner(name: str) -> HolderProcess | None:
    """A folder named by a release before the rule (``<pid>-<start>``): taken to be of this
    machine and boot, as that release did, so that its leftovers are still removed."""
    match = re.fullmatch(r"([0-9]+)-([0-9]+)(?:-.*)?", name)
    if match is None:
        return None
    try:
        booted = psutil.boot_time()
    except (psutil.Error, OSError):
        return None
    return HolderProcess(this_machine(), int(match.group(1)), float(match.group(2)), booted)


def remove_dead_folders(parent: Path) -> int:
    """Remove every entry of ``parent`` whose owning process is provably gone; how many."""
    removed = 0
    try:
        children = list(parent.iterdir())
    except FileNotFoundError:
        return 0
    for child in children:
        if owner_alive(child.name):
            continue
        if child.is_dir() and not child.is_symlink():
            shutil.rmtree(child, ignore_errors=True)
        else:
            child.unlink(missing_ok=True)
        removed += 1
    return removed


def remove_browser_temp_folders(
    temp_dir: Path | None = None, *, now: float | None = None, grace_s: float = GRACE_S
) -> int:
    """Remove this user's Playwright profile and artifacts folders in ``temp_dir`` (the system
    temp folder) that no running browser uses (module docstring); how many."""
    folder = Path(temp_dir) if temp_dir is not None else Path(tempfile.gettempdir())
    now = time.time() if now is None else now
    candidates: list[tuple[Path, float]] = []
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return 0
    for entry in entries:
        if not entry.name.startswith((PROFILE_PREFIX, ARTIFACTS_PREFIX)):
            continue
        try:
            info = entry.stat(follow_symlinks=False)
        except OSError:
            continue
        if not stat.S_ISDIR(info.st_mode) or not _mine(info):
            continue
        if now - info.st_mtime < grace_s:
            continue
        candidates.append((Path(entry.path), info.st_mtime))
    if not candidates:
        return 0
    running = _running_command_lines()
    removed = 0
    for path, changed in candidates:
        if _in_use(path, changed, running):
            continue
        shutil.rmtree(path, ignore_errors=True)
        removed += 1
    if removed:
        _log.info(
            "browser temp folders of a killed run deleted",
            extra={"event": "browser_temp_removed", "fields": {"folders": removed}},
        )
    return removed


def _mine(info: os.stat_result) -> bool:
    """True for a folder of this OS user (Windows gives every user a temp folder of their own)."""
    geteuid = getattr(os, "geteuid", None)
    return geteuid is None or info.st_uid == geteuid()


def _running_command_lines() -> list[tuple[float, list[str]]]:
    """(start time, command line) of every process this user may read."""
    found: list[tuple[float, list[str]]] = []
    for proc in psutil.process_iter(["cmdline", "create_time"]):
        cmdline = proc.info.get("cmdline")
        started = proc.info.get("create_time")
        if cmdline and started is not None:
            found.append((float(started), list(cmdline)))
    return found


def _names(cmdline: list[str], folder: str) -> bool:
    """True when an argument is ``folder``, ends with ``=folder`` or points inside it."""
    inside = folder + os.sep
    return any(a == folder or a.endswith("=" + folder) or inside in a for a in cmdline)


def _in_use(path: Path, changed: float, running: list[tuple[float, list[str]]]) -> bool:
    folder = str(path)
    if any(_names(cmdline, folder) for _, cmdline in running):
        return True  # Chromium names its profile; anything else naming the folder counts too
    if path.name.startswith(PROFILE_PREFIX):
        return False
    # An artifacts folder names no process: keep it while a Playwright older than its last
    # change still runs (the one that made it may be that one).
    return any(
        started <= changed and "playwright" in " ".join(cmdline).lower()
        for started, cmdline in running
    )


class LeftoverCleaner:
    """Runs ``clean`` every ``interval_s`` in a daemon thread until stopped (a context manager).

    ``clean`` must not raise for a leftover it cannot remove; an error is logged by its type and
    the next pass tries again. ``passes`` counts finished passes (tests wait on it).
    """

    def __init__(self, clean: Callable[[], object], *, interval_s: float = CLEAN_INTERVAL_S):
        self._clean = clean
        self._interval_s = interval_s
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._done = threading.Condition()
        self.passes = 0

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def start(self) -> None:
        """Start the timer (idempotent); the first pass comes after one interval."""
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name=CLEANER_THREAD, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop the timer and wait for a pass in progress (idempotent)."""
        thread, self._thread = self._thread, None
        if thread is None:
            return
        self._stop.set()
        thread.join()

    def wait_for_passes(self, count: int, *, timeout_s: float) -> bool:
        """Wait until ``count`` passes are done (False when ``timeout_s`` ran out first)."""
        with self._done:
            return self._done.wait_for(lambda: self.passes >= count, timeout=timeout_s)

    def _run(self) -> None:
        while not self._stop.wait(self._interval_s):
            try:
                self._clean()
            except Exception as exc:  # the next pass tries again; never the entry point's concern
                _log.warning(
                    "leftover_cleaning_failed",
                    extra={
                        "event": "leftover_cleaning_failed",
                        "fields": {"error": type(exc).__name__},
                    },
                )
            with self._done:
                self.passes += 1
                self._done.notify_all()
