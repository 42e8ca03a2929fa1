"""``reservrobot check-screens``: the read-only walk names every drifted selector key, only those.

Layouts a and b with their own selector files are clean; layout b read with ``pmo_a`` and the
deliberately drifted layout c (a renamed button, a label moved off its field, a field that
became a combobox) name each drifted key with what the screen offers instead. Nothing is
written in any mock (``/_mock/records`` unchanged).
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from flows.screen_check import run_screen_check
from flows.screen_findings import Finding, ScreenReport
from mock_sites.testing import MockSites, run_mock_sites
from robot.settings import Settings
from tests.e2e.conftest import cli_env, make_settings

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def drifted_sites(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MockSites]:
    """PMO in layout c, started by this test module."""
    with run_mock_sites(tmp_path_factory.mktemp("mock-c"), pmo_layout="c") as sites:
        yield sites


def _test_patient(sites: MockSites) -> tuple[str, date]:
    patient_id = str(sites.records("pmo")["patients"][0]["patient_id"])
    return patient_id, date(int(patient_id[:4]), int(patient_id[4:6]), int(patient_id[6:8]))


def _settings(sites: MockSites, tmp_path: Path, selectors: str) -> Settings:
    patient_id, birth_date = _test_patient(sites)
    return make_settings(
        sites,
        tmp_path,
        pmo_selectors=selectors,
        timeout_ms=3_000,
        screen_check_patient_id=patient_id,
        screen_check_patient_birth_date=birth_date,
    )


def _records(sites: MockSites) -> dict[str, Any]:
    return {site: sites.records(site) for site in ("pmo", "rns", "plexus")}


def _check(sites: MockSites, tmp_path: Path, selectors: str) -> ScreenReport:
    before = _records(sites)
    report = run_screen_check(_settings(sites, tmp_path, selectors), with_plexus=True)
    assert _records(sites) == before, "the screen check must write nothing"
    return report


def _drift(report: ScreenReport) -> dict[str, Finding]:
    return {f.where: f for f in report.drifted}


def test_check_screens_should_be_clean_on_layout_a_with_its_own_file(
    mock_sites: MockSites, tmp_path: Path
) -> None:
    report = _check(mock_sites, tmp_path, "pmo_a")
    assert report.clean, [str(f) for f in report.drifted]
    checked = {f.where for f in report.findings if f.status == "ok"}
    # The walk really reached every screen, the test patient's page included.
    for where in (
        "pmo_a.form.save",
        "pmo_a.patient.edit",
        "pmo_a.search.columns.patient_id",
        "rns.create.submit",
        "plexus.start.favourites",
        "pmo_a.form.labels.city",
        "pmo_a.session.signed_in_user",
        "rns.session.signed_in_user",
        "plexus.session.signed_in_user",
    ):
        assert where in checked


def test_check_screens_should_be_clean_on_layout_b_with_its_own_file(
    mock_sites_b: MockSites, tmp_path: Path
) -> None:
    report = _check(mock_sites_b, tmp_path, "pmo_b")
    assert report.clean, [str(f) for f in report.drifted]


def test_check_screens_should_name_every_difference_of_layout_b_read_with_pmo_a(
    mock_sites_b: MockSites, tmp_path: Path
) -> None:
    drift = _drift(_check(mock_sites_b, tmp_path, "pmo_a"))
    # Every label that layout b changed, with what the screen offers instead.
    expected_offers = {
        "pmo_a.nav.search": "link 'Patientsök'",
        "pmo_a.nav.register": "link 'Ny patient'",
        "pmo_a.search.results": "table 'Träfflista'",
        "pmo_a.patient.edit": "button 'Redigera patient'",
        "pmo_a.form.patient_id": "textbox 'Pat-ID'",
        "pmo_a.form.street": "textbox 'Adress'",
        "pmo_a.form.city": "textbox 'Postort'",
        "pmo_a.form.save": "button 'Spara patient'",
    }
    for where, offer in expected_offers.items():
        assert where in drift, f"{where} not reported"
        assert offer in drift[where].offered, (where, drift[where].offered)
    assert drift["pmo_a.search.columns.patient_id"].offered[0] == "Pat-ID"
    assert drift["pmo_a.patient.data_keys"].status == "missing"  # a table, not a <dl>
    # Nothing of RNS or Plexus drifted: only PMO changed.
    assert all(f.site == "pmo_a" for f in drift.values())


def test_check_screens_should_name_the_drifted_layout_c_keys_and_only_those(
    drifted_sites: MockSites, tmp_path: Path
) -> None:
    drift = _drift(_check(drifted_sites, tmp_path, "pmo_a"))
    assert set(drift) == {"pmo_a.form.save", "pmo_a.form.city", "pmo_a.form.country"}
    assert "button 'Spara uppgifter'" in drift["pmo_a.form.save"].offered
    assert "combobox 'Land'" in drift["pmo_a.form.country"].offered  # became a select
    assert "texten 'Ort' (namnger inget element)" in drift["pmo_a.form.city"].offered


def test_check_screens_command_should_exit_1_and_name_the_key_on_drift(
    drifted_sites: MockSites, tmp_path: Path
) -> None:
    # Layout c has no selector file of its own: it is read with pmo_a, as drift would be.
    env = cli_env(drifted_sites, tmp_path, pmo_selectors="pmo_a", timeout_ms=3000)
    before = _records(drifted_sites)
    proc = subprocess.run(
        [sys.executable, "-m", "apps", "check-screens", "--headless"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
        check=False,
    )
    assert proc.returncode == 1, proc.stderr
    assert "SAKNAS        pmo_a.form.save" in proc.stdout
    assert "button 'Spara uppgifter'" in proc.stdout
    assert "3 avvikelser mot väljarfilerna" in proc.stdout
    assert _records(drifted_sites) == before
