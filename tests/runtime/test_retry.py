"""Retry: business errors pass through, already_done short-circuits, backoff is bounded."""

from __future__ import annotations

import random
from collections.abc import Callable

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from robot.errors import ApplicationError, BusinessError, SiteError
from robot.retry import RetriesExhausted, RetryPolicy, call_with_retries
from robot.settings import Settings

POLICY = RetryPolicy(max_attempts=4, base_s=0.5, max_s=8.0)


def _failing(
    errors: list[BaseException], result: str = "ok"
) -> tuple[Callable[[], str], list[int]]:
    """A step that raises the given errors in turn, then returns ``result``; counts its calls."""
    calls: list[int] = []

    def step() -> str:
        calls.append(1)
        if len(calls) <= len(errors):
            raise errors[len(calls) - 1]
        return result

    return step, calls


def test_business_error_is_raised_on_the_first_attempt_without_retry() -> None:
    error = BusinessError("Osäker träff", code="uncertain_match_pmo")
    step, calls = _failing([error])
    sleeps: list[float] = []
    with pytest.raises(BusinessError) as raised:
        call_with_retries(step, policy=POLICY, step="search_pmo", sleep=sleeps.append)
    assert raised.value is error
    assert len(calls) == 1 and sleeps == []


def test_application_and_playwright_errors_are_retried_until_success() -> None:
    step, calls = _failing([SiteError("500"), PlaywrightTimeoutError("Timeout 10000ms exceeded")])
    seen: list[tuple[int, str]] = []
    result = call_with_retries(
        step,
        policy=POLICY,
        step="search_rns",
        before_retry=lambda n, exc: seen.append((n, type(exc).__name__)),
        sleep=lambda _s: None,
    )
    assert result == "ok"
    assert len(calls) == 3
    assert seen == [(1, "SiteError"), (2, "TimeoutError")]


def test_already_done_result_is_returned_instead_of_repeating_the_step() -> None:
    step, calls = _failing([SiteError("svaret kom aldrig fram")], result="created twice")
    checks: list[int] = []

    def already_done() -> str | None:
        checks.append(1)
        return "19612121201M7"

    result = call_with_retries(
        step, policy=POLICY, step="create_rns", already_done=already_done, sleep=lambda _s: None
    )
    assert result == "19612121201M7"
    assert len(calls) == 1  # the create was not repeated
    assert len(checks) == 1


def test_already_done_is_consulted_before_every_retry_and_none_means_retry() -> None:
    step, calls = _failing([SiteError("a"), SiteError("b")])
    checks: list[int] = []

    def already_done() -> str | None:
        checks.append(len(calls))
        return None

    assert (
        call_with_retries(
            step,
            policy=POLICY,
            step="register_pmo",
            already_done=already_done,
            sleep=lambda _s: None,
        )
        == "ok"
    )
    assert checks == [1, 2]  # once before each of the two retries, after the failed attempt


def test_business_error_from_already_done_ends_the_step() -> None:
    step, calls = _failing([SiteError("a")])

    def already_done() -> str | None:
        raise BusinessError("Patienten finns redan", code="already_registered")

    with pytest.raises(BusinessError, match="already_registered"):
        call_with_retries(
            step,
            policy=POLICY,
            step="register_pmo",
            already_done=already_done,
            sleep=lambda _s: None,
        )
    assert len(calls) == 1


def test_exhausted_attempts_raise_retries_exhausted_wrapping_the_last_error() -> None:
    last = SiteError("fortfarande 500")
    step, calls = _failing([SiteError("500"), ValueError("odd"), RuntimeError("x"), last])
    with pytest.raises(RetriesExhausted) as raised:
        call_with_retries(step, policy=POLICY, step="verify", sleep=lambda _s: None)
    error = raised.value
    assert isinstance(error, ApplicationError)
    assert error.code == "retries_exhausted"
    assert error.__cause__ is last and error.last_error is last
    assert error.attempts == 4 and len(calls) == 4
    assert "verify" in error.message and "site_error" in error.message


def test_keyboard_interrupt_is_not_retried() -> None:
    step, calls = _failing([KeyboardInterrupt()])
    with pytest.raises(KeyboardInterrupt):
        call_with_retries(step, policy=POLICY, step="verify", sleep=lambda _s: None)
    assert len(calls) == 1


def test_backoff_grows_exponentially_with_jitter_and_never_exceeds_max() -> None:
    policy = RetryPolicy(max_attempts=8, base_s=0.5, max_s=3.0)
    step, _ = _failing([SiteError(str(i)) for i in range(7)])
    sleeps: list[float] = []
    call_with_retries(step, policy=policy, step="s", sleep=sleeps.append, rng=random.Random(7))
    ceilings = [min(3.0, 0.5 * 2**i) for i in range(7)]  # 0.5 1 2 3 3 3 3
    assert len(sleeps) == 7
    for delay, ceiling in zip(sleeps, ceilings, strict=True):
        assert ceiling / 2 <= delay <= ceiling
    assert max(sleeps) <= 3.0
    assert len(set(sleeps[3:])) == 4  # jitter: capped waits still differ


def test_single_attempt_policy_never_sleeps() -> None:
    step, calls = _failing([SiteError("500")])
    sleeps: list[float] = []
    with pytest.raises(RetriesExhausted):
        call_with_retries(step, policy=RetryPolicy(1, 0.5, 1.0), step="s", sleep=sleeps.append)
    assert sleeps == [] and len(calls) == 1


def test_policy_comes_from_settings_and_rejects_nonsense() -> None:
    policy = RetryPolicy.from_settings(
        Settings(max_attempts=5, backoff_base_s=0.25, backoff_max_s=2.0)
    )
    assert policy == RetryPolicy(max_attempts=5, base_s=0.25, max_s=2.0)
    with pytest.raises(ValueError, match="max_attempts"):
        RetryPolicy(max_attempts=0)
