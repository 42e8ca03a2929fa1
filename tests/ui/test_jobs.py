"""The worker thread: one thread owns the Runner, jobs run in order, failures are contained.

These use a small stand-in Runner (no browser): they test the job manager itself.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from types import TracebackType
from typing import ClassVar

from apps.ui.jobs import (
    HANDLED,
    Job,
    JobKind,
    JobManager,
    JobState,
    RunnerLike,
    StepCallback,
    StopCheck,
    is_open,
)
from flows.rules.outcome import Decision, Outcome, OutcomeKind, StepEvent


class StandInRunner:
    """Records the thread it is used from; can be told to fail."""

    instances: ClassVar[list[StandInRunner]] = []

    def __init__(self, *, fail_start: bool = False) -> None:
        self.fail_start = fail_start
        self.threads: set[int] = set()
        self.closed = False
        StandInRunner.instances.append(self)

    def __enter__(self) -> StandInRunner:
        if self.fail_start:
            raise RuntimeError("no browser")
        self.threads.add(threading.get_ident())
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.threads.add(threading.get_ident())
        self.closed = True

    def register(
        self,
        request: object,
        *,
        decisions: Sequence[Decision] = (),
        on_step: StepCallback | None = None,
        should_stop: StopCheck | None = None,
    ) -> Outcome:
        raise NotImplementedError

    def complete_pnr(
        self,
        patient_id: str,
        personnummer: str,
        *,
        identity_checked: bool,
        on_step: StepCallback | None = None,
        should_stop: StopCheck | None = None,
    ) -> Outcome:
        raise NotImplementedError


def _job(label: str, order: list[str], *, crash: bool = False) -> Job:
    def work(runner: RunnerLike, on_step: StepCallback, should_stop: StopCheck) -> Outcome:
        assert isinstance(runner, StandInRunner)
        runner.threads.add(threading.get_ident())
        on_step(
            StepEvent(step="search_pmo", label_sv="Söker i PMO", status="started", elapsed_s=0.0)
        )
        order.append(label)
        if crash:
            raise RuntimeError("boom")
        return Outcome(kind=OutcomeKind.REGISTERED, patient_id=f"ID-{label}")

    return Job(kind=JobKind.REGISTER, work=work)


def test_jobs_run_in_order_on_one_thread_that_owns_the_runner() -> None:
    StandInRunner.instances.clear()
    manager = JobManager(StandInRunner)
    manager.start()
    order: list[str] = []
    jobs = [manager.submit(_job(str(i), order)) for i in range(5)]
    for job in jobs:
        assert manager.wait(job.id, timeout=10) is job
        assert job.state is JobState.DONE
    manager.stop()
    assert order == ["0", "1", "2", "3", "4"]
    (runner,) = StandInRunner.instances
    assert len(runner.threads) == 1, "the Runner is used from exactly one thread"
    assert threading.get_ident() not in runner.threads
    assert runner.closed
    snap = manager.snapshot(jobs[0].id)
    assert snap is not None and snap["outcome"]["patient_id"] == "ID-0"
    assert [s["step"] for s in snap["steps"]] == ["search_pmo"]


def test_a_crashing_job_fails_alone_and_the_next_gets_a_fresh_runner() -> None:
    StandInRunner.instances.clear()
    manager = JobManager(StandInRunner)
    manager.start()
    order: list[str] = []
    bad = manager.submit(_job("bad", order, crash=True))
    good = manager.submit(_job("good", order))
    assert manager.wait(good.id, timeout=10) is good
    manager.stop()
    assert bad.outcome is not None and bad.outcome.kind is OutcomeKind.FAILED
    assert bad.outcome.reason_sv and "tekniskt fel" in bad.outcome.reason_sv
    assert good.outcome is not None and good.outcome.kind is OutcomeKind.REGISTERED
    assert len(StandInRunner.instances) == 2
    assert StandInRunner.instances[0].closed


def test_browser_that_cannot_start_fails_the_job_and_is_tried_again_later() -> None:
    StandInRunner.instances.clear()
    attempts = iter([True, False])
    manager = JobManager(lambda: StandInRunner(fail_start=next(attempts)))
    manager.start()
    order: list[str] = []
    first = manager.submit(_job("first", order))
    second = manager.submit(_job("second", order))
    assert manager.wait(second.id, timeout=10) is second
    manager.stop()
    assert first.outcome is not None and first.outcome.reason_code == "browser_start_failed"
    assert second.outcome is not None and second.outcome.kind is OutcomeKind.REGISTERED
    assert order == ["second"]


def test_a_decision_can_start_only_one_follow_up() -> None:
    manager = JobManager(StandInRunner)
    job = Job(
        kind=JobKind.REGISTER, work=lambda runner, on_step, stop: Outcome(kind=OutcomeKind.FAILED)
    )
    manager.submit(job)
    assert manager.link_follow_up(job, "first")
    assert not manager.link_follow_up(job, "second")
    assert job.follow_up == "first"


def test_the_jobs_kept_never_drop_an_open_case() -> None:
    manager = JobManager(StandInRunner, keep=3)  # never started: the jobs stay as submitted
    undecided = manager.submit(Job(kind=JobKind.REGISTER, work=lambda r, s, t: None))  # type: ignore[arg-type,return-value]
    undecided.state = JobState.DONE
    undecided.outcome = Outcome(kind=OutcomeKind.NEEDS_PERSON, reason_code="uncertain_match_pmo")
    finished = []
    for _ in range(5):
        job = manager.submit(Job(kind=JobKind.REGISTER, work=lambda r, s, t: None))  # type: ignore[arg-type,return-value]
        job.state = JobState.DONE
        job.outcome = Outcome(kind=OutcomeKind.REGISTERED, patient_id="x")
        finished.append(job)
    kept = manager.remembered()
    assert undecided in kept, "an undecided case is never forgotten"
    assert len(kept) <= 4 and finished[0] not in kept
    assert is_open(undecided)
    assert manager.link_follow_up(undecided, HANDLED)
    assert not is_open(undecided)


def test_a_job_stopped_while_queued_ends_before_it_starts_with_nothing_done() -> None:
    manager = JobManager(StandInRunner)
    ran: list[str] = []
    job = Job(kind=JobKind.REGISTER, work=lambda r, s, t: ran.append("x"))  # type: ignore[arg-type,return-value,func-returns-value]
    manager.submit(job)
    assert manager.request_stop(job)
    manager.start()
    assert manager.wait(job.id, timeout=10) is job
    manager.stop()
    assert ran == []
    assert job.outcome is not None and job.outcome.reason_code == "stopped_by_person"
    assert not manager.request_stop(job), "a finished job cannot be stopped"
