"""``reservrobot ui`` (placeholder)."""

import typer


def ui() -> None:
    """Start the attended web app."""
    raise typer.Exit(1)
