"""``reservrobot mock ...`` (placeholder until the mock sites land)."""

import typer

app = typer.Typer(no_args_is_help=True)


@app.command()
def serve() -> None:
    """Start the mock sites."""
    raise typer.Exit(1)
