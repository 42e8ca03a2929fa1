"""One Chromium for the whole run, with one browser context (cookies, session) per site.

A ``BrowserSession`` launches the browser once and hands out a lazily created context and a
reused page per site ("pmo", "rns", "plexus", ...), so each site is logged in to once and the
login survives from one registration to the next. Contexts get the settings' timeouts, the
Swedish locale and clipboard permissions (the browser transfer mode reads the clipboard).

Threading: Playwright's sync API is bound to the thread that started it. A ``BrowserSession``
and everything it returns must be used from the thread that called ``start()`` (or entered the
``with`` block). Run one session per worker thread if you need parallelism.

Recording stays out of the system temp folder and off the disk: the browser is launched with
its Playwright traces and artifacts folders in a private folder of this process in memory
(``robot.volatile``: ``<memory>/<process>-browser-<id>/``), or where the computer has no such
folder under the evidence folder (``<evidence>/.recording/<process>-browser-<id>/``, and then no
trace is recorded). It is removed when the session closes and, after a kill, by
``robot.evidence.remove_leftovers`` (at the next start, and on the Runner's timer).

Chromium's own profile folder still goes to the system temp folder: ``launch()`` takes no
profile folder (a ``--user-data-dir`` switch is refused; only ``launch_persistent_context``
takes one, and it gives one context per browser, not one per site), and the Playwright driver
picks the folder from its own environment. Playwright deletes it on close; a killed browser's
is removed by ``robot.leftovers``.

Only one sync Playwright can run per thread (a second ``sync_playwright()`` fails with "using
Playwright Sync API inside the asyncio loop"), so sessions of one thread share a reference-counted
Playwright from ``shared_playwright()``; test suites that also use pytest-playwright's fixtures
should make its ``playwright`` fixture come from there too.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Self

import psutil
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, sync_playwright

from robot.chromium import find_chromium, robot_launch_args
from robot.evidence import process_recording_dir
from robot.files import private_dir
from robot.settings import Settings
from robot.site_settings import SITES
from robot.volatile import volatile_folder

CLIPBOARD_PERMISSIONS = ["clipboard-read", "clipboard-write"]
LOCALE = "sv-SE"
# A switch Chromium ignores, added so memory_rss_bytes() can tell this session's browser apart
# from any other Chromium the process (or its test suite) runs.
_MARKER_SWITCH = "--reservrobot-session"
# The page's JavaScript heap in use, in bytes (0 where the browser does not say).
_HEAP_USED_JS = "() => (performance.memory ? performance.memory.usedJSHeapSize : 0)"


@dataclass
class _Shared:
    playwright: Playwright
    users: int = 0


_local = threading.local()


def _acquire_playwright() -> Playwright:
    shared: _Shared | None = getattr(_local, "shared", None)
    if shared is None:
        if _loop_running():
            raise RuntimeError(
                "An asyncio loop runs in this thread: another sync Playwright (pytest-playwright's "
                "fixtures?) or async code. Lend that Playwright with BrowserSession(settings, "
                "playwright=...), make the fixture come from robot.browser.shared_playwright(), "
                "or use the session from a thread of its own."
            )
        shared = _Shared(sync_playwright().start())
        _local.shared = shared
    shared.users += 1
    return shared.playwright


def _loop_running() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


def _release_playwright() -> None:
    shared: _Shared | None = getattr(_local, "shared", None)
    if shared is None:
        return
    shared.users -= 1
    if shared.users == 0:
        _local.shared = None
        shared.playwright.stop()


@contextlib.contextmanager
def shared_playwright() -> Iterator[Playwright]:
    """This thread's Playwright: started on first use, stopped when its last user leaves."""
    playwright = _acquire_playwright()
    try:
        yield playwright
    finally:
        _release_playwright()


