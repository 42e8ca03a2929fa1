"""``reservrobot check-screens``: know that PMO (or RNS, or Plexus) changed before a backlog fails.

A read-only walk (``flows.screen_check``) over every screen the routine uses. Exit 0 when every
selector key and label text is as the selector files say, 1 on any drift (each one named with
what the screen offers instead), 3 for wrong settings. Suitable for a timer next to the
backlog's (``deploy/``).
"""

from __future__ import annotations

import contextlib
import json
from dataclasses import asdict
from typing import Annotated

import typer

from apps.cli.edge import edge_of, err, out
from apps.exitcodes import ExitCode
from flows.screen_check import run_screen_check
from flows.screen_findings import Finding, ScreenReport
from robot.display import virtual_display
from robot.errors import RobotError
from robot.settings import Settings

_STATUS_SV = {
    "ok": "OK",
    "missing": "SAKNAS",
    "many": "FLERA",
    "changed": "ÄNDRAD",
    "skipped": "HOPPADES ÖVER",
}


def check_screens(
    ctx: typer.Context,
    plexus: Annotated[
        bool | None,
        typer.Option(
            "--plexus/--no-plexus",
            help="Gå också igenom Plexus (standard: när Reservnummersystemet nås via Plexus).",
        ),
    ] = None,
    show_all: Annotated[
        bool, typer.Option("--all", help="Visa varje kontrollerad del, inte bara ändrade.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Skriv resultatet som JSON.")] = False,
    headed: Annotated[
        bool | None,
        typer.Option("--headed/--headless", help="Visa webbläsaren medan roboten arbetar."),
    ] = None,
) -> None:
    """Walk every screen read-only and report selector keys that drifted (nothing is saved)."""
    settings = edge_of(ctx).with_options(headless=None if headed is None else not headed)
    report = screen_report(settings, with_plexus=plexus)
    if as_json:
        typer.echo(json.dumps([asdict(f) for f in report.findings], ensure_ascii=False, indent=2))
    else:
        print_report(report, show_all=show_all)
    raise typer.Exit(ExitCode.OK if report.clean else ExitCode.SOME_FAILED)


def screen_report(settings: Settings, *, with_plexus: bool | None = None) -> ScreenReport:
    """Run the walk (with a virtual display when headed); a start failure exits 1 plainly."""
    display = virtual_display() if not settings.headless else contextlib.nullcontext()
    try:
        with display:
            return run_screen_check(settings, with_plexus=with_plexus)
    except RobotError as exc:
        err.print(f"Skärmkontrollen kunde inte starta: {exc.message}")
        raise typer.Exit(ExitCode.SOME_FAILED) from None


def describe(finding: Finding) -> str:
    """One line for a person: status, the selector key, what was expected, what is there."""
    line = f"{_STATUS_SV[finding.status]:<13} {finding.where:<34} {finding.expected}"
    if finding.offered:
        line += " – skärmen har i stället: " + ", ".join(finding.offered)
    elif finding.status in ("missing", "changed") and not finding.note:
        line += " – inget liknande på skärmen"
    if finding.note:
        line += f" ({finding.note})"
    return line


def print_report(report: ScreenReport, *, show_all: bool = False) -> None:
    shown = report.findings if show_all else report.drifted
    for finding in shown:
        out.print(describe(finding))
    checked = sum(1 for f in report.findings if f.status != "skipped")
    skipped = sum(1 for f in report.findings if f.status == "skipped")
    if report.clean:
        out.print(
            f"Skärmarna stämmer med väljarfilerna ({checked} kontrollerade, "
            f"{skipped} visas bara ibland eller hoppades över)."
        )
    else:
        n = len(report.drifted)
        out.print(
            f"{n} {'avvikelse' if n == 1 else 'avvikelser'} mot väljarfilerna "
            "(config/selectors/): rätta nyckeln i filen innan ärendekön körs."
        )
