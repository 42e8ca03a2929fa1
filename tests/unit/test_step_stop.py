"""The step tracker's stop and retry reports (#24 point 9): a stop lands only at the boundary
before a step that searches or changes something, never before the check after a save; a
retry is reported as an event of the step running now, with its attempt in words."""

from __future__ import annotations

import pytest

from flows.rules.outcome import StepEvent
from flows.steps import StepTracker, StopRequested


def test_a_stop_ends_before_the_next_stoppable_step_but_never_before_verify() -> None:
    stop = False
    events: list[StepEvent] = []
    steps = StepTracker(ref="r", on_step=events.append, should_stop=lambda: stop)
    with steps.step("create_rns"):
        stop = True  # asked while the number is being created: the step still finishes
    with steps.step("verify"):
        pass  # a check after a change always runs
    with pytest.raises(StopRequested) as raised, steps.step("register_pmo"):
        pytest.fail("a stopped request must not start the next change")
    assert raised.value.code == "stopped_by_person"
    assert [(e.step, e.status) for e in steps.finished] == [
        ("create_rns", "done"),
        ("verify", "done"),
    ]


def test_a_retry_belongs_to_the_running_step_and_is_said_in_words() -> None:
    events: list[StepEvent] = []
    steps = StepTracker(ref="r", on_step=events.append)
    with steps.step("search_pmo"):
        steps.retrying("login_pmo", 2, 3)  # a login retried inside the search
    retry = events[1]
    assert (retry.step, retry.status, retry.attempt, retry.max_attempts) == (
        "search_pmo",
        "started",
        2,
        3,
    )
    assert retry.note_sv == "PMO svarar långsamt, försök 2 av 3"
    done = events[-1]
    assert (done.status, done.attempt, done.note_sv) == ("done", 2, None)
