"""Attended work where Reservnummersystemet is reached through Plexus (``rns_access = plexus``):
the clerk signs in to PMO and Plexus, then to Reservnummersystemet in the tab the Plexus
favourite opened, all by typing (xdotool) into the robot's windows; the registration is then
logged in PMO and RNS under the clerk's account."""

from __future__ import annotations

import secrets
from pathlib import Path

import pytest
from playwright.sync_api import Browser
from pydantic import SecretStr

from apps.ui.app import create_app
from apps.ui.server import serve_in_thread
from mock_sites.common.config import User
from mock_sites.testing import run_mock_sites
from robot.settings import Settings
from tests.attended.conftest import Clerk, wait_until
from tests.ui.forms import REGISTERED, expect_outcome, fill_registration, submit_registration
from tests.ui.helpers import new_person

pytestmark = [pytest.mark.e2e, pytest.mark.xvfb]


def test_the_clerk_signs_in_to_pmo_plexus_and_then_rns_in_the_favourites_tab(
    clerk: Clerk, browser: Browser, tmp_path: Path
) -> None:
    password = "Kp-" + secrets.token_hex(8)
    with run_mock_sites(tmp_path / "mock", users=(User("clerk3", password, "Kim"),)) as sites:
        settings = Settings(
            pmo_url=sites.pmo_url,
            rns_url=sites.rns_url,
            plexus_url=sites.plexus_url,
            rns_access="plexus",
            data_dir=tmp_path / "data",
            headless=False,
            transfer_mode="browser",
            pseudonym_key=SecretStr("attended-plexus-key"),
        )
        token = secrets.token_urlsafe(24)
        app = create_app(settings, token=token, warm_up=True, user="kim")
        board = app.state.ui.clerk
        assert board is not None  # attended sign-in is the default
        with serve_in_thread(app, token=token) as running:
            wait_until(lambda: board.waiting_for() == ["pmo", "plexus"], "PMO and Plexus")
            assert board.notice_sv().startswith("Logga in i PMO och Plexus i robotens fönster.")
            clerk.sign_in("PMO", "clerk3", password)
            clerk.sign_in("Plexus", "clerk3", password)
            # Plexus's favourite opens Reservnummersystemet in a new tab: its login comes next.
            wait_until(lambda: board.waiting_for() == ["rns"], "the RNS tab's login")
            clerk.sign_in("Reservnummersystemet", "clerk3", password)
            wait_until(lambda: not board.waiting_for(), "every sign-in seen")
            assert board.accounts() == {"pmo": "clerk3", "plexus": "clerk3", "rns": "clerk3"}
            person = new_person(sites)
            page = browser.new_context(locale="sv-SE").new_page()
            page.goto(running.url_with_token)
            fill_registration(page, person)
            submit_registration(page)
            expect_outcome(page, REGISTERED)
            page.context.close()
        born = f"{person.birth_date:%Y%m%d}"
        (patient,) = [
            p
            for p in sites.records("pmo")["patients"]
            if p["family_name"] == person.family_name and p["patient_id"].startswith(born)
        ]
        (number,) = [
            p for p in sites.records("rns")["persons"] if p["id_value"] == patient["patient_id"]
        ]
        assert patient["created_by"] == number["created_by"] == "clerk3"
