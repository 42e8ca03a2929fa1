"""``reservrobot backlog ...`` and ``reservrobot audit ...``.

Exit codes (for schedulers) are in ``robot.backlog.exitcodes``: 0 all done, 1 some failed,
2 some need a person, 3 invalid input, 75 another run holds the queue.
"""

from __future__ import annotations

import getpass
import json
import re
import sys
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from robot.backlog.exitcodes import ExitCode
from robot.backlog.lock import RunLockHeld
from robot.backlog.policy import RetryPlan
from robot.backlog.progress import RichProgress, format_counts
from robot.backlog.run import RunOptions, RunSummary, StopRequest, graceful_signals
from robot.backlog.store import ItemStatus, open_store, utcnow
from robot.settings import Settings

backlog_app = typer.Typer(no_args_is_help=True, pretty_exceptions_show_locals=False)
audit_app = typer.Typer(no_args_is_help=True, pretty_exceptions_show_locals=False)

out = Console()
err = Console(stderr=True)


def _settings() -> Settings:
    return Settings()


def _user() -> str:
    try:
        return getpass.getuser()
    except Exception:
        return "okänd"


def _configure_logging(settings: Settings) -> None:
    from robot.logs import configure_logging

    # Plain lines on a terminal (next to the progress bar), JSON lines under a scheduler.
    configure_logging(settings, json=not sys.stderr.isatty())


def parse_interval(text: str) -> float:
    """"90", "90s", "10m", "1h" -> seconds."""
    match = re.fullmatch(r"\s*([0-9]+(?:\.[0-9]+)?)\s*([smh]?)\s*", text)
    if not match:
        raise typer.BadParameter("ange t.ex. 90, 90s, 10m eller 1h")
    value = float(match.group(1)) * {"": 1, "s": 1, "m": 60, "h": 3600}[match.group(2)]
    if value <= 0:
        raise typer.BadParameter("intervallet måste vara större än 0")
    return value


# -- import ----------------------------------------------------------------------------------

@backlog_app.command("import")
def import_(
    file: Annotated[Path, typer.Argument(
        help="CSV- eller Excel-fil (.xlsx) med en rad per person.")],
    as_json: Annotated[bool, typer.Option("--json", help="Skriv resultatet som JSON.")] = False,
) -> None:
    """Validate every row of FILE and add the valid ones to the queue (invalid: rejected)."""
    from robot.backlog.importer import Importer
    from robot.backlog.reader import UnreadableFile

    settings = _settings()
    _configure_logging(settings)
    with open_store(settings) as store:
        try:
            report = Importer(settings, store, actor=f"import:{_user()}").import_file(file)
        except UnreadableFile as exc:
            err.print(f"[red]Filen kunde inte importeras:[/] {exc.message}")
            raise typer.Exit(ExitCode.INVALID_INPUT) from None
    if as_json:
        out.print_json(json.dumps(report.as_dict(), ensure_ascii=False))
    else:
        for warning in report.warnings:
            err.print(f"[yellow]Varning:[/] {warning}")
        if report.errors:
            table = Table(title="Ogiltiga rader (sparade som ogiltiga, körs inte)")
            for col in ("Rad", "Kolumn", "Orsak"):
                table.add_column(col)
            for e in report.errors:
                table.add_row(str(e.row), e.column, e.message_sv)
            out.print(table)
        enc = f", teckenkodning {report.encoding}" if report.encoding else ""
        out.print(f"{report.file} ({report.kind}{enc}): [green]{report.added} tillagda[/], "
                  f"{report.duplicates} fanns redan i kön, [red]{report.rejected} ogiltiga[/]"
                  + (f", {len(report.empty_rows)} tomma rader hoppades över"
                     if report.empty_rows else "") + ".")
    raise typer.Exit(ExitCode.NEEDS_PERSON if report.rejected else ExitCode.OK)


# -- run -------------------------------------------------------------------------------------

def _print_summary(summary: RunSummary) -> None:
    if summary.run_id is None:
        out.print("Inget att göra: inga väntande ärenden.")
        return
    recovered = (f" {len(summary.recovered)} avbrutna ärenden återupptogs."
                 if summary.recovered else "")
    out.print(f"Körning {summary.run_id}: {format_counts(summary.by_status)} på "
              f"{summary.duration_s:.1f} s ({summary.per_minute:.1f}/min).{recovered}")
    if summary.stopped:
        out.print("[yellow]Körningen stoppades; återstående ärenden väntar kvar i kön.[/]")


