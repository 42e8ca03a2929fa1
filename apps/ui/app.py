"""The attended web app: ``create_app(settings, token=...)`` builds it (Starlette + Jinja2).

Pages (all in Swedish): Registrera ny patient (``/``), the robot's live progress and outcome
(``/jobb/{id}``), Komplettera personnummer (``/komplettera``) and Att hantera
(``/att-hantera``). Every request needs the token (see ``apps.ui.security``); the robot runs
in one worker thread (see ``apps.ui.jobs``), started with the app and stopped with it.
"""

from __future__ import annotations

import contextlib
import logging
import secrets
from collections.abc import AsyncIterator, Callable, Iterator
from http import HTTPStatus
from typing import TYPE_CHECKING

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from apps.ui import forms
from apps.ui.context import STATIC_DIR, UiContext, make_templates
from apps.ui.jobs import JobManager, RunnerFactory, RunnerLike
from apps.ui.security import Access, Csrf, TokenGuard, forbidden
from apps.ui.views import backlog, complete, evidence, jobs, register, today
from flows.attended import AccountChange, SignInBoard
from flows.config import RoutineConfig
from robot.actor import os_user
from robot.settings import Settings

if TYPE_CHECKING:
    from apps.backlog.store import QueueStore
    from flows.runner import Runner
    from robot.audit import AuditLog

log = logging.getLogger(__name__)


def default_runner_factory(
    settings: Settings,
    config: RoutineConfig | None = None,
    *,
    clerk: SignInBoard | None = None,
    runner_class: type[Runner] | None = None,
) -> RunnerFactory:
    """``flows.runner.Runner(settings)``: one browser, logged in once, for the worker thread.

    With ``clerk`` (attended work, ``Settings.ui_sign_in = "clerk"``) the runner works in the
    clerk's own session: once started, it shows each system's login page in its window and
    waits for the clerk to sign in (``flows.attended``). ``runner_class``: a subclass of
    ``Runner`` (tests that act at a given step).
    """

    @contextlib.contextmanager
    def factory() -> Iterator[RunnerLike]:
        from flows.runner import Runner

        with (runner_class or Runner)(settings, config=config, role="appen", clerk=clerk) as runner:
            if clerk is not None:
                try:
                    runner.warm_up()  # the login pages at once, before the first request
                except Exception:
                    log.warning("ui_sign_in_warm_up_failed", exc_info=True)
            yield runner

    return factory


def _record_account_change(audit: AuditLog, actor: str) -> Callable[[AccountChange], None]:
    """The audit entry of a clerk who signed in to a system as another account than before."""

    def record(change: AccountChange) -> None:
        old, new = (audit.pseudonym(f"{change.site}:{a}") for a in (change.old, change.new))
        audit.append(
            actor=actor,
            ref=f"sign-in:{change.site}",
            system=change.site,
            step="sign_in",
            result="account_changed",
            detail=f"from={old}; to={new}",
        )

    return record


def _routes() -> list[Route | Mount]:
    return [
        Route("/", register.register_form, methods=["GET"]),
        Route("/registrera", register.register_submit, methods=["POST"]),
        Route("/api/forslag", register.suggestion_api, methods=["GET"]),
        Route("/api/inloggning", jobs.sign_in_status, methods=["GET"]),
        Route("/jobb/{job_id}", jobs.job_page, methods=["GET"]),
        Route("/jobb/{job_id}/status", jobs.job_status, methods=["GET"]),
        Route("/jobb/{job_id}/urklipp", jobs.job_clipboard, methods=["GET"]),
        Route("/jobb/{job_id}/beslut", jobs.job_decide, methods=["POST"]),
        Route("/jobb/{job_id}/igen", jobs.job_retry, methods=["POST"]),
        Route("/jobb/{job_id}/avbryt", jobs.job_stop, methods=["POST"]),
        Route("/jobb/{job_id}/klar", jobs.job_hand_close, methods=["POST"]),
        Route("/idag", today.today_page, methods=["GET"]),
        Route("/komplettera", complete.complete_form, methods=["GET"]),
        Route("/komplettera", complete.complete_submit, methods=["POST"]),
        Route("/att-hantera", backlog.backlog_page, methods=["GET"]),
        Route("/att-hantera/{item_id:int}", backlog.backlog_item_page, methods=["GET"]),
        Route("/att-hantera/{item_id:int}/beslut", backlog.backlog_decide, methods=["POST"]),
        Route("/att-hantera/{item_id:int}/klart", backlog.backlog_rest_done, methods=["POST"]),
        Route(
            "/att-hantera/{item_id:int}/misslyckat",
            backlog.backlog_failed_action,
            methods=["POST"],
        ),
        Route("/bevis/{kind}/{key}", evidence.evidence_page, methods=["GET"]),
        Route("/bevis/{kind}/{key}/{name:path}", evidence.evidence_file, methods=["GET"]),
        Mount("/static", app=StaticFiles(directory=str(STATIC_DIR)), name="static"),
    ]


