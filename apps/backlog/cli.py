"""``reservrobot backlog ...``: import, run, status, show, retry, purge, report, template,
workers, pause, drain, resume, metrics.

Exit codes (for schedulers) are in ``apps.exitcodes``: 0 all done, 1 some failed,
2 some need a person, 3 invalid input, 4 the queue's store is unreadable or damaged,
75 another run holds the queue.

Long (about 500 lines) because it is the backlog's command table: each command is short, and the
machine commands already live in cli_machines.py.
"""

from __future__ import annotations

import contextlib
import json
import re
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from apps.backlog.cli_machines import MachineOption, mount_machine_commands
from apps.backlog.progress import RichProgress, failure_causes, summary_lines
from apps.backlog.report import reason_text
from apps.backlog.run import RunOptions, RunSummary, StopRequest, graceful_signals
from apps.backlog.store import (
    MODE_SV,
    ItemStatus,
    MachineMode,
    RetryPlan,
    StoreError,
    default_machine,
    open_store,
    utcnow,
)
from apps.cli.edge import edge_of, err, out, refuse_unsafe_setup
from apps.exitcodes import ExitCode
from robot.settings import Settings

backlog_app = typer.Typer(no_args_is_help=True, pretty_exceptions_show_locals=False)


def parse_interval(text: str) -> float:
    """ "90", "90s", "10m", "1h" -> seconds."""
    match = re.fullmatch(r"\s*([0-9]+(?:\.[0-9]+)?)\s*([smh]?)\s*", text)
    if not match:
        raise typer.BadParameter(
            f"'{text}' – ange t.ex. 90, 90s, 10m eller 1h", param_hint="--watch"
        )
    value = float(match.group(1)) * {"": 1, "s": 1, "m": 60, "h": 3600}[match.group(2)]
    if value <= 0:
        raise typer.BadParameter("intervallet måste vara större än 0", param_hint="--watch")
    return value


# -- import ----------------------------------------------------------------------------------


@backlog_app.command(
    "import", help="Läs in en fil med en rad per person och lägg de korrekta raderna i kön."
)
def import_(
    ctx: typer.Context,
    file: Annotated[
        Path,
        typer.Argument(metavar="FIL", help="CSV- eller Excel-fil (.xlsx) med en rad per person."),
    ],
    as_json: Annotated[bool, typer.Option("--json", help="Skriv resultatet som JSON.")] = False,
) -> None:
    """Validate every row of FILE and add the valid ones to the queue (invalid: rejected)."""
    from apps.backlog.importer import Importer
    from apps.backlog.reader import UnreadableFile

    edge = edge_of(ctx)
    settings = edge.settings
    edge.use_logging("batch")
    with open_store(settings) as store:
        try:
            report = Importer(settings, store, actor=edge.actor("import")).import_file(file)
        except UnreadableFile as exc:
            err.print(Text.assemble(("Filen kunde inte importeras:", "red"), " ", exc.message))
            raise typer.Exit(ExitCode.INVALID_INPUT) from None
    if as_json:
        out.print_json(json.dumps(report.as_dict(), ensure_ascii=False))
    else:
        for warning in report.warnings:
            err.print(Text.assemble(("Varning:", "yellow"), " ", warning))
        if report.errors:
            table = Table(title="Ogiltiga rader (sparade som ogiltiga, körs inte)")
            # A FHIR file's rows are its entries, its columns FHIR paths (Patient.birthDate).
            fhir = report.kind == "fhir"
            for col in ("Post", "Fält (FHIR)", "Orsak") if fhir else ("Rad", "Kolumn", "Orsak"):
                table.add_column(col)
            for e in report.errors:
                table.add_row(str(e.row), e.column, e.message_sv)
            out.print(table)
        enc = f", teckenkodning {report.encoding}" if report.encoding else ""
        replaced = f", {report.replaced} ersatte väntande ärenden" if report.replaced else ""
        empty = f", {len(report.empty_rows)} tomma rader hoppades över" if report.empty_rows else ""
        out.print(
            Text.assemble(
                f"{report.file} ({report.kind}{enc}): ",
                (f"{report.added} tillagda", "green"),
                f"{replaced}, {report.duplicates} fanns redan i ärendekön, ",
                (f"{report.rejected} ogiltiga", "red"),
                f"{empty}.",
            )
        )
    raise typer.Exit(ExitCode.NEEDS_PERSON if report.rejected else ExitCode.OK)


