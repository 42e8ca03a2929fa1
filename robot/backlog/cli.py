"""``reservrobot backlog ...`` and ``reservrobot audit ...`` (placeholders)."""

import typer

backlog_app = typer.Typer(no_args_is_help=True)
audit_app = typer.Typer(no_args_is_help=True)


@backlog_app.command()
def status() -> None:
    """Counts by status."""
    raise typer.Exit(1)


@audit_app.command()
def show() -> None:
    """Show the audit trail of one reference."""
    raise typer.Exit(1)