@backlog_app.command()
def run(
    workers: Annotated[int, typer.Option("--workers", "-w", min=1, max=16,
                                         help="Antal arbetsprocesser (en webbläsare var).")] = 1,
    limit: Annotated[int | None, typer.Option("--limit", min=1,
                                              help="Högst så många ärenden i körningen.")] = None,
    watch: Annotated[str | None, typer.Option(
        "--watch", help="Kör om och om igen med detta intervall (t.ex. 10m) tills Ctrl+C.")] = None,
    max_attempts: Annotated[int | None, typer.Option(
        "--max-attempts", min=1, help="Försök per ärende vid tekniska fel (standard: "
        "inställningen max_attempts).")] = None,
    retry_delay: Annotated[float, typer.Option(
        "--retry-delay", min=0, help="Sekunder före första nya försöket; fördubblas.")] = 30.0,
    wait_for_retries: Annotated[float, typer.Option(
        "--wait-for-retries", min=0,
        help="Vänta kvar på nya försök som infaller inom så många sekunder.")] = 120.0,
    headed: Annotated[bool, typer.Option("--headed", help="Visa webbläsarna.")] = False,
    slot: Annotated[str, typer.Option(
        "--slot", help="Körlåsets namn: körningar med olika namn får överlappa (t.ex. en per "
        "maskin); samma ärende tas ändå aldrig av två.")] = "run",
) -> None:
    """Work through the queue: N worker processes, one browser each; Ctrl+C stops cleanly.

    Exit codes: 0 all done, 1 some failed, 2 some need a person, 75 another run holds the queue.
    """
    from robot.backlog.run import run_backlog, watch_backlog

    settings = _settings()
    if headed:
        settings = settings.model_copy(update={"headless": False})
    _configure_logging(settings)
    if not re.fullmatch(r"[A-Za-z0-9_-]{1,40}", slot):
        raise typer.BadParameter("bokstäver, siffror, - och _", param_hint="--slot")
    options = RunOptions(
        workers=workers, limit=limit, wait_for_retries_s=wait_for_retries, slot=slot,
        retry=RetryPlan(max_attempts=max_attempts or settings.max_attempts,
                        base_s=retry_delay, max_s=max(retry_delay * 16, retry_delay)),
    )

    def on_signal(count: int) -> None:
        if count == 1:
            err.print("[yellow]Stoppar efter pågående ärenden … (Ctrl+C igen avbryter direkt)[/]")

    stop = StopRequest()
    try:
        with graceful_signals(stop, on_signal):
            if watch is not None:
                code = watch_backlog(settings, options, interval_s=parse_interval(watch),
                                     progress_factory=RichProgress, on_summary=_print_summary,
                                     stop=stop)
            else:
                summary = run_backlog(settings, options, progress=RichProgress(), stop=stop)
                _print_summary(summary)
                code = summary.exit_code
    except RunLockHeld as exc:
        err.print(f"[yellow]{exc}[/] Försök igen senare.")
        raise typer.Exit(ExitCode.LOCKED) from None
    raise typer.Exit(int(code))


# -- status, show, retry ---------------------------------------------------------------------

