"""What evidence costs per registration: the design before issue 11 next to today's.

``reservrobot-qa bench`` registers a few people with each design swapped into the warm runner
(bench only) and reports the median time against registrations with no evidence at all:

- ``masked_on_failure`` (today's default, ``Settings.evidence_trace = False``): nothing is
  recorded while a registration runs; a failure takes masked screenshots, the redacted HTML
  and the step log. What a successful registration pays is a navigation listener per page.
- ``support_trace`` (``evidence_trace = True``, for a support session): pages blanked, a
  Playwright trace with DOM snapshots but no screencast, redacted when kept.
- ``full_trace_before`` (the design before issue 11): pages blanked, a trace with screencast
  and DOM snapshots for every registration.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from playwright.sync_api import BrowserContext

from flows.runner import Runner
from robot.evidence import EvidenceRecorder

DESIGNS = ("support_trace", "full_trace_before")


class _FullTraceBefore(EvidenceRecorder):
    """Before issue 11: screencast and DOM snapshots recorded for every registration."""

    def _start_tracing(self, context: BrowserContext, item_key: str) -> bool:
        context.tracing.start(screenshots=True, snapshots=True, title=item_key)
        return True


@contextmanager
def evidence_design(runner: Runner, design: str) -> Iterator[None]:
    """Run the block with ``design``'s evidence recorder in ``runner`` (bench only)."""
    current = runner._evidence
    if current is None:
        raise RuntimeError("the runner is not started")
    kind = {"support_trace": EvidenceRecorder, "full_trace_before": _FullTraceBefore}[design]
    runner._evidence = kind(
        runner.settings, masks=current.masks, traces_dir=current.traces_dir, trace=True
    )
    try:
        yield
    finally:
        runner._evidence = current


def evidence_costs(
    *, robot: dict[str, Any], without: dict[str, Any], designs: dict[str, dict[str, Any]]
) -> dict[str, dict[str, float]]:
    """What each design adds per registration to one without any evidence (medians): wall
    time and CPU time in ms, driver messages. ``robot`` is today's default."""

    def delta(figures: dict[str, Any]) -> dict[str, float]:
        return {
            "wall_ms": round((figures["total"]["median_s"] - without["total"]["median_s"]) * 1000),
            "cpu_ms": round(
                (figures["cpu_s_per_registration"] - without["cpu_s_per_registration"]) * 1000
            ),
            "messages": figures["driver_messages_per_registration"]
            - without["driver_messages_per_registration"],
        }

    return {"masked_on_failure": delta(robot), **{d: delta(f) for d, f in designs.items()}}


def format_evidence_costs(costs: dict[str, dict[str, float]]) -> list[str]:
    """Report lines: the designs next to each other."""
    names = {
        "masked_on_failure": "masked screenshot + HTML on failure (default)",
        "support_trace": "support trace (evidence_trace = true)",
        "full_trace_before": "full trace, the design before issue 11",
    }
    lines = ["evidence per registration, against none (median wall ms / CPU ms / driver msgs):"]
    for design, cost in costs.items():
        lines.append(
            f"  {names.get(design, design):<48}{cost['wall_ms']:>+7.0f}{cost['cpu_ms']:>+7.0f}"
            f"{cost['messages']:>+6.0f}"
        )
    return lines
