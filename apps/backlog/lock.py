"""The run lock: one ``backlog run`` per queue at a time.

Schedulers start runs blindly (a cron line every ten minutes, a systemd timer); when one run is
still busy the next must not start at all, so it exits at once with ``ExitCode.LOCKED`` (75).
The lock is an OS file lock (``filelock``) next to the queue file: it is released by the OS
when the holder dies, even by SIGKILL, so a crash never leaves a stale lock behind. Correctness
does not depend on it: two runs that did overlap still never take the same item, because the
claim is atomic in the store.
"""

from __future__ import annotations

import json
import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from filelock import FileLock, Timeout

from robot.files import private_dir, write_private


class RunLockHeld(Exception):
    """Another process holds the queue's run lock."""

    def __init__(self, path: Path, holder: dict[str, Any] | None) -> None:
        self.path = path
        self.holder = holder
        who = (
            f" (pid {holder.get('pid')} på {holder.get('host')} sedan {holder.get('since')})"
            if holder
            else ""
        )
        super().__init__(f"En annan körning använder redan kön{who}.")


def lock_path(queue_file: Path, slot: str = "run") -> Path:
    return queue_file.with_name(f"{queue_file.name}.{slot}.lock")


def _owner_path(path: Path) -> Path:
    return path.with_name(path.name + ".owner")


def read_holder(queue_file: Path, slot: str = "run") -> dict[str, Any] | None:
    """Who took the lock last (pid, host, since), for messages; None when unknown."""
    try:
        data = json.loads(_owner_path(lock_path(queue_file, slot)).read_text("utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


@contextmanager
def run_lock(queue_file: Path, *, slot: str = "run", wait_s: float = 0) -> Iterator[Path]:
    """Hold the queue's run lock for the body, or raise ``RunLockHeld`` at once.

    ``slot`` names independent locks on one queue (e.g. one per worker machine) for setups
    that want overlapping runs on purpose.
    """
    path = lock_path(queue_file, slot)
    private_dir(path.parent)
    lock = FileLock(str(path), timeout=wait_s, mode=0o600)
    try:
        lock.acquire()
    except Timeout:
        raise RunLockHeld(path, read_holder(queue_file, slot)) from None
    try:
        owner = _owner_path(path)
        write_private(
            owner,
            json.dumps(
                {
                    "pid": os.getpid(),
                    "host": socket.gethostname(),
                    "since": datetime.now(UTC).isoformat(timespec="seconds"),
                }
            ),
        )
        yield path
    finally:
        lock.release()
