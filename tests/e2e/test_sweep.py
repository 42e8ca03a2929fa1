"""``reservrobot sweep`` against the real mock sites in Chromium: read-only, and exact.

The mock sites plant anomalies "made by hand" (``mock_sites/anomalies.py``); the sweep must
report each with its kind and nothing else, change nothing in either system, and never take a
registration in progress for an orphan.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from apps.cli.main import app
from flows.coordination import Coordination
from flows.pages.pmo_form import PmoPatientForm
from flows.rules.judge import canonical_number
from flows.rules.outcome import OutcomeKind
from flows.rules.region import RegionProfile, load_region_profile
from flows.runner import Runner
from flows.sweep import LeaseWay, SweepResult, sweep
from flows.transfer import make_transfer
from mock_sites.anomalies import plant
from mock_sites.rns.numbers import NumberFormat
from mock_sites.testing import MockSites, run_mock_sites
from robot.logs import Pseudonymizer, unconfigure_logging
from robot.settings import DEFAULT_CONFIG_DIR, Settings
from tests.backlog.helpers import queue_generated
from tests.backlog.helpers import robot_settings as backlog_settings
from tests.e2e.conftest import cli_env, make_settings
from tests.e2e.people import People, SiteWriter
from tests.fixtures.settings import environment_of

pytestmark = pytest.mark.e2e

FIRST = date(1931, 3, 2)
PLANTED_DAYS = [FIRST + timedelta(days=i) for i in range(6)]


def raw_records(sites: MockSites) -> dict[str, bytes]:
    """``/_mock/records`` of both systems, byte for byte."""
    with httpx.Client(trust_env=False, timeout=10) as client:
        return {
            site: client.get(sites.url(site) + "/_mock/records").content  # type: ignore[arg-type]
            for site in ("pmo", "rns")
        }


def expected(
    manifest: dict[str, Any], profile: RegionProfile
) -> set[tuple[str, str, tuple[str, ...]]]:
    """What the sweep must report: the manifest's findings (a sex mismatch only where the
    region's reservnummer carries the sex: RNS's screen shows none)."""
    out = set()
    for case in manifest["cases"]:
        if case.get("needs_sex_in_number") and not profile.reads_sex:
            continue
        for item in case["expect"]:
            numbers = tuple(sorted(canonical_number(x) for x in item["numbers"]))
            out.add((item["kind"], case["birth_date"], numbers))
    return out


def reported(result: SweepResult) -> set[tuple[str, str, tuple[str, ...]]]:
    return {(f.kind.value, f.birth_date.isoformat(), f.numbers) for f in result.findings}


def test_sweep_reports_every_planted_anomaly_with_its_kind_and_nothing_else(
    sites: MockSites, runner: Runner
) -> None:
    manifest = sites.plant_anomalies(FIRST.isoformat())
    before = raw_records(sites)

    result = sweep(PLANTED_DAYS, runner=runner, grace_s=0.0)

    assert raw_records(sites) == before  # read-only: byte for byte
    assert [d.covered for d in result.dates] == [True] * 6
    assert reported(result) == expected(manifest, runner.context.profile)
    # Twice "kontrollera" in the look-alikes' date (PMO and RNS), never counted.
    checks = [f for f in result.findings if f.kind.value == "check"]
    assert len(checks) == 2 and not any(f.kind.counted for f in checks)
    assert len(result.findings) == len(result.anomalies) + 2
    assert all(d.lease is LeaseWay.HELD for d in result.dates)


def _profile_with_sex() -> str | None:
    for path in sorted((DEFAULT_CONFIG_DIR / "regions").glob("*.toml")):
        if load_region_profile(DEFAULT_CONFIG_DIR, path.stem).reads_sex:
            return path.stem
    return None


def test_sweep_reports_a_sex_that_differs_from_the_number_where_the_format_carries_it(
    tmp_path: Path,
) -> None:
    region = _profile_with_sex()
    if region is None:
        pytest.skip("no shipped region profile reads the sex from its reservnummer")
    profile = load_region_profile(DEFAULT_CONFIG_DIR, region)
    manifest = plant(FIRST, NumberFormat.for_region(region, DEFAULT_CONFIG_DIR)).manifest
    with run_mock_sites(tmp_path / "mock", region=region, anomalies_from=FIRST.isoformat()) as s:
        settings = make_settings(s, tmp_path / "robot", region=region)
        with Runner(settings, role="svepet") as runner:
            result = sweep(PLANTED_DAYS, runner=runner, grace_s=0.0)
    assert profile.reads_sex
    assert reported(result) == expected(manifest, profile)
    sex_day = PLANTED_DAYS[4].isoformat()
    assert {k for k, d, _ in reported(result) if d == sex_day} == {"sex_mismatch"}


class _HeldTransfer:
    """The browser transfer, stopped before the paste until ``go`` is set: a registration
    whose number exists in RNS and not yet in PMO, holding its birth date's lease."""

    def __init__(self, go: threading.Event, pasting: threading.Event) -> None:
        self._inner = make_transfer("browser", headless=True)
        self.mode = self._inner.mode
        self.go, self.pasting = go, pasting

    def copy(self, source: Any, number: str) -> None:
        self._inner.copy(source, number)

    def paste(self, form: PmoPatientForm, number: str) -> None:
        self.pasting.set()
        assert self.go.wait(120), "the sweep never let the registration go on"
        self._inner.paste(form, number)


