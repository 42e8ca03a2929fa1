"""``reservrobot-qa`` (also ``python -m qa``): what people run to demonstrate and measure.

QA has its own entry point, so the production command line (``reservrobot``) never reaches up
into ``qa`` nor across into the mock sites, and a production install needs no Faker (the
``qa`` extra): ``bench``, ``backlog-bench`` and ``mock serve|check``. Errors end as in
``reservrobot`` (``apps.cli.edge.EdgeGroup``): a wrong setting is one Swedish line and exit 3.
"""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.table import Table

from apps.backlog.progress import format_counts
from apps.cli.edge import EdgeGroup, err, out
from mock_sites.cli import app as mock_app
from robot.settings import load_settings

app = typer.Typer(
    name="reservrobot-qa",
    help="Kvalitetsverktyg: hastighetsmätningar mot övningssajterna, och övningssajterna själva.",
    cls=EdgeGroup,
    no_args_is_help=True,
    add_completion=False,  # typer's own English texts; nobody completes commands in a shell
    pretty_exceptions_show_locals=False,
)
app.add_typer(mock_app, name="mock")


@app.command(help="Mät hur snabbt roboten registrerar mot nystartade övningssajter.")
def bench(
    count: Annotated[int, typer.Option("--count", "-n", min=1, help="Antal registreringar.")] = 20,
    as_json: Annotated[bool, typer.Option("--json", help="Skriv som JSON.")] = False,
    pmo_layout: Annotated[str, typer.Option(help="Övnings-PMO:s sidlayout (a eller b).")] = "a",
    seed: Annotated[int, typer.Option(help="Startvärde för de påhittade personerna.")] = 1,
) -> None:
    """Measure registration speed against freshly started mock sites."""
    from qa.bench import format_report, run_bench

    report = run_bench(count=count, pmo_layout=pmo_layout, seed=seed)
    if as_json:
        typer.echo(json.dumps(report, ensure_ascii=False, indent=2))
    else:
        typer.echo(format_report(report))


@app.command(
    "sweep-bench",
    help="Mät hur många födelsedatum per minut genomsökningen hinner mot nystartade "
    "övningssajter med en fördröjning per svar.",
)
def sweep_bench(
    dates: Annotated[int, typer.Option("--dates", min=1, help="Födelsedatum att svepa.")] = 365,
    latency_ms: Annotated[
        int, typer.Option("--latency-ms", min=0, help="Fördröjning per svar (ms).")
    ] = 100,
    as_json: Annotated[bool, typer.Option("--json", help="Skriv som JSON.")] = False,
) -> None:
    """The sweep over ``dates`` birth dates against freshly started mock sites with
    ``latency_ms`` added per answer (qa/sweep_bench.py): dates per minute, never a test."""
    from qa.sweep_bench import format_report, run_sweep_bench

    report = run_sweep_bench(dates=dates, latency_ms=latency_ms)
    if as_json:
        typer.echo(json.dumps(report, ensure_ascii=False, indent=2))
    else:
        typer.echo(format_report(report))


@app.command(
    "backlog-bench",
    help="Mät hur många ärenden i kön som blir klara per minut med 1, 2, ... arbetsprocesser.",
)
def backlog_bench(
    items: Annotated[int, typer.Option("--items", min=1, help="Antal genererade ärenden.")] = 200,
    workers: Annotated[
        str, typer.Option("--workers", help="Antal arbetsprocesser att jämföra, kommaseparerat.")
    ] = "1,2",
    latency_ms: Annotated[
        int, typer.Option("--latency-ms", min=0, help="Extra svarstid i övningssajterna (ms).")
    ] = 0,
    seed: Annotated[
        int, typer.Option("--seed", help="Startvärde för de påhittade personerna.")
    ] = 7,
    as_json: Annotated[bool, typer.Option("--json", help="Skriv som JSON.")] = False,
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
        load_settings(),
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
