"""The run's progress bar (rich): items finished of those due, counts by status, rate."""

from __future__ import annotations

import time
from collections.abc import Mapping

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)

from apps.backlog.store import ItemStatus

_SHOWN = (
    (ItemStatus.DONE, "klara", "green"),
    (ItemStatus.NEEDS_PERSON, "behöver person", "yellow"),
    (ItemStatus.FAILED, "misslyckade", "red"),
    (ItemStatus.PENDING, "nytt försök senare", "magenta"),
    (ItemStatus.IN_PROGRESS, "pågår", "cyan"),
)


def format_counts(by_status: Mapping[str, int]) -> str:
    """ "12 klara · 1 behöver person" with rich markup, zero counts left out."""
    parts = [
        f"[{colour}]{by_status[s]} {label}[/]" for s, label, colour in _SHOWN if by_status.get(s)
    ]
    return " · ".join(parts) or "–"


class RichProgress:
    """A live progress bar on a terminal; on a non-terminal (cron, systemd) it stays quiet."""

    def __init__(self, console: Console | None = None) -> None:
        self.console = console or Console(stderr=True)
        self._progress = Progress(
            SpinnerColumn(),
            TextColumn("[bold]Kö"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[counts]}"),
            TextColumn("[dim]{task.fields[rate]}"),
            TimeElapsedColumn(),
            console=self.console,
            disable=not self.console.is_terminal,
            transient=False,
        )
        self._task: TaskID | None = None
        self._started = 0.0

    def start(self, total: int) -> None:
        self._started = time.monotonic()
        self._progress.start()
        self._task = self._progress.add_task("kö", total=total, counts="–", rate="")

    def update(self, by_status: Mapping[str, int], finished: int) -> None:
        if self._task is None:
            return
        elapsed = time.monotonic() - self._started
        rate = f"{60 * finished / elapsed:.1f}/min" if elapsed > 1 and finished else ""
        total = self._progress.tasks[0].total or 0
        self._progress.update(
            self._task,
            completed=finished,
            total=max(total, finished),
            counts=format_counts(by_status),
            rate=rate,
        )

    def message(self, text: str) -> None:
        self.console.print(f"[yellow]{text}[/]")

    def stop(self) -> None:
        self._progress.stop()