@backlog_app.command()
def status(
    as_json: Annotated[bool, typer.Option("--json", help="Skriv som JSON.")] = False,
) -> None:
    """Counts by status, the oldest pending item and the last run."""
    settings = _settings()
    with open_store(settings) as store:
        counts = store.counts()
        oldest = store.oldest_pending()
        due = store.next_due()
        last = store.last_run()
    now = utcnow()
    data: dict[str, Any] = {
        "counts": {str(s): n for s, n in counts.items()},
        "oldest_pending": None if oldest is None else {
            "id": oldest.id, "created_at": oldest.created_at.isoformat(),
            "age_s": round((now - oldest.created_at).total_seconds())},
        "next_due": due.isoformat() if due else None,
        "last_run": None if last is None else {
            "id": last["id"], "started_at": last["started_at"].isoformat(),
            "finished_at": last["finished_at"].isoformat() if last["finished_at"] else None,
            "exit_code": last["exit_code"], "summary": last["summary"]},
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
        code = last["exit_code"]
        when = last["started_at"].astimezone().strftime("%Y-%m-%d %H:%M")
        shown = code if code is not None else "– (pågår eller avbröts)"
        out.print(f"Senaste körning: nr {last['id']}, {when}, slutkod {shown}.")


@backlog_app.command()
def show(item_id: Annotated[int, typer.Argument(help="Ärendets nummer.")]) -> None:
    """One item's status, outcome and history (no names are printed)."""
    with open_store(_settings()) as store:
        item = store.get(item_id)
        if item is None:
            err.print(f"Ärende {item_id} finns inte.")
            raise typer.Exit(ExitCode.INVALID_INPUT)
        history = store.history(item_id)
    out.print(f"Ärende {item.id} · {item.status.label_sv} · försök {item.attempts} · "
              f"källa {item.source or '–'}")
    if item.patient_id:
        out.print(f"Patient-ID: {item.patient_id}")
    if item.reason_sv:
        out.print(f"Orsak: {item.reason_sv}")
    table = Table(title="Historik")
    for col in ("När", "Från", "Till", "Vem", "Körning", "Orsak"):
        table.add_column(col)
    for h in history:
        table.add_row(h["at"].astimezone().strftime("%Y-%m-%d %H:%M:%S"),
                      h["from_status"] or "", h["to_status"], h["actor"],
                      str(h["run_id"] or ""), h["reason"] or "")
    out.print(table)


@backlog_app.command()
def retry(
    item_ids: Annotated[list[int] | None, typer.Argument(
        help="Ärendenummer; utan nummer: alla misslyckade.")] = None,
) -> None:
    """Put failed items back in the queue (all failed items, or the numbers given)."""
    from robot.audit import AuditLog

    settings = _settings()
    actor = f"person:{_user()}"
    with open_store(settings) as store:
        ids = store.retry_failed(actor=actor, item_ids=item_ids or None)
        refs = [item.ref for i in ids if (item := store.get(i)) is not None]
    with AuditLog(settings) as audit:
        for ref in refs:
            audit.append(actor=actor, ref=ref, system="queue", step="retry", result="requeued")
    out.print(f"{len(ids)} misslyckade ärenden lades tillbaka i kön.")


@backlog_app.command()
def purge(
    older_than: Annotated[int, typer.Option("--older-than", min=1,
                                            help="Dagar sedan ärendet blev klart.")] = 90,
    include_needs_person: Annotated[bool, typer.Option(
        "--include-needs-person", help="Rensa även ärenden som väntar på en person.")] = False,
) -> None:
    """Delete finished items (done, rejected, failed) older than N days: the queue holds names."""
    statuses = [ItemStatus.DONE, ItemStatus.REJECTED, ItemStatus.FAILED]
    if include_needs_person:
        statuses.append(ItemStatus.NEEDS_PERSON)
    with open_store(_settings()) as store:
        n = store.purge(before=utcnow() - timedelta(days=older_than), statuses=statuses)
    out.print(f"{n} avslutade ärenden äldre än {older_than} dagar togs bort ur kön.")


# -- report, template, bench -----------------------------------------------------------------

@backlog_app.command()
def report(
    out_dir: Annotated[Path, typer.Option(
        "--out", help="Mapp för rapport.html och resultatfilerna.")],
    run_id: Annotated[int | None, typer.Option("--run", help="Bara denna körning.")] = None,
    runs: Annotated[int, typer.Option("--runs", min=1, help="Så många senaste körningar.")] = 10,
) -> None:
    """Write an HTML run report and result files (CSV, XLSX) into a folder."""
    from robot.backlog.report import build_report

    with open_store(_settings()) as store:
        files = build_report(store, out_dir, runs=runs, run_id=run_id)
    out.print(f"Rapport: {files.html}\nResultat: {files.csv}, {files.xlsx}")


@backlog_app.command()
def template(
    file: Annotated[Path, typer.Argument(help="Ny mallfil, .csv eller .xlsx.")],
) -> None:
    """Write an empty backlog template (with two invented example rows) to FILE."""
    from robot.backlog.templates import write_csv_template, write_xlsx_template

    if file.suffix.lower() == ".xlsx":
        write_xlsx_template(file)
    elif file.suffix.lower() == ".csv":
        write_csv_template(file)
    else:
        err.print("Ange en fil som slutar på .csv eller .xlsx.")
        raise typer.Exit(ExitCode.INVALID_INPUT)
    out.print(f"Mall skriven: {file}")


@backlog_app.command()
def bench(
    items: Annotated[int, typer.Option("--items", min=1, help="Antal genererade ärenden.")] = 200,
    workers: Annotated[str, typer.Option("--workers", help="Antal arbetsprocesser att jämföra, "
                                         "kommaseparerat.")] = "1,2",
    latency_ms: Annotated[int, typer.Option("--latency-ms", min=0,
                                            help="Extra svarstid i mock-sajterna.")] = 0,
    seed: Annotated[int, typer.Option("--seed")] = 7,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Throughput of a generated backlog against the mock sites with 1, 2, ... workers."""
    from robot.backlog.bench import BenchPass, run_bench

    try:
        counts = [int(w) for w in workers.split(",") if w.strip()]
    except ValueError:
        raise typer.BadParameter("t.ex. --workers 1,2") from None
    if not counts or min(counts) < 1:
        raise typer.BadParameter("t.ex. --workers 1,2")

    def on_pass(p: BenchPass) -> None:
        if not as_json:
            err.print(f"{p.workers} arbetsprocess(er): {p.items} klara på {p.seconds:.1f} s = "
                      f"{p.per_minute:.1f}/min ({format_counts(p.by_status)})")

    result = run_bench(_settings(), items=items, worker_counts=counts, seed=seed,
                       latency_ms=latency_ms, on_pass=on_pass)
    if as_json:
        out.print_json(json.dumps(result.as_dict()))
        return
    table = Table(title=f"Kö-bänk: {items} ärenden")
    for col in ("Arbetsprocesser", "Sekunder", "Ärenden/min", "Jämfört med första"):
        table.add_column(col, justify="right")
    for p in result.passes:
        ratio = result.ratio(p.workers)
        table.add_row(str(p.workers), f"{p.seconds:.1f}", f"{p.per_minute:.1f}",
                      f"{ratio:.2f}×" if ratio else "–")
    out.print(table)


# -- audit -----------------------------------------------------------------------------------

@audit_app.command("show")
def audit_show(
    ref: Annotated[str | None, typer.Option("--ref", help="Ärendets referens (radens "
                                            "referens, eller köns referens).")] = None,
    item: Annotated[int | None, typer.Option("--item", help="Ärendets nummer i kön.")] = None,
    patient_id: Annotated[str | None, typer.Option("--patient-id",
                                                   help="Patient-ID i PMO.")] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """What the robot (and people) did about one item or one patient record, and when."""
    from robot.audit import AuditLog

    settings = _settings()
    if item is not None:
        with open_store(settings) as store:
            found = store.get(item)
        if found is None:
            err.print(f"Ärende {item} finns inte.")
            raise typer.Exit(ExitCode.INVALID_INPUT)
        ref = found.ref
    if not ref and not patient_id:
        err.print("Ange --ref, --item eller --patient-id.")
        raise typer.Exit(ExitCode.INVALID_INPUT)
    with AuditLog(settings) as audit:
        entries = audit.for_patient_id(patient_id) if patient_id else audit.for_ref(ref or "")
    if as_json:
        out.print_json(json.dumps([{**e.__dict__, "at": e.at.isoformat()} for e in entries],
                                  ensure_ascii=False))
        return
    if not entries:
        out.print("Inga händelser i granskningsloggen för den referensen.")
        raise typer.Exit(ExitCode.OK)
    table = Table(title=f"Granskningslogg ({entries[0].ref})")
    for col in ("När", "Vem", "System", "Steg", "Resultat", "Detaljer"):
        table.add_column(col)
    for e in entries:
        table.add_row(e.at.astimezone().strftime("%Y-%m-%d %H:%M:%S"), e.actor, e.system,
                      e.step, e.result, e.detail)
    out.print(table)


@audit_app.command("verify")
def audit_verify() -> None:
    """Check that no audit entry was changed or removed (hash chain)."""
    from robot.audit import AuditLog

    with AuditLog(_settings()) as audit:
        broken = audit.verify()
    if broken is None:
        out.print("Granskningsloggen är oförändrad.")
        return
    err.print(f"[red]Granskningsloggen är ändrad från post {broken}.[/]")
    raise typer.Exit(ExitCode.SOME_FAILED)

