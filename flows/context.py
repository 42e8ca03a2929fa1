"""What a flow works with: the page objects of both systems, configuration, journal, retries.

``Runner`` builds one ``RoutineContext`` per browser session and passes it to the flows
(``flows.register``, ``flows.complete``), which stay plain functions.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from flows.pages.pmo_form import PmoPatientForm
from flows.pages.pmo_patient import PmoPatientPage
from flows.pages.pmo_search import PmoSearchPage
from flows.pages.rns_create import RnsCreatePage, RnsResultPage
from flows.pages.rns_search import RnsSearchPage
from flows.pages.site import SiteUI
from flows.rules.countries import CountryLists
from flows.rules.groups import PatientGroup
from flows.rules.matching import MatchConfig
from flows.rules.region import RegionProfile
from flows.transfer import Transfer
from robot.journal import StepJournal
from robot.retry import RetryPolicy, call_with_retries
from robot.settings import Settings

T = TypeVar("T")


@dataclass
class PmoScreens:
    """PMO's screens as page objects."""

    site: SiteUI
    search: PmoSearchPage
    patient: PmoPatientPage
    form: PmoPatientForm

    @classmethod
    def build(cls, site: SiteUI) -> PmoScreens:
        return cls(site, PmoSearchPage(site), PmoPatientPage(site), PmoPatientForm(site))


@dataclass
class RnsScreens:
    """Reservnummersystemet's screens; ``reach`` opens the system (directly or via Plexus)."""

    site: SiteUI
    search: RnsSearchPage
    create: RnsCreatePage
    result: RnsResultPage
    reach: Callable[[], None]

    @classmethod
    def build(cls, site: SiteUI, reach: Callable[[], None]) -> RnsScreens:
        return cls(site, RnsSearchPage(site), RnsCreatePage(site), RnsResultPage(site), reach)


@dataclass
class RoutineContext:
    """Everything the flows need, built once per browser session."""

    settings: Settings
    groups: dict[str, PatientGroup]
    profile: RegionProfile
    match_config: MatchConfig
    countries: CountryLists
    journal: StepJournal
    policy: RetryPolicy
    transfer: Transfer
    pmo: PmoScreens
    rns: RnsScreens
    # Told before every retry of a step: (step, attempt about to start, attempts at most). The
    # Runner points it at the request's step tracker, so a retry reaches the caller live.
    on_retry: Callable[[str, int, int], None] | None = None

    def retry(
        self,
        fn: Callable[[], T],
        *,
        step: str,
        already_done: Callable[[], T | None] | None = None,
    ) -> T:
        """Run a step with the configured retries (application errors only)."""
        on_retry = self.on_retry
        attempts = self.policy.max_attempts

        def before_retry(retry: int, _error: BaseException) -> None:
            if on_retry is not None:
                on_retry(step, retry + 1, attempts)

        return call_with_retries(
            fn,
            policy=self.policy,
            step=step,
            before_retry=before_retry,
            already_done=already_done,
        )
