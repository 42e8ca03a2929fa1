"""``reservrobot-qa mock serve`` and ``reservrobot-qa mock check``: the bundled mock sites."""

from __future__ import annotations

import signal
import threading
import time
from datetime import date
from enum import StrEnum
from pathlib import Path
from types import FrameType
from typing import Annotated

import httpx
import typer

from mock_sites.common.config import DEFAULT_USERS, DEMO_USER, User, parse_user
from mock_sites.common.faults import FaultSettings, FaultSettingsError
from mock_sites.testing import DEFAULT_PORTS, MockSites, run_mock_sites

app = typer.Typer(no_args_is_help=True)


@app.callback(help="Övningssajterna: PMO, Reservnummersystemet och Plexus på den här datorn.")
def main() -> None:
    """The bundled mock sites: PMO, Reservnummersystemet and Plexus."""


class Layout(StrEnum):
    a = "a"
    b = "b"
    c = "c"  # layout a drifted (for the screen check)


def _faults(
    latency_ms: int, error_rate: float, session_timeout_s: float, seed: int | None
) -> FaultSettings:
    try:
        return FaultSettings(
            latency_ms=latency_ms,
            error_rate=error_rate,
            session_timeout_s=session_timeout_s,
            seed=seed,
        )
    except FaultSettingsError as exc:
        raise typer.BadParameter(str(exc)) from exc


def check_sites(sites: MockSites, *, username: str, password: str) -> list[tuple[str, bool, str]]:
    """Log in to each site over HTTP and load one page: (site, ok, detail) per site."""
    pages = {"plexus": "/", "pmo": "/sok?ar=1990&manad=1&dag=1", "rns": "/sok"}
    results = []
    for site, page in pages.items():
        base = sites.url(site)  # type: ignore[arg-type]
        try:
            with httpx.Client(base_url=base, trust_env=False, timeout=10) as client:
                response = client.post(
                    "/login",
                    data={"username": username, "password": password, "next": page},
                    follow_redirects=True,
                )
                ok = response.status_code == 200 and "Logga ut" in response.text
                detail = f"{base} inloggning OK" if ok else f"{base} svarade {response.status_code}"
        except httpx.HTTPError as exc:
            ok, detail = False, f"{base} svarar inte: {exc}"
        results.append((site, ok, detail))
    return results


