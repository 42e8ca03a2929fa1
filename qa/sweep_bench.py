"""``reservrobot-qa sweep-bench``: how fast the read-only sweep covers a year of birth dates.

The mock sites run in a process of their own with ``latency_ms`` added to every answer (100 ms
by default: a remote system), as in ``reservrobot bench``. The robot's sweep
(``flows.sweep.sweep`` on a ``Runner``, every date under its lease) reads ``dates`` consecutive
birth dates in both systems. Printed: seconds, dates per minute, the goal (365 dates in under
10 minutes), and a baseline for the overlap of the two searches: the first ``baseline`` dates
read again, each once with RNS's search started ahead (as the sweep does) and once without
(PMO, then RNS, one after the other), interleaved, as a ratio.
Both sites' ``/_mock/records`` are compared before and after: the sweep must change nothing.
Never a timed test: a figure to read.
"""

from __future__ import annotations

import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from pydantic import SecretStr

from flows.pages.rns_search import RnsSearchPage
from flows.runner import Runner
from flows.sweep import sweep
from qa.bench import sites_in_subprocess
from robot.settings import Settings

GOAL_S = 600.0
FIRST_DATE = date(2000, 1, 1)


def _settings(sites: Any, data_dir: Path) -> Settings:
    return Settings(
        pmo_url=sites.pmo_url,
        rns_url=sites.rns_url,
        plexus_url=sites.plexus_url,
        data_dir=data_dir,
        headless=True,
        transfer_mode="browser",
        pseudonym_key=SecretStr("sweep-bench"),
        sweep_grace_s=0.0,
    )


def _timed(runner: Runner, dates: list[date], *, progress: bool = False) -> tuple[float, int]:
    start = time.perf_counter()

    def on_date(item: object, done: int, total: int) -> None:
        if progress and (done % 50 == 0 or done == total):
            rate = done / max(time.perf_counter() - start, 1e-9) * 60
            print(f"… {done}/{total} datum ({rate:.0f} datum per minut)", file=sys.stderr)

    result = sweep(dates, runner=runner, grace_s=0.0, on_date=on_date)
    return time.perf_counter() - start, len(result.findings)


def _overlap_against_serial(runner: Runner, sample: list[date]) -> tuple[float, float]:
    """Each date of ``sample`` read twice, once with RNS's search started ahead (as the sweep
    does) and once without (PMO, then RNS), the order alternating: interleaved, so a change
    of the machine's load meanwhile falls on both alike. The total seconds of each."""
    started = RnsSearchPage.start_search
    totals = {True: 0.0, False: 0.0}
    try:
        for i, day in enumerate(sample):
            for overlapped in (True, False) if i % 2 == 0 else (False, True):
                RnsSearchPage.start_search = (  # type: ignore[method-assign]
                    started if overlapped else (lambda self, birth_date: None)
                )
                seconds, _ = _timed(runner, [day])
                totals[overlapped] += seconds
    finally:
        RnsSearchPage.start_search = started  # type: ignore[method-assign]
    return totals[True], totals[False]


def run_sweep_bench(
    *, dates: int = 365, latency_ms: int = 100, baseline: int = 30
) -> dict[str, Any]:
    """Start the sites, sweep ``dates`` dates, measure; the figures as a dict."""
    days = [FIRST_DATE + timedelta(days=i) for i in range(dates)]
    with tempfile.TemporaryDirectory(prefix="sweep-bench-") as tmp:
        root = Path(tmp)
        with sites_in_subprocess(root / "mock", latency_ms=latency_ms) as served:
            sites = served.sites
            before = {site: sites.records(site) for site in ("pmo", "rns")}
            with Runner(_settings(sites, root / "robot"), role="svepet") as runner:
                runner.warm_up()
                seconds, findings = _timed(runner, days, progress=True)
                sample = days[: min(baseline, dates)]
                overlap_s, serial_s = _overlap_against_serial(runner, sample)
            after = {site: sites.records(site) for site in ("pmo", "rns")}
    return {
        "dates": dates,
        "latency_ms": latency_ms,
        "seconds": round(seconds, 1),
        "dates_per_minute": round(dates / seconds * 60, 1),
        "goal_seconds": GOAL_S,
        # The goal is for a year of dates: a shorter run is scaled to 365.
        "seconds_for_365": round(seconds / dates * 365, 1),
        "goal_met": seconds / dates * 365 < GOAL_S,
        "findings": findings,
        "records_unchanged": before == after,
        "baseline_dates": len(sample),
        "overlapped_s_per_date": round(overlap_s / len(sample), 3),
        "one_after_other_s_per_date": round(serial_s / len(sample), 3),
        "overlap_ratio": round(overlap_s / serial_s, 2) if serial_s else None,
    }


def format_report(report: dict[str, Any]) -> str:
    met = "uppnått" if report["goal_met"] else "INTE uppnått"
    return "\n".join(
        (
            f"Svep: {report['dates']} födelsedatum, båda systemen, "
            f"{report['latency_ms']} ms extra svarstid per svar",
            f"  tid: {report['seconds']} s ({report['dates_per_minute']} datum per minut)",
            f"  mål: 365 datum under {report['goal_seconds'] / 60:.0f} minuter: {met} "
            f"({report['seconds_for_365']} s för 365 datum)",
            f"  fynd (seed-världens egna avvikelser): {report['findings']}",
            f"  /_mock/records oförändrade: {'ja' if report['records_unchanged'] else 'NEJ'}",
            f"  överlapp av sökningarna ({report['baseline_dates']} datum): "
            f"{report['overlapped_s_per_date']} s/datum mot "
            f"{report['one_after_other_s_per_date']} s/datum en i taget "
            f"(kvot {report['overlap_ratio']})",
        )
    )