async def _http_error(request: Request, exc: Exception) -> Response:
    """HTTP errors as short Swedish pages (403 from a bad CSRF token among them)."""
    assert isinstance(exc, HTTPException)
    if exc.status_code == 403:
        return forbidden(str(exc.detail))
    ui: UiContext | None = getattr(request.app.state, "ui", None)
    titles = {404: "Sidan finns inte", 400: "Felaktig begäran", 405: "Otillåten metod"}
    title = titles.get(exc.status_code, "Något gick fel")
    detail = str(exc.detail or "")
    # Starlette's own details are English reason phrases ("Not Found"): never show those.
    message = (
        detail
        if detail and detail != _reason_phrase(exc.status_code)
        else _GENERIC_SV.get(exc.status_code, "Gå tillbaka och försök igen.")
    )
    if ui is None:
        return HTMLResponse(f"<h1>{title}</h1>", status_code=exc.status_code)
    return ui.render(
        request, "error.html", {"title": title, "message": message}, status_code=exc.status_code
    )


_GENERIC_SV = {
    404: "Adressen finns inte i appen. Använd menyn ovan.",
    405: "Sidan kan inte användas så. Använd menyn ovan.",
}


def _reason_phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""


def create_app(
    settings: Settings,
    *,
    token: str,
    runner_factory: RunnerFactory | None = None,
    store: QueueStore | None = None,
    audit: AuditLog | None = None,
    open_queue: bool = True,
    warm_up: bool = False,
    user: str | None = None,
    handoff_secret: str | None = None,
    clerk: SignInBoard | None = None,
) -> Starlette:
    """Build the app for ``settings``, protected by ``token``.

    ``runner_factory`` makes the context manager the worker thread enters once (default:
    ``flows.runner.Runner(settings)``). The queue and audit log default to the ones in
    ``settings.data_dir`` (``open_queue=False`` leaves Att hantera without a queue).
    ``warm_up`` opens the browser and logs in as soon as the app starts, so the first
    registration does not wait for it. ``handoff_secret`` lets a second start of the app ask
    this one for a one-time code (apps/ui/handoff.py). ``clerk``: the board of the clerk's
    sign-ins that the given ``runner_factory`` uses; without a factory one is made when
    ``Settings.ui_sign_in`` is "clerk" (the default): attended work in the clerk's own session
    (``flows.attended``).
    """
    if not token:
        raise ValueError("a token is required")
    access = Access(token, handoff_secret=handoff_secret)
    owned: list[contextlib.AbstractContextManager[object]] = []
    if store is None and open_queue:
        from apps.backlog.store import open_store

        store = open_store(settings)
        owned.append(store)
    if audit is None:
        from robot.audit import AuditLog

        audit = AuditLog(settings)
        owned.append(audit)
    claims = None
    if store is not None:
        # Beside the queue (its file on SQLite, the shared database on PostgreSQL): every app
        # on this queue sees every other app's claims.
        from apps.backlog.store.decision_claims import DecisionClaims
        from robot.db import open_database

        claims_db = open_database(settings, "queue")
        owned.append(claims_db)
        claims = DecisionClaims(claims_db, ttl_s=settings.lease_ttl_s)
    config = RoutineConfig.load(settings)
    actor = f"ui:{user or os_user()}"
    # Attended work as the clerk (the default): the clerk signs in in the robot's window.
    if clerk is None and runner_factory is None and settings.ui_sign_in == "clerk":
        clerk = SignInBoard()
    if clerk is not None and clerk.on_change is None:
        clerk.on_change = _record_account_change(audit, actor)
    manager = JobManager(runner_factory or default_runner_factory(settings, config, clerk=clerk))
    ui = UiContext(
        settings=settings,
        jobs=manager,
        csrf=Csrf(secrets.token_urlsafe(32)),
        templates=make_templates(),
        groups=config.groups,
        countries=config.countries,
        country_options=forms.country_options(config.countries),
        profile=config.profile,
        store=store,
        audit=audit,
        claims=claims,
        user=user or os_user(),
        region_name=config.profile.name,
        clerk=clerk,
    )

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        manager.start(warm_up=warm_up)
        try:
            yield
        finally:
            if clerk is not None:
                clerk.cancel()  # a wait for the clerk's sign-in ends with the app
            manager.stop()
            for resource in owned:
                with contextlib.suppress(Exception):
                    resource.__exit__(None, None, None)

    app = Starlette(
        routes=_routes(),
        middleware=[Middleware(TokenGuard, access=access)],
        exception_handlers={HTTPException: _http_error},
        lifespan=lifespan,
    )
    app.state.ui = ui
    app.state.access = access  # ``reservrobot ui`` asks it for the browser's one-time code
    return app
