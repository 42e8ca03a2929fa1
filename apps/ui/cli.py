"""``reservrobot ui``: start the attended web app on loopback and open it in the browser.

The secret token is printed on the terminal only. The browser is opened with a one-time code
instead (see ``apps.ui.security``): the browser's command line, which every user of the
computer can read in ``ps``, never holds anything that opens the app a second time.
"""

from __future__ import annotations

import secrets
import webbrowser
from typing import Annotated

import typer

from apps.cli.edge import edge_of, refuse_unsafe_setup
from apps.exitcodes import ExitCode
from apps.ui import handoff


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
    settings = edge.with_options(headless=False if headed else None)
    refuse_unsafe_setup(settings)
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
    edge.use_logging("machines")
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
