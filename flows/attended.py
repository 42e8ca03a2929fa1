"""Attended work as the clerk: who is signed in to each system, and who must sign in now.

In the attended app (``reservrobot ui`` with ``Settings.ui_sign_in = "clerk"``) the clerk signs
in to PMO and Reservnummersystemet (or Plexus) by hand, in the robot's own browser window, and
the robot works in that session: the systems' own access logs then name the clerk, as
Patientdatalagen 4 kap. 3 § asks. The robot never sees what the clerk types.

``SignInBoard`` is the one place that knows, per system, whether the robot waits for the clerk
to sign in and which account the system says is signed in. The robot's worker thread writes it
(``flows.pages.clerk_login.ClerkLogin``); the web app reads it from its own threads (the notice
"Logga in i PMO i robotens fönster", the audit log's account hashes). A registration that meets
the login page mid-way shows the step "Väntar på att du loggar in igen i PMO" through the
request's ``StepTracker``, which the runner lends the board while the request runs.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass

from flows.rules.vocabulary import system_sv
from flows.steps import StepTracker
from robot.logs import get_logger
from robot.retry import NotRetried

_log = get_logger(__name__)


class SignInCancelled(NotRetried):
    """The app stopped while the robot waited for the clerk to sign in."""

    default_code = "sign_in_cancelled"


@dataclass(frozen=True)
class AccountChange:
    """The clerk signed in to ``site`` as ``new`` where ``old`` was signed in before."""

    site: str
    old: str
    new: str


def sign_in_step(site: str) -> str:
    """The step key of waiting for the clerk's sign-in to ``site`` ("sign_in_pmo")."""
    return f"sign_in_{site}"


class SignInBoard:
    """Thread-safe state of the clerk's sign-ins (one per app; see the module docstring).

    ``on_change`` is told about every account change (the app writes it to the audit log).
    """

    def __init__(self, *, on_change: Callable[[AccountChange], None] | None = None) -> None:
        self._lock = threading.Lock()
        self._waiting: list[str] = []
        self._accounts: dict[str, str] = {}
        self._changes: list[AccountChange] = []
        self._steps: StepTracker | None = None
        self._cancelled = threading.Event()
        self.on_change = on_change

    # The robot's side ---------------------------------------------------------------------------

    def lend_steps(self, steps: StepTracker | None) -> None:
        """The running request's tracker (None between requests), for the waiting step."""
        with self._lock:
            self._steps = steps

    def waiting(self, site: str) -> float | None:
        """The robot now waits for the clerk to sign in to ``site``; the step's start time when
        a request is running (pass it to ``signed_in``)."""
        with self._lock:
            if site not in self._waiting:
                self._waiting.append(site)
            steps = self._steps
        _log.event("clerk_sign_in_waiting", site=site)
        return steps.started(sign_in_step(site)) if steps is not None else None

    def signed_in(self, site: str, account: str, started_at: float | None = None) -> None:
        """The clerk signed in to ``site``; the site shows ``account`` ("" when it shows none)."""
        with self._lock:
            if site in self._waiting:
                self._waiting.remove(site)
            old = self._accounts.get(site)
            if account:
                self._accounts[site] = account
            changed = bool(old and account and old != account)
            change = AccountChange(site, old or "", account) if changed else None
            if change is not None:
                self._changes.append(change)
            steps = self._steps
        if steps is not None and started_at is not None:
            steps.done(sign_in_step(site), started_at)
        _log.event("clerk_signed_in", site=site, account_shown=bool(account))
        if change is not None:
            _log.event("clerk_account_changed", site=site)
            if self.on_change is not None:
                self.on_change(change)

    def stopped_waiting(
        self, site: str, started_at: float | None = None, error: BaseException | None = None
    ) -> None:
        """The wait for ``site`` ended without a sign-in (the app stopped, the page closed)."""
        with self._lock:
            if site in self._waiting:
                self._waiting.remove(site)
            steps = self._steps
        if steps is not None and started_at is not None and error is not None:
            steps.failed(sign_in_step(site), started_at, error)

    def cancel(self) -> None:
        """The app stops: every wait for the clerk ends with ``SignInCancelled``."""
        self._cancelled.set()

    @property
    def cancelled(self) -> bool:
        return self._cancelled.is_set()

    # The app's side ------------------------------------------------------------------------------

    def waiting_for(self) -> list[str]:
        """The systems the robot waits for the clerk to sign in to, in the order asked."""
        with self._lock:
            return list(self._waiting)

    def accounts(self) -> dict[str, str]:
        """The account each system showed as signed in, last time the clerk signed in."""
        with self._lock:
            return dict(self._accounts)

    def changes(self) -> list[AccountChange]:
        with self._lock:
            return list(self._changes)

    def notice_sv(self) -> str:
        """What the clerk should do now, in Swedish ("" when nothing)."""
        waiting = self.waiting_for()
        if not waiting:
            return ""
        names = " och ".join(system_sv(site) for site in waiting)
        return f"Logga in i {names} i robotens fönster. Roboten fortsätter när du har loggat in."
