"""Fixtures for the web app tests: the app served on a free port with its robot running
against the session's mock sites, a logged-in page, test persons and screenshots.

The app (and the robot's browser inside it) is started once per session; tests that change
site data use ``fresh_mock_sites`` and unique persons, so the robot's journal in the shared
data folder never meets the same person twice.
"""

from __future__ import annotations

import contextlib
import secrets
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

import pytest
from playwright.sync_api import Page, expect
from pydantic import SecretStr

from apps.ui.app import create_app
from apps.ui.context import UiContext
from apps.ui.jobs import RunnerLike
from apps.ui.server import RunningApp, serve_in_thread
from flows.rules.outcome import Decision, Outcome, StepEvent
from flows.rules.request import RegistrationRequest
from flows.runner import Runner
from mock_sites.testing import MockSites
from robot.settings import Settings
from tests.fixtures.settings import settings_for
from tests.ui.helpers import SCREENS_DIR, Screens


@dataclass
class UiServer:
    running: RunningApp
    ui: UiContext
    settings: Settings

    @property
    def base_url(self) -> str:
        return self.running.base_url

    @property
    def url_with_token(self) -> str:
        return self.running.url_with_token

    @property
    def token(self) -> str:
        return self.running.token


@pytest.fixture(scope="session")
def ui_settings(mock_sites: MockSites, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    data_dir = tmp_path_factory.mktemp("ui-data")
    return settings_for(
        mock_sites,
        data_dir,
        evidence_dir=data_dir / "evidence",
        transfer_mode="browser",
        # Short waits: a site that answers with errors fails the step sooner (test speed).
        timeout_ms=5_000,
        max_attempts=2,
        backoff_base_s=0.05,
        backoff_max_s=0.2,
        pseudonym_key=SecretStr("ui-test-key"),
        # These tests drive the app headless with the robot's (demo) account, as on a shared
        # robot station; the clerk's own sign-in is tested in tests/attended/.
        ui_sign_in="robot_account",
    )


StepHook = Callable[[Runner, StepEvent], None]


class StepHooks:
    """Callbacks a test adds, called at every step event in the robot's own thread.

    That thread owns the robot's browser, so a hook may use it (``runner.session``), for
    example to alter what the robot sends to PMO, or change a mock site's faults at the exact
    moment a step starts or ends.
    """

    def __init__(self) -> None:
        self._hooks: list[StepHook] = []
        self._lock = threading.Lock()

    def add(self, hook: StepHook) -> None:
        with self._lock:
            self._hooks.append(hook)

    def clear(self) -> None:
        with self._lock:
            self._hooks.clear()

    def __call__(self, runner: Runner, event: StepEvent) -> None:
        with self._lock:
            hooks = list(self._hooks)
        for hook in hooks:
            hook(runner, event)


class HookedRunner(Runner):
    """The real Runner, calling the test's ``StepHooks`` before the app's own step callback."""

    def __init__(self, settings: Settings, *, hooks: StepHooks) -> None:
        super().__init__(settings)
        self.hooks = hooks

    def register(
        self,
        request: RegistrationRequest,
        *,
        decisions: Sequence[Decision] = (),
        on_step: Callable[[StepEvent], None] | None = None,
        should_stop: Callable[[], bool] | None = None,
    ) -> Outcome:
        def both(event: StepEvent) -> None:
            self.hooks(self, event)
            if on_step is not None:
                on_step(event)

        return super().register(request, decisions=decisions, on_step=both, should_stop=should_stop)


@pytest.fixture(scope="session")
def session_step_hooks() -> StepHooks:
    return StepHooks()


@pytest.fixture
def step_hooks(session_step_hooks: StepHooks) -> Iterator[StepHooks]:
    """The session app's step hooks, cleared after the test."""
    session_step_hooks.clear()
    yield session_step_hooks
    session_step_hooks.clear()


@pytest.fixture(scope="session")
def ui_server(ui_settings: Settings, session_step_hooks: StepHooks) -> Iterator[UiServer]:
    token = secrets.token_urlsafe(24)

    def factory() -> contextlib.AbstractContextManager[RunnerLike]:
        runner: contextlib.AbstractContextManager[RunnerLike] = HookedRunner(
            ui_settings, hooks=session_step_hooks
        )
        return runner

    app = create_app(
        ui_settings, token=token, runner_factory=factory, warm_up=True, user="testkanslist"
    )
    with serve_in_thread(app, token=token) as running:
        yield UiServer(running=running, ui=app.state.ui, settings=ui_settings)


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict[str, object]) -> dict[str, object]:
    """Swedish locale, and clipboard access for the "Kopiera" button."""
    return {
        **browser_context_args,
        "locale": "sv-SE",
        "permissions": ["clipboard-read", "clipboard-write"],
    }


@pytest.fixture
def app_page(page: Page, ui_server: UiServer) -> Page:
    """A page that opened the app with the token (now held in the cookie)."""
    page.set_default_timeout(15_000)
    page.goto(ui_server.url_with_token)
    expect(page).to_have_url(ui_server.base_url)
    expect(page.get_by_role("heading", name="Registrera ny patient")).to_be_visible()
    return page


@pytest.fixture(scope="session")
def screens() -> Iterator[Screens]:
    """Screenshots of each screen, written to test-results/ui-screens/ with an index page."""
    shots = Screens(SCREENS_DIR)
    yield shots
    shots.write_index()
