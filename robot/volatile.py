"""A private folder in memory for each process: what must never outlive the process on a disk.

Playwright writes a trace's raw files itself, while the request runs, into the browser's traces
folder: every typed value (the password among them) and every page as shown (the search lists
name other people, protected ones too). A SIGKILL leaves them wherever that folder is, and no
encryption can be put between Playwright and its own files. So the browser's recording folder
(``robot.browser``) lives in memory, in the first of:

1. ``Settings.volatile_dir`` (the administrator's word that it is RAM-backed: a RAM disk on
   Windows);
2. ``$XDG_RUNTIME_DIR/reservrobot`` (the user's own tmpfs under systemd, 0700);
3. ``/dev/shm/reservrobot-<uid>`` (Linux's shared-memory tmpfs; the folder must be this user's
   own and no symlink, since anyone may create names in /dev/shm);

the last two only when ``/proc/self/mounts`` says the place is tmpfs or ramfs. Elsewhere
(Windows and macOS have no such folder by default) there is none: ``volatile_root`` is None,
the browser records into the evidence folder's staging area as before, and the support trace is
not recorded at all (``robot.evidence``).

Each process works in ``<root>/<process tag>-<what>/`` (0700, ``robot.leftovers.process_tag``),
removed when its browser closes. What a killed process left is removed at the next start
(``robot.evidence.remove_leftovers``) and by the running entry points' cleaner on a timer; a
reboot empties memory anyway.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import stat
from pathlib import Path

from robot.files import DIR_MODE, private_dir
from robot.leftovers import process_tag
from robot.settings import Settings

_log = logging.getLogger(__name__)

RAM_FILESYSTEMS = frozenset({"tmpfs", "ramfs"})
# Anyone may make names here: the folder is checked to be ours and no symlink (_own_folder).
_SHM = Path("/dev/shm")  # noqa: S108
_MOUNTS = Path("/proc/self/mounts")
_OCTAL = re.compile(r"\\([0-7]{3})")


def volatile_root(settings: Settings) -> Path | None:
    """The RAM-backed folder of this OS user (created 0700), or None where there is none."""
    if settings.volatile_dir is not None:
        return private_dir(Path(settings.volatile_dir))
    runtime = os.environ.get("XDG_RUNTIME_DIR", "").strip()
    if runtime and Path(runtime).is_dir() and ram_backed(Path(runtime)):
        return private_dir(Path(runtime) / "reservrobot")
    geteuid = getattr(os, "geteuid", None)
    if geteuid is not None and _SHM.is_dir() and ram_backed(_SHM):
        return _own_folder(_SHM / f"reservrobot-{geteuid()}")
    return None


def volatile_folder(settings: Settings, what: str) -> Path | None:
    """This process's folder ``<root>/<process tag>-<what>`` in memory (0700), or None."""
    root = volatile_root(settings)
    if root is None:
        return None
    return private_dir(root / f"{process_tag()}-{what}")


def holds(settings: Settings, path: Path) -> bool:
    """True when ``path`` is inside the RAM-backed folder."""
    root = volatile_root(settings)
    return root is not None and Path(path).resolve().is_relative_to(root.resolve())


def ram_backed(path: Path) -> bool:
    """True when ``path`` is on a tmpfs or ramfs (Linux's mount table; False where none)."""
    try:
        lines = _MOUNTS.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return False
    target = os.path.realpath(path)
    best, kind = "", ""
    for line in lines:
        fields = line.split()
        if len(fields) < 3:
            continue
        # The mount table escapes blanks in a mount point as octal (\040).
        point = _OCTAL.sub(lambda m: chr(int(m.group(1), 8)), fields[1])
        inside = target == point or target.startswith(point.rstrip("/") + "/")
        if inside and len(point) >= len(best):
            best, kind = point, fields[2]
    return kind in RAM_FILESYSTEMS


def _own_folder(path: Path) -> Path | None:
    """``path`` as a private folder of this user, or None when someone else got there first
    (another user's folder, or a symlink planted to send our files elsewhere)."""
    with contextlib.suppress(FileExistsError):
        os.mkdir(path, DIR_MODE)
    try:
        info = os.lstat(path)
    except OSError:
        return None
    geteuid = getattr(os, "geteuid", None)
    if not stat.S_ISDIR(info.st_mode) or (geteuid is not None and info.st_uid != geteuid()):
        _log.warning(
            "memory folder refused",
            extra={"event": "volatile_dir_refused", "fields": {"reason": "not_ours"}},
        )
        return None
    os.chmod(path, DIR_MODE)
    return path
