"""``backlog run`` end to end: outcomes to statuses, audit trail, report links, watch mode."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from apps.backlog.report import build_report
from apps.backlog.run import RunOptions, RunSummary, StopRequest, run_backlog, watch_backlog
from apps.backlog.store import ItemStatus, RetryPlan, open_store
from apps.exitcodes import ExitCode
from mock_sites.testing import MockSites
from robot.audit import AuditLog

from .helpers import assert_each_person_registered_once, queue_generated, robot_settings

pytestmark = pytest.mark.slow


@pytest.fixture
def sites(fresh_mock_sites: MockSites) -> Iterator[MockSites]:
    yield fresh_mock_sites
    fresh_mock_sites.reset()


def test_run_registers_items_audits_every_step_and_a_site_outage_ends_as_failed(
    sites: MockSites, tmp_path: Path
) -> None:
    settings = robot_settings(
        tmp_path, sites, max_attempts=1, backoff_base_s=0.01, backoff_max_s=0.02
    )
    ok_row, bad_row = queue_generated(settings, sites, 2, seed=31)
    summary = run_backlog(settings, RunOptions(workers=2, limit=1))
    assert summary.exit_code == ExitCode.OK and summary.by_status == {"done": 1}
    assert_each_person_registered_once(sites, [ok_row])
    with open_store(settings) as store:
        assert store.counts()[ItemStatus.PENDING] == 1  # --limit 1: the other one waits

    with AuditLog(settings) as audit:
        trail = audit.for_ref(ok_row["external_ref"])
    steps = [(e.system, e.step, e.result) for e in trail]
    assert ("pmo", "search_pmo", "started") in steps and ("rns", "create_rns", "done") in steps
    assert ("pmo", "register_pmo", "done") in steps
    assert steps[-1] == ("robot", "outcome", "registered")
    assert "via=queue; status=done; attempts=" in trail[-1].detail
    assert all(e.actor.startswith("robot:") for e in trail)
    with AuditLog(settings) as audit:
        with open_store(settings) as store:
            item = store.items()[0]
        assert item.patient_id and audit.for_patient_id(item.patient_id)[-1].step == "outcome"

    # PMO answers every request with HTTP 500: the item fails, is retried per the plan, and
    # ends failed with evidence; the run exits 1.
    sites.set_faults("pmo", error_rate=1.0)
    failed = run_backlog(
        settings,
        RunOptions(
            workers=1,
            retry=RetryPlan(max_attempts=2, base_s=0.05, max_s=0.1),
            wait_for_retries_s=10,
        ),
    )
    assert failed.exit_code == ExitCode.SOME_FAILED and failed.by_status == {"failed": 1}
    with open_store(settings) as store:
        item = store.find(bad_row["external_ref"])
        assert item is not None and item.status == ItemStatus.FAILED and item.attempts == 2
        assert item.outcome is not None and item.outcome.kind == "failed"
        evidence = item.outcome.evidence_dir
        assert evidence and Path(evidence).is_dir()
        files = build_report(store, tmp_path / "rapport")
    html = files.html.read_text("utf-8")
    assert "skärmbild och spår" in html and bad_row["family_name"] not in html


def test_watch_mode_picks_up_items_queued_while_it_runs(sites: MockSites, tmp_path: Path) -> None:
    settings = robot_settings(tmp_path, sites)
    first = queue_generated(settings, sites, 1, seed=41)
    summaries: list[RunSummary] = []
    stop = StopRequest()
    later: list[dict[str, str]] = []

    def on_summary(summary: RunSummary) -> None:
        summaries.append(summary)
        if len(summaries) == 1:
            later.extend(queue_generated(settings, sites, 1, seed=42))
        else:
            stop.request()

    code = watch_backlog(
        settings,
        RunOptions(workers=1),
        interval_s=0.2,
        progress_factory=lambda: _Quiet(),
        on_summary=on_summary,
        stop=stop,
    )
    assert code == ExitCode.OK
    assert [s.by_status for s in summaries] == [{"done": 1}, {"done": 1}]
    assert summaries[0].run_id != summaries[1].run_id
    assert_each_person_registered_once(sites, first + later)


class _Quiet:
    def start(self, total: int) -> None: ...
    def update(self, by_status: object, finished: int) -> None: ...
    def message(self, text: str) -> None: ...
    def stop(self) -> None: ...
