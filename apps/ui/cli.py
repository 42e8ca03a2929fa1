"""``reservrobot ui``: start the attended web app on loopback and open it in the browser."""

from __future__ import annotations

import secrets
import webbrowser
from typing import Annotated

import typer

from robot.settings import Settings


def ui(
    port: Annotated[
        int, typer.Option("--port", help="Port on 127.0.0.1 (0 = a free port).", min=0, max=65535)
    ] = 0,
    no_browser: Annotated[
        bool, typer.Option("--no-browser", help="Do not open the default browser.")
    ] = False,
    headed: Annotated[
        bool, typer.Option("--headed", help="Show the robot's own browser window (else headless).")
    ] = False,
) -> None:
    """Start the attended web app (Swedish) for clinic staff on this computer."""
    from apps.ui.app import create_app
    from apps.ui.server import app_url, bind_loopback, serve

    settings = Settings(headless=False) if headed else Settings()
    _configure_logging(settings)
    token = secrets.token_urlsafe(32)
    try:
        sock = bind_loopback(port)
    except OSError as exc:
        typer.echo(f"Kunde inte öppna port {port} på 127.0.0.1: {exc}", err=True)
        raise typer.Exit(1) from exc
    url = app_url(sock.getsockname()[1], token)
    app = create_app(settings, token=token, warm_up=True)
    typer.echo("Reservnummerroboten körs. Öppna den här adressen (den har en hemlig nyckel):")
    typer.echo(f"    {url}")
    typer.echo("Avsluta med Ctrl+C.")
    if not no_browser:
        webbrowser.open(url)
    try:
        serve(app, sock)
    except KeyboardInterrupt:
        pass  # Ctrl+C is the normal way to stop; uvicorn has shut down cleanly by now
    finally:
        sock.close()
    typer.echo("Reservnummerroboten har stängts.")


def _configure_logging(settings: Settings) -> None:
    try:
        from robot.logs import configure_logging
    except ImportError:  # the runtime's logging is optional for the UI
        return
    configure_logging(settings)