# -- run -------------------------------------------------------------------------------------


def _print_summary(summary: RunSummary, settings: Settings | None = None) -> None:
    if summary.run_id is None and summary.machine_mode is not MachineMode.RUN:
        out.print(
            f"Maskinen är {MODE_SV[summary.machine_mode].lower()}: inga ärenden tas. "
            "Återuppta med: reservrobot backlog resume"
        )
        return
    if summary.run_id is None:
        out.print("Inget att göra: inga väntande ärenden.")
        return
    causes: dict[str, int] = {}
    waiting: int | None = None
    if settings is not None and summary.store_lost is None:
        with contextlib.suppress(StoreError), open_store(settings) as store:
            causes = dict(failure_causes(store, summary.run_id))
            waiting = store.counts().get(ItemStatus.NEEDS_PERSON, 0)
    for line in summary_lines(summary, causes=causes, waiting=waiting):
        out.print(line)


@backlog_app.command(
    help="Registrera personerna i kön, en webbläsare per arbetsprocess; Ctrl+C stoppar "
    "säkert.\n\n"
    "Slutkod: 0 alla klara, 1 några misslyckades, 2 några behöver en person, 4 databasen gick "
    "inte att nå (vid start, eller för länge under körningen), 75 en annan körning håller "
    "kön. Med --dry-run: samma slutkod som en riktig körning; inget ändras."
)
def run(
    ctx: typer.Context,
    workers: Annotated[
        int,
        typer.Option(
            "--workers", "-w", min=1, max=16, help="Antal arbetsprocesser (en webbläsare var)."
        ),
    ] = 1,
    limit: Annotated[
        int | None, typer.Option("--limit", min=1, help="Högst så många ärenden i körningen.")
    ] = None,
    watch: Annotated[
        str | None,
        typer.Option(
            "--watch", help="Kör om och om igen med detta intervall (t.ex. 10m) tills Ctrl+C."
        ),
    ] = None,
    max_attempts: Annotated[
        int | None,
        typer.Option(
            "--max-attempts",
            min=1,
            help="Försök per ärende vid tekniska fel (standard: inställningen max_attempts).",
        ),
    ] = None,
    retry_delay: Annotated[
        float,
        typer.Option("--retry-delay", min=0, help="Sekunder före första nya försöket; fördubblas."),
    ] = 30.0,
    wait_for_retries: Annotated[
        float,
        typer.Option(
            "--wait-for-retries",
            min=0,
            help="Vänta kvar på nya försök som infaller inom så många sekunder.",
        ),
    ] = 120.0,
    headed: Annotated[bool, typer.Option("--headed", help="Visa webbläsarna.")] = False,
    slot: Annotated[
        str,
        typer.Option(
            "--slot",
            help="Körlåsets namn: körningar med olika namn får överlappa (t.ex. en per "
            "maskin); samma ärende tas ändå aldrig av två.",
        ),
    ] = "run",
    machine: MachineOption = None,
    stale_after: Annotated[
        float,
        typer.Option(
            "--stale-after",
            min=1,
            help="Sekunder utan livstecken innan en annan maskin tar över ett ärende.",
        ),
    ] = 900.0,
    heartbeat: Annotated[
        float, typer.Option("--heartbeat", min=0.1, help="Sekunder mellan livstecknen.")
    ] = 10.0,
    dry_run: Annotated[
        bool,
        typer.Option(
            "--dry-run",
            help="Provkörning: sök och bedöm varje väntande ärende och visa vad roboten skulle "
            "göra; inget skapas, inget sparas och ärendena behåller sin status.",
        ),
    ] = False,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out", metavar="mapp", help="Med --dry-run: skriv provkorning.csv i den här mappen."
        ),
    ] = None,
) -> None:
    """Work through the queue: N worker processes, one browser each; Ctrl+C stops cleanly.

    Exit codes: 0 all done, 1 some failed, 2 some need a person, 4 the store was out of reach
    (at the start, or longer than store_outage_wait_s during the run), 75 another run holds the
    queue. With --dry-run: the codes the real run would end with; nothing is changed.
    """
    from apps.backlog.run import run_backlog, watch_backlog

    edge = edge_of(ctx)
    settings = edge.with_options(headless=False if headed else None)
    refuse_unsafe_setup(settings)
    edge.use_logging("batch")
    if dry_run:
        if watch is not None:
            raise typer.BadParameter("en provkörning körs en gång", param_hint="--watch")
        raise typer.Exit(int(_dry_run(settings, limit=limit, out=out)))
    if not re.fullmatch(r"[A-Za-z0-9_-]{1,40}", slot):
        raise typer.BadParameter(
            f"'{slot}' – ange högst 40 bokstäver (a–z), siffror, - och _", param_hint="--slot"
        )
    options = RunOptions(
        workers=workers,
        limit=limit,
        wait_for_retries_s=wait_for_retries,
        slot=slot,
        machine=machine or default_machine(),
        stale_after_s=stale_after,
        beat_s=min(heartbeat, stale_after / 3),
        retry=RetryPlan(
            max_attempts=max_attempts or settings.max_attempts,
            base_s=retry_delay,
            max_s=max(retry_delay * 16, retry_delay),
        ),
    )

    def on_signal(count: int) -> None:
        if count == 1:
            err.print(
                "Stoppar efter pågående ärenden … (Ctrl+C igen avbryter direkt)", style="yellow"
            )

    stop = StopRequest()
    with graceful_signals(stop, on_signal):  # a held run lock: exit 75 (apps.cli.edge)
        if watch is not None:
            code = watch_backlog(
                settings,
                options,
                interval_s=parse_interval(watch),
                progress_factory=lambda: RichProgress(err),
                on_summary=lambda summary: _print_summary(summary, settings),
                stop=stop,
            )
        else:
            summary = run_backlog(settings, options, progress=RichProgress(err), stop=stop)
            _print_summary(summary, settings)
            code = summary.exit_code
    raise typer.Exit(int(code))


