"""Evidence on failure only: a screenshot of each open page and a Playwright trace per item.

Evidence holds personal data, so it lives in a private folder
(``<evidence_path>/<YYYY-MM-DD>/<item_key>/``, folders 0700 and files 0600 whatever the umask),
expires after ``evidence_retention_days`` (``purge_expired``), is never written for a successful
item, and is never recorded at all for a protected identity.

Why tracing starts and stops per item rather than in chunks of one long trace: with
``snapshots=True`` Playwright records the network from ``tracing.start()`` until
``tracing.stop()``, between chunks too, and every saved chunk carries that whole network log.
A failed item's trace would then hold the pages of every earlier item, protected ones included.
A fresh trace per item costs about as little (starting and stopping one takes ~10 ms; the
per-action DOM snapshots are the real cost, and chunks pay them too).

Why pages are blanked: a trace's first snapshot shows the screen as the item found it, i.e. the
previous person's page. So pages go to ``about:blank`` before a traced item starts (unless
``blank_pages=False``) and always after a protected item ends. Flows must therefore open the
screen they need at the start of every item, which they do anyway to survive a lost session.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

from playwright.sync_api import BrowserContext

from robot.files import private_dir, write_private
from robot.logs import contains_identity
from robot.settings import Settings

_log = logging.getLogger(__name__)
SCREENSHOT_TIMEOUT_MS = 3_000
_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]")


@dataclass
class EvidenceHandle:
    """What ``capture`` kept for one item: nothing, or the folder and its files."""

    item_key: str
    protected: bool
    directory: Path | None = None
    paths: list[Path] = field(default_factory=list)


class EvidenceRecorder:
    """Records a trace per item and keeps it, with screenshots, only when the item fails."""

    def __init__(
        self, settings: Settings, *, snapshots: bool = True, blank_pages: bool = True
    ) -> None:
        self.settings = settings
        self.snapshots = snapshots
        self.blank_pages = blank_pages

    @property
    def root(self) -> Path:
        return self.settings.evidence_path

    def start(self, contexts: Sequence[BrowserContext]) -> None:
        """Nothing to prepare: tracing starts per item in ``capture``.

        Kept so callers need not know that; see the module docstring for why the trace is not
        one long recording cut into chunks.
        """
        del contexts

    @contextmanager
    def capture(
        self, item_key: str, contexts: Sequence[BrowserContext], *, protected: bool
    ) -> Iterator[EvidenceHandle]:
        """Trace one item; on an exception keep screenshots and traces, then re-raise.

        ``item_key`` must be pseudonymous (it names a folder). For ``protected=True`` nothing
        is recorded or written, and the pages are blanked afterwards so the person's data does
        not show in the next item's trace.
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
        if self.blank_pages:
            _blank(contexts)
        traced = [c for c in contexts if self._start_tracing(c, item_key)]
        try:
            yield handle
        except Exception:
            self._keep(handle, contexts, traced)
            raise
        except BaseException:
            _discard(traced)
            raise
        _discard(traced)

    def purge_expired(self, *, now: datetime | None = None) -> int:
        """Delete day folders older than ``evidence_retention_days``; return how many.

        A folder dated D is kept while ``today - D <= retention days``: with 7, a failure from
        last Monday is still there this Monday and gone on Tuesday.
        """
        root = self.root
        if not root.is_dir():
            return 0
        today = (now or datetime.now()).date()
        cutoff = today - timedelta(days=self.settings.evidence_retention_days)
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

    # Internals -------------------------------------------------------------------------------

    def _start_tracing(self, context: BrowserContext, item_key: str) -> bool:
        try:
            context.tracing.start(screenshots=True, snapshots=self.snapshots, title=item_key)
        except Exception as exc:  # e.g. a test harness already traces this context
            _problem("evidence_trace_unavailable", exc)
            return False
        return True

    def _keep(
        self,
        handle: EvidenceHandle,
        contexts: list[BrowserContext],
        traced: list[BrowserContext],
    ) -> None:
        """Write screenshots and traces; never raise (the item's own error matters more)."""
        try:
            directory = self._new_item_dir(handle.item_key)
        except OSError as exc:
            _log.error(
                "evidence folder could not be created",
                extra={"event": "evidence_failed", "fields": {"error": type(exc).__name__}},
            )
            _discard(traced)
            return
        handle.directory = directory
        for ci, context in enumerate(contexts):
            for pi, page in enumerate(list(context.pages)):
                path = directory / f"screen-{ci}-{pi}.png"
                try:
                    shot = page.screenshot(timeout=SCREENSHOT_TIMEOUT_MS)
                    write_private(path, shot, exclusive=True)
                except Exception as exc:
                    _problem("evidence_screenshot_failed", exc)
                    continue
                handle.paths.append(path)
        for context in traced:
            path = directory / f"trace-{contexts.index(context)}.zip"
            try:
                context.tracing.stop(path=path)
                os.chmod(path, 0o600)
            except Exception as exc:
                _problem("evidence_trace_failed", exc)
                continue
            handle.paths.append(path)
        _log.info(
            "evidence kept",
            extra={
                "event": "evidence_kept",
                "fields": {"ref": handle.item_key, "files": len(handle.paths)},
            },
        )

    def _new_item_dir(self, item_key: str) -> Path:
        day = self.root / date.today().isoformat()
        private_dir(self.root)
        private_dir(day)
        name = _UNSAFE.sub("_", item_key)[:80].strip(".") or "item"
        candidate, n = day / name, 1
        while True:
            try:
                candidate.mkdir(mode=0o700)
            except FileExistsError:
                n += 1
                candidate = day / f"{name}-{n}"
                continue
            os.chmod(candidate, 0o700)
            return candidate


def _problem(event: str, exc: BaseException, *, level: int = logging.WARNING) -> None:
    """Log a failure to keep evidence by its type only: messages may quote page content."""
    _log.log(level, event, extra={"event": event, "fields": {"error": type(exc).__name__}})


def _discard(traced: list[BrowserContext]) -> None:
    for context in traced:
        try:
            context.tracing.stop()
        except Exception as exc:  # the browser may be gone; nothing was written
            _problem("trace_stop_failed", exc, level=logging.DEBUG)


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
