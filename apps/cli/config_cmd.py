"""``reservrobot config show``: the effective settings, secrets masked, and the region profile."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from apps.cli.edge import edge_of
from apps.exitcodes import ExitCode
from flows.rules.region import load_region_profile
from robot.errors import ConfigError
from robot.secrets import secret_origins
from robot.settings import toml_file

config_app = typer.Typer(no_args_is_help=True)

# How the profile's choices read for a person (``config show`` without --json).
_PROTECTED_SV = {
    "register": "registreras med reservnummer",
    "hand_over": "lämnas direkt till en person, inget skapas",
}


@config_app.command(
    help="Visa robotens inställningar (lösenord dolda) och regionens reservnummerformat."
)
def show(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="Skriv som JSON.")] = False,
    region: Annotated[
        str | None,
        typer.Option("--region", help="Visa denna regions inställningar i stället för den aktiva."),
    ] = None,
) -> None:
    """Print the effective settings with secrets masked, then the region profile (the active
    one, or ``--region``): its reservnummer format as published, and where it is published."""
    settings = edge_of(ctx).settings
    masked = {k: (str(v) if isinstance(v, Path) else v) for k, v in settings.masked().items()}
    key = region or settings.region
    # Where each secret comes from (never its value): robot/secrets.py.
    origins = {o.shown_as: o for o in secret_origins(toml_file()).values()}
    try:
        profile = load_region_profile(settings.config_dir, key).summary()
    except ConfigError as exc:
        typer.echo(f"Regionprofilen {key} går inte att läsa: {exc.message}", err=True)
        raise typer.Exit(ExitCode.INVALID_INPUT) from None
    if as_json:
        sources = {name: {"kind": o.kind, "where": o.where} for name, o in origins.items()}
        shown = {**masked, "secret_sources": sources, "region_profile": profile}
        typer.echo(json.dumps(shown, ensure_ascii=False, indent=2, default=str))
        return
    width = max(len(k) for k in (*masked, *profile))
    for key, value in masked.items():
        origin = origins.get(key)
        typer.echo(f"{key:<{width}}  {value}" + (f" ({origin.describe_sv()})" if origin else ""))
    typer.echo("")
    typer.echo(f"Regionprofil: {profile['name']} ({profile['key']})")
    if not profile["confirmed"]:
        typer.echo("  Exempelprofil: värdena är inte bekräftade av regionen.")
    for key, value in profile.items():
        if key in ("name", "key", "confirmed"):
            continue
        if key == "protected_identity":
            value = f"{value} ({_PROTECTED_SV.get(str(value), value)})"
        if isinstance(value, list):
            value = ", ".join(str(v) for v in value) or "-"
        typer.echo(f"  {key:<{width}}  {value}")
