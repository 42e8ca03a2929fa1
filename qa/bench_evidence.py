"""What evidence costs per registration: the design before issue 11 next to today's.

``reservrobot bench`` registers a few people with each design swapped into the warm runner
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
    *, robot_median_s: float, without_s: float, designs: dict[str, float]
) -> dict[str, float]:
    """Milliseconds per registration each design adds to one without any evidence."""
    costs = {"masked_on_failure": round((robot_median_s - without_s) * 1000, 1)}
    costs.update({d: round((median - without_s) * 1000, 1) for d, median in designs.items()})
    return costs
