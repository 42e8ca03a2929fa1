"""The end-of-run summary a person reads: counts, causes and next steps in Swedish."""

from __future__ import annotations

import io

from rich.console import Console

from apps.backlog.progress import RichProgress, format_counts, settled_count, summary_lines
from apps.backlog.run import RunSummary
from apps.backlog.store import ItemStatus
from apps.exitcodes import ExitCode


def test_summary_gives_cause_and_next_step_with_swedish_grammar_and_decimal_comma() -> None:
    summary = RunSummary(
        run_id=7,
        by_status={ItemStatus.DONE: 1, ItemStatus.FAILED: 2, ItemStatus.NEEDS_PERSON: 1},
        recovered=[3],
        duration_s=12.3,
        exit_code=ExitCode.SOME_FAILED,
    )
    lines = summary_lines(summary, causes={"PMO svarar inte just nu": 2}, waiting=3)
    text = "\n".join(lines)
    assert lines[0].startswith("Körning 7 klar på 12,3 s (19,5 ärenden/min): ")
    assert "1 klar · 1 behöver en person · 2 misslyckades" in lines[0]
    assert "1 avbrutet ärende återupptogs." in text
    assert "2 ärenden kunde inte slutföras: PMO svarar inte just nu (2)." in text
    # Failed items (attempts used up) never run again by themselves: the words say so.
    assert "körs igen vid nästa körning" not in text
    assert "2 ärenden har gjort alla sina försök och körs inte igen av sig själv" in text
    assert "reservrobot backlog retry" in text
    assert "3 ärenden väntar i Att hantera" in text
    assert "reservrobot backlog report --run 7" in text


def test_summary_says_items_waiting_for_a_retry_run_again_at_the_next_run() -> None:
    summary = RunSummary(
        run_id=8,
        by_status={ItemStatus.DONE: 1, ItemStatus.PENDING: 1},
        recovered=[],
        duration_s=2.0,
        exit_code=ExitCode.SOME_FAILED,
    )
    text = "\n".join(summary_lines(summary, causes={}, waiting=0))
    assert "1 ärende försöks igen av roboten vid nästa körning" in text
    assert "körs inte igen av sig själv" not in text


def test_summary_of_a_clean_run_has_no_next_steps() -> None:
    summary = RunSummary(
        run_id=2,
        by_status={ItemStatus.DONE: 1},
        recovered=[],
        duration_s=3.0,
        exit_code=ExitCode.OK,
    )
    lines = summary_lines(summary, causes={}, waiting=0)
    assert lines == ["Körning 2 klar på 3,0 s (20,0 ärenden/min): 1 klar."]
    assert format_counts({ItemStatus.NEEDS_PERSON: 1}, markup=False) == "1 behöver en person"


def test_progress_never_counts_down_and_its_clock_runs_while_a_retry_waits() -> None:
    """An item waiting for its retry is not finished: the bar went 8/8 -> 7/8 when the retry
    began, and rich stops a complete task's clock (it froze at 0:00:23 in a 48 s run)."""
    console = Console(file=io.StringIO(), force_terminal=True)
    progress = RichProgress(console)
    progress.start(8)
    shown = []
    for by_status in (
        {ItemStatus.DONE: 6, ItemStatus.IN_PROGRESS: 2},
        {ItemStatus.DONE: 7, ItemStatus.PENDING: 1},  # the 8th failed once, waits for a retry
        {ItemStatus.DONE: 7, ItemStatus.IN_PROGRESS: 1},  # its retry runs
        {ItemStatus.DONE: 8},
    ):
        progress.update(by_status, settled_count(by_status))
        task = progress._progress.tasks[0]
        shown.append((task.completed, task.finished))
    progress.stop()
    assert shown == [(6, False), (7, False), (7, False), (8, True)]
