"""``Runner``: the one entry point the edges use to run the routine in a browser.

```python
with Runner(settings) as runner:                      # one browser, logged in once
    outcome = runner.register(request, on_step=print)
    outcome = runner.complete_pnr(patient_id, personnummer, identity_checked=True)
```

A runner owns one ``BrowserSession`` (Playwright's sync API: use it from the thread that
created it), loads configuration once, and keeps the sites logged in between requests. It never
raises for a single request: business situations come back as ``needs_person``, application
errors that survived the retries as ``failed`` with the evidence folder (never for protected
identities). Configuration errors do raise, from ``start()``, before any request runs.

Long (about 450 lines) because it is the one entry point of the routine: lifecycle,
registration, completion and turning errors into outcomes must be read together to see that it
never raises for one request.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from types import TracebackType
from typing import Self

from playwright.sync_api import BrowserContext, Locator, Page
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from flows import complete as complete_flow
from flows import register as register_flow
from flows.attended import SignInBoard
from flows.config import RoutineConfig
from flows.context import PmoScreens, RnsScreens, RoutineContext
from flows.coordination import Coordination
from flows.journaled import clear_number
from flows.lease_lost import after_lease_lost
from flows.pages.site import SiteUI
from flows.rns_access import direct_access, plexus_access
from flows.rules.identity import InvalidIdentity, parse_patient_id
from flows.rules.judge import Verdicts
from flows.rules.outcome import Decision, Outcome, OutcomeKind, StepEvent, reason_sv
from flows.rules.request import RegistrationRequest
from flows.selectors import SiteSelectors
from flows.sites import build_sites, open_and_log_in
from flows.steps import StepTracker, StopRequested
from flows.transfer import Transfer, make_transfer
from robot import clipboard
from robot.browser import BrowserSession
from robot.db import Database, open_database
from robot.errors import ApplicationError, BusinessError, RobotError
from robot.evidence import EvidenceHandle, EvidenceRecorder, remove_leftovers
from robot.journal import StepJournal
from robot.leases import LeaseLost
from robot.leftovers import LeftoverCleaner
from robot.logs import Pseudonymizer, get_logger
from robot.retry import RetriesExhausted, RetryPolicy
from robot.settings import Settings

_log = get_logger(__name__)

JOURNAL_FILE = "journal.sqlite3"
JOURNAL = "journal"  # the store component; on SQLite the file JOURNAL_FILE


class Runner:
    """One browser session running registrations and completions, one at a time."""

    def __init__(
        self,
        settings: Settings,
        *,
        config: RoutineConfig | None = None,
        transfer: Transfer | None = None,
        role: str = "roboten",
        clerk: SignInBoard | None = None,
    ) -> None:
        """``config`` is the configuration an entry point already loaded (default: loaded from
        ``settings`` at start); ``transfer`` overrides the configured transfer mode (tests use
        a faulty one); ``role`` names the entry point in a lease ("kommandoraden", "kön", ...)
        so that a waiting request can say who holds it. ``clerk``: attended work in the clerk's
        own session (``flows.attended``): the clerk signs in by hand in the robot's window,
        and no trace and no evidence of a login page is ever kept."""
        self.settings = settings
        self._config = config
        self.role = role
        self.clerk = clerk
        self._coordination: Coordination | None = None
        self._journal_db: Database | None = None
        self._transfer_override = transfer
        self._pseudonym = Pseudonymizer(settings.pseudonym_key)
        self._session: BrowserSession | None = None
        self._ctx: RoutineContext | None = None
        self._evidence: EvidenceRecorder | None = None
        self._sites: dict[str, SiteUI] = {}
        self._cleaner: LeftoverCleaner | None = None

    # Lifecycle -------------------------------------------------------------------------------

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def start(self) -> None:
        """Load configuration, resolve the transfer mode, launch the browser (no login yet)."""
        if self._session is not None:
            return
        s = self.settings
        config = self._config or RoutineConfig.load(s)
        selectors = config.selectors
        transfer = self._transfer_override or make_transfer(
            clipboard.resolve_transfer_mode(s.transfer_mode, headless=s.headless),
            headless=s.headless,
        )
        # In the store: a SQLite file in data_dir on one machine (journal.sqlite3), the shared
        # PostgreSQL database with store_dsn, so a rerun on another machine sees the journal.
        journal_db = open_database(s, JOURNAL)
        self._journal_db = journal_db
        journal = StepJournal(journal_db, keyed=self._pseudonym.full)
        self._coordination = Coordination(s, self._pseudonym, role=self.role)

        session = BrowserSession(s)
        session.start()
        self._session = session
        try:
            self._sites.update(build_sites(s, session, selectors, clerk=self.clerk))
            rns_site = self._sites["rns"]
            reach = (
                plexus_access(rns_site, self._sites["plexus"])
                if s.rns.access == "plexus"
                else direct_access(rns_site)
            )
            self._ctx = RoutineContext(
                settings=s,
                groups=config.groups,
                profile=config.profile,
                match_config=config.match,
                countries=config.countries,
                journal=journal,
                policy=RetryPolicy.from_settings(s),
                transfer=transfer,
                pmo=PmoScreens.build(self._sites["pmo"]),
                rns=RnsScreens.build(rns_site, reach),
            )
            self._evidence = EvidenceRecorder(
                s,
                masks=_evidence_masks(selectors),
                traces_dir=session.traces_dir,
                # Attended: what the clerk types on a login page must reach no file, so no
                # trace at all and no screenshot or HTML of a login page.
                trace=False if self.clerk is not None else None,
                skip_page=self._shows_login if self.clerk is not None else None,
            )
            self._evidence.start(self._contexts())
            # What a process killed meanwhile leaves (a raw trace in memory, a browser's temp
            # profile) is removed while this runs, not only at the next start.
            self._cleaner = LeftoverCleaner(lambda: remove_leftovers(s))
            self._cleaner.start()
        except BaseException:
            self.close()
            raise
        _log.event("runner_started", transfer=transfer.mode, rns_access=s.rns.access)

    def close(self) -> None:
        cleaner, self._cleaner = self._cleaner, None
        if cleaner is not None:
            cleaner.stop()
        session, self._session = self._session, None
        self._ctx = None
        coordination, self._coordination = self._coordination, None
        if coordination is not None:
            coordination.close()
        journal_db, self._journal_db = self._journal_db, None
        if journal_db is not None:
            journal_db.close()
        self._sites.clear()
        if session is not None:
            session.close()

    @property
    def session(self) -> BrowserSession:
        if self._session is None:
            raise RuntimeError("Runner is not started; use it as a context manager")
        return self._session

    @property
    def context(self) -> RoutineContext:
        if self._ctx is None:
            raise RuntimeError("Runner is not started; use it as a context manager")
        return self._ctx

    @property
    def transfer_mode(self) -> str:
        return self.context.transfer.mode

    def warm_up(self) -> None:
        """Open both systems and log in, so the first request pays no login (bench, doctor)."""
        ctx = self.context
        self._open_sites()
        pmo = ctx.pmo.site
        if not pmo.on_site() or pmo.login.is_login_page(pmo.page):
            ctx.retry(pmo.open_home, step="login_pmo")  # not opened ahead: as usual, retried
        ctx.retry(ctx.rns.reach, step="login_rns")
        rns = ctx.rns.site
        if rns.login.is_login_page(rns.page):
            ctx.retry(rns.open_home, step="login_rns")

    def _shows_login(self, page: Page) -> bool:
        """True when ``page`` shows any site's login page (or cannot be told apart)."""
        try:
            return any(site.login.is_login_page(page) for site in self._sites.values())
        except Exception:
            return True

    def _routine_sites(self) -> list[str]:
        """The sites the routine starts with: PMO and RNS, or Plexus where RNS is reached
        through it."""
        return ["pmo", "plexus" if self.settings.rns.access == "plexus" else "rns"]

    def _contexts(self) -> list[BrowserContext]:
        return [self.session.context(site) for site in self._routine_sites()]

    def _open_sites(self) -> None:
        """Open the systems the routine starts with, if not yet, logging in to them at the same
        time (``flows.sites.open_and_log_in``; never Plexus unless RNS is reached through it).
        Best effort: the flow opens what is left."""
        open_and_log_in([self._sites[site] for site in self._routine_sites()])

    # Requests --------------------------------------------------------------------------------

    def register(
        self,
        request: RegistrationRequest,
        *,
        decisions: Sequence[Decision] = (),
        on_step: Callable[[StepEvent], None] | None = None,
        should_stop: Callable[[], bool] | None = None,
        dry_run: bool = False,
    ) -> Outcome:
        """Register one person (see ``flows.register``); never raises for the request.

        ``dry_run``: search and judge only; the outcome says what the real run would do
        (``Outcome.dry_run``, ``planned``). Nothing is created or saved, the decisions given
        are used but not stored, the journal is read but never written, no evidence is kept,
        and the birth date's lease is held for the searches only.
        """
        ref = self._pseudonym(register_flow.journal_key(request))
        steps = StepTracker(ref=ref, on_step=on_step, should_stop=should_stop)

        def flow() -> Outcome:
            # Under the birth date's lease: decisions stored by any entry point count too.
            store = self._coord.decisions
            if dry_run:
                # The decisions given count, on top of the stored ones, but are not stored.
                stored = store.verdicts(request)
                given = {stored.key(d.id_value): d.verdict for d in decisions}
                verdicts = Verdicts({**stored.by_key, **given}, key=stored.key)
            else:
                store.record(request, decisions)
                verdicts = store.verdicts(request)
            try:
                return register_flow.register(
                    request,
                    ctx=self.context,
                    steps=steps,
                    verdicts=verdicts,
                    before_change=self._fence,
                    dry_run=dry_run,
                )
            except LeaseLost as lost:
                # Stopped before acting: what PMO shows now decides what the clerk is told.
                return after_lease_lost(request, lost, ctx=self.context, verdicts=verdicts)

        outcome = self._run(
            flow,
            ref=ref,
            steps=steps,
            protected=request.protected or dry_run,
            lease_key=self._coord.lease_key(request.birth_date.isoformat()),
        )
        if dry_run:
            outcome.dry_run = True
            if outcome.planned is None and outcome.kind is not OutcomeKind.FAILED:
                outcome.planned = (
                    "already_registered"
                    if outcome.kind is OutcomeKind.ALREADY_REGISTERED
                    else "needs_person"
                )
            return outcome
        if outcome.kind is OutcomeKind.FAILED and outcome.reason_code != "lease_lost_unchecked":
            # A clerk finishing by hand must use the number already created, never a second one
            # (not after a lost lease that PMO could not rule out: another patient may exist).
            # A protected person's is journaled keyed only: no number here (the protected flow
            # shows the Patient-ID it saved, and a person takes over anyway).
            outcome.reservnummer = self._journaled_number(request, ref=ref)
        if outcome.patient_id and outcome.ok and not request.protected:
            self._leave_on_clipboard(outcome.patient_id)
        return outcome

    def _journaled_number(self, request: RegistrationRequest, *, ref: str) -> str | None:
        """The reservnummer the journal holds for ``request``, for a failed outcome's text.

        None when there is none, or when the journal cannot be read now (a store outage after
        the flow): the outcome then goes out without the number, logged, and never raises.
        """
        if self._ctx is None:
            return None
        try:
            known = self._ctx.journal.get(
                register_flow.journal_key(request), register_flow.JOURNAL_NUMBER
            )
        except Exception as exc:
            _log.event(
                "journal_read_failed",
                level=logging.WARNING,
                ref=ref,
                error=type(exc).__name__,
                code=getattr(exc, "code", None),
            )
            return None
        return clear_number(known)

    def complete_pnr(
        self,
        patient_id: str,
        personnummer: str,
        *,
        identity_checked: bool,
        protected: bool = False,
        on_step: Callable[[StepEvent], None] | None = None,
        should_stop: Callable[[], bool] | None = None,
    ) -> Outcome:
        """Replace a reservnummer with the person's personnummer (see ``flows.complete``).

        ``protected``: the person has protected personal data; no evidence is ever kept.
        ``should_stop``: as for ``register`` (a stop never falls after the change).
        """
        ref = self._pseudonym("complete:" + patient_id)
        steps = StepTracker(ref=ref, on_step=on_step, should_stop=should_stop)
        try:
            born = parse_patient_id(patient_id, profile=self.context.profile).birth_date
        except InvalidIdentity:
            born = None  # the flow refuses it with its reason
        outcome = self._run(
            lambda: complete_flow.complete_pnr(
                patient_id,
                personnummer,
                identity_checked=identity_checked,
                ctx=self.context,
                steps=steps,
                before_change=self._fence,
            ),
            ref=ref,
            steps=steps,
            protected=protected,
            lease_key=self._coord.lease_key(born.isoformat()) if born else None,
        )
        if outcome.patient_id and outcome.ok and not protected:
            self._leave_on_clipboard(outcome.patient_id)
        return outcome

    def _run(
        self,
        flow: Callable[[], Outcome],
        *,
        ref: str,
        steps: StepTracker,
        protected: bool,
        lease_key: str | None,
    ) -> Outcome:
        """Run one request under its lease: evidence on failure only, every error an Outcome."""
        if self._evidence is None:
            raise RuntimeError("Runner is not started; use it as a context manager")
        handle: EvidenceHandle | None = None
        if self.clerk is not None:
            self.clerk.lend_steps(steps)  # "Väntar på att du loggar in igen i PMO"
        self.context.on_retry = steps.retrying  # retries reach the caller as step events
        try:
            self._open_sites()  # the first request: both logins at once, not one after the other
            with (
                self._lease(lease_key, ref=ref, steps=steps),
                self._evidence.capture(
                    ref,
                    self._contexts(),
                    protected=protected,
                    step_log=lambda: [e.model_dump(mode="json") for e in steps.finished],
                ) as handle,
            ):
                outcome = flow()
        except StopRequested as exc:
            outcome = Outcome(kind=OutcomeKind.FAILED, reason_code=exc.code)
        except BusinessError as exc:
            outcome = Outcome(
                kind=OutcomeKind.NEEDS_PERSON,
                reason_code=exc.code,
                reason_sv=reason_sv(exc.code, exc.message),
            )
        except Exception as exc:
            code, message = _failure(exc)
            directory = handle.directory if handle is not None else None
            outcome = Outcome(
                kind=OutcomeKind.FAILED,
                reason_code=code,
                reason_sv=message,
                evidence_dir=str(directory) if directory else None,
            )
            _log.event("request_failed", ref=ref, code=code, error=type(exc).__name__)
            self._recover()
        finally:
            if self.clerk is not None:
                self.clerk.lend_steps(None)
            self.context.on_retry = None
        outcome.steps = steps.finished
        outcome.duration_s = round(steps.elapsed(), 3)
        self._trim_memory()
        _log.event(
            "request_done",
            ref=ref,
            kind=outcome.kind.value,
            reason=outcome.reason_code,
            duration_ms=round(outcome.duration_s * 1000, 1),
        )
        return outcome

    def _trim_memory(self) -> None:
        """Between requests: let pages whose heap has grown collect their garbage (robot.browser,
        ``Settings.browser_heap_limit_mb``), so a long backlog run stays as small as a short one."""
        limit = self.settings.browser_heap_limit_mb
        if limit and self._session is not None:
            self._session.collect_garbage(over_bytes=limit * 1024 * 1024)

    @property
    def _coord(self) -> Coordination:
        if self._coordination is None:
            raise RuntimeError("Runner is not started; use it as a context manager")
        return self._coordination

    def _lease(
        self, key: str | None, *, ref: str, steps: StepTracker
    ) -> AbstractContextManager[object]:
        """The birth date's lease around one request (``flows.coordination``)."""
        return self._coord.hold(key, ref=ref, steps=steps)

    def _fence(self) -> None:
        """Immediately before anything irreversible: ``LeaseLost`` unless the lease is still
        ours for the action's time (``Coordination.fence``)."""
        if self._coordination is not None:
            self._coordination.fence()

    def _recover(self) -> None:
        """After a failure, make sure the next request starts cleanly.

        A browser that died is started again (with new logins); otherwise pages that show a
        login page are logged in again (attended work: left for the next request, which asks
        the clerk to sign in with its own step, rather than holding this failed one open).
        """
        if self._session is not None and not self._session.browser.is_connected():
            _log.event("browser_restart")
            self.close()
            self.start()
            return
        if self.clerk is not None:
            return  # the clerk signs in when the next request meets the login page, not now
        for site in self._sites.values():
            try:
                if site.has_page() and site.on_site():
                    site.ensure_logged_in()
            except Exception:  # noqa: S112 - best effort; the next request navigates anyway
                continue

    def _leave_on_clipboard(self, patient_id: str) -> None:
        """Attended use: leave the final Patient-ID on the user's clipboard."""
        if not self.settings.leave_on_clipboard:
            return
        if not clipboard.system_clipboard_available():
            _log.event("clipboard_unavailable")
            return
        try:
            clipboard.write_system(patient_id)
        except RobotError as exc:
            _log.event("clipboard_write_failed", code=exc.code)


