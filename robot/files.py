"""Private files and folders: the one place that creates anything holding personal data.

Folders are 0700 and files 0600 *before the first byte* is written (the mode is given to
``mkdir``/``open`` and then forced with ``chmod``, so neither the umask nor an older, looser
folder leaves anything readable by other users). Existing folders are tightened too.
"""

from __future__ import annotations

import os
from pathlib import Path

DIR_MODE = 0o700
FILE_MODE = 0o600


def private_dir(path: Path) -> Path:
    """Create ``path`` (and missing parents) as 0700, and tighten it if it already exists."""
    path = Path(path)
    path.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
    os.chmod(path, DIR_MODE)
    return path


def private_file(path: Path, *, sqlite_sidecars: bool = False) -> Path:
    """Create ``path`` empty as 0600 if missing (folder 0700), and make it 0600 if present.

    With ``sqlite_sidecars`` the database's ``-wal``/``-shm``/``-journal`` files are tightened
    too (SQLite gives new ones the main file's mode, so a 0600 main file keeps them private).
    """
    path = Path(path)
    private_dir(path.parent)
    os.close(os.open(path, os.O_CREAT | os.O_WRONLY, FILE_MODE))
    os.chmod(path, FILE_MODE)
    if sqlite_sidecars:
        for suffix in ("-wal", "-shm", "-journal"):
            side = path.with_name(path.name + suffix)
            if side.exists():
                os.chmod(side, FILE_MODE)
    return path


def write_private(path: Path, data: bytes | str, *, exclusive: bool = False) -> Path:
    """Write ``data`` to ``path`` through a descriptor opened 0600 (folder 0700).

    ``exclusive`` refuses to overwrite an existing file (evidence never replaces evidence).
    """
    path = Path(path)
    private_dir(path.parent)
    flags = os.O_WRONLY | os.O_CREAT | (os.O_EXCL if exclusive else os.O_TRUNC)
    fd = os.open(path, flags, FILE_MODE)
    with os.fdopen(fd, "wb") as fh:
        os.fchmod(fh.fileno(), FILE_MODE)
        fh.write(data.encode("utf-8") if isinstance(data, str) else data)
    return path
