"""``reservrobot-qa bench`` runs real registrations side by side with the plain script."""

from __future__ import annotations

from pathlib import Path

import pytest

from qa.bench import FEATURES, format_report, percentile, run_bench

pytestmark = [pytest.mark.e2e, pytest.mark.slow]  # a whole bench run


def test_bench_should_register_everyone_and_report_every_figure() -> None:
    report = run_bench(count=2, seed=5, cost_rounds=1)

    robot, plain = report["robot"], report["plain"]
    # Both contestants saved every person right (checked in /_mock/records).
    assert report["records_ok"] == {"robot": True, "plain": True}, report["records_problems"]
    assert set(robot["outcomes"]) == {"registered"}  # the switched-off variants too
    assert report["mock_sites"] == "separate process"
    assert set(robot["steps"]) == {
        "search_pmo",
        "search_rns",
        "create_rns",
        "register_pmo",
        "verify",
    }
    for figures in (robot, plain):
        assert {
            "total",
            "first_s",
            "cpu_s_per_registration",
            "driver_messages_per_registration",
            "browser_pss_mb",
        } <= set(figures)
        assert figures["total"]["median_s"] > 0
        assert figures["cpu_s_per_registration"] > 0
        assert figures["driver_messages_per_registration"] > 0
        assert figures["browser_pss_mb"] > 20  # a Chromium was really measured
        assert figures["browser_pss_first_mb"] > 20
    # The costs are taken against registrations with everything on, in the same rounds.
    assert report["control"]["total"]["median_s"] > 0
    assert set(report["feature_costs"]) == set(FEATURES)
    assert all(report["feature_off"][f]["total"]["median_s"] > 0 for f in FEATURES)
    assert report["ratio_robot_plain"] is not None and report["ratio_robot_plain"] > 0
    assert report["http_floor"]["total"]["median_s"] > 0
    assert set(report["goals"]) == {
        "ratio_robot_plain_le_0_8",
        "first_le_2_5s",
        "cpu_robot_le_plain",
        "browser_pss_le_300mb",
    }
    text = format_report(report)
    assert "plain Playwright script" in text and "HTTP floor" in text
    assert "cost of each safety feature" in text


def test_percentile_should_interpolate() -> None:
    assert percentile([1.0, 2.0, 3.0, 4.0], 50) == 2.5
    assert percentile([5.0], 95) == 5.0
    assert percentile([], 95) == 0.0
    assert percentile(list(map(float, range(101))), 95) == 95.0


def test_backlog_bench_should_print_plain_swedish_lines_and_a_table(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from qa.cli import app

    env = {
        "RESERVROBOT_DATA_DIR": str(tmp_path / "data"),
        "RESERVROBOT_PSEUDONYM_KEY": "bench-test-key",
        "COLUMNS": "200",
    }
    result = CliRunner().invoke(app, ["backlog-bench", "--items", "2", "--workers", "1"], env=env)

    assert result.exit_code == 0, result.output
    [line] = [x for x in result.output.splitlines() if "arbetsprocess" in x]
    assert "2 klara på" in line
    assert "[" not in line  # no rich markup printed as text ("[green]2 klara[/]")
    assert "Kö-bänk: 2 ärenden" in result.output