def _dry_run(settings: Settings, *, limit: int | None, out: Path | None) -> ExitCode:
    """``run --dry-run``: predict every waiting item, print the predictions (and write them)."""
    from apps.backlog.dry_run import (
        Prediction,
        dry_run_backlog,
        dry_run_exit_code,
        write_dry_run_report,
    )
    from flows.rules.vocabulary import DRY_RUN_SV

    def show(p: Prediction) -> None:
        line = f"{p.item_id:>5}  {p.planned_sv}"
        values = p.outcome.planned_values
        if values.get("kommun"):
            line += f" (Kommun {values['kommun']}, Län {values.get('lan', '')})"
        if p.outcome.patient_id:
            line += f": {p.outcome.patient_id}"
        typer.echo(line)
        if p.outcome.reason_sv:
            typer.echo(f"       {p.outcome.reason_sv}")
        if p.outcome.pmo_record is not None and p.outcome.pmo_record.match_reason_sv:
            # No names on a terminal (it may be a scheduler's log): the basis only.
            typer.echo(f"       Därför samma person: {p.outcome.pmo_record.match_reason_sv}")
        for difference in p.outcome.code_differences:
            typer.echo(f"       - {difference}")
        if p.after_item:
            typer.echo(
                f"       Samma födelsedatum som ärende {p.after_item}, som skulle registreras: "
                "den riktiga körningen kan bedöma det här ärendet annorlunda."
            )

    typer.echo(f"{DRY_RUN_SV}. Ärendena behåller sin status.")
    predictions = dry_run_backlog(settings, limit=limit, on_item=show)
    if not predictions:
        typer.echo("Inget att göra: inga väntande ärenden.")
    if out is not None:
        path = write_dry_run_report(predictions, out)
        typer.echo(f"Provkörningens resultat (personuppgifter, privat fil): {path}")
    return dry_run_exit_code(predictions)


# -- status, show, retry ---------------------------------------------------------------------


