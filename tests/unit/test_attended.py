"""The board of the clerk's sign-ins: what the app says, the waiting step, account changes."""

from __future__ import annotations

from flows.attended import AccountChange, SignInBoard, SignInCancelled
from flows.rules.outcome import StepEvent
from flows.steps import StepTracker


def test_the_notice_names_every_system_waiting_for_the_clerk_in_order() -> None:
    board = SignInBoard()
    assert board.notice_sv() == ""
    board.waiting("pmo")
    board.waiting("rns")
    assert board.notice_sv() == (
        "Logga in i PMO och Reservnummersystemet i robotens fönster. "
        "Roboten fortsätter när du har loggat in."
    )
    board.signed_in("pmo", "clerk1")
    assert board.waiting_for() == ["rns"]
    assert board.notice_sv().startswith("Logga in i Reservnummersystemet i robotens fönster.")


def test_a_running_request_shows_the_wait_as_a_step() -> None:
    events: list[StepEvent] = []
    board = SignInBoard()
    board.lend_steps(StepTracker(ref="p_x", on_step=events.append))
    started = board.waiting("pmo")
    board.signed_in("pmo", "clerk1", started)
    assert [(e.step, e.label_sv, e.status) for e in events] == [
        ("sign_in_pmo", "Väntar på att du loggar in igen i PMO", "started"),
        ("sign_in_pmo", "Väntar på att du loggar in igen i PMO", "done"),
    ]
    board.lend_steps(None)
    board.waiting("pmo")  # between requests: no step
    assert len(events) == 2


def test_a_failed_wait_ends_the_step_as_failed() -> None:
    events: list[StepEvent] = []
    board = SignInBoard()
    board.lend_steps(StepTracker(ref="p_x", on_step=events.append))
    started = board.waiting("rns")
    board.stopped_waiting("rns", started, SignInCancelled("stängd"))
    assert [e.status for e in events] == ["started", "failed"]
    assert board.waiting_for() == []


def test_another_account_than_before_is_a_change_told_once() -> None:
    told: list[AccountChange] = []
    board = SignInBoard(on_change=told.append)
    board.signed_in("pmo", "clerk1")
    board.signed_in("pmo", "clerk1")  # the same clerk again: no change
    board.signed_in("rns", "clerk1")
    board.signed_in("pmo", "")  # the site showed no account: nothing known, no change
    assert told == []
    board.signed_in("pmo", "clerk2")
    assert told == [AccountChange("pmo", "clerk1", "clerk2")]
    assert board.changes() == told
    assert board.accounts() == {"pmo": "clerk2", "rns": "clerk1"}


def test_cancel_is_seen_by_every_wait() -> None:
    board = SignInBoard()
    assert not board.cancelled
    board.cancel()
    assert board.cancelled
