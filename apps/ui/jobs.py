"""The robot's worker thread and the jobs it runs for the web app.

Playwright's sync objects belong to the thread that created them, so ONE dedicated thread owns
the ``Runner`` (one browser, logged in once) for the app's whole life. Web requests never touch
the Runner: they put a ``Job`` on a queue and read its progress (step events, then the outcome)
from a thread-safe snapshot. Jobs run one at a time, in order.
"""

from __future__ import annotations

import contextlib
import logging
import queue
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from flows.rules.outcome import Decision, Outcome, StepEvent
    from flows.rules.request import RegistrationRequest

from flows.rules.vocabulary import STOPPED_CODE

log = logging.getLogger(__name__)

StepCallback = Callable[["StepEvent"], None]
StopCheck = Callable[[], bool]


class RunnerLike(Protocol):
    """What the app needs of ``flows.runner.Runner``."""

    def register(
        self,
        request: RegistrationRequest,
        *,
        decisions: Sequence[Decision] = (),
        on_step: StepCallback | None = None,
        should_stop: StopCheck | None = None,
    ) -> Outcome: ...

    def complete_pnr(
        self,
        patient_id: str,
        personnummer: str,
        *,
        identity_checked: bool,
        protected: bool = False,
        on_step: StepCallback | None = None,
        should_stop: StopCheck | None = None,
    ) -> Outcome: ...


RunnerFactory = Callable[[], contextlib.AbstractContextManager[RunnerLike]]
Work = Callable[[RunnerLike, StepCallback, StopCheck], "Outcome"]
AfterHook = Callable[["Job", "Outcome"], None]


class JobKind(StrEnum):
    REGISTER = "register"
    COMPLETE = "complete"
    BACKLOG = "backlog"


