"""``reservrobot register | complete-pnr | doctor | bench | config show``.

The edge of the robot: settings are built here, requests validated, and outcomes turned into
text and exit codes:

    0  registered, or already registered
    2  needs a person (reason printed)
    1  failed (technical error after retries; evidence folder printed)
    3  invalid input (every field error printed)
"""

from __future__ import annotations

import contextlib
import json
import sys
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from flows.outcome import Decision, Outcome, OutcomeKind, StepEvent
from robot.errors import ConfigError, RobotError
from robot.settings import Settings, TransferMode

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_NEEDS_PERSON = 2
EXIT_INVALID = 3

_EXIT_BY_KIND = {
    OutcomeKind.REGISTERED: EXIT_OK,
    OutcomeKind.ALREADY_REGISTERED: EXIT_OK,
    OutcomeKind.NEEDS_PERSON: EXIT_NEEDS_PERSON,
    OutcomeKind.FAILED: EXIT_FAILED,
}

config_app = typer.Typer(no_args_is_help=True)
_out = Console(highlight=False)
_err = Console(stderr=True, highlight=False)


def _settings(**overrides: Any) -> Settings:
    """Settings from the environment/.env/TOML with the given command-line overrides."""
    return Settings(**{k: v for k, v in overrides.items() if v is not None})


def _configure_logging(settings: Settings, *, as_json: bool) -> None:
    """Machines (``--json``) get every event as JSON lines on stderr; people only warnings."""
    import logging

    from robot.logs import configure_logging

    if as_json:
        configure_logging(settings, json=True)
    else:
        configure_logging(settings, json=False, level=logging.WARNING)


# config show ---------------------------------------------------------------------------------


