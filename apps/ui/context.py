"""What every view of the web app shares: settings, jobs, CSRF token, templates, queue, audit."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.templating import Jinja2Templates

from apps.ui.format import register_filters
from apps.ui.jobs import JobManager
from apps.ui.security import CSRF_FIELD, Csrf
from robot.actor import os_user
from robot.settings import Settings

if TYPE_CHECKING:
    from apps.backlog.store import QueueStore
    from apps.backlog.store.decision_claims import DecisionClaims
    from flows.attended import SignInBoard
    from flows.rules.countries import CountryLists
    from flows.rules.groups import PatientGroup
    from flows.rules.region import RegionProfile
    from robot.audit import AuditLog

HERE = Path(__file__).resolve().parent
TEMPLATES_DIR = HERE / "templates"
STATIC_DIR = HERE / "static"


def make_templates() -> Jinja2Templates:
    templates = Jinja2Templates(directory=str(TEMPLATES_DIR))
    templates.env.autoescape = True
    register_filters(templates.env)
    return templates


@dataclass
class UiContext:
    """Shared state of one app instance; views reach it as ``request.app.state.ui``."""

    settings: Settings
    jobs: JobManager
    csrf: Csrf
    templates: Jinja2Templates
    groups: Mapping[str, PatientGroup]
    countries: CountryLists
    country_options: list[tuple[str, str]]
    profile: RegionProfile
    store: QueueStore | None = None
    audit: AuditLog | None = None
    user: str = field(default_factory=os_user)
    region_name: str = "Region Gävleborg"
    # Backlog item id -> the job resolving it now (a second click must not start another).
    backlog_jobs: dict[int, str] = field(default_factory=dict)
    # Backlog items being decided on or resolved right now (by this app: a double click).
    backlog_busy: set[int] = field(default_factory=set)
    # The claims in the shared store (every app: two clerks on one case).
    claims: DecisionClaims | None = None
    # Attended work as the clerk: who is signed in to each system, who must sign in now.
    clerk: SignInBoard | None = None

    @property
    def actor(self) -> str:
        """Who decided, as written to the audit log and the queue history."""
        return f"ui:{self.user}"

    def accounts(self) -> dict[str, str]:
        """The clerk's accounts in the systems, as the systems show them (attended work)."""
        return self.clerk.accounts() if self.clerk is not None else {}

    def sign_in_notice(self) -> str:
        """What the clerk must do for the robot to go on ("Logga in i PMO i robotens fönster")."""
        return self.clerk.notice_sv() if self.clerk is not None else ""

    def login_block_sv(self) -> str:
        """Why the robot cannot work now, when a site refused the robot account's password
        ("" when nothing blocks). The clerk's own sign-in (attended work) never blocks: the
        clerk simply signs in again in the robot's window."""
        if self.clerk is not None:
            return ""
        from flows.rules.vocabulary import system_sv
        from flows.sites import refused_logins

        sites = refused_logins(self.settings)
        if not sites:
            return ""
        names = " och ".join(system_sv(site) for site in sites)
        return (
            f"Roboten kommer inte in i {names}: inloggningen med robotens konto nekades. "
            "Registrera är avstängt, så att kontot inte låses av fler försök. Be den som sköter "
            "roboten att byta lösenordet i inställningarna och starta om appen. Till dess "
            "registrerar du för hand enligt rutinen."
        )

    def needs_person_count(self) -> int:
        if self.store is None:
            return 0
        from apps.backlog.store import ItemStatus

        try:
            return self.store.counts().get(ItemStatus.NEEDS_PERSON, 0)
        except Exception:  # the page must render even when the queue file is unreadable
            return 0

    def open_count(self) -> int:
        """Cases of this app not yet closed (Dagens ärenden), the one being shown included."""
        from apps.ui.jobs import is_open

        return sum(1 for job in self.jobs.remembered() if is_open(job))

    def render(
        self,
        request: Request,
        name: str,
        context: Mapping[str, Any] | None = None,
        *,
        status_code: int = 200,
        nav: str | None = None,
    ) -> HTMLResponse:
        base: dict[str, Any] = {
            "csrf_field": CSRF_FIELD,
            "csrf": self.csrf.value,
            "nav": nav,
            "headless": self.settings.headless,
            "region_name": self.region_name,
            "needs_count": self.needs_person_count(),
            "open_count": self.open_count(),
            "has_store": self.store is not None,
            "sign_in_notice": self.sign_in_notice(),
            "attended": self.clerk is not None,
            "login_block": self.login_block_sv(),
        }
        base.update(context or {})
        response = self.templates.TemplateResponse(request, name, base, status_code=status_code)
        # The pages hold personal data: never cache them.
        response.headers["Cache-Control"] = "no-store"
        return response


def ui_of(request: Request) -> UiContext:
    ui: UiContext = request.app.state.ui
    return ui
