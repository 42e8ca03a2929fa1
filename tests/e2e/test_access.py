"""Reaching Reservnummersystemet through Plexus, and the system clipboard transfer under Xvfb."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from flows.rules.outcome import OutcomeKind
from flows.runner import Runner
from mock_sites.testing import MockSites
from tests.e2e.conftest import make_settings
from tests.e2e.people import People, patients_born, persons_born

pytestmark = pytest.mark.e2e


def _rns_favourites(sites: MockSites) -> list[dict[str, object]]:
    return [
        f
        for f in sites.records("plexus")["favourites"]
        if f["system_name"] == "Reservnummersystemet"
    ]


def test_register_should_reach_rns_through_plexus_adding_the_favourite_when_missing(
    sites: MockSites, people: People, tmp_path: Path
) -> None:
    assert _rns_favourites(sites) == []  # the demo user starts without it
    settings = make_settings(sites, tmp_path, rns_access="plexus")
    first, second = people.request(), people.request()

    with Runner(settings) as runner:
        outcomes = [runner.register(first), runner.register(second)]
        tabs = runner.session.context("plexus").pages

    assert [o.kind for o in outcomes] == [OutcomeKind.REGISTERED] * 2, outcomes
    assert len(_rns_favourites(sites)) == 1
    assert len(tabs) == 2  # Plexus and the one Reservnummersystemet tab it opened, reused
    for request, outcome in zip((first, second), outcomes, strict=True):
        assert [p["id_value"] for p in persons_born(sites, request.birth_date)] == [
            outcome.patient_id
        ]


@pytest.mark.xvfb
def test_system_transfer_should_copy_through_the_os_clipboard_in_a_headed_browser(
    x_display: str, sites: MockSites, people: People, tmp_path: Path
) -> None:
    settings = make_settings(
        sites, tmp_path, headless=False, transfer_mode="auto", leave_on_clipboard=True
    )
    request = people.request()

    with Runner(settings) as runner:
        mode = runner.transfer_mode
        outcome = runner.register(request)

    assert mode == "system"  # auto picks the OS clipboard when headed with a display
    assert outcome.kind is OutcomeKind.REGISTERED, outcome
    assert [p["patient_id"] for p in patients_born(sites, request.birth_date)] == [
        outcome.patient_id
    ]
    on_clipboard = subprocess.run(
        ["xclip", "-o", "-selection", "clipboard"],
        capture_output=True,
        text=True,
        timeout=5,
        check=True,
    ).stdout
    assert on_clipboard == outcome.patient_id