def test_a_registration_in_progress_is_looked_at_again_and_is_no_orphan(
    sites: MockSites, runner: Runner, robot_settings: Settings
) -> None:
    request = People(sites).request()
    other = [request.birth_date + timedelta(days=400 + i) for i in range(2)]
    go, pasting = threading.Event(), threading.Event()
    outcome: list[Any] = []

    def register() -> None:
        with Runner(robot_settings, transfer=_HeldTransfer(go, pasting)) as registering:
            outcome.append(registering.register(request))

    thread = threading.Thread(target=register, daemon=True)
    thread.start()
    try:
        assert pasting.wait(120), "the registration never reached the paste"
        # The number exists in RNS only, and the registration holds the date's lease.

        def on_date(item: Any, done: int, total: int) -> None:
            go.set()  # the busy date was put aside: let the registration finish

        result = sweep(
            [request.birth_date, *other],
            runner=runner,
            grace_s=0.0,
            first_wait_s=0.2,
            on_date=on_date,
        )
    finally:
        go.set()
        thread.join(120)
    assert outcome and outcome[0].kind is OutcomeKind.REGISTERED
    busy = result.dates[0]
    assert busy.birth_date == request.birth_date and busy.covered
    assert busy.lease is LeaseWay.LOOKED_AGAIN
    assert busy.findings == ()


