"""Finding a Chromium binary and the flags to launch it with.

``launch_args()`` is what any Chromium needs to run here (the bench's plain-script floor uses
it as is); ``robot_launch_args()`` adds the robot's own tuning for speed and memory.
"""

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


# Playwright's own --disable-features list, copied from Playwright 1.65.2
# (`disabledFeatures` in packages/playwright-core/src/server/chromium/chromiumSwitches.ts).
# Chromium keeps only the last --disable-features switch, so the robot's switch repeats these,
# or they would come back on. tests/runtime/test_chromium_flags.py fails when a Playwright
# upgrade disables a feature this tuple misses.
PLAYWRIGHT_DISABLED_FEATURES = (
    "AvoidUnnecessaryBeforeUnloadCheckSync",
    "DestroyProfileOnBrowserClose",
    "HttpsUpgrades",
    "HttpsFirstBalancedModeAutoEnable",
    "LensOverlay",
    "MediaRouter",
    "PaintHolding",
    "ThirdPartyStoragePartitioning",
    "AvoidCorsURLLoaderRestartOnRedirect",
    "TcpPortRandomizationWin",
    "OptimizationHints",
    "NetworkTimeServiceQuerying",
    "AimEnabled",
    "PreconnectToSearch",
    "msForceBrowserSignIn",
    "msEdgeUpdateLaunchServicesPreferredVersion",
)

# Features the robot turns off on top of Playwright's (figures: docs/architecture.md, issue 15).
ROBOT_DISABLED_FEATURES = (
    # A same-site navigation reuses the page's document host instead of building a new one:
    # about 100 ms (10 %) less per registration and 15 % less CPU.
    "RenderDocument",
    # No spare renderer kept warm for a next site the robot never opens: about 50 ms less per
    # registration and one renderer process fewer.
    "SpareRendererForSitePerProcess",
    # No hidden omnibox (address bar) popups preloaded as web pages in every context: they cost
    # a renderer per context (about 30 MB private memory each) and 1.3 s of CPU at start.
    "WebUIOmniboxPopup",
    "WebUIOmniboxAimPopup",
)

# The robot's other switches.
ROBOT_ARGS = (
    # V8 keeps its heaps tight (a GC heuristic; no limit, nothing turned off): about 70 MB less
    # private memory after 14 registrations and 140 MB less after 50, CPU unchanged.
    "--js-flags=--memory-saver-mode",
    # performance.memory exact and current (otherwise rounded to 10 MB and cached for minutes):
    # BrowserSession.collect_garbage reads it to know which page's heap has grown.
    "--enable-precise-memory-info",
)


def robot_launch_args(*, as_root: bool | None = None) -> list[str]:
    """The robot's flags: ``launch_args()`` plus the tuning above, one merged --disable-features."""
    features = ",".join((*PLAYWRIGHT_DISABLED_FEATURES, *ROBOT_DISABLED_FEATURES))
    return [*launch_args(as_root=as_root), f"--disable-features={features}", *ROBOT_ARGS]
