"""A refused login is remembered and never retried; a session that ends right after a good
login is not a refusal (it is retried, and nothing is remembered).

The difference matters for unattended runs: a remembered refusal stops every later login on
that site with that password, so counting an expired session as a refusal would stop the robot
for good, while retrying a real refusal could lock the robot's account.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, Route
from pydantic import SecretStr

from flows.pages.login import LoginPage, LoginRefused, RefusedLogins
from flows.selectors import load_selectors
from mock_sites.testing import MockSites
from robot.errors import ApplicationError, SiteError
from robot.retry import NotRetried
from robot.settings import DEFAULT_CONFIG_DIR

pytestmark = pytest.mark.e2e

KEY = SecretStr("login-test-key")


def _login_page(tmp_path: Path, password: str) -> tuple[LoginPage, RefusedLogins]:
    refusals = RefusedLogins(tmp_path, KEY)
    login = LoginPage(
        site="pmo",
        selectors=load_selectors(DEFAULT_CONFIG_DIR / "selectors", "pmo_a"),
        username="demo",
        password=SecretStr(password),
        refusals=refusals,
    )
    return login, refusals


def test_a_wrong_password_is_refused_remembered_and_never_sent_again(
    page: Page, fresh_mock_sites: MockSites, tmp_path: Path
) -> None:
    login, refusals = _login_page(tmp_path, "wrong")
    posts: list[str] = []
    page.on("request", lambda r: posts.append(r.url) if r.method == "POST" else None)
    page.goto(fresh_mock_sites.pmo_url + "/login")
    with pytest.raises(LoginRefused) as refused:
        login.login(page)
    assert isinstance(refused.value, NotRetried)
    assert refusals.refused("pmo", "demo", SecretStr("wrong"))
    with pytest.raises(LoginRefused):
        login.login(page)  # remembered: the password is not sent again
    assert len(posts) == 1


def test_a_session_that_ends_right_after_the_login_is_retried_not_remembered(
    page: Page, fresh_mock_sites: MockSites, tmp_path: Path
) -> None:
    login, refusals = _login_page(tmp_path, "demo")
    ended = []

    def session_gone(route: Route) -> None:
        # The site takes the login (its own answer is fetched: a 303 to the page asked for),
        # but the session is gone before that page: back to the login page with the site's
        # "logged out" notice and no error message, as after an idle timeout.
        real = route.fetch(max_redirects=0)
        ended.append(real.status)
        route.fulfill(status=303, headers={"Location": "/login?next=%2Fsok&utloggad=1"})

    page.route("**/login", session_gone, times=1)  # the POST (the page itself has a query)
    page.goto(fresh_mock_sites.pmo_url + "/login?next=%2Fsok")
    with pytest.raises(SiteError) as failed:
        login.login(page)
    assert ended == [303], "the site did not take the login"
    assert not isinstance(failed.value, LoginRefused)
    assert isinstance(failed.value, ApplicationError)  # retried like a site error
    assert failed.value.code == "login_not_kept"
    assert not refusals.refused("pmo", "demo", SecretStr("demo"))
    page.goto(fresh_mock_sites.pmo_url + "/login?next=%2Fsok")
    login.login(page)  # the retry logs in
    assert not login.is_login_page(page)
