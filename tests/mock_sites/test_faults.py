"""Fault settings: added latency, HTTP 500s, session idle timeout, repeatable randomness."""

from __future__ import annotations

import time

import httpx
import pytest
from playwright.sync_api import Page, expect

from mock_sites.testing import MockSites
from tests.mock_sites.helpers import log_in, open_as_demo


def test_latency_should_delay_every_page_by_the_setting(
    page: Page, fresh_mock_sites: MockSites
) -> None:
    open_as_demo(page, fresh_mock_sites, "pmo", "/sok")
    fresh_mock_sites.set_faults("pmo", latency_ms=600)
    started = time.monotonic()
    page.goto(fresh_mock_sites.pmo_url + "/registrera")
    slowed = time.monotonic() - started
    expect(page.get_by_role("textbox", name="Patient-ID")).to_be_visible()
    assert slowed >= 0.6
    # Other sites keep their own settings.
    with httpx.Client(trust_env=False) as client:
        started = time.monotonic()
        client.get(fresh_mock_sites.rns_url + "/login")
        assert time.monotonic() - started < 0.6


def test_error_rate_one_should_answer_every_page_with_tekniskt_fel(
    page: Page, fresh_mock_sites: MockSites
) -> None:
    open_as_demo(page, fresh_mock_sites, "rns", "/sok")
    fresh_mock_sites.set_faults("rns", error_rate=1.0)
    response = page.goto(fresh_mock_sites.rns_url + "/skapa")
    assert response is not None and response.status == 500
    expect(page.get_by_role("heading", name="Tekniskt fel")).to_be_visible()
    static = page.request.get(fresh_mock_sites.rns_url + "/static/site.css")
    assert static.status == 200
    assert fresh_mock_sites.records("rns")["persons"]  # QA endpoints are never faulted
    fresh_mock_sites.set_faults("rns", error_rate=0.0)
    page.reload()
    expect(page.get_by_role("heading", name="Skapa reservnummer")).to_be_visible()


def _statuses(sites: MockSites, count: int) -> list[int]:
    with httpx.Client(base_url=sites.pmo_url, trust_env=False) as client:
        return [client.get("/login").status_code for _ in range(count)]


def test_error_rate_with_seed_should_fail_the_same_requests_every_time(
    fresh_mock_sites: MockSites,
) -> None:
    fresh_mock_sites.set_faults("pmo", error_rate=0.3, seed=42)
    first = _statuses(fresh_mock_sites, 40)
    fresh_mock_sites.set_faults("pmo", error_rate=0.3, seed=42)
    second = _statuses(fresh_mock_sites, 40)
    assert first == second
    assert 3 <= first.count(500) <= 25
    assert set(first) == {200, 500}


def test_idle_session_should_end_on_login_page_and_return_after_login(
    page: Page, fresh_mock_sites: MockSites
) -> None:
    sites = fresh_mock_sites
    sites.set_faults("pmo", session_timeout_s=30)
    log_in(page, sites.pmo_url, "/sok")
    search = "/sok?ar=1991&manad=01&dag=24"
    page.goto(sites.pmo_url + search)
    expect(page.get_by_role("table", name="Sökresultat")).to_be_visible()
    sites.advance_clock("pmo", 20)
    page.reload()
    expect(page.get_by_role("table", name="Sökresultat")).to_be_visible()  # 20 s idle: fine
    sites.advance_clock("pmo", 31)
    page.reload()
    expect(page.get_by_role("status")).to_contain_text("inaktiv för länge")
    page.get_by_role("textbox", name="Användarnamn").fill("demo")
    page.get_by_role("textbox", name="Lösenord").fill("demo")
    page.get_by_role("button", name="Logga in").click()
    expect(page).to_have_url(sites.pmo_url + search)
    expect(page.get_by_role("table", name="Sökresultat")).to_be_visible()


@pytest.mark.parametrize(
    "body",
    [
        {"error_rate": 2},
        {"latency_ms": -1},
        {"latency_ms": "slow"},
        {"colour": 1},
        [1, 2],
        {"login_password_as_text": 1},
    ],
)
def test_invalid_fault_settings_should_be_refused(
    fresh_mock_sites: MockSites, body: object
) -> None:
    with httpx.Client(trust_env=False) as client:
        response = client.post(fresh_mock_sites.pmo_url + "/_mock/faults", json=body)
    assert response.status_code == 400
    assert fresh_mock_sites.faults("pmo") == {
        "latency_ms": 0,
        "error_rate": 0.0,
        "session_timeout_s": 0.0,
        "seed": None,
        "login_password_as_text": False,
    }


def test_reset_should_restore_start_up_faults(fresh_mock_sites: MockSites) -> None:
    fresh_mock_sites.set_faults("plexus", latency_ms=5, error_rate=0.5, seed=3)
    assert fresh_mock_sites.faults("plexus")["error_rate"] == 0.5
    fresh_mock_sites.reset("plexus")
    assert fresh_mock_sites.faults("plexus") == {
        "latency_ms": 0,
        "error_rate": 0.0,
        "session_timeout_s": 0.0,
        "seed": None,
        "login_password_as_text": False,
    }