@pytest.fixture
def env(
    sites: MockSites, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[dict[str, str]]:
    values = cli_env(sites, tmp_path / "data")
    values["RESERVROBOT_SWEEP_GRACE_S"] = "0"
    values["RESERVROBOT_PSEUDONYM_KEY"] = "sweep-cli"
    monkeypatch.chdir(tmp_path)
    yield values
    unconfigure_logging()


def test_sweep_command_exits_1_prints_json_and_writes_a_private_report(
    sites: MockSites, env: dict[str, str], tmp_path: Path
) -> None:
    manifest = sites.plant_anomalies(FIRST.isoformat())
    profile = load_region_profile(DEFAULT_CONFIG_DIR, "gavleborg")
    metrics = tmp_path / "sweep.prom"
    args = ["sweep", "--from", "1931-03-02", "--to", "1931-03-07", "--json"]

    result = CliRunner().invoke(app, [*args, "--metrics-out", str(metrics)], env=env)

    assert result.exit_code == 1, result.output
    data = json.loads(result.stdout)
    assert data["covered"] == 6 and data["not_covered"] == []
    found = {(f["kind"], f["birth_date"], tuple(f["numbers"])) for f in data["findings"]}
    assert found == expected(manifest, profile)
    assert data["anomalies"] == len(found) - 1  # the one "check" pair (both systems) not counted
    html_path, csv_path = (Path(p) for p in data["report"])
    for path in (html_path, csv_path):
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
        assert stat.S_IMODE(os.stat(path.parent).st_mode) == 0o700
    html = html_path.read_text(encoding="utf-8")
    assert "Reservnummer utan patient i PMO" in html and "Nowak" in html
    assert "Shevchenko" in csv_path.read_text(encoding="utf-8-sig")
    text = metrics.read_text(encoding="utf-8")
    assert 'reservrobot_sweep_anomalies{kind="duplicate_pmo"} 1' in text
    assert "reservrobot_sweep_dates_total 6" in text
    assert "reservrobot_sweep_last_success_timestamp_seconds 0" not in text
    again = CliRunner().invoke(app, ["sweep", "metrics"], env=env)
    assert again.exit_code == 0 and again.stdout == text


def test_sweep_command_names_the_dates_it_could_not_read_and_exits_5(
    sites: MockSites, env: dict[str, str]
) -> None:
    sites.set_faults("pmo", error_rate=1.0, seed=1)
    env["RESERVROBOT_MAX_ATTEMPTS"] = "1"

    result = CliRunner().invoke(
        app, ["sweep", "--from", "1931-03-02", "--to", "1931-03-03", "--json"], env=env
    )

    assert result.exit_code == 5, result.output
    data = json.loads(result.stdout)
    assert [d["birth_date"] for d in data["not_covered"]] == ["1931-03-02", "1931-03-03"]


def test_sweep_command_refuses_an_unreadable_dates_file_with_exit_3(
    env: dict[str, str], tmp_path: Path
) -> None:
    path = tmp_path / "datum.txt"
    path.write_text("1931-03-02\n31 mars\n", encoding="utf-8")

    result = CliRunner().invoke(app, ["sweep", "--file", str(path)], env=env)

    assert result.exit_code == 3
    assert "Rad 2" in result.output


def test_sweep_since_30d_after_a_backlog_run_reports_no_anomaly(
    sites: MockSites, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = backlog_settings(tmp_path, sites, transfer_mode="browser")
    rows = queue_generated(settings, sites, 3, seed=2121)
    env = environment_of(settings)
    run = subprocess.run(
        [sys.executable, "-m", "apps", "backlog", "run", "--workers", "1"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        timeout=300,
        check=False,
    )
    assert run.returncode == 0, run.stderr.decode()[-2000:]
    monkeypatch.chdir(tmp_path)

    result = CliRunner().invoke(
        app, ["sweep", "--since", "30d", "--json"], env={**env, "RESERVROBOT_SWEEP_GRACE_S": "0"}
    )
    unconfigure_logging()

    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["dates"] == len({row["birth_date"] for row in rows}) and data["not_covered"] == []
    assert data["anomalies"] == 0 and data["findings"] == []


def test_two_machines_on_one_postgresql_store_never_sweep_a_date_at_once(
    sites: MockSites, tmp_path: Path, postgres_dsn: str
) -> None:
    busy, free = date(1931, 3, 4), date(1931, 3, 5)
    one = make_settings(sites, tmp_path / "one", store_dsn=postgres_dsn, lease_wait_s=0.3)
    other = make_settings(sites, tmp_path / "other", store_dsn=postgres_dsn)
    coordination = Coordination(other, Pseudonymizer(other.pseudonym_key), role="svepet")
    try:
        with Runner(one, role="svepet") as runner:
            # Another robot machine reads the date right now (it holds the date's lease).
            with coordination.leases.hold(
                coordination.lease_key(busy.isoformat()), holder="maskin-2", ttl_s=30, wait_s=0
            ):
                during = sweep([busy, free], runner=runner, grace_s=0.0, first_wait_s=0.1)
            after = sweep([busy], runner=runner, grace_s=0.0, first_wait_s=0.1)
    finally:
        coordination.close()
    assert [(d.birth_date, d.covered) for d in during.dates] == [(busy, False), (free, True)]
    assert during.dates[0].reason_code == "lease_held"
    assert "maskin-2" in during.dates[0].reason_sv
    assert after.dates[0].covered


def test_a_number_without_patient_counts_only_when_a_later_look_still_shows_it(
    sites: MockSites, runner: Runner
) -> None:
    """A clerk registering by hand: the number exists, the patient not yet. The sweep looks
    again after the grace time (its sleep is where the clerk finishes) and reports only the
    number that is still without a patient."""
    people = People(sites)
    finished, abandoned = people.request(), people.request()
    writer = SiteWriter(sites)
    numbers = {
        r.birth_date: writer.rns_create(
            r.birth_date, sex=r.sex.value, family=r.family_name, given=r.given_names
        )
        for r in (finished, abandoned)
    }
    waited: list[float] = []

    def clerk_finishes(seconds: float) -> None:
        if not waited:
            writer.pmo_register(
                numbers[finished.birth_date],
                sex=finished.sex.value,
                family=finished.family_name,
                given=finished.given_names,
            )
        waited.append(seconds)
        now[0] += seconds

    now = [1000.0]
    result = sweep(
        [finished.birth_date, abandoned.birth_date],
        runner=runner,
        grace_s=300.0,
        clock=lambda: now[0],
        sleep=clerk_finishes,
    )

    assert waited == [300.0]  # waited out the grace time once, before the first second look
    by_date = {d.birth_date: d for d in result.dates}
    assert by_date[finished.birth_date].reread and by_date[finished.birth_date].findings == ()
    [orphan] = by_date[abandoned.birth_date].findings
    assert (orphan.kind.value, orphan.numbers) == (
        "orphan_number",
        (canonical_number(numbers[abandoned.birth_date]),),
    )


def test_sweep_reads_pmo_layout_b_alike(mock_sites_b: MockSites, tmp_path: Path) -> None:
    """Only the selector file differs (``pmo_b``): the same planted findings."""
    mock_sites_b.reset()
    manifest = mock_sites_b.plant_anomalies(FIRST.isoformat())
    settings = make_settings(mock_sites_b, tmp_path / "robot")
    with Runner(settings, role="svepet") as runner:
        result = sweep(PLANTED_DAYS, runner=runner, grace_s=0.0)
        profile = runner.context.profile
    mock_sites_b.reset()
    assert reported(result) == expected(manifest, profile)