@app.command(help="Starta Plexus, PMO och Reservnummersystemet på den här datorn tills Ctrl+C.")
def serve(
    data_dir: Annotated[
        Path, typer.Option(metavar="mapp", help="Mapp för sajternas databasfiler.")
    ] = Path("var/mock"),
    host: Annotated[str, typer.Option(help="Adress att lyssna på (helst bara den här datorn).")] = (
        "127.0.0.1"
    ),
    plexus_port: Annotated[
        int, typer.Option(help="Plexus port (0 = en ledig port).")
    ] = DEFAULT_PORTS["plexus"],
    pmo_port: Annotated[int, typer.Option(help="PMO:s port (0 = en ledig port).")] = DEFAULT_PORTS[
        "pmo"
    ],
    rns_port: Annotated[int, typer.Option(help="Reservnummersystemets port.")] = DEFAULT_PORTS[
        "rns"
    ],
    pmo_layout: Annotated[Layout, typer.Option(help="PMO:s sidlayout.")] = Layout.a,
    region: Annotated[
        str, typer.Option(help="Regionens inställningar i config/regions/.")
    ] = "gavleborg",
    seed: Annotated[
        int | None, typer.Option(help="Startvärde för påhittade patienter och slumpade fel.")
    ] = None,
    anomalies_from: Annotated[
        str,
        typer.Option(
            help="Lägg in avvikelser (dubbletter, reservnummer utan patient, ett felskrivet "
            "nummer, fel kön, förväxlingsbara personer) bland patienterna, ett fall per dag "
            "från detta datum (ÅÅÅÅ-MM-DD; se mock_sites/anomalies.py)."
        ),
    ] = "",
    session_timeout_s: Annotated[
        float, typer.Option(help="Sekunder utan aktivitet innan sajterna loggar ut (0 = aldrig).")
    ] = 0.0,
    plexus_latency_ms: Annotated[int, typer.Option(help="Extra svarstid i Plexus (ms).")] = 0,
    pmo_latency_ms: Annotated[int, typer.Option(help="Extra svarstid i PMO (ms).")] = 0,
    rns_latency_ms: Annotated[
        int, typer.Option(help="Extra svarstid i Reservnummersystemet (ms).")
    ] = 0,
    plexus_error_rate: Annotated[
        float, typer.Option(help="Andel svar som är serverfel, Plexus (0–1).")
    ] = 0.0,
    pmo_error_rate: Annotated[
        float, typer.Option(help="Andel svar som är serverfel, PMO (0–1).")
    ] = 0.0,
    rns_error_rate: Annotated[
        float, typer.Option(help="Andel svar som är serverfel, Reservnummersystemet (0–1).")
    ] = 0.0,
    username: Annotated[str, typer.Option(help="Övningsanvändarens användarnamn.")] = "demo",
    password: Annotated[
        str, typer.Option(help="Övningsanvändarens lösenord.")
    ] = DEMO_USER.password,
    display_name: Annotated[str, typer.Option(help="Namnet som Plexus visar.")] = "Anna Demo",
    user: Annotated[
        list[str] | None,
        typer.Option(
            "--user",
            help="Ännu ett personalkonto, användarnamn:lösenord[:namn] (kan upprepas; "
            "annars bertil och cecilia, lösenord = användarnamnet).",
        ),
    ] = None,
    check: Annotated[
        bool,
        typer.Option(
            "--check", help="Starta, logga in på varje sajt en gång, visa resultatet och stanna."
        ),
    ] = False,
) -> None:
    """Start Plexus, PMO and Reservnummersystemet on this machine until Ctrl+C."""
    faults = {
        "plexus": _faults(plexus_latency_ms, plexus_error_rate, session_timeout_s, seed),
        "pmo": _faults(pmo_latency_ms, pmo_error_rate, session_timeout_s, seed),
        "rns": _faults(rns_latency_ms, rns_error_rate, session_timeout_s, seed),
    }
    if anomalies_from:
        try:
            date.fromisoformat(anomalies_from)
        except ValueError:
            raise typer.BadParameter("--anomalies-from ska vara ett datum ÅÅÅÅ-MM-DD") from None
    try:
        others = tuple(parse_user(u) for u in user) if user else DEFAULT_USERS[1:]
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--user") from exc
    try:
        context = run_mock_sites(
            data_dir,
            pmo_layout=pmo_layout.value,
            faults=faults,
            region=region,
            host=host,
            ports={"plexus": plexus_port, "pmo": pmo_port, "rns": rns_port},
            users=(User(username, password, display_name), *others),
            data_seed=seed if seed is not None else 1,
            anomalies_from=anomalies_from,
        )
        sites = context.__enter__()
    except (OSError, FileNotFoundError) as exc:
        typer.echo(f"Kunde inte starta mock-sajterna: {exc}", err=True)
        raise typer.Exit(1) from exc
    try:
        typer.echo(f"Plexus:               {sites.plexus_url}/")
        typer.echo(f"PMO (layout {pmo_layout.value}):       {sites.pmo_url}/")
        typer.echo(f"Reservnummersystemet: {sites.rns_url}/")
        shown = password if password == DEMO_USER.password else "(det angivna lösenordet)"
        typer.echo(f"Inloggning: {username} / {shown}   Data: {data_dir}")
        typer.echo(f"Fler användare: {', '.join(u.username for u in others)}")
        if check:
            results = check_sites(sites, username=username, password=password)
            for site, ok, detail in results:
                typer.echo(f"{'OK ' if ok else 'FEL'} {site}: {detail}")
            if not all(ok for _, ok, _ in results):
                raise typer.Exit(1)
            return
        typer.echo("Tryck Ctrl+C för att stoppa.")
        _wait_for_stop()
    finally:
        context.__exit__(None, None, None)


def _wait_for_stop() -> None:
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    while not stop.wait(0.5):
        time.sleep(0)