class JobState(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"


class ClipboardState(StrEnum):
    COPIED = "copied"
    UNAVAILABLE = "unavailable"
    FAILED = "failed"
    WITHHELD = "withheld"  # protected identity: never put on the OS clipboard by the robot
    # Protected identity: the robot emptied the OS clipboard, so no earlier patient's ID can be
    # pasted into this person's papers by habit.
    CLEARED = "cleared"


@dataclass
class Job:
    """One unit of robot work and everything the page shows about it.

    Fields written by the worker thread are only touched under the manager's lock.
    """

    kind: JobKind
    work: Work
    after: Sequence[AfterHook] = ()
    request: RegistrationRequest | None = None
    decisions: list[Decision] = field(default_factory=list)
    backlog_item_id: int | None = None
    ref: str | None = None
    id: str = field(default_factory=lambda: secrets.token_urlsafe(9))
    state: JobState = JobState.QUEUED
    steps: OrderedDict[str, StepEvent] = field(default_factory=OrderedDict)
    step_started: dict[str, float] = field(default_factory=dict)  # monotonic, per step
    stop_requested: bool = False
    outcome: Outcome | None = None
    clipboard: ClipboardState | None = None
    clipboard_at: float | None = None  # when the robot wrote (or emptied) the clipboard
    follow_up: str | None = None  # the job started by a person's decision on this one
    # Something the clerk must know beyond the outcome (a write-back the queue refused).
    notice_sv: str | None = None
    created_at: float = field(default_factory=time.time)
    finished_at: float | None = None


# ``Job.follow_up`` markers besides a follow-up job's id.
CANCELLED = "avbrutet"  # a person ended the case (Avbryt ärendet)
HANDLED = "klart-for-hand"  # a person did (the rest of) the work by hand


def is_open(job: Job) -> bool:
    """A job of this app still waiting for someone: running or queued, or ended needing a
    person or failed with nobody having decided, retried or closed it since. Backlog jobs
    are not: their item stays in the queue (Att hantera) whatever happens here."""
    if job.state is not JobState.DONE:
        return True
    if job.kind is JobKind.BACKLOG or job.follow_up is not None or job.outcome is None:
        return False
    from flows.rules.outcome import OutcomeKind

    return job.outcome.kind in (OutcomeKind.NEEDS_PERSON, OutcomeKind.FAILED)


class JobManager:
    """Owns the worker thread, the Runner inside it, and the jobs it has run.

    It keeps the last ``keep`` jobs, but never forgets an open one (``is_open``), so a case
    nobody has closed stays on Dagens ärenden however many jobs follow it."""

    def __init__(self, runner_factory: RunnerFactory, *, keep: int = 200) -> None:
        self._factory = runner_factory
        self._queue: queue.Queue[Job | None] = queue.Queue()
        self._jobs: OrderedDict[str, Job] = OrderedDict()
        self._keep = keep
        self._lock = threading.RLock()
        self._changed = threading.Condition(self._lock)
        self._thread: threading.Thread | None = None
        self._warm = threading.Event()
        self._stopping = threading.Event()

    # ---- lifecycle -------------------------------------------------------------------------
    def start(self, *, warm_up: bool = False) -> None:
        """Start the worker thread; with ``warm_up`` it opens the browser at once."""
        if self._thread is not None:
            return
        if warm_up:
            self._warm.set()
        self._thread = threading.Thread(target=self._loop, name="robot-worker", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 30.0) -> None:
        """Let the current job finish, drop queued ones, close the browser, end the thread."""
        if self._thread is None:
            return
        self._stopping.set()
        self._queue.put(None)
        self._thread.join(timeout)
        self._thread = None

    # ---- jobs --------------------------------------------------------------------------------
    def submit(self, job: Job) -> Job:
        with self._lock:
            self._jobs[job.id] = job
            excess = len(self._jobs) - self._keep
            if excess > 0:
                closed = [j.id for j in self._jobs.values() if not is_open(j)][:excess]
                for job_id in closed:
                    del self._jobs[job_id]
        self._queue.put(job)
        return job

    def __len__(self) -> int:
        with self._lock:
            return len(self._jobs)

    def wait(self, job_id: str, timeout: float) -> Job | None:
        """Block until the job is done (or ``timeout`` passes); the job, or None if unknown."""
        with self._changed:
            job = self._jobs.get(job_id)
            if job is None:
                return None
            self._changed.wait_for(lambda: job.state is JobState.DONE, timeout=timeout)
            return job

    def remembered(self) -> list[Job]:
        """Every job the app remembers, oldest first."""
        with self._lock:
            return list(self._jobs.values())

    def get(self, job_id: str) -> Job | None:
        with self._lock:
            return self._jobs.get(job_id)

    def link_follow_up(self, job: Job, follow_up: str) -> bool:
        """Record what a decision on ``job`` led to (a job id, or a marker such as cancelled).

        Returns False when something already did: a double click must not start two jobs.
        """
        with self._lock:
            if job.follow_up is not None:
                return False
            job.follow_up = follow_up
            return True

    def request_stop(self, job: Job) -> bool:
        """Ask the job to stop after its current step; False when it is already done."""
        with self._lock:
            if job.state is JobState.DONE:
                return False
            job.stop_requested = True
            return True

    def steps(self, job: Job) -> list[StepEvent]:
        """A copy of the job's latest step events (the worker thread may be adding some)."""
        with self._lock:
            return list(job.steps.values())

    def snapshot(self, job_id: str) -> dict[str, Any] | None:
        """A JSON-ready copy of a job's progress, safe to read from any thread."""
        with self._lock:
            job = self._jobs.get(job_id)
            if job is None:
                return None
            now = time.monotonic()
            steps = []
            for event in job.steps.values():
                step = event.model_dump(mode="json")
                if event.status == "started" and event.step in job.step_started:
                    # How long the step has run: the page counts on from here by itself.
                    step["running_s"] = round(now - job.step_started[event.step], 1)
                steps.append(step)
            return {
                "id": job.id,
                "kind": job.kind.value,
                "state": job.state.value,
                "stop_requested": job.stop_requested,
                "steps": steps,
                "outcome": job.outcome.model_dump(mode="json") if job.outcome else None,
                "clipboard": job.clipboard.value if job.clipboard else None,
                "queued_ahead": self._ahead_of(job),
            }

    def _ahead_of(self, job: Job) -> int:
        if job.state is not JobState.QUEUED:
            return 0
        ahead = 0
        for other in self._jobs.values():
            if other is job:
                break
            if other.state is not JobState.DONE:
                ahead += 1
        return ahead

    def set_clipboard(self, job: Job, state: ClipboardState) -> None:
        with self._lock:
            job.clipboard = state
            job.clipboard_at = time.time()

    # ---- the worker thread ------------------------------------------------------------------
    def _loop(self) -> None:
        stack = contextlib.ExitStack()
        runner: RunnerLike | None = None
        try:
            if self._warm.is_set():
                runner = self._open(stack)
            while True:
                job = self._queue.get()
                if job is None:
                    return
                if self._stopping.is_set():
                    self._finish(job, _failed_outcome("ui_stopped", _STOPPED_SV))
                    continue
                if job.stop_requested:  # stopped while queued: nothing was done
                    self._finish(job, _failed_outcome(STOPPED_CODE, None))
                    continue
                if runner is None:
                    runner = self._open(stack)
                    if runner is None:
                        self._finish(job, _failed_outcome("browser_start_failed", _START_FAILED_SV))
                        continue
                outcome, healthy = self._run(job, runner)
                if not healthy:
                    # The Runner raised although it should not: start a fresh browser next time.
                    stack.close()
                    stack = contextlib.ExitStack()
                    runner = None
                self._finish(job, outcome)
        finally:
            with contextlib.suppress(Exception):
                stack.close()

    def _open(self, stack: contextlib.ExitStack) -> RunnerLike | None:
        try:
            return stack.enter_context(self._factory())
        except Exception:
            log.exception("ui_runner_start_failed")
            stack.close()
            return None

    def _run(self, job: Job, runner: RunnerLike) -> tuple[Outcome, bool]:
        with self._lock:
            job.state = JobState.RUNNING
        log.info("ui_job_started", extra={"event": "ui_job_started", "job_kind": job.kind.value})

        def on_step(event: StepEvent) -> None:
            with self._lock:
                if event.status == "started" and event.attempt == 1:
                    job.step_started[event.step] = time.monotonic()
                job.steps[event.step] = event

        def should_stop() -> bool:
            with self._lock:
                return job.stop_requested

        try:
            return job.work(runner, on_step, should_stop), True
        except Exception as exc:
            log.exception("ui_job_crashed", extra={"job_kind": job.kind.value})
            return _failed_outcome(getattr(exc, "code", "ui_error"), _CRASHED_SV), False

    def _finish(self, job: Job, outcome: Outcome) -> None:
        for hook in job.after:
            try:
                hook(job, outcome)
            except Exception:
                log.exception("ui_after_hook_failed", extra={"job_kind": job.kind.value})
        with self._lock:
            for step in outcome.steps:
                job.steps.setdefault(step.step, step)
            job.outcome = outcome
            job.state = JobState.DONE
            job.finished_at = time.time()
            self._changed.notify_all()


_START_FAILED_SV = (
    "Roboten kunde inte starta sin webbläsare. Försök igen om en stund; fungerar det inte, "
    "kontakta IT-support."
)
_STOPPED_SV = "Appen stängdes innan roboten hann börja. Ingenting har gjorts."
_CRASHED_SV = "Ett oväntat tekniskt fel stoppade roboten. Ingenting mer görs; försök igen."


def _failed_outcome(code: str, reason_sv: str | None) -> Outcome:
    from flows.rules.outcome import Outcome, OutcomeKind

    return Outcome(kind=OutcomeKind.FAILED, reason_code=code, reason_sv=reason_sv)
