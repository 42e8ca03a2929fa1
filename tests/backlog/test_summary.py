"""The end-of-run summary a person reads: counts, causes and next steps in Swedish."""

from __future__ import annotations

from apps.backlog.progress import format_counts, summary_lines
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