@config_app.command()
def show(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Print the effective settings with secrets masked."""
    try:
        settings = Settings()
    except Exception as exc:  # pydantic ValidationError: a setting has a wrong value
        _err.print(f"Inställningarna är felaktiga: {exc}")
        raise typer.Exit(EXIT_INVALID) from None
    masked = {k: (str(v) if isinstance(v, Path) else v) for k, v in settings.masked().items()}
    if as_json:
        typer.echo(json.dumps(masked, ensure_ascii=False, indent=2, default=str))
        return
    width = max(len(k) for k in masked)
    for key, value in masked.items():
        typer.echo(f"{key:<{width}}  {value}")


# register ------------------------------------------------------------------------------------


def register(
    file: Annotated[
        Path | None, typer.Option("--file", "-f", help="Request as a JSON file ('-' = stdin).")
    ] = None,
    birth_date: Annotated[str | None, typer.Option(help="Födelsedatum ÅÅÅÅ-MM-DD.")] = None,
    sex: Annotated[str | None, typer.Option(help="Man eller Kvinna (M/K).")] = None,
    family_name: Annotated[str | None, typer.Option(help="Efternamn.")] = None,
    given_names: Annotated[str | None, typer.Option(help="Förnamn.")] = None,
    group: Annotated[
        str | None, typer.Option(help="Patientgrupp (nyckel i config/groups.toml).")
    ] = None,
    street: Annotated[str | None, typer.Option(help="Utdelningsadress.")] = None,
    postal_code: Annotated[str | None, typer.Option(help="Postnummer.")] = None,
    city: Annotated[str | None, typer.Option(help="Ort.")] = None,
    country: Annotated[str | None, typer.Option(help="Land (kod eller namn), t.ex. SE.")] = None,
    info: Annotated[str | None, typer.Option(help="Info (standard: Läggs in manuellt.).")] = None,
    protected: Annotated[
        bool, typer.Option("--protected", help="Skyddade personuppgifter.")
    ] = False,
    external_ref: Annotated[str | None, typer.Option(help="Ärendereferens.")] = None,
    decision: Annotated[
        list[str] | None,
        typer.Option(
            help="A person's decision on a candidate: SYSTEM:ID=same|different "
            "(e.g. rns:19900101001M3=same). Repeatable."
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the outcome as JSON.")] = False,
    headed: Annotated[
        bool | None, typer.Option("--headed/--headless", help="Show the browser.")
    ] = None,
    transfer: Annotated[
        str | None, typer.Option(help="Transfer mode: auto, system, browser or fill.")
    ] = None,
) -> None:
    """Register one person with a reservnummer in PMO (the whole routine)."""
    from flows.groups import load_groups
    from flows.request import RequestInvalid, parse_request

    settings = _edge_settings(headed=headed, transfer=transfer)
    data: dict[str, Any] = _read_request_file(file) if file else {}
    options = {
        "birth_date": birth_date,
        "sex": sex,
        "family_name": family_name,
        "given_names": given_names,
        "group": group,
        "street": street,
        "postal_code": postal_code,
        "city": city,
        "country": country,
        "info": info,
        "external_ref": external_ref,
    }
    data.update({k: v for k, v in options.items() if v is not None})
    if protected:
        data["protected"] = True
    try:
        decisions = [_parse_decision(d) for d in decision or []]
        request = parse_request(data, groups=load_groups(settings.config_dir))
    except RequestInvalid as exc:
        _print_invalid(exc.errors, as_json=as_json)
        raise typer.Exit(EXIT_INVALID) from None
    except (ValueError, ConfigError) as exc:
        _err.print(f"Felaktiga uppgifter: {exc}")
        raise typer.Exit(EXIT_INVALID) from None

    _configure_logging(settings, as_json=as_json)
    outcome = _run(
        settings,
        lambda runner, on_step: runner.register(request, decisions=decisions, on_step=on_step),
        as_json=as_json,
    )
    raise typer.Exit(_EXIT_BY_KIND[outcome.kind])


def complete_pnr(
    patient_id: Annotated[str, typer.Argument(help="Patient-ID (reservnumret) i PMO.")],
    personnummer: Annotated[str, typer.Argument(help="Fullständigt personnummer.")],
    identity_checked: Annotated[
        bool,
        typer.Option(
            "--identity-checked",
            help="A person has checked the identity and the document with the personnummer.",
        ),
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the outcome as JSON.")] = False,
    headed: Annotated[
        bool | None, typer.Option("--headed/--headless", help="Show the browser.")
    ] = None,
) -> None:
    """Replace a reservnummer with the full personnummer in PMO."""
    settings = _edge_settings(headed=headed, transfer=None)
    if not identity_checked:
        # Refused before any browser starts; the flow refuses too.
        outcome = Outcome(
            kind=OutcomeKind.NEEDS_PERSON,
            reason_code="identity_not_checked",
        )
        from flows.outcome import reason_sv

        outcome.reason_sv = reason_sv("identity_not_checked")
        _print_outcome(outcome, as_json=as_json)
        raise typer.Exit(EXIT_NEEDS_PERSON)
    _configure_logging(settings, as_json=as_json)
    outcome = _run(
        settings,
        lambda runner, on_step: runner.complete_pnr(
            patient_id, personnummer, identity_checked=True, on_step=on_step
        ),
        as_json=as_json,
    )
    raise typer.Exit(_EXIT_BY_KIND[outcome.kind])


def _edge_settings(*, headed: bool | None, transfer: str | None) -> Settings:
    if transfer is not None and transfer not in ("auto", "system", "browser", "fill"):
        _err.print("--transfer ska vara auto, system, browser eller fill.")
        raise typer.Exit(EXIT_INVALID)
    mode: TransferMode | None = transfer  # type: ignore[assignment]
    try:
        return _settings(headless=None if headed is None else not headed, transfer_mode=mode)
    except Exception as exc:
        _err.print(f"Inställningarna är felaktiga: {exc}")
        raise typer.Exit(EXIT_INVALID) from None


def _run(settings: Settings, call: Any, *, as_json: bool) -> Outcome:
    """Start a runner (and a virtual display when headed without one), run, print."""
    from flows.runner import Runner
    from robot.display import virtual_display

    def on_step(event: StepEvent) -> None:
        if not as_json and event.status == "started":
            _err.print(f"[dim]… {event.label_sv}[/dim]")

    display = virtual_display() if not settings.headless else contextlib.nullcontext()
    try:
        with display, Runner(settings) as runner:
            outcome: Outcome = call(runner, on_step)
    except RobotError as exc:
        outcome = Outcome(kind=OutcomeKind.FAILED, reason_code=exc.code, reason_sv=exc.message)
    _print_outcome(outcome, as_json=as_json)
    return outcome


def _read_request_file(path: Path) -> dict[str, Any]:
    try:
        text = sys.stdin.read() if str(path) == "-" else path.read_text(encoding="utf-8")
        data = json.loads(text)
    except (OSError, json.JSONDecodeError) as exc:
        _err.print(f"Filen kan inte läsas som JSON: {exc}")
        raise typer.Exit(EXIT_INVALID) from None
    if not isinstance(data, dict):
        _err.print("Filen ska innehålla ett JSON-objekt.")
        raise typer.Exit(EXIT_INVALID)
    return data


def _parse_decision(text: str) -> Decision:
    try:
        target, verdict = text.rsplit("=", 1)
        system, id_value = target.split(":", 1)
        return Decision.model_validate(
            {
                "system": system.strip().lower(),
                "id_value": id_value.strip(),
                "verdict": verdict.strip().lower(),
                "decided_by": "cli",
            }
        )
    except Exception:
        raise ValueError(
            "--decision ska se ut som SYSTEM:ID=same|different, t.ex. rns:19900101001M3=same"
        ) from None


def _print_invalid(errors: Any, *, as_json: bool) -> None:
    if as_json:
        typer.echo(
            json.dumps(
                {"kind": "invalid", "errors": [e.__dict__ for e in errors]},
                ensure_ascii=False,
                indent=2,
            )
        )
        return
    _out.print("[bold]Uppgifterna är ofullständiga eller felaktiga:[/bold]")
    for error in errors:
        _out.print(f"  {error.field}: {error.message_sv}")


_HEADLINES = {
    OutcomeKind.REGISTERED: "Registrerad i PMO",
    OutcomeKind.ALREADY_REGISTERED: "Finns redan i PMO",
    OutcomeKind.NEEDS_PERSON: "Behöver hanteras av en person",
    OutcomeKind.FAILED: "Misslyckades",
}


def _print_outcome(outcome: Outcome, *, as_json: bool) -> None:
    if as_json:
        typer.echo(outcome.model_dump_json(indent=2))
        return
    _out.print(f"[bold]{_HEADLINES[outcome.kind]}[/bold]")
    if outcome.patient_id:
        reuse = ""
        if outcome.reservnummer_reused is not None:
            reuse = (
                " (befintligt reservnummer)"
                if outcome.reservnummer_reused
                else " (nytt reservnummer)"
            )
        _out.print(f"  Patient-ID: {outcome.patient_id}{reuse}")
    if outcome.reason_sv:
        _out.print(f"  {outcome.reason_sv}")
    for line in outcome.code_differences:
        _out.print(f"  - {line}")
    for c in outcome.candidates:
        extra = f", personnummer {c.personnummer}" if c.personnummer else ""
        _out.print(
            f"  Träff i {c.system.upper()}: {c.name}, {c.sex or 'kön okänt'}, "
            f"{c.id_type} {c.id_value}{extra} (bedömning: {c.match}, {c.score:.2f})"
        )
    if outcome.evidence_dir:
        _out.print(f"  Underlag (skärmbild och spår): {outcome.evidence_dir}")
    for step in outcome.steps:
        status = {"done": "klart", "skipped": "behövdes inte", "failed": "misslyckades"}.get(
            step.status, step.status
        )
        _out.print(f"  {step.label_sv:<32} {status:<14} {step.elapsed_s:6.2f} s")
    _out.print(f"  Totalt {outcome.duration_s:.2f} s")


# doctor --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Check:
    """One line of ``reservrobot doctor``."""

    name: str
    ok: bool
    detail: str


def doctor(
    headed: Annotated[
        bool | None, typer.Option("--headed/--headless", help="Check with a visible browser.")
    ] = None,
) -> None:
    """Check settings, browser, clipboard, and that each site answers and accepts the login."""
    try:
        settings = _settings(headless=None if headed is None else not headed)
    except Exception as exc:
        typer.echo(f"FEL  Inställningar: {exc}")
        raise typer.Exit(EXIT_FAILED) from None
    failed = False
    for check in doctor_checks(settings):
        typer.echo(f"{'OK ' if check.ok else 'FEL'}  {check.name}: {check.detail}")
        failed = failed or not check.ok
    raise typer.Exit(EXIT_FAILED if failed else EXIT_OK)


def doctor_checks(settings: Settings) -> Iterator[Check]:
    """Every check of ``doctor``, one at a time (a failed check does not stop the others)."""
    import httpx

    from flows.runner import Runner
    from flows.transfer import FillTransfer
    from robot import clipboard
    from robot.display import virtual_display

    try:
        _load_configuration(settings)
        yield Check(
            "Inställningar",
            True,
            f"{settings.config_dir} (PMO-layout "
            f"{settings.pmo_selectors}, region {settings.region})",
        )
    except Exception as exc:
        yield Check("Inställningar", False, str(exc))
    try:
        mode = clipboard.resolve_transfer_mode(settings.transfer_mode, headless=settings.headless)
        problem = clipboard.system_clipboard_problem()
        note = "datorns urklipp nås" if problem is None else f"datorns urklipp nås inte: {problem}"
        yield Check("Urklipp", True, f"överföring {settings.transfer_mode} -> {mode}; {note}")
    except RobotError as exc:
        yield Check("Urklipp", False, exc.message)
    sites = ["pmo", "rns"] + (["plexus"] if settings.rns_access == "plexus" else [])
    answering = []
    for site in sites:
        url = getattr(settings, f"{site}_url")
        try:
            response = httpx.get(url + "/", timeout=settings.timeout_ms / 1000, trust_env=False)
            ok = response.status_code < 500
            yield Check(f"{_SITE_NAMES[site]} svarar", ok, f"{url} (HTTP {response.status_code})")
            if ok:
                answering.append(site)
        except httpx.HTTPError as exc:
            yield Check(f"{_SITE_NAMES[site]} svarar", False, f"{url}: {type(exc).__name__}")
    display = virtual_display() if not settings.headless else contextlib.nullcontext()
    try:
        with display, Runner(settings, transfer=FillTransfer()) as runner:
            version = runner.session.browser.version
            yield Check(
                "Webbläsare",
                True,
                f"Chromium {version} ({'synlig' if not settings.headless else 'headless'})",
            )
            ctx = runner.context
            logins: list[tuple[str, Callable[[], None]]] = [("pmo", ctx.pmo.site.open_home)]
            logins.append(("rns", ctx.rns.reach))
            for site, login in logins:
                if site not in answering and not (site == "rns" and "plexus" in answering):
                    yield Check(f"{_SITE_NAMES[site]} inloggning", False, "webbplatsen svarar inte")
                    continue
                try:
                    login()
                    yield Check(
                        f"{_SITE_NAMES[site]} inloggning",
                        True,
                        f"inloggad som {getattr(settings, f'{site}_username')}"
                        + (
                            " via Plexus"
                            if site == "rns" and settings.rns_access == "plexus"
                            else ""
                        ),
                    )
                except Exception as exc:
                    message = exc.message if isinstance(exc, RobotError) else type(exc).__name__
                    yield Check(f"{_SITE_NAMES[site]} inloggning", False, message)
    except Exception as exc:
        message = exc.message if isinstance(exc, RobotError) else f"{type(exc).__name__}: {exc}"
        yield Check("Webbläsare", False, message)


_SITE_NAMES = {"pmo": "PMO", "rns": "Reservnummersystemet", "plexus": "Plexus"}


def _load_configuration(settings: Settings) -> None:
    from flows.countries import load_country_lists
    from flows.groups import load_groups
    from flows.matching import load_match_config
    from flows.region import load_region_profile
    from flows.selectors import load_selectors

    load_groups(settings.config_dir)
    load_region_profile(settings.config_dir, settings.region)
    load_match_config(settings.config_dir)
    load_country_lists(settings.config_dir)
    for name in (settings.pmo_selectors, "rns", "plexus"):
        load_selectors(settings.selectors_dir, name)


# bench ---------------------------------------------------------------------------------------


def bench(
    count: Annotated[int, typer.Option("--count", "-n", min=1, help="Registrations.")] = 20,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    pmo_layout: Annotated[str, typer.Option(help="PMO layout of the mock (a or b).")] = "a",
    seed: Annotated[int, typer.Option(help="Seed for the generated requests.")] = 1,
) -> None:
    """Measure registration speed against freshly started mock sites."""
    from robot.bench import format_report, run_bench

    report = run_bench(count=count, pmo_layout=pmo_layout, seed=seed)
    if as_json:
        typer.echo(json.dumps(report, ensure_ascii=False, indent=2))
    else:
        typer.echo(format_report(report))


def outcome_exit_code(outcome: Outcome | Mapping[str, Any]) -> int:
    """The CLI's exit code for an outcome (also for the queue worker's summaries)."""
    kind = outcome.kind if isinstance(outcome, Outcome) else OutcomeKind(outcome["kind"])
    return _EXIT_BY_KIND[kind]