@backlog_app.command(
    help="Visa hur många ärenden som väntar, är klara eller behöver en person, det äldsta "
    "väntande ärendet och den senaste körningen."
)
def status(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="Skriv som JSON.")] = False,
) -> None:
    """Counts by status, the oldest pending item and the last run."""
    settings = edge_of(ctx).settings
    with open_store(settings) as store:
        counts = store.counts()
        oldest = store.oldest_pending()
        due = store.next_due()
        last = store.last_run()
    now = utcnow()
    data: dict[str, Any] = {
        "counts": {str(s): n for s, n in counts.items()},
        "oldest_pending": None
        if oldest is None
        else {
            "id": oldest.id,
            "created_at": oldest.created_at.isoformat(),
            "age_s": round((now - oldest.created_at).total_seconds()),
        },
        "next_due": due.isoformat() if due else None,
        "last_run": None
        if last is None
        else {
            "id": last.id,
            "started_at": last.started_at.isoformat(),
            "finished_at": last.finished_at.isoformat() if last.finished_at else None,
            "exit_code": last.exit_code,
            "summary": last.summary,
        },
    }
    if as_json:
        out.print_json(json.dumps(data, ensure_ascii=False))
        return
    table = Table(title="Kön")
    table.add_column("Status")
    table.add_column("Antal", justify="right")
    for s, n in counts.items():
        table.add_row(s.label_sv, str(n))
    out.print(table)
    if oldest is not None:
        age = timedelta(seconds=round((now - oldest.created_at).total_seconds()))
        out.print(f"Äldsta väntande: nr {oldest.id}, köat för {age} sedan.")
    if due is not None and due > now:
        out.print(f"Nästa nya försök: {due.astimezone():%Y-%m-%d %H:%M:%S}.")
    if last is not None:
        code = last.exit_code
        when = last.started_at.astimezone().strftime("%Y-%m-%d %H:%M")
        shown = code if code is not None else "– (pågår eller avbröts)"
        out.print(f"Senaste körning: nr {last.id}, {when}, slutkod {shown}.")


@backlog_app.command(help="Visa ett ärendes läge, resultat och historik (inga namn visas).")
def show(
    ctx: typer.Context,
    item_id: Annotated[int, typer.Argument(metavar="ÄRENDE", help="Ärendets nummer.")],
) -> None:
    """One item's status, outcome and history (no names are printed)."""
    with open_store(edge_of(ctx).settings) as store:
        item = store.get(item_id)
        if item is None:
            err.print(f"Ärende {item_id} finns inte.")
            raise typer.Exit(ExitCode.INVALID_INPUT)
        history = store.history(item_id)
    out.print(
        f"Ärende {item.id} · {item.status.label_sv} · försök {item.attempts} · "
        f"källa {item.source or '–'}"
    )
    if item.patient_id:
        out.print(f"Patient-ID: {item.patient_id}")
    if item.reason_sv:
        out.print(f"Orsak: {item.reason_sv}")
    if item.outcome is not None and item.outcome.reservnummer and not item.patient_id:
        out.print(f"Reservnummer som redan finns (skapa inget nytt): {item.outcome.reservnummer}")
    table = Table(title="Historik")
    for col in ("När", "Från", "Till", "Vem", "Körning", "Orsak"):
        table.add_column(col, overflow="fold")
    for h in history:
        table.add_row(
            h.at.astimezone().strftime("%Y-%m-%d %H:%M:%S"),
            h.from_status.label_sv if h.from_status else "",
            h.to_status.label_sv,
            h.actor,
            str(h.run_id or ""),
            history_reason_sv(h.reason),
        )
    # Whole lines in a file or a pipe (Rich cuts at 80 columns there).
    shown = out if out.is_terminal else Console(highlight=False, markup=False, width=200)
    shown.print(table)


# The queue's own reasons for a status change, beside the routine's (report.reason_text).
QUEUE_REASONS_SV = {
    "corrected_row": "Raden rättades och importerades igen.",
    "replaced_row": "Ersattes av en ny rad med samma referens.",
    "retry": "Lades tillbaka i kön för ett nytt försök.",
    "worker_dead": "Arbetsprocessen som hade ärendet finns inte längre: ärendet återupptas.",
    "heartbeat_stale": "Arbetsprocessen som hade ärendet slutade svara: ärendet återupptas.",
    "worker_stopped": "Arbetsprocessen stoppades innan ärendet var klart: det körs igen.",
}


def history_reason_sv(code: str | None) -> str:
    """A history row's reason in Swedish (never a bare code)."""
    if not code:
        return ""
    return QUEUE_REASONS_SV.get(code) or reason_text(code, None)


@backlog_app.command(
    help="Lägg misslyckade ärenden i kön igen (alla misslyckade, eller de nummer du anger)."
)
def retry(
    ctx: typer.Context,
    item_ids: Annotated[
        list[int] | None,
        typer.Argument(metavar="ÄRENDE", help="Ärendenummer; utan nummer: alla misslyckade."),
    ] = None,
) -> None:
    """Put failed items back in the queue (all failed items, or the numbers given)."""
    from robot.audit import AuditLog

    edge = edge_of(ctx)
    settings = edge.settings
    actor = edge.actor("person")
    with open_store(settings) as store:
        ids = store.retry_failed(actor=actor, item_ids=item_ids or None)
        refs = [item.ref for i in ids if (item := store.get(i)) is not None]
    with AuditLog(settings) as audit:
        for ref in refs:
            audit.append(actor=actor, ref=ref, system="queue", step="retry", result="requeued")
    out.print(f"{len(ids)} misslyckade ärenden lades tillbaka i kön.")