def _evidence_masks(selectors: dict[str, SiteSelectors]) -> Callable[[Page], list[Locator]]:
    """Masked in evidence besides every table: the search result lists of PMO and RNS (other
    people born the same day) and whatever a selector file lists under ``[evidence]``."""
    specs = [selectors[site]["search"].spec("results") for site in ("pmo", "rns")]
    for site_selectors in selectors.values():
        extra = site_selectors.screens.get("evidence")
        if extra is not None:
            specs.extend(extra.locators.values())
    return lambda page: [spec.locate(page) for spec in specs]


def _failure(exc: BaseException) -> tuple[str, str]:
    """The reason code and Swedish text of a failed request (the root cause's code)."""
    root = exc.last_error if isinstance(exc, RetriesExhausted) else exc
    if isinstance(root, RobotError):
        message = root.message
        if isinstance(exc, RetriesExhausted):
            message = f"{root.message} ({exc.attempts} försök)"
        return root.code, message
    tries = f" ({exc.attempts} försök)" if isinstance(exc, RetriesExhausted) else ""
    # Playwright's own errors, in words a clerk can read (never the exception's class name).
    if isinstance(root, PlaywrightTimeoutError):
        return "site_timeout", f"Systemet svarade inte i tid{tries}."
    if isinstance(root, PlaywrightError):
        return "site_unreachable", f"Roboten kom inte fram till systemet{tries}."
    if isinstance(exc, RetriesExhausted):
        # The wrapper's own message names the step key and the exception class: for logs only.
        return exc.code, f"Ett oväntat tekniskt fel{tries}."
    if isinstance(exc, ApplicationError):
        return exc.code, exc.message
    return "unexpected_error", "Ett oväntat tekniskt fel stoppade roboten."
