"""Evidence of a failed request that shows that request's person only, and never a secret.

What a failed item keeps, in ``<evidence_path>/<YYYY-MM-DD>/<item_key>/`` (folders 0700, files
0600), and why (measured and argued in docs/architecture.md, "Evidence"):

- ``screen-<c>-<p>.png``: a screenshot of every page the item itself navigated, with every
  table (``table``, ``role=table|grid|treegrid``), every password field and whatever the caller's
  ``masks`` name painted over. Tables are masked by construction, not by configuration: a
  search result list shows the other people born that day (protected identities among them),
  and a selector file that no longer finds the list must not unmask it.
- ``page-<c>-<p>.html``: the same page's HTML with those elements replaced by a placeholder,
  no input, option or text-area values, no scripts.
- ``steps.json``: the item's step log and the error's type, code and (masked) message.
- only with ``Settings.evidence_trace`` (a support session): ``trace-<c>.zip``, a Playwright
  trace without screencast, redacted by ``robot.trace_redaction`` (no typed values, no network
  bodies, headers or form posts, no table text or input values in the DOM snapshots). The raw
  trace is never on a disk: Playwright writes it into the browser's folder in memory
  (``robot.volatile``), and where this computer has none no trace is recorded.

Pages the item did not navigate are left out: they still show whoever came before. Nothing at
all is recorded or written for a protected identity, and its pages are blanked afterwards.
Nothing is written for a successful item, nor for one that ends with a person (a business
error): the screenshots and HTML are taken only once the item has failed.

Everything is first written into ``<evidence_path>/.recording/<process>/`` and moved into place
with one rename, so a killed run leaves nothing half-written among the evidence; the
Playwright trace and artifacts folders of a browser live in memory (``robot.browser``), or
without memory beside that folder, never in the system temp folder. ``prepare_evidence``,
which every entry point calls at start (the ``Runner`` does, through
``EvidenceRecorder.start``), removes what dead processes left in either place and Chromium's
orphaned temp profiles (``remove_leftovers``, also on the Runner's timer), tightens the data
and evidence folders to 0700 and deletes expired evidence.

Long (about 530 lines) because evidence must hold by construction: recording, masking, redaction
and retention are one design, and splitting them would put the masking rules apart from the
files they protect.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import shutil
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from playwright.sync_api import BrowserContext, Locator, Page

from robot.errors import BusinessError
from robot.files import DIR_MODE, FILE_MODE, private_dir, write_private
from robot.leftovers import process_tag, remove_browser_temp_folders, remove_dead_folders
from robot.logs import IDENTITY_PATTERN, MASK, contains_identity
from robot.settings import Settings
from robot.trace_redaction import redact_trace
from robot.volatile import holds, volatile_root

_log = logging.getLogger(__name__)
SCREENSHOT_TIMEOUT_MS = 10_000  # a busy machine needs seconds; only a failure waits
RECORDING_DIR = ".recording"
_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]")
# Masked on every page whatever the selector files say (see the module docstring).
ALWAYS_MASKED = "table, [role=table], [role=grid], [role=treegrid], input[type=password]"
MASK_COLOR = "#1f2933"
_MARK = "data-reservrobot-masked"
# The page's HTML without masked elements, input values or scripts (run in the page).
_REDACTED_HTML_JS = """mark => {
  const root = document.documentElement.cloneNode(true);
  for (const el of root.querySelectorAll('[' + mark + ']')) {
    const stub = document.createElement('div');
    stub.textContent = '[maskerat]';
    el.replaceWith(stub);
  }
  for (const el of root.querySelectorAll('input, option, textarea, select')) {
    for (const a of ['value', 'checked', 'selected', 'placeholder']) el.removeAttribute(a);
    if (el.tagName === 'TEXTAREA') el.textContent = '';
  }
  for (const el of root.querySelectorAll('script, noscript, template, iframe, object, embed, base'))
    el.remove();
  for (const el of root.querySelectorAll('*')) {
    for (const a of Array.from(el.attributes)) {
      if (a.name.startsWith('on') || /^\\s*javascript:/i.test(a.value)) el.removeAttribute(a.name);
    }
  }
  // Opened from the attended app: the copy must never run anything.
  const csp = document.createElement('meta');
  csp.setAttribute('http-equiv', 'Content-Security-Policy');
  csp.setAttribute('content', "script-src 'none'; object-src 'none'");
  const head = root.querySelector('head');
  if (head) head.prepend(csp);
  return '<!doctype html>\\n' + root.outerHTML;
}"""

MaskFactory = Callable[[Page], Sequence[Locator]]
StepLog = Callable[[], Sequence[Mapping[str, Any]]]


@dataclass
class EvidenceHandle:
    """What ``capture`` kept for one item: nothing, or the folder and its files."""

    item_key: str
    protected: bool
    directory: Path | None = None
    paths: list[Path] = field(default_factory=list)


class EvidenceRecorder:
    """Keeps masked evidence of a failed item (and, opted in, a redacted trace)."""

    def __init__(
        self,
        settings: Settings,
        *,
        masks: MaskFactory | None = None,
        traces_dir: Path | None = None,
        trace: bool | None = None,
        skip_page: Callable[[Page], bool] | None = None,
    ) -> None:
        """``masks`` names more elements to mask per page (the runner's search result lists);
        ``traces_dir`` is the browser's Playwright traces folder (``BrowserSession.traces_dir``),
        emptied after every traced item; ``trace`` overrides ``settings.evidence_trace``;
        a page for which ``skip_page`` is True is never kept (a login page a person types on).

        A trace is recorded only when ``traces_dir`` is in memory (``robot.volatile``): its raw
        files hold the password and the pages as shown, and must not outlive a killed process
        on a disk. Otherwise the trace is off, and the log says why.
        """
        self.settings = settings
        self.skip_page = skip_page
        self.masks = masks
        self.traces_dir = traces_dir
        wanted = settings.evidence_trace if trace is None else trace
        self.trace = wanted and traces_dir is not None and holds(settings, traces_dir)
        if wanted and not self.trace:
            _log.warning(
                "support trace not recorded: no folder in memory",
                extra={
                    "event": "evidence_trace_unavailable",
                    "fields": {"reason": "no_memory_folder"},
                },
            )

    @property
    def root(self) -> Path:
        return self.settings.evidence_path

    def start(self, contexts: Sequence[BrowserContext]) -> None:
        """Prepare the folders once per run (``prepare_evidence``); nothing is recorded yet."""
        del contexts
        prepare_evidence(self.settings)

    @contextmanager
    def capture(
        self,
        item_key: str,
        contexts: Sequence[BrowserContext],
        *,
        protected: bool,
        step_log: StepLog | None = None,
    ) -> Iterator[EvidenceHandle]:
        """Run one item; on an exception keep its evidence, then re-raise.

        ``item_key`` must be pseudonymous (it names a folder). For ``protected=True`` nothing
        is recorded or written, and the pages are blanked afterwards so the person's data
        stays on no screen. ``step_log`` gives the item's steps for ``steps.json``.
        """
        if contains_identity(item_key):
            raise ValueError("item_key must be a pseudonym, not an identity number")
        handle = EvidenceHandle(item_key=item_key, protected=protected)
        contexts = list(contexts)
        if protected:
            try:
                yield handle
            finally:
                _blank(contexts)
            return
        if self.trace:
            # A trace's first snapshot would show the page as the item found it.
            _blank(contexts)
        watch = _NavigationWatch(contexts)
        traced = [c for c in contexts if self.trace and self._start_tracing(c, item_key)]
        try:
            yield handle
        except BusinessError:
            # A person takes over with the outcome's reason; nothing failed to show.
            watch.stop()
            self._discard(traced)
            raise
        except Exception as exc:
            watch.stop()
            self._keep(handle, contexts, traced, watch, exc, step_log)
            raise
        except BaseException:
            watch.stop()
            self._discard(traced)
            raise
        watch.stop()
        self._discard(traced)

    def purge_expired(self, *, now: datetime | None = None) -> int:
        """Delete day folders older than ``evidence_retention_days``; return how many.

        A folder dated D is kept while ``today - D <= retention days``: with 7, a failure from
        last Monday is still there this Monday and gone on Tuesday.
        """
        return purge_expired(self.settings, now=now)

    # Internals -------------------------------------------------------------------------------

    def _start_tracing(self, context: BrowserContext, item_key: str) -> bool:
        try:
            # No screencast: its frames cannot be masked. DOM snapshots are redacted on keeping.
            context.tracing.start(screenshots=False, snapshots=True, sources=False, title=item_key)
        except Exception as exc:  # e.g. a test harness already traces this context
            _problem("evidence_trace_unavailable", exc)
            return False
        return True

    def _keep(
        self,
        handle: EvidenceHandle,
        contexts: list[BrowserContext],
        traced: list[BrowserContext],
        watch: _NavigationWatch,
        error: BaseException,
        step_log: StepLog | None,
    ) -> None:
        """Write the evidence; never raise (the item's own error matters more)."""
        try:
            staging = private_dir(process_recording_dir(self.root) / f"item-{uuid.uuid4().hex}")
        except OSError as exc:
            _problem("evidence_failed", exc, level=logging.ERROR)
            self._discard(traced)
            return
        pages: list[dict[str, Any]] = []
        for ci, context in enumerate(contexts):
            for pi, page in enumerate(list(context.pages)):
                if not watch.touched(page):
                    continue
                if self.skip_page is not None and self.skip_page(page):
                    pages.append({"page": f"{ci}-{pi}", "skipped": "login"})
                    continue
                pages.append(self._keep_page(staging, page, f"{ci}-{pi}"))
        for context in traced:
            self._keep_trace(staging, context, contexts.index(context))
        self._empty_traces_dir()
        summary = {
            "ref": handle.item_key,
            "error": {
                "type": type(error).__name__,
                "code": getattr(error, "code", None),
                "message": _masked_text(str(getattr(error, "message", "")) or ""),
            },
            "steps": [dict(step) for step in (step_log() if step_log else [])],
            "pages": pages,
        }
        try:
            write_private(staging / "steps.json", json.dumps(summary, ensure_ascii=False, indent=2))
            directory = self._new_item_dir(handle.item_key)
            for path in sorted(staging.iterdir()):
                path.rename(directory / path.name)
                handle.paths.append(directory / path.name)
            staging.rmdir()
        except OSError as exc:
            _problem("evidence_failed", exc, level=logging.ERROR)
            shutil.rmtree(staging, ignore_errors=True)
            return
        handle.directory = directory
        _log.info(
            "evidence kept",
            extra={
                "event": "evidence_kept",
                "fields": {"ref": handle.item_key, "files": len(handle.paths)},
            },
        )

    def _keep_page(self, staging: Path, page: Page, name: str) -> dict[str, Any]:
        info: dict[str, Any] = {"page": name, "path": _path_only(page.url), "files": []}
        masks = self._masks(page)
        try:
            shot = page.screenshot(
                timeout=SCREENSHOT_TIMEOUT_MS,
                mask=masks,
                mask_color=MASK_COLOR,
                animations="disabled",
            )
            write_private(staging / f"screen-{name}.png", shot, exclusive=True)
            info["files"].append(f"screen-{name}.png")
        except Exception as exc:
            _problem("evidence_screenshot_failed", exc)
        try:
            html = redacted_html(page, masks)
            write_private(staging / f"page-{name}.html", html, exclusive=True)
            info["files"].append(f"page-{name}.html")
        except Exception as exc:
            _problem("evidence_html_failed", exc)
        return info

    def _masks(self, page: Page) -> list[Locator]:
        masks = [page.locator(ALWAYS_MASKED)]
        if self.masks is not None:
            try:
                masks.extend(self.masks(page))
            except Exception as exc:  # a broken mask list must not cost the evidence
                _problem("evidence_mask_failed", exc)
        return masks

    def _keep_trace(self, staging: Path, context: BrowserContext, index: int) -> None:
        """The redacted trace into ``staging``; the raw one only ever in memory, beside
        Playwright's own files (``self.trace`` is True only when they are there)."""
        assert self.traces_dir is not None
        raw = self.traces_dir.parent / f"raw-trace-{uuid.uuid4().hex}.zip"
        try:
            context.tracing.stop(path=raw)
            redact_trace(raw, staging / f"trace-{index}.zip")
        except Exception as exc:
            _problem("evidence_trace_failed", exc)
        finally:
            raw.unlink(missing_ok=True)

    def _discard(self, traced: list[BrowserContext]) -> None:
        for context in traced:
            try:
                context.tracing.stop()
            except Exception as exc:  # the browser may be gone; nothing was written
                _problem("trace_stop_failed", exc, level=logging.DEBUG)
        if traced:
            self._empty_traces_dir()

    def _empty_traces_dir(self) -> None:
        """Playwright leaves every trace's files (pages, posts) in the traces folder: remove."""
        folder = self.traces_dir
        if folder is None or not folder.is_dir():
            return
        for child in folder.iterdir():
            if child.is_dir() and not child.is_symlink():
                shutil.rmtree(child, ignore_errors=True)
            else:
                child.unlink(missing_ok=True)

    def _new_item_dir(self, item_key: str) -> Path:
        day = self.root / date.today().isoformat()
        private_dir(self.root)
        private_dir(day)
        name = _UNSAFE.sub("_", item_key)[:80].strip(".") or "item"
        candidate, n = day / name, 1
        while True:
            try:
                candidate.mkdir(mode=DIR_MODE)
            except FileExistsError:
                n += 1
                candidate = day / f"{name}-{n}"
                continue
            os.chmod(candidate, DIR_MODE)
            return candidate


def redacted_html(page: Page, masks: Sequence[Locator]) -> str:
    """The page's HTML with the ``masks`` elements replaced and no form values or scripts."""
    marked: list[Locator] = []
    try:
        for locator in masks:
            locator.evaluate_all(f"els => els.forEach(e => e.setAttribute('{_MARK}', ''))")
            marked.append(locator)
        html: str = page.evaluate(_REDACTED_HTML_JS, _MARK)
        # Links and texts outside the masked elements may still carry someone's number.
        html = IDENTITY_PATTERN.sub(MASK, html)
    finally:
        for locator in marked:
            try:
                locator.evaluate_all(f"els => els.forEach(e => e.removeAttribute('{_MARK}'))")
            except Exception as exc:
                _problem("evidence_unmark_failed", exc, level=logging.DEBUG)
    return html


class _NavigationWatch:
    """Which pages the item navigated (or opened): only those may show the item's person."""

    def __init__(self, contexts: list[BrowserContext]) -> None:
        self._before: set[int] = set()
        self._touched: set[int] = set()
        self._pages: list[Page] = []
        for context in contexts:
            for page in context.pages:
                self._before.add(id(page))
                self._pages.append(page)
                page.on("framenavigated", self._on_navigated)

    def _on_navigated(self, frame: Any) -> None:
        if frame.parent_frame is None:
            self._touched.add(id(frame.page))

    def touched(self, page: Page) -> bool:
        return id(page) not in self._before or id(page) in self._touched

    def stop(self) -> None:
        for page in self._pages:
            try:
                page.remove_listener("framenavigated", self._on_navigated)
            except Exception as exc:
                _problem("evidence_unwatch_failed", exc, level=logging.DEBUG)
        self._pages = []


# Folders: preparing at start, leftovers, retention --------------------------------------------


def process_recording_dir(evidence_root: Path) -> Path:
    """This process's private working folder under ``<evidence>/.recording/`` (0700)."""
    return private_dir(Path(evidence_root) / RECORDING_DIR / process_tag())


def prepare_evidence(settings: Settings) -> int:
    """Start of every entry point: private folders, leftovers removed, expired evidence gone.

    Tightens the data folder and the evidence tree (0700 folders, 0600 files), removes what
    processes that no longer run left behind (``remove_leftovers``) and purges expired day
    folders. Returns how many folders of dead processes were removed. Safe while other runs
    work: a live process's folder is never touched.
    """
    private_dir(settings.data_dir)
    root = private_dir(settings.evidence_path)
    _tighten_tree(root)
    removed = remove_leftovers(settings)
    purge_expired(settings)
    return removed


def remove_leftovers(settings: Settings) -> int:
    """Remove what processes that provably no longer run left behind; how many folders.

    Half-written evidence in ``<evidence>/.recording/``, the browser's folders in memory (a
    raw trace among them, ``robot.volatile``) or, without memory, in ``.recording/``, and
    Chromium's temp profiles and Playwright's artifacts folders in the system temp folder whose
    browser is gone (``robot.leftovers``). At every start (``prepare_evidence``) and on the
    running entry points' timer (``Runner``). Never raises for a leftover it cannot remove.
    Returns how many folders of dead processes went (the temp folders are logged apart: other
    programs of this user make them too).
    """
    removed = remove_dead_folders(settings.evidence_path / RECORDING_DIR)
    memory = volatile_root(settings)
    if memory is not None:
        removed += remove_dead_folders(memory)
    if removed:
        _log.info(
            "leftovers of an interrupted run deleted",
            extra={"event": "evidence_leftovers_removed", "fields": {"folders": removed}},
        )
    remove_browser_temp_folders()
    return removed


def _tighten_tree(root: Path) -> None:
    """Folders 0700, files 0600 (symlinks not followed; files other runs delete meanwhile
    are skipped)."""
    for folder, dirs, files in os.walk(root):
        with contextlib.suppress(FileNotFoundError):
            os.chmod(folder, DIR_MODE)
        for name in files:
            path = Path(folder) / name
            with contextlib.suppress(FileNotFoundError):
                if not path.is_symlink():
                    os.chmod(path, FILE_MODE)
        dirs[:] = [d for d in dirs if not (Path(folder) / d).is_symlink()]


def purge_expired(settings: Settings, *, now: datetime | None = None) -> int:
    """Delete evidence day folders older than ``evidence_retention_days``; return how many."""
    root = settings.evidence_path
    if not root.is_dir():
        return 0
    today = (now or datetime.now()).date()
    cutoff = today - timedelta(days=settings.evidence_retention_days)
    removed = 0
    for child in root.iterdir():
        day = _parse_day(child.name)
        if day is None or not child.is_dir() or child.is_symlink() or day >= cutoff:
            continue
        shutil.rmtree(child)
        removed += 1
    if removed:
        _log.info(
            "expired evidence deleted",
            extra={"event": "evidence_purged", "fields": {"day_folders": removed}},
        )
    return removed


# Small helpers -------------------------------------------------------------------------------


def _problem(event: str, exc: BaseException, *, level: int = logging.WARNING) -> None:
    """Log a failure to keep evidence by its type only: messages may quote page content."""
    _log.log(level, event, extra={"event": event, "fields": {"error": type(exc).__name__}})


def _masked_text(text: str) -> str:
    return IDENTITY_PATTERN.sub(MASK, text)[:500]


def _path_only(url: str) -> str:
    """A URL without its query (a search's query holds the birth date)."""
    return url.split("?", 1)[0].split("#", 1)[0]


def _blank(contexts: list[BrowserContext]) -> None:
    """Show nothing of the current person: every open page to about:blank."""
    for context in contexts:
        for page in list(context.pages):
            if page.url == "about:blank":
                continue
            try:
                page.goto("about:blank")
            except Exception as exc:
                _problem("evidence_blank_failed", exc)


def _parse_day(name: str) -> date | None:
    try:
        return date.fromisoformat(name) if len(name) == 10 else None
    except ValueError:
        return None