@backlog_app.command(
    help="Ta bort avslutade ärenden (klara, stängda, avvisade, misslyckade) som är äldre än "
    "ett antal dagar, med namnen."
)
def purge(
    ctx: typer.Context,
    older_than: Annotated[
        int, typer.Option("--older-than", min=1, help="Dagar sedan ärendet blev klart.")
    ] = 90,
    include_needs_person: Annotated[
        bool,
        typer.Option("--include-needs-person", help="Rensa även ärenden som väntar på en person."),
    ] = False,
) -> None:
    """Delete finished items (done, closed, rejected, failed) older than N days (hold names)."""
    statuses = [ItemStatus.DONE, ItemStatus.CLOSED, ItemStatus.REJECTED, ItemStatus.FAILED]
    if include_needs_person:
        statuses.append(ItemStatus.NEEDS_PERSON)
    with open_store(edge_of(ctx).settings) as store:
        n = store.purge(before=utcnow() - timedelta(days=older_than), statuses=statuses)
    out.print(f"{n} avslutade ärenden äldre än {older_than} dagar togs bort ur kön.")


# -- report, template -------------------------------------------------------------------------


@backlog_app.command(
    help="Skriv en rapport över körningarna (rapport.html) och resultatfiler (CSV, Excel) i "
    "en mapp; med --fhir också en FHIR Bundle per körning."
)
def report(
    ctx: typer.Context,
    out_dir: Annotated[
        Path | None,
        typer.Option("--out", metavar="mapp", help="Mapp för rapport.html och resultatfilerna."),
    ] = None,
    fhir_dir: Annotated[
        Path | None,
        typer.Option(
            "--fhir", metavar="mapp", help="Mapp för en FHIR Bundle per körning (korning-N.json)."
        ),
    ] = None,
    run_id: Annotated[int | None, typer.Option("--run", help="Bara denna körning.")] = None,
    runs: Annotated[int, typer.Option("--runs", min=1, help="Så många senaste körningar.")] = 10,
) -> None:
    """Write an HTML run report and result files (CSV, XLSX) into a folder; with --fhir also
    one FHIR Bundle per run."""
    from apps.backlog.report import NoSuchRun, build_report, selected_runs

    if out_dir is None and fhir_dir is None:
        err.print("Ange --out MAPP (rapport och resultatfiler) och/eller --fhir MAPP.")
        raise typer.Exit(ExitCode.INVALID_INPUT)
    settings = edge_of(ctx).settings
    with open_store(settings) as store:
        try:
            if out_dir is not None:
                files = build_report(store, out_dir, runs=runs, run_id=run_id)
                out.print(f"Rapport: {files.html}\nResultat: {files.csv}, {files.xlsx}")
            if fhir_dir is not None:
                from apps.backlog.report_fhir import write_fhir_bundles
                from flows.config import RoutineConfig

                profile = RoutineConfig.load(settings).profile
                chosen = selected_runs(store, runs=runs, run_id=run_id)
                paths = write_fhir_bundles(store, fhir_dir, chosen, profile)
                out.print(f"FHIR: {len(paths)} körningar i {fhir_dir}")
        except NoSuchRun as exc:
            err.print(str(exc))
            raise typer.Exit(ExitCode.INVALID_INPUT) from None


@backlog_app.command(help="Skriv en tom mall för kön (med två påhittade exempelrader) till FIL.")
def template(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(metavar="FIL", help="Ny mallfil, .csv eller .xlsx.")],
) -> None:
    """Write an empty backlog template (with two invented example rows) to FILE."""
    from apps.backlog.templates import write_csv_template, write_xlsx_template

    if file.suffix.lower() == ".xlsx":
        write_xlsx_template(file)
    elif file.suffix.lower() == ".csv":
        write_csv_template(file)
    else:
        err.print("Ange en fil som slutar på .csv eller .xlsx.")
        raise typer.Exit(ExitCode.INVALID_INPUT)
    out.print(f"Mall skriven: {file}")


mount_machine_commands(backlog_app)
