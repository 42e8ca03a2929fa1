"""The sweep's figures as Prometheus text: counts only, never a name, a number or a date.

Each sweep stores its counts in ``<data_dir>/sweep/state.json`` (no identity in it), so
``reservrobot sweep metrics`` (or ``sweep --metrics-out FILE`` for node_exporter's textfile
collector, the way ``backlog metrics`` is exposed) can print them between runs, and the time of
the last sweep that covered every date survives a sweep that did not. Alert rules are in
docs/operations.md.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from apps.sweep.report import sweep_dir
from flows.rules.sweep import FindingKind
from flows.sweep import SweepResult
from robot.files import write_private
from robot.settings import Settings

STATE_FILE = "state.json"


def state_path(settings: Settings) -> Path:
    return sweep_dir(settings) / STATE_FILE


def load_state(settings: Settings) -> dict[str, Any]:
    try:
        data = json.loads(state_path(settings).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def save_state(settings: Settings, result: SweepResult) -> dict[str, Any]:
    """Record this sweep's counts; a complete sweep also becomes the last success."""
    before = load_state(settings)
    complete = not result.not_covered
    state = {
        "last_run_timestamp": result.finished or time.time(),
        "last_success_timestamp": (
            result.finished if complete else before.get("last_success_timestamp", 0.0)
        ),
        "dates_total": len(result.dates),
        "dates_not_covered": len(result.not_covered),
        "duration_seconds": round(max(0.0, result.finished - result.started), 3),
        "findings": {kind.value: result.count(kind) for kind in FindingKind},
    }
    write_private(state_path(settings), json.dumps(state, indent=2))
    return state


def render_metrics(state: dict[str, Any]) -> str:
    """The metrics of the last sweep (zeros before the first)."""
    findings = state.get("findings", {})
    lines: list[str] = []

    def family(name: str, text: str, kind: str = "gauge") -> None:
        lines.extend((f"# HELP reservrobot_{name} {text}", f"# TYPE reservrobot_{name} {kind}"))

    family("sweep_anomalies", "Anomalies the last sweep found, by kind (0 is the goal).")
    for kind in FindingKind:
        if kind.counted:
            lines.append(
                f'reservrobot_sweep_anomalies{{kind="{kind.value}"}} {findings.get(kind.value, 0)}'
            )
    family("sweep_checks", "Pairs the last sweep's matcher was unsure of (kontrollera).")
    lines.append(f"reservrobot_sweep_checks {findings.get(FindingKind.CHECK.value, 0)}")
    family("sweep_dates_total", "Birth dates the last sweep was asked to read.")
    lines.append(f"reservrobot_sweep_dates_total {state.get('dates_total', 0)}")
    family("sweep_dates_not_covered", "Birth dates the last sweep could not read.")
    lines.append(f"reservrobot_sweep_dates_not_covered {state.get('dates_not_covered', 0)}")
    family("sweep_duration_seconds", "How long the last sweep took.")
    lines.append(f"reservrobot_sweep_duration_seconds {state.get('duration_seconds', 0)}")
    family(
        "sweep_last_success_timestamp_seconds",
        "When the last sweep that covered every date finished (Unix time; 0: never).",
    )
    lines.append(
        f"reservrobot_sweep_last_success_timestamp_seconds {state.get('last_success_timestamp', 0)}"
    )
    return "\n".join(lines) + "\n"
