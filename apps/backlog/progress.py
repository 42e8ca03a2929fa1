"""The run's progress bar (rich) and its end-of-run summary, in Swedish for people.

The bar shows items finished of those due, counts by status and the rate; log lines never go
into it (on a terminal the run and its workers log JSON to the log file only). The summary
says what happened, why items failed (by failure kind) and what to do next, with Swedish
grammar and decimal comma.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Mapping
from typing import TYPE_CHECKING

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
from flows.rules.vocabulary import count_sv, decimal_sv, failed_step, failure_text

if TYPE_CHECKING:
    from apps.backlog.run import RunSummary
    from apps.backlog.store import QueueReader

# The statuses a run's summary counts, in this order and colour. Pending items at the end of
# a run wait for a retry, hence their own words.
_SHOWN: tuple[tuple[ItemStatus, tuple[str, str], str], ...] = (
    (ItemStatus.DONE, ItemStatus.DONE.counted_sv, "green"),
    (ItemStatus.CLOSED, ItemStatus.CLOSED.counted_sv, "green"),
    (ItemStatus.NEEDS_PERSON, ItemStatus.NEEDS_PERSON.counted_sv, "yellow"),
    (ItemStatus.FAILED, ItemStatus.FAILED.counted_sv, "red"),
    (ItemStatus.PENDING, ("nytt försök senare", "nytt försök senare"), "magenta"),
    (ItemStatus.IN_PROGRESS, ItemStatus.IN_PROGRESS.counted_sv, "cyan"),
)


def format_counts(by_status: Mapping[str, int], *, markup: bool = True) -> str:
    """ "12 klara · 1 behöver en person" (rich markup unless ``markup=False``), zeros left out."""
    parts = []
    for status, (one, many), colour in _SHOWN:
        n = by_status.get(status, 0)
        if n:
            text = count_sv(n, one, many)
            parts.append(f"[{colour}]{text}[/]" if markup else text)
    return " · ".join(parts) or "–"


# The states an item of a run does not leave again within that run: what the bar counts as
# finished. An item waiting for its retry (pending) is not finished: counting it made the bar
# go 8/8 -> 7/8 when the retry began, and rich stops a task's clock once it is complete, so
# the elapsed time froze for the rest of the run.
SETTLED = (ItemStatus.DONE, ItemStatus.CLOSED, ItemStatus.NEEDS_PERSON, ItemStatus.FAILED)


def settled_count(by_status: Mapping[str, int]) -> int:
    """Items of the run that are finished for this run (never counted down again)."""
    return sum(by_status.get(status, 0) for status in SETTLED)


def failure_causes(store: QueueReader, run_id: int) -> Counter[str]:
    """How many items of the run failed for each cause (the failure kind's headline)."""
    causes: Counter[str] = Counter()
    for entry in store.run_items(run_id):
        if entry.status not in (ItemStatus.FAILED, ItemStatus.PENDING):
            continue
        item = store.get(entry.item_id)
        outcome = item.outcome if item is not None else None
        if outcome is None or outcome.kind != "failed":
            continue
        text = failure_text(
            outcome.reason_code,
            step=failed_step((e.step, e.status) for e in outcome.steps),
            reservnummer=outcome.reservnummer,
        )
        causes[text.headline] += 1
    return causes


def summary_lines(
    summary: RunSummary, *, causes: Mapping[str, int] | None = None, waiting: int | None = None
) -> list[str]:
    """The end of a run for a person at a terminal: what happened, why, and what to do now.

    ``causes``: failed items per cause (``failure_causes``); ``waiting``: items in the queue
    that need a person now (all runs), for the "Att hantera" line.
    """
    if summary.store_lost is not None:
        return [store_lost_line(summary.finished_before_loss, summary.store_lost)]
    run = summary.run_id
    minutes = decimal_sv(summary.per_minute)
    lines = [
        f"Körning {run} klar på {decimal_sv(summary.duration_s)} s ({minutes} ärenden/min): "
        f"{format_counts(summary.by_status, markup=False)}."
    ]
    if summary.recovered:
        n = len(summary.recovered)
        lines.append(f"{count_sv(n, 'avbrutet ärende', 'avbrutna ärenden')} återupptogs.")
    # What happens next differs, so the words do: an item waiting for a retry (pending) runs
    # again at the next run by itself; a failed one (its attempts used up) waits for a person
    # ("Försök igen" in Att hantera, or `backlog retry`) and never runs again on its own.
    retrying = summary.by_status.get(ItemStatus.PENDING, 0)
    failed = summary.by_status.get(ItemStatus.FAILED, 0)
    if retrying or failed:
        why = "; ".join(f"{cause} ({n})" for cause, n in (causes or {}).items())
        lines.append(
            f"{count_sv(retrying + failed, 'ärende', 'ärenden')} kunde inte slutföras"
            f"{': ' + why if why else ''}."
        )
    if retrying:
        lines.append(
            f"{count_sv(retrying, 'ärende', 'ärenden')} försöks igen av roboten vid nästa "
            "körning; kontrollera systemen om felet kvarstår."
        )
    if failed:
        lines.append(
            f"{count_sv(failed, 'ärende', 'ärenden')} har gjort alla sina försök och körs inte "
            "igen av sig själv: välj Försök igen i Att hantera (reservrobot ui) eller kör "
            "reservrobot backlog retry när felet är åtgärdat."
        )
    need = waiting if waiting is not None else summary.by_status.get(ItemStatus.NEEDS_PERSON, 0)
    if need:
        lines.append(
            f"{count_sv(need, 'ärende', 'ärenden')} väntar i Att hantera: en handläggare "
            "avgör dem i appen (reservrobot ui)."
        )
    if summary.stopped:
        lines.append("Körningen stoppades; återstående ärenden väntar kvar i ärendekön.")
    if retrying or failed or need:
        lines.append(f"Se rapporten: reservrobot backlog report --run {run} --out rapport")
    return lines


def store_lost_line(finished: int, where: str) -> str:
    """The one line of a run whose store went away for good: what it finished before, and
    that nothing is registered twice when the interrupted items run again."""
    done = count_sv(finished, "ärende klart", "ärenden klara")
    return (
        f"{done}, sedan tappades databasen ({where}). Ärendena som pågick körs om vid nästa "
        "körning: ingenting registreras två gånger."
    )


class RichProgress:
    """A live progress bar on a terminal; on a non-terminal (cron, systemd) it stays quiet."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self._progress = Progress(
            SpinnerColumn(),
            TextColumn("[bold]Ärendekön"),
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
        self._task = self._progress.add_task("ärendekön", total=total, counts="–", rate="")

    def update(self, by_status: Mapping[str, int], finished: int) -> None:
        if self._task is None:
            return
        elapsed = time.monotonic() - self._started
        rate = f"{decimal_sv(60 * finished / elapsed)}/min" if elapsed > 1 and finished else ""
        total = self._progress.tasks[0].total or 0
        self._progress.update(
            self._task,
            completed=finished,
            total=max(total, finished),
            counts=format_counts(by_status),
            rate=rate,
        )

    def message(self, text: str) -> None:
        self.console.print(text, style="yellow")

    def stop(self) -> None:
        self._progress.stop()
