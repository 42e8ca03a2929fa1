"""``reservrobot secrets set NAME``: store one of the robot's secrets in the OS credential store.

The value is asked for without echo (twice), never taken from the command line (which every
user of the computer can read in ``ps``) and never written to a file: it goes to the credential
store of the OS account that runs the command (Windows Credential Manager, Secret Service,
Keychain; ``robot/secrets.py``), where the robot, run as the same account, finds it.
"""

from __future__ import annotations

from typing import Annotated

import typer

from apps.exitcodes import ExitCode
from robot.secrets import KEYRING_SERVICE, SECRET_NAMES, keyring_set

secrets_app = typer.Typer(no_args_is_help=True)


@secrets_app.callback(
    help="Robotkontots hemligheter i datorns nyckelring (lösenord, pseudonymnyckel)."
)
def secrets_main() -> None:
    """The group of ``reservrobot secrets``."""


_PROMPTS_SV = {
    "pmo": "Lösenord för robotens konto i PMO",
    "rns": "Lösenord för robotens konto i Reservnummersystemet",
    "plexus": "Lösenord för robotens konto i Plexus",
    "pseudonym-key": "Nyckel för pseudonymisering (pseudonym_key)",
}


@secrets_app.command(
    "set",
    help="Spara en hemlighet i nyckelringen för det här kontot i datorn. Värdet efterfrågas "
    "två gånger och visas inte när du skriver.",
)
def set_secret(
    name: Annotated[
        str, typer.Argument(metavar="NAMN", help="Vilken: pmo, rns, plexus eller pseudonym-key.")
    ],
) -> None:
    """Ask for a secret without echo and store it in this OS account's credential store."""
    field = SECRET_NAMES.get(name)
    if field is None:
        typer.echo(f"Okänd hemlighet {name!r}. Välj en av: {', '.join(SECRET_NAMES)}.", err=True)
        raise typer.Exit(ExitCode.INVALID_INPUT)
    value = typer.prompt(_PROMPTS_SV[name], hide_input=True, confirmation_prompt=True)
    if not value.strip():
        typer.echo("Inget värde angavs; ingenting sparades.", err=True)
        raise typer.Exit(ExitCode.INVALID_INPUT)
    try:
        store = keyring_set(field, value)
    except Exception as exc:
        typer.echo(
            "Datorns nyckelring gick inte att använda, så ingenting sparades "
            f"({type(exc).__name__}). Sätt hemligheten i miljön i stället "
            f"(RESERVROBOT_{field.upper()}) eller kontakta IT-support.",
            err=True,
        )
        raise typer.Exit(ExitCode.SOME_FAILED) from None
    typer.echo(f"Sparad i nyckelringen ({store}) som {KEYRING_SERVICE}/{field}.")
