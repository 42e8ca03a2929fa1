"""``reservrobot register|complete-pnr|doctor|bench|config`` (placeholders until the robot lands)."""

import typer

config_app = typer.Typer(no_args_is_help=True)


@config_app.command()
def show() -> None:
    """Print the effective settings with secrets masked."""
    raise typer.Exit(1)


def register() -> None:
    """Register one person."""
    raise typer.Exit(1)


def complete_pnr() -> None:
    """Replace a reservnummer with the full personnummer."""
    raise typer.Exit(1)


def doctor() -> None:
    """Check browser, clipboard, settings and sites."""
    raise typer.Exit(1)


def bench() -> None:
    """Measure registration speed."""
    raise typer.Exit(1)
