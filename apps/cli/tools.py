"""The QA tools mounted in the command line: ``bench`` and ``mock``, each loaded lazily.

This is the one module of ``apps`` that reaches up into ``qa`` and across into ``mock_sites``
(declared as the only exceptions in the import-linter contracts): production commands such as
``register`` never load the imitation systems, Faker or the benchmarks.
"""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.table import Table

from apps.backlog.progress import format_counts
from apps.cli.common import build_settings, err, out


def bench(
    count: Annotated[int, typer.Option("--count", "-n", min=1, help="Registrations.")] = 20,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    pmo_layout: Annotated[str, typer.Option(help="PMO layout of the mock (a or b).")] = "a",
    seed: Annotated[int, typer.Option(help="Seed for the generated requests.")] = 1,
) -> None:
    """Measure registration speed against freshly started mock sites."""
    from qa.bench import format_report, run_bench

    report = run_bench(count=count, pmo_layout=pmo_layout, seed=seed)
    if as_json:
        typer.echo(json.dumps(report, ensure_ascii=False, indent=2))
    else:
        typer.echo(format_report(report))


def sweep_bench(*, dates: int, latency_ms: int, as_json: bool) -> None:
    """``reservrobot sweep --bench``: the sweep over ``dates`` birth dates against freshly
    started mock sites with ``latency_ms`` added per answer (qa/sweep_bench.py)."""
    from qa.sweep_bench import format_report, run_sweep_bench

    report = run_sweep_bench(dates=dates, latency_ms=latency_ms)
    if as_json:
        typer.echo(json.dumps(report, ensure_ascii=False, indent=2))
    else:
        typer.echo(format_report(report))


def mount_mock(root: typer.Typer) -> None:
    """Mount ``reservrobot mock ...``; the mock sites are imported only when it runs."""

    @root.command(
        name="mock",
        help="The bundled mock sites (PMO, Reservnummersystemet, Plexus): serve, check.",
        context_settings={"allow_extra_args": True, "ignore_unknown_options": True},
        add_help_option=False,
    )
    def mock(ctx: typer.Context) -> None:
        from mock_sites.cli import app as mock_app

        mock_app(args=list(ctx.args), prog_name="reservrobot mock")


def backlog_bench(
    items: Annotated[int, typer.Option("--items", min=1, help="Antal genererade ärenden.")] = 200,
    workers: Annotated[
        str, typer.Option("--workers", help="Antal arbetsprocesser att jämföra, kommaseparerat.")
    ] = "1,2",
    latency_ms: Annotated[
        int, typer.Option("--latency-ms", min=0, help="Extra svarstid i mock-sajterna.")
    ] = 0,
    seed: Annotated[int, typer.Option("--seed")] = 7,
    as_json: Annotated[bool, typer.Option("--json")] = False,
    store_dsn: Annotated[
        str,
        typer.Option(
            "--store-dsn",
            help="PostgreSQL-server (postgresql://...) där bänken får skapa databaser: varje "
            "antal arbetsprocesser körs då på SQLite och på PostgreSQL.",
        ),
    ] = "",
) -> None:
    """Throughput of a generated backlog against the mock sites with 1, 2, ... workers."""
    from qa.backlog_bench import BenchPass, run_bench

    try:
        counts = [int(w) for w in workers.split(",") if w.strip()]
    except ValueError:
        raise typer.BadParameter("t.ex. --workers 1,2") from None
    if not counts or min(counts) < 1:
        raise typer.BadParameter("t.ex. --workers 1,2")

    def on_pass(p: BenchPass) -> None:
        if not as_json:
            err.print(
                f"{p.store}, {p.workers} arbetsprocess(er): {p.items} klara på {p.seconds:.1f} s = "
                f"{p.per_minute:.1f}/min ({format_counts(p.by_status, markup=False)})"
            )

    result = run_bench(
        build_settings(),
        items=items,
        worker_counts=counts,
        seed=seed,
        latency_ms=latency_ms,
        on_pass=on_pass,
        store_dsn=store_dsn,
    )
    if as_json:
        out.print_json(json.dumps(result.as_dict()))
        return
    table = Table(title=f"Kö-bänk: {items} ärenden")
    for col in ("Kö", "Arbetsprocesser", "Sekunder", "Ärenden/min", "Jämfört med första"):
        table.add_column(col, justify="right")
    for p in result.passes:
        ratio = result.ratio(p.workers, p.store)
        table.add_row(
            p.store,
            str(p.workers),
            f"{p.seconds:.1f}",
            f"{p.per_minute:.1f}",
            f"{ratio:.2f}×" if ratio else "–",
        )
    out.print(table)
