"""``reservrobot config show``: the effective settings, secrets masked."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from apps.cli.common import build_settings

config_app = typer.Typer(no_args_is_help=True)


@config_app.command()
def show(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Print the effective settings with secrets masked."""
    settings = build_settings()
    masked = {k: (str(v) if isinstance(v, Path) else v) for k, v in settings.masked().items()}
    if as_json:
        typer.echo(json.dumps(masked, ensure_ascii=False, indent=2, default=str))
        return
    width = max(len(k) for k in masked)
    for key, value in masked.items():
        typer.echo(f"{key:<{width}}  {value}")
