"""A password is only typed into a password field on the login page of its own site.

A drifted login page (the mock's fault ``login_password_as_text`` makes the password field a
plain text field) or a login page of another site gets nothing typed at all, and a clear
error, never retried, names the selector key.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page
from pydantic import SecretStr

from flows.attended import SignInBoard
from flows.pages.clerk_login import ClerkLogin
from flows.pages.login import LoginPage, UnsafeLoginPage
from flows.rules.outcome import OutcomeKind
from flows.runner import Runner
from flows.selectors import load_selectors
from mock_sites.testing import MockSites
from qa.people import InventedPeople
from robot.retry import NotRetried
from robot.settings import DEFAULT_CONFIG_DIR
from tests.e2e.conftest import make_settings

pytestmark = pytest.mark.e2e

PASSWORD = "demo"


def _pmo_login(sites: MockSites) -> LoginPage:
    return LoginPage(
        site="pmo",
        selectors=load_selectors(DEFAULT_CONFIG_DIR / "selectors", "pmo_a"),
        username="demo",
        password=SecretStr(PASSWORD),
        base_url=sites.pmo_url,
    )


@pytest.fixture
def drifted(fresh_mock_sites: MockSites) -> Iterator[MockSites]:
    """The session's sites with PMO's login page drifted, restored afterwards (the other tests
    of the session share these sites)."""
    fresh_mock_sites.set_faults("pmo", login_password_as_text=True)
    try:
        yield fresh_mock_sites
    finally:
        fresh_mock_sites.set_faults("pmo", login_password_as_text=False)


def _posts(page: Page) -> list[str]:
    posts: list[str] = []
    page.on("request", lambda r: posts.append(r.url) if r.method == "POST" else None)
    return posts


def test_a_password_field_that_became_a_text_field_gets_nothing_typed(
    page: Page, drifted: MockSites
) -> None:
    posts = _posts(page)
    page.goto(drifted.pmo_url + "/login")
    with pytest.raises(UnsafeLoginPage) as refused:
        _pmo_login(drifted).login(page)
    assert isinstance(refused.value, NotRetried)
    assert refused.value.code == "login_page_unsafe"
    assert "pmo.login.password" in refused.value.message
    assert "inte ett lösenordsfält" in refused.value.message
    assert page.get_by_label("Användarnamn").input_value() == ""
    assert page.get_by_label("Lösenord").input_value() == ""
    assert posts == []


def test_a_login_page_of_another_site_gets_nothing_typed(
    page: Page, fresh_mock_sites: MockSites
) -> None:
    posts = _posts(page)
    page.goto(fresh_mock_sites.rns_url + "/login")  # same path, another site
    with pytest.raises(UnsafeLoginPage) as refused:
        _pmo_login(fresh_mock_sites).login(page)
    assert "pmo.login.password" in refused.value.message
    assert "systemets adress" in refused.value.message
    assert page.get_by_label("Användarnamn").input_value() == ""
    assert posts == []


def test_the_runner_reports_the_drifted_login_page_once_with_the_selector_key(
    drifted: MockSites, tmp_path: Path
) -> None:
    request = InventedPeople.beside(drifted, seed=19).request()
    with Runner(make_settings(drifted, tmp_path)) as runner:
        outcome = runner.register(request)
    assert outcome.kind is OutcomeKind.FAILED
    assert outcome.reason_code == "login_page_unsafe"
    assert outcome.reason_sv is not None and "pmo.login.password" in outcome.reason_sv
    assert "försök" not in outcome.reason_sv  # never retried
    persons = drifted.records("rns")["persons"]
    assert [p for p in persons if p["family_name"] == request.family_name] == []


def test_the_clerk_is_signed_in_only_on_the_sites_own_pages_past_the_login() -> None:
    login = ClerkLogin(
        site="pmo",
        selectors=load_selectors(DEFAULT_CONFIG_DIR / "selectors", "pmo_a"),
        board=SignInBoard(),
        base_url="https://pmo.region.example",
    )
    assert login.is_signed_in_url("https://pmo.region.example/sok?ar=1990")
    assert not login.is_signed_in_url("https://pmo.region.example/login?next=%2Fsok")
    # A sign-in service elsewhere (card and PIN) is still part of signing in.
    assert not login.is_signed_in_url("https://idp.region.example/saml/login")
