"""Outcome to queue status: done, needs a person, retry with backoff, failed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from apps.backlog.run import exit_code_for
from apps.backlog.store import ItemStatus, RetryPlan, next_status
from apps.exitcodes import ExitCode
from flows.rules.outcome import OutcomeKind

NOW = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
PLAN = RetryPlan(max_attempts=3, base_s=30, max_s=100)


def test_success_and_business_outcomes_never_count_as_attempts() -> None:
    assert (
        next_status(OutcomeKind.REGISTERED, attempts=1, plan=PLAN, now=NOW).status
        == ItemStatus.DONE
    )
    assert (
        next_status(OutcomeKind.ALREADY_REGISTERED, attempts=0, plan=PLAN, now=NOW).status
        == ItemStatus.DONE
    )
    person = next_status(OutcomeKind.NEEDS_PERSON, attempts=2, plan=PLAN, now=NOW)
    assert (person.status, person.attempts, person.not_before) == (ItemStatus.NEEDS_PERSON, 2, None)


def test_failures_back_off_exponentially_up_to_the_cap_then_fail() -> None:
    first = next_status(OutcomeKind.FAILED, attempts=0, plan=PLAN, now=NOW)
    second = next_status(OutcomeKind.FAILED, attempts=1, plan=PLAN, now=NOW)
    third = next_status(OutcomeKind.FAILED, attempts=2, plan=PLAN, now=NOW)
    assert (first.status, first.attempts, first.not_before) == (
        ItemStatus.PENDING,
        1,
        NOW + timedelta(seconds=30),
    )
    assert (second.status, second.not_before) == (ItemStatus.PENDING, NOW + timedelta(seconds=60))
    assert (third.status, third.attempts, third.not_before) == (ItemStatus.FAILED, 3, None)
    assert RetryPlan(base_s=30, max_s=100).delay(5) == timedelta(seconds=100)


def test_run_exit_code_prefers_failed_over_needs_person() -> None:
    assert exit_code_for({"done": 3}) == ExitCode.OK
    assert exit_code_for({}) == ExitCode.OK
    assert exit_code_for({"done": 3, "needs_person": 1}) == ExitCode.NEEDS_PERSON
    assert exit_code_for({"needs_person": 1, "failed": 1}) == ExitCode.SOME_FAILED
    assert exit_code_for({"done": 1, "pending": 1}) == ExitCode.SOME_FAILED
    assert exit_code_for({"done": 1}, runner_failed=True) == ExitCode.SOME_FAILED
