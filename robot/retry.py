"""Retrying a step after application errors, with exponential backoff and jitter.

Business errors need a person and pass straight through, and so do ``NotRetried`` errors:
technical failures that another attempt cannot fix and can make worse (a refused login: each
attempt counts towards locking the robot's account). Everything else (application errors,
Playwright errors and timeouts, anything unknown) is retried up to ``max_attempts`` times.
A step that creates or saves something passes ``already_done``: before every retry it looks
whether the failed attempt in fact succeeded (the save went through but the answer was lost),
and its result is returned instead of doing the step a second time.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from robot.errors import ApplicationError, BusinessError, RobotError
from robot.settings import Settings

T = TypeVar("T")

_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RetryPolicy:
    """How often to try a step and how long to wait in between.

    The wait before retry ``n`` (1-based) is drawn uniformly from ``[d/2, d]`` with
    ``d = min(max_s, base_s * 2 ** (n - 1))`` ("equal jitter"): it grows exponentially, never
    exceeds ``max_s``, and two robots that failed together do not retry in lockstep.
    """

    max_attempts: int = 3
    base_s: float = 0.5
    max_s: float = 8.0

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        if self.base_s < 0 or self.max_s < 0:
            raise ValueError("backoff times must not be negative")

    @classmethod
    def from_settings(cls, settings: Settings) -> RetryPolicy:
        return cls(
            max_attempts=settings.max_attempts,
            base_s=settings.backoff_base_s,
            max_s=settings.backoff_max_s,
        )

    def delay(self, retry: int, rng: random.Random | None = None) -> float:
        """Seconds to wait before retry number ``retry`` (1 for the first retry)."""
        ceiling = min(self.max_s, self.base_s * 2 ** (retry - 1))
        return (rng or random).uniform(ceiling / 2, ceiling)


class NotRetried(ApplicationError):
    """A technical failure that must not be retried: it ends the step at the first attempt.

    Still an application error (it is not the request's fault and needs IT, not the clerk), but
    repeating it does harm: a login refused for a wrong password, tried again, locks the account.
    """

    default_code = "not_retried"


class RetriesExhausted(ApplicationError):
    """Every attempt of a step failed; ``last_error`` is the final failure (also ``__cause__``)."""

    default_code = "retries_exhausted"

    def __init__(self, step: str, attempts: int, last_error: BaseException) -> None:
        detail = (
            f"{type(last_error).__name__} [{last_error.code}]"
            if isinstance(last_error, RobotError)
            else type(last_error).__name__
        )
        super().__init__(f"Steget {step} misslyckades efter {attempts} försök ({detail}).")
        self.step = step
        self.attempts = attempts
        self.last_error = last_error


def call_with_retries(
    fn: Callable[[], T],
    *,
    policy: RetryPolicy,
    step: str,
    before_retry: Callable[[int, BaseException], None] | None = None,
    already_done: Callable[[], T | None] | None = None,
    sleep: Callable[[float], None] = time.sleep,
    rng: random.Random | None = None,
) -> T:
    """Call ``fn`` until it succeeds, a business or ``NotRetried`` error occurs, or the
    attempts run out.

    Before retry ``n`` (1-based): ``before_retry(n, error)`` (e.g. log in again, reload), the
    backoff wait, then ``already_done()``; a non-None result from it is returned at once. An
    error raised by ``before_retry`` or ``already_done`` counts as a failed attempt too, except
    a business or ``NotRetried`` error, which always ends the step. When attempts run out the
    last error is raised wrapped in ``RetriesExhausted`` (an ``ApplicationError``, code
    "retries_exhausted").
    ``sleep`` and ``rng`` exist for tests.
    """
    last_error: BaseException | None = None
    for attempt in range(1, policy.max_attempts + 1):
        try:
            if attempt > 1:
                retry = attempt - 1
                assert last_error is not None
                if before_retry is not None:
                    before_retry(retry, last_error)
                sleep(policy.delay(retry, rng))
                if already_done is not None:
                    done = already_done()
                    if done is not None:
                        _log.info(
                            "step already done by an earlier attempt",
                            extra={"event": "retry_already_done", "fields": {"step": step}},
                        )
                        return done
            return fn()
        except (BusinessError, NotRetried):
            raise
        except Exception as exc:
            last_error = exc
            _log.warning(
                "step attempt failed",
                extra={
                    "event": "step_attempt_failed",
                    "fields": {
                        "step": step,
                        "attempt": attempt,
                        "max_attempts": policy.max_attempts,
                        "error": type(exc).__name__,
                        "code": getattr(exc, "code", None),
                    },
                },
            )
    assert last_error is not None
    raise RetriesExhausted(step, policy.max_attempts, last_error) from last_error
