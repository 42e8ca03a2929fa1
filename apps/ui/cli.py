"""``reservrobot ui``: start the attended web app on loopback and open it in the browser.

The secret token is printed on the terminal only. The browser is opened with a one-time code
instead (see ``apps.ui.security``): the browser's command line, which every user of the
computer can read in ``ps``, never holds anything that opens the app a second time.

Attended work runs as the clerk (``Settings.ui_sign_in = "clerk"``, the default): the robot's
window is shown and the clerk signs in there; the app refuses to start on a PC that holds a
robot password, unless the settings call it a shared robot station (``robot_account``).
"""

from __future__ import annotations

import secrets
import webbrowser
from typing import Annotated

import typer

from apps.cli.edge import edge_of
from apps.exitcodes import ExitCode
from apps.ui import handoff
from robot.settings import Settings


def ui(
    ctx: typer.Context,
    port: Annotated[
        int,
        typer.Option(
            "--port", help="Port på den här datorn (0 = en ledig port).", min=0, max=65535
        ),
    ] = 0,
    no_browser: Annotated[
        bool, typer.Option("--no-browser", help="Öppna inte webbläsaren.")
    ] = False,
    headed: Annotated[
        bool, typer.Option("--headed", help="Visa robotens egen webbläsare medan den arbetar.")
    ] = False,
) -> None:
    """Start the attended web app (Swedish) for clinic staff on this computer."""
    from apps.ui.app import create_app
    from apps.ui.server import app_url, bind_loopback, serve
    from robot.evidence import prepare_evidence

    edge = edge_of(ctx)
    clerk_signs_in = edge.settings.ui_sign_in == "clerk"
    # The clerk signs in in the robot's own window: it must be seen.
    settings = edge.with_options(headless=False if headed or clerk_signs_in else None)
    problems = settings.unsafe_setup_problems(robot_accounts=not clerk_signs_in)
    problems += robot_account_problems(settings)
    if problems:
        typer.echo(
            "Roboten startas inte: inställningarna är inte säkra för riktiga system.", err=True
        )
        for problem in problems:
            typer.echo(f"  - {problem}", err=True)
        raise typer.Exit(ExitCode.INVALID_INPUT)
    already = handoff.running(settings)
    code = handoff.ask_for_code(already) if already is not None else None
    if already is not None and code is not None:
        # A second start (a double-click on the shortcut): open the app that already runs.
        url = app_url(already.port, code=code)
        typer.echo("Reservnummerroboten körs redan på den här datorn: den öppnas i webbläsaren.")
        if no_browser:
            typer.echo(f"Öppna den här adressen (den gäller en gång, i två minuter): {url}")
        else:
            webbrowser.open(url)
        raise typer.Exit(ExitCode.OK)
    edge.use_logging("console")  # the clerk's window: Swedish lines; JSON in the log file
    prepare_evidence(settings)
    token = secrets.token_urlsafe(32)
    try:
        sock = bind_loopback(port)
    except OSError:
        typer.echo(
            f"Porten {port} på den här datorn används redan av ett annat program, så "
            "reservnummerroboten kan inte starta. Stäng det programmet, eller be den som sköter "
            "roboten om en annan port.",
            err=True,
        )
        raise typer.Exit(ExitCode.SOME_FAILED) from None
    bound = sock.getsockname()[1]
    secret = handoff.new_secret()
    app = create_app(settings, token=token, warm_up=True, user=edge.user, handoff_secret=secret)
    handoff.announce(settings, port=bound, secret=secret)
    typer.echo("Reservnummerroboten körs. Öppna den här adressen (den har en hemlig nyckel):")
    typer.echo(f"    {app_url(bound, token)}")
    if clerk_signs_in:
        typer.echo(
            "Logga in med ditt eget konto i robotens fönster när inloggningssidorna visas "
            "(PMO och Reservnummersystemet eller Plexus)."
        )
    typer.echo("Avsluta med Ctrl+C.")
    if not no_browser:
        # A one-time code, not the token: the browser's command line is public on this computer.
        webbrowser.open(app_url(bound, code=app.state.access.new_code()))
    try:
        serve(app, sock)
    except KeyboardInterrupt:
        pass  # Ctrl+C is the normal way to stop; uvicorn has shut down cleanly by now
    finally:
        sock.close()
        handoff.withdraw(settings, secret=secret)
    typer.echo("Reservnummerroboten har stängts.")


def robot_account_problems(settings: Settings) -> list[str]:
    """Why the attended app must not start on this PC with these settings (Swedish).

    The robot account is for unattended work: on a clerk's PC the clerk signs in as
    themselves (``ui_sign_in = "clerk"``), and a robot password found there is one anyone at
    that desk could read. Only a PC that the settings call a shared robot station
    (``ui_sign_in = "robot_account"``) may hold one.
    """
    if settings.ui_sign_in == "robot_account":
        return []
    from robot.secrets import ROBOT_PASSWORDS, secret_origins
    from robot.settings import toml_file

    origins = secret_origins(toml_file())
    found = [origins[f] for f in ROBOT_PASSWORDS if origins[f].configured]
    if not found:
        return []
    where = "; ".join(f"{o.field} i {o.describe_sv()}" for o in found)
    return [
        "Det finns ett lösenord för robotens konto på den här datorn "
        f"({where}). I appen loggar du in med ditt eget konto, så robotens lösenord ska inte "
        'finnas här: ta bort det, eller sätt ui_sign_in = "robot_account" om datorn är en '
        "delad robotstation."
    ]