class BrowserSession:
    """One browser, one context and one reused page per site. Use as a context manager.

    ``playwright`` lets a caller that already runs Playwright in this thread lend it (it is
    then not stopped here); by default the thread's ``shared_playwright()`` is used. Logging in
    again after a session expired is the page objects' business (``flows.pages.site``).
    """

    def __init__(
        self,
        settings: Settings,
        *,
        playwright: Playwright | None = None,
    ) -> None:
        self.settings = settings
        self._marker = uuid.uuid4().hex
        self._lent_playwright = playwright
        self._playwright: Playwright | None = None
        self._browser: Browser | None = None
        self._contexts: dict[str, BrowserContext] = {}
        self._pages: dict[str, Page] = {}
        self._recording: Path | None = None
        self._in_memory = False

    # Lifecycle -------------------------------------------------------------------------------

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def start(self) -> None:
        """Launch the browser (idempotent)."""
        if self._browser is not None:
            return
        explicit = self.settings.browser_executable
        executable = find_chromium(explicit)
        playwright = self._lent_playwright or _acquire_playwright()
        recording = self._make_recording_dir()
        try:
            self._browser = playwright.chromium.launch(
                executable_path=executable,
                args=[*robot_launch_args(), f"{_MARKER_SWITCH}={self._marker}"],
                headless=self.settings.headless,
                # Today's environment, not the one the Playwright driver started with: a
                # virtual display (DISPLAY) may have been set up since.
                env=dict(os.environ),
                slow_mo=self.settings.slow_mo_ms or None,
                timeout=self.settings.navigation_timeout_ms,
                # Traces and downloads into the private folder, never the system temp folder.
                traces_dir=recording / "traces",
                artifacts_dir=recording / "artifacts",
                downloads_path=recording / "artifacts",
            )
        except BaseException:
            self._remove_recording_dir()
            if self._lent_playwright is None:
                _release_playwright()
            raise
        self._playwright = playwright

    def close(self) -> None:
        """Close every context, the browser and Playwright (idempotent, never raises twice)."""
        contexts = list(self._contexts.values())
        self._contexts.clear()
        self._pages.clear()
        try:
            for context in contexts:
                # The browser may already be gone (crashed or killed); closing it is enough.
                with contextlib.suppress(Exception):
                    context.close()
            if self._browser is not None:
                self._browser.close()
        finally:
            self._browser = None
            self._remove_recording_dir()
            if self._playwright is not None:
                self._playwright = None
                if self._lent_playwright is None:
                    _release_playwright()

    def _make_recording_dir(self) -> Path:
        what = f"browser-{self._marker[:12]}"
        folder = volatile_folder(self.settings, what)
        self._in_memory = folder is not None
        if folder is None:
            base = process_recording_dir(self.settings.evidence_path)
            folder = private_dir(base.parent / f"{base.name}-{what}")
        private_dir(folder / "traces")
        private_dir(folder / "artifacts")
        self._recording = folder
        return folder

    def _remove_recording_dir(self) -> None:
        folder, self._recording = self._recording, None
        if folder is not None:
            shutil.rmtree(folder, ignore_errors=True)
            if not self._in_memory:
                # This process's own working folder, when nothing else of it is left.
                with contextlib.suppress(OSError):
                    process_recording_dir(self.settings.evidence_path).rmdir()

    @property
    def traces_dir(self) -> Path | None:
        """Where Playwright writes this browser's trace files while tracing (private; in
        memory where the computer has a folder there, ``recording_in_memory``)."""
        return self._recording / "traces" if self._recording is not None else None

    @property
    def recording_in_memory(self) -> bool:
        """True when the browser's recording folder is in memory (``robot.volatile``)."""
        return self._recording is not None and self._in_memory

    # Access ----------------------------------------------------------------------------------

    @property
    def browser(self) -> Browser:
        if self._browser is None:
            raise RuntimeError("BrowserSession is not started; use it as a context manager")
        return self._browser

    @property
    def sites(self) -> list[str]:
        """Sites that have a context, in the order they were opened."""
        return list(self._contexts)

    def context(self, site: str) -> BrowserContext:
        """The site's context, created on first use with timeouts, locale and permissions."""
        existing = self._contexts.get(site)
        if existing is not None:
            return existing
        context = self.browser.new_context(
            base_url=self.settings.site(site).url if site in SITES else None,
            locale=LOCALE,
            permissions=CLIPBOARD_PERMISSIONS,
        )
        context.set_default_timeout(self.settings.timeout_ms)
        context.set_default_navigation_timeout(self.settings.navigation_timeout_ms)
        self._contexts[site] = context
        return context

    def page(self, site: str) -> Page:
        """The site's page, reused across calls; a new one if the previous was closed."""
        page = self._pages.get(site)
        if page is None or page.is_closed():
            page = self.context(site).new_page()
            self._pages[site] = page
        return page

    def close_context(self, site: str) -> None:
        """Drop a site's context (cookies and page) so the next use starts afresh."""
        self._pages.pop(site, None)
        context = self._contexts.pop(site, None)
        if context is not None:
            context.close()

    # Measurement -----------------------------------------------------------------------------

    def memory_rss_bytes(self) -> int:
        """Resident memory of this session's browser process tree (all Chromium processes).

        RSS counts shared pages once per process, so the figure overstates what the browser
        alone costs; it is meant for comparing runs, as the bench does.
        """
        total = 0
        for proc in self._browser_processes():
            try:
                total += proc.memory_info().rss
            except psutil.Error:
                continue
        return total

    def collect_garbage(self, *, over_bytes: int) -> int:
        """Ask every open page whose JavaScript heap is larger than ``over_bytes`` to collect its
        garbage (Playwright's ``request_gc``, some tens of ms); the number of pages asked.

        Chromium leaves each finished document's garbage in the page's heap for later, and a
        robot that only navigates never gives it a later: after 50 people a page held 165 MB
        of which 2 MB were alive. The check is one call per page; best effort, never raises
        (a page that is closing is looked at next time).
        """
        asked = 0
        for context in list(self._contexts.values()):
            for page in list(context.pages):
                try:
                    used = page.evaluate(_HEAP_USED_JS)
                    if isinstance(used, int | float) and used > over_bytes:
                        page.request_gc()
                        asked += 1
                except Exception:  # noqa: S112 - closing or navigating: next time
                    continue
        return asked

    def memory_pss_bytes(self) -> int:
        """Proportional set size of the browser process tree (Linux; RSS elsewhere).

        PSS shares each shared page among the processes that map it, so unlike the RSS sum it
        does not count Chromium's shared libraries once per renderer: about 0.4 of the RSS sum
        for a few small pages. Reading it costs some tens of milliseconds.
        """
        total = 0
        for proc in self._browser_processes():
            try:
                info = proc.memory_full_info()
            except psutil.Error:
                continue
            total += int(getattr(info, "pss", info.rss))
        return total

    def _browser_processes(self) -> list[psutil.Process]:
        if self._browser is None:
            return []
        needle = f"{_MARKER_SWITCH}={self._marker}"
        procs: list[psutil.Process] = []
        for root in _browser_roots(psutil.Process(), needle):
            try:
                procs.extend([root, *root.children(recursive=True)])
            except psutil.Error:
                continue
        return procs


def _browser_roots(me: psutil.Process, needle: str) -> list[psutil.Process]:
    """The topmost descendants of ``me`` launched with ``needle`` on their command line."""
    roots: list[psutil.Process] = []
    for proc in me.children(recursive=True):
        try:
            if needle not in proc.cmdline():
                continue
            parent = proc.parent()
            if parent is not None and needle in _safe_cmdline(parent):
                continue
        except psutil.Error:
            continue
        roots.append(proc)
    return roots


def _safe_cmdline(proc: psutil.Process) -> list[str]:
    try:
        return proc.cmdline()
    except psutil.Error:
        return []
