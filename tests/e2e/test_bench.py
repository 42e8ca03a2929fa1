"""``reservrobot bench`` runs real registrations and reports its figures."""

from __future__ import annotations

import pytest

from qa.bench import format_report, percentile, run_bench

pytestmark = pytest.mark.e2e


def test_bench_should_register_everyone_and_report_robot_and_http_floor_figures() -> None:
    report = run_bench(count=3, seed=5)

    robot = report["robot"]
    assert robot["outcomes"] == {"registered": 3}
    assert set(robot["steps"]) == {
        "search_pmo",
        "search_rns",
        "create_rns",
        "register_pmo",
        "verify",
    }
    assert all(f["median_s"] > 0 for f in robot["steps"].values())
    assert robot["first_s"] > robot["total"]["median_s"] > 0
    assert robot["peak_rss_mb"]["browser"] > 50  # a Chromium was really measured
    assert 0 < report["http_floor"]["total"]["median_s"] < robot["total"]["median_s"]
    assert report["ratio_median"] > 1
    text = format_report(report)
    assert "HTTP floor" in text and "first registration" in text


def test_percentile_should_interpolate() -> None:
    assert percentile([1.0, 2.0, 3.0, 4.0], 50) == 2.5
    assert percentile([5.0], 95) == 5.0
    assert percentile([], 95) == 0.0
    assert percentile(list(map(float, range(101))), 95) == 95.0
