"""A fresh robot opens PMO and Reservnummersystemet at the same time and logs in to both before
the first search (``flows.sites.open_and_log_in``), keeping every rule of the logins: one login
per site at a time, a refused password never sent again, an expired session logged in again,
Plexus only where it is used, and a site that fails at the start left to the flow.

The requests are counted in the browser (every request of the robot's contexts, by site).
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import BrowserContext, Page, Request, Route
from pydantic import SecretStr

from flows.pages.login import LoginPage, LoginRefused, RefusedLogins
from flows.rules.outcome import OutcomeKind
from flows.runner import Runner
from flows.selectors import load_selectors
from mock_sites.testing import MockSites
from robot.settings import DEFAULT_CONFIG_DIR
from tests.e2e.conftest import make_settings
from tests.e2e.people import People, patients_born, persons_born

pytestmark = pytest.mark.e2e

LOGIN = ("POST", "/login")


class SiteRequests:
    """Every request the watched browser contexts send, as (site, method, path?query), in
    order."""

    def __init__(self, sites: MockSites) -> None:
        self._hosts = {
            urlsplit(sites.pmo_url).netloc: "pmo",
            urlsplit(sites.rns_url).netloc: "rns",
            urlsplit(sites.plexus_url).netloc: "plexus",
        }
        self.seen: list[tuple[str, str, str]] = []

    def watch(self, *contexts: BrowserContext) -> None:
        for context in contexts:
            context.on("request", self._record)

    def _record(self, request: Request) -> None:
        url = urlsplit(request.url)
        path = url.path + (f"?{url.query}" if url.query else "")
        self.seen.append((self._hosts.get(url.netloc, url.netloc), request.method, path))

    def logins(self, site: str) -> int:
        return sum(1 for s, *call in self.seen if s == site and tuple(call) == LOGIN)

    def sites(self) -> set[str]:
        return {s for s, _, _ in self.seen}

    def index(self, site: str, method: str, path: str) -> int:
        return self.seen.index((site, method, path))

    def first_search(self, site: str) -> int:
        """Where ``site`` was first searched (a search form's GET with its fields)."""
        return next(
            i for i, (s, m, p) in enumerate(self.seen) if (s, m) == (site, "GET") and "/sok?" in p
        )


def test_a_fresh_robot_logs_in_to_both_systems_before_the_first_search_once_each(
    sites: MockSites, people: People, tmp_path: Path
) -> None:
    first, second = people.request(), people.request()
    requests = SiteRequests(sites)

    with Runner(make_settings(sites, tmp_path)) as runner:
        requests.watch(runner.session.context("pmo"), runner.session.context("rns"))
        outcomes = [runner.register(first)]
        order = [requests.index("rns", *LOGIN), requests.first_search("pmo")]
        order.append(requests.first_search("rns"))
        outcomes.append(runner.register(second))
        opened = runner.session.sites

    assert [o.kind for o in outcomes] == [OutcomeKind.REGISTERED] * 2, outcomes
    for request, outcome in zip((first, second), outcomes, strict=True):
        assert [p["patient_id"] for p in patients_born(sites, request.birth_date)] == [
            outcome.patient_id
        ]
        assert len(persons_born(sites, request.birth_date)) == 1
    assert requests.logins("pmo") == 1 and requests.logins("rns") == 1, requests.seen
    # Both logins were sent before PMO was searched: RNS's login no longer waits for PMO's
    # search; the searches themselves keep their order.
    assert order == sorted(order), requests.seen
    # Plexus is not used with direct access: never opened, never logged in to.
    assert "plexus" not in opened and "plexus" not in requests.sites()


def test_a_refused_rns_password_is_sent_once_even_when_logging_in_ahead(
    sites: MockSites, people: People, tmp_path: Path
) -> None:
    settings = make_settings(sites, tmp_path, rns_password=SecretStr("fel-lösenord"))
    asked = [people.request() for _ in range(3)]
    requests = SiteRequests(sites)

    with Runner(settings) as runner:
        requests.watch(runner.session.context("pmo"), runner.session.context("rns"))
        outcomes = [runner.register(r) for r in asked[:2]]
    # The next run of the same data folder (the next scheduled run, another worker).
    with Runner(settings) as runner:
        requests.watch(runner.session.context("pmo"), runner.session.context("rns"))
        outcomes.append(runner.register(asked[2]))

    assert [o.kind for o in outcomes] == [OutcomeKind.FAILED] * 3, outcomes
    for request in asked:
        assert persons_born(sites, request.birth_date) == []
        assert patients_born(sites, request.birth_date) == []
    assert {o.reason_code for o in outcomes} == {"login_refused"}
    assert requests.logins("rns") == 1, requests.seen  # never again, in either run
    assert requests.logins("pmo") == 2  # PMO's good login, once per run
    for outcome in outcomes:
        assert outcome.patient_id is None


def test_sessions_that_expire_after_the_first_registration_are_logged_in_again(
    sites: MockSites, people: People, tmp_path: Path
) -> None:
    sites.set_faults("pmo", session_timeout_s=600)
    sites.set_faults("rns", session_timeout_s=600)
    first, second = people.request(), people.request()
    requests = SiteRequests(sites)

    with Runner(make_settings(sites, tmp_path)) as runner:
        requests.watch(runner.session.context("pmo"), runner.session.context("rns"))
        outcomes = [runner.register(first)]
        sites.advance_clock("pmo", 3600)
        sites.advance_clock("rns", 3600)
        outcomes.append(runner.register(second))

    assert [o.kind for o in outcomes] == [OutcomeKind.REGISTERED] * 2, outcomes
    assert [p["patient_id"] for p in patients_born(sites, second.birth_date)] == [
        outcomes[1].patient_id
    ]
    # Once ahead for the first registration, once more each when the session had expired.
    assert requests.logins("pmo") == 2 and requests.logins("rns") == 2, requests.seen


def test_a_start_page_that_fails_ahead_is_opened_again_by_the_flow(
    sites: MockSites, people: People, tmp_path: Path
) -> None:
    request = people.request()
    requests = SiteRequests(sites)
    failed: list[str] = []

    def server_error_once(route: Route) -> None:
        failed.append(route.request.url)
        route.fulfill(status=500, body="Tekniskt fel")

    with Runner(make_settings(sites, tmp_path)) as runner:
        rns = runner.session.context("rns")
        requests.watch(runner.session.context("pmo"), rns)
        rns.route(sites.rns_url + "/", server_error_once, times=1)
        outcome = runner.register(request)

    assert failed == [sites.rns_url + "/"]  # the start page opened ahead got the error
    assert outcome.kind is OutcomeKind.REGISTERED, outcome
    assert [p["id_value"] for p in persons_born(sites, request.birth_date)] == [outcome.patient_id]
    assert requests.logins("pmo") == 1 and requests.logins("rns") == 1, requests.seen


def test_plexus_is_logged_in_to_ahead_only_when_rns_is_reached_through_it(
    sites: MockSites, people: People, tmp_path: Path
) -> None:
    request = people.request()
    requests = SiteRequests(sites)

    with Runner(make_settings(sites, tmp_path, rns_access="plexus")) as runner:
        requests.watch(runner.session.context("pmo"), runner.session.context("plexus"))
        outcome = runner.register(request)
        opened = runner.session.sites

    assert outcome.kind is OutcomeKind.REGISTERED, outcome
    assert [p["patient_id"] for p in patients_born(sites, request.birth_date)] == [
        outcome.patient_id
    ]
    assert "rns" not in opened  # RNS in the tab Plexus opened, not a context of its own
    assert [requests.logins(s) for s in ("pmo", "plexus", "rns")] == [1, 1, 1], requests.seen
    assert requests.index("plexus", *LOGIN) < requests.first_search("pmo")


def test_a_second_login_while_one_is_under_way_waits_for_it_and_sends_nothing(
    page: Page, fresh_mock_sites: MockSites, tmp_path: Path
) -> None:
    login = LoginPage(
        site="rns",
        selectors=load_selectors(DEFAULT_CONFIG_DIR / "selectors", "rns"),
        username="demo",
        password=SecretStr("demo"),
        refusals=RefusedLogins(tmp_path, SecretStr("overlap-test-key")),
    )
    posts: list[str] = []
    page.on("request", lambda r: posts.append(r.url) if r.method == "POST" else None)
    page.goto(fresh_mock_sites.rns_url + "/login?next=%2F")

    pending = login.submit(page)
    assert login.pending
    login.login(page)  # waits for the one under way, which logged in: nothing more is sent
    pending.finish()  # already answered: does nothing

    assert not login.pending
    assert not login.is_login_page(page)
    assert len(posts) == 1


def test_a_refusal_answered_to_a_login_under_way_is_remembered_and_not_resent(
    page: Page, fresh_mock_sites: MockSites, tmp_path: Path
) -> None:
    refusals = RefusedLogins(tmp_path, SecretStr("overlap-test-key"))
    login = LoginPage(
        site="rns",
        selectors=load_selectors(DEFAULT_CONFIG_DIR / "selectors", "rns"),
        username="demo",
        password=SecretStr("fel"),
        refusals=refusals,
    )
    posts: list[str] = []
    page.on("request", lambda r: posts.append(r.url) if r.method == "POST" else None)
    page.goto(fresh_mock_sites.rns_url + "/login?next=%2F")

    pending = login.submit(page)
    with pytest.raises(LoginRefused):
        login.submit(page)  # the answer to the one under way is the refusal
    pending.finish()  # answered already: does nothing
    with pytest.raises(LoginRefused):
        login.login(page)  # remembered: not sent again

    assert refusals.refused("rns", "demo", SecretStr("fel"))
    assert len(posts) == 1
