"""Finding a Chromium binary: the machine's own first, Playwright's managed browser otherwise."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

# Debian/Ubuntu packages and common Linux/macOS locations, in order of preference.
_CANDIDATES = (
    "/usr/bin/chromium",
    "/usr/bin/chromium-browser",
    "/usr/lib/chromium/chromium",
    "/snap/bin/chromium",
    "/Applications/Chromium.app/Contents/MacOS/Chromium",
)

# Flags that keep Chromium quiet on a machine without internet and let it run as root.
CHROMIUM_ARGS = (
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
    "--disable-gpu",
)


def find_chromium(explicit: str | Path | None = None) -> str | None:
    """Return the path of a Chromium to drive, or None to use Playwright's managed browser.

    An explicit path (from settings) wins and must exist. Otherwise the machine's Chromium is
    used when there is one, because ``playwright install`` cannot download on every machine.
    """
    if explicit:
        path = Path(explicit).expanduser()
        if not path.exists():
            raise FileNotFoundError(f"Chromium not found at configured path {path}")
        return str(path)
    env = os.environ.get("RESERVROBOT_BROWSER_EXECUTABLE")
    if env and Path(env).exists():
        return env
    for candidate in _CANDIDATES:
        if Path(candidate).exists():
            return candidate
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    return found


def launch_args(*, as_root: bool | None = None) -> list[str]:
    """Command-line flags for launching Chromium here (adds --no-sandbox when running as root)."""
    args = list(CHROMIUM_ARGS)
    if as_root is None:
        as_root = hasattr(os, "geteuid") and os.geteuid() == 0
    if as_root:
        args.append("--no-sandbox")
    return args
