"""``reservrobot sweep``: the read-only sweep of PMO and Reservnummersystemet by birth date.

```
reservrobot sweep --since 30d            # every date the robot touched in 30 days
reservrobot sweep --from 2024-01-01 --to 2024-12-31 --json
reservrobot sweep --file datum.txt --metrics-out /var/lib/node_exporter/reservrobot_sweep.prom
reservrobot sweep metrics                # the last sweep's figures, Prometheus text
reservrobot-qa sweep-bench              # 365 dates against the mock sites, 100 ms latency
```

Exit status (``apps/exitcodes.py``): 0 nothing found, 1 a duplicate, an orphan or a mismatch
(pairs to "kontrollera" alone do not count), 5 some dates could not be read (named on stderr,
in the report and in ``--json``), 3 wrong options or dates, 4 the store cannot be read.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer

from apps.backlog.metrics import write_metrics_file
from apps.cli.edge import edge_of, err, out, refuse_unsafe_setup
from apps.exitcodes import ExitCode
from apps.sweep.dates import (
    DatesInvalid,
    date_range,
    dates_from_file,
    parse_period,
    touched_since,
    unique_sorted,
)
from apps.sweep.metrics import load_state, render_metrics, save_state
from apps.sweep.report import protected_numbers, purge_expired, write_report
from flows.rules.region import load_region_profile
from flows.rules.request import RequestInvalid, parse_birth_date
from flows.rules.sweep import Finding
from flows.runner import Runner
from flows.sweep import DateResult, SweepResult, sweep
from robot.db import StoreError
from robot.errors import ConfigError, RobotError
from robot.settings import Settings

sweep_app = typer.Typer(no_args_is_help=False)


def _date_option(value: str | None, name: str) -> date | None:
    if value is None:
        return None
    try:
        return parse_birth_date(value)
    except RequestInvalid:
        raise DatesInvalid(f"{name} ska vara ett datum ÅÅÅÅ-MM-DD, inte {value!r}.") from None


def choose_dates(
    settings: Settings,
    *,
    since: str | None,
    first: str | None,
    last: str | None,
    file: Path | None,
) -> tuple[list[date], str]:
    """The dates asked for, sorted, each once, and the period in words for the report."""
    if since is None and first is None and last is None and file is None:
        raise DatesInvalid("Ange vilka datum: --since 30d, --from/--to eller --file.")
    groups: list[list[date]] = []
    words = []
    if since is not None:
        profile = load_region_profile(settings.config_dir, settings.region)
        groups.append(touched_since(settings, parse_period(since), profile=profile))
        words.append(f"datum som roboten arbetat med senaste {since}")
    start, end = _date_option(first, "--from"), _date_option(last, "--to")
    if start is not None or end is not None:
        if start is None or end is None:
            raise DatesInvalid("Ange både --from och --to.")
        groups.append(date_range(start, end))
        words.append(f"{start} till {end}")
    if file is not None:
        groups.append(dates_from_file(file))
        words.append(f"datum i {file.name}")
    return unique_sorted(*groups), "Födelsedatum: " + ", ".join(words)


def finding_json(finding: Finding) -> dict[str, Any]:
    """A finding for machines: kind, birth date, the numbers and where each is (no names)."""
    return {
        "kind": finding.kind.value,
        "counted": finding.kind.counted,
        "birth_date": finding.birth_date.isoformat(),
        "numbers": list(finding.numbers),
        "records": [{"system": r.system, "id": r.id_value} for r in finding.records],
        "reason": finding.reason,
    }


def result_json(result: SweepResult, *, report: list[str]) -> dict[str, Any]:
    minutes = max(result.finished - result.started, 1e-9) / 60
    return {
        "dates": len(result.dates),
        "covered": sum(1 for d in result.dates if d.covered),
        "not_covered": [
            {"birth_date": d.birth_date.isoformat(), "reason": d.reason_code}
            for d in result.not_covered
        ],
        "anomalies": len(result.anomalies),
        "findings": [finding_json(f) for f in result.findings],
        "looked_again": [
            d.birth_date.isoformat() for d in result.dates if d.lease.value == "looked_again"
        ],
        "dates_per_minute": round(len(result.dates) / minutes, 1),
        "report": report,
    }


def exit_code(result: SweepResult) -> ExitCode:
    if result.not_covered:
        return ExitCode.SWEEP_INCOMPLETE
    return ExitCode.ANOMALIES_FOUND if result.anomalies else ExitCode.OK


@sweep_app.callback(invoke_without_command=True)
def sweep_command(
    ctx: typer.Context,
    since: Annotated[
        str | None, typer.Option("--since", help="Datum roboten arbetat med, t.ex. 30d.")
    ] = None,
    first: Annotated[str | None, typer.Option("--from", help="Första datum ÅÅÅÅ-MM-DD.")] = None,
    last: Annotated[str | None, typer.Option("--to", help="Sista datum ÅÅÅÅ-MM-DD.")] = None,
    file: Annotated[
        Path | None, typer.Option("--file", metavar="fil", help="Fil med ett datum per rad.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Skriv resultatet som JSON.")] = False,
    metrics_out: Annotated[
        Path | None,
        typer.Option("--metrics-out", metavar="fil", help="Skriv mätvärden till filen."),
    ] = None,
) -> None:
    """Read-only sweep of PMO and Reservnummersystemet: duplicates, numbers without a patient,
    mismatches. Only searches are made."""
    if ctx.invoked_subcommand is not None:
        return
    edge = edge_of(ctx)
    settings = edge.settings
    refuse_unsafe_setup(settings)
    edge.use_logging("machines" if as_json else "batch")
    try:
        dates, period = choose_dates(settings, since=since, first=first, last=last, file=file)
        purge_expired(settings)
        protected = protected_numbers(settings)
    except DatesInvalid as exc:
        err.print(exc.message)
        raise typer.Exit(ExitCode.INVALID_INPUT) from None
    except ConfigError as exc:
        err.print(f"Inställningarna är felaktiga: {exc.message}")
        raise typer.Exit(ExitCode.INVALID_INPUT) from None
    except StoreError as exc:
        err.print(exc.message)
        raise typer.Exit(ExitCode.STORE_BROKEN) from None

    started = time.monotonic()

    def on_date(item: DateResult, done: int, total: int) -> None:
        if as_json or (done % 25 and done != total):
            return
        minutes = max(time.monotonic() - started, 1e-9) / 60
        err.print(f"… {done} av {total} datum ({done / minutes:.0f} datum per minut)")

    result = SweepResult()
    try:
        if not dates:  # nothing touched in the period: no browser, nothing to read
            result.finished = time.time()
        else:
            result = _run(settings, dates, on_date)
    except RobotError as exc:
        # Nothing could be read (a refused login, a store out of reach): every date uncovered.
        result.dates = [
            DateResult(d, covered=False, reason_code=exc.code, reason_sv=exc.message) for d in dates
        ]
        result.finished = time.time()
    state = save_state(settings, result)
    if metrics_out is not None:
        write_metrics_file(metrics_out, render_metrics(state))
    paths = [str(p) for p in write_report(result, settings, period=period, protected=protected)]
    if as_json:
        out.print_json(json.dumps(result_json(result, report=paths)))
    else:
        _print_summary(result, paths)
    raise typer.Exit(exit_code(result))


def _run(
    settings: Settings, dates: list[date], on_date: Callable[[DateResult, int, int], None]
) -> SweepResult:
    with Runner(settings, role="svepet") as runner:
        return sweep(
            dates,
            runner=runner,
            grace_s=settings.sweep_grace_s,
            first_wait_s=settings.sweep_lease_first_wait_s,
            on_date=on_date,
        )


@sweep_app.command(
    "metrics", help="Den senaste genomsökningens antal som mätvärden för driftövervakningen."
)
def metrics_command(
    ctx: typer.Context,
    out_file: Annotated[
        Path | None,
        typer.Option(
            "--out", metavar="fil", help="Skriv till filen (som driftövervakningen läser)."
        ),
    ] = None,
) -> None:
    """The last sweep's figures as Prometheus text (counts only)."""
    settings = edge_of(ctx).settings
    text = render_metrics(load_state(settings))
    if out_file is None:
        typer.echo(text, nl=False)
    else:
        write_metrics_file(out_file, text)


def _print_summary(result: SweepResult, paths: list[str]) -> None:
    covered = sum(1 for d in result.dates if d.covered)
    minutes = max(result.finished - result.started, 1e-9) / 60
    out.print(
        f"{covered} av {len(result.dates)} födelsedatum kontrollerade "
        f"({len(result.dates) / minutes:.0f} datum per minut)."
    )
    counts: dict[str, int] = {}
    for finding in result.findings:
        counts[finding.kind.label_sv] = counts.get(finding.kind.label_sv, 0) + 1
    if not counts:
        out.print("Inga avvikelser hittades.")
    for label, n in counts.items():
        out.print(f"  {label}: {n}")
    looked = [d for d in result.dates if d.lease.value == "looked_again"]
    if looked:
        out.print(f"{len(looked)} datum hade en pågående registrering och lästes igen senare.")
    if result.not_covered:
        err.print("Dessa datum kunde inte kontrolleras; kör svepet igen för dem:")
        for d in result.not_covered:
            err.print(f"  {d.birth_date}: {d.reason_sv}")
    out.print("Rapport (innehåller namn och nummer, bara för dataansvariga):")
    for path in paths:
        out.print(f"  {path}")
