"""The ``reservrobot`` command line: the root app that gathers each part's commands.

Each part owns its commands in its own module; this file only wires them together. The root
callback opens the edge (settings, actor, consoles, logging) once for whichever command runs,
and the root group maps every error that escapes a command to the exit-code table
(``apps.cli.edge``).
"""

from __future__ import annotations

import typer

from apps.audit.cli import audit_app
from apps.backlog.cli import backlog_app
from apps.cli.check_screens import check_screens
from apps.cli.config_cmd import config_app
from apps.cli.doctor import doctor
from apps.cli.edge import EdgeGroup, open_edge
from apps.cli.register import complete_pnr, register
from apps.cli.secrets_cmd import secrets_app
from apps.sweep.cli import sweep_app
from apps.ui.cli import ui

app = typer.Typer(
    name="reservrobot",
    help="Registrerar personer utan svenskt personnummer i PMO med ett reservnummer.",
    cls=EdgeGroup,
    no_args_is_help=True,
    add_completion=False,  # typer's own English texts; nobody completes commands in a shell
    pretty_exceptions_show_locals=False,  # locals may hold personal data
)
app.callback()(open_edge)
app.add_typer(config_app, name="config", help="Visa robotens inställningar.")
app.add_typer(
    backlog_app,
    name="backlog",
    help="Kön: många personer från en fil, registrerade i tur och ordning.",
)
app.add_typer(
    audit_app, name="audit", help="Granskningsloggen: vad roboten och personer har gjort."
)
app.add_typer(
    secrets_app,
    name="secrets",
    help="Robotkontots hemligheter i datorns nyckelring (lösenord, pseudonymnyckel).",
)
app.add_typer(
    sweep_app,
    name="sweep",
    help="Leta efter dubbletter och reservnummer utan patient i PMO (ändrar ingenting).",
)
app.command(
    help="Registrera en person med reservnummer i PMO, från sökning till sparad patient.\n\n"
    "Med --dry-run blir slutkoden densamma som en riktig registrering skulle få."
)(register)
app.command(
    name="complete-pnr",
    help="Byt en patients reservnummer mot hela personnumret i PMO.",
)(complete_pnr)
app.command(
    help="Kontrollera att allt fungerar: inställningar, webbläsare, urklipp och att varje "
    "system svarar och tar emot inloggningen."
)(doctor)
app.command(
    name="check-screens",
    help="Gå igenom varje skärm i PMO och Reservnummersystemet och visa vad som har ändrats "
    "sedan roboten ställdes in (inget sparas).",
)(check_screens)
app.command(help="Starta robotens webbsida för personal på den här datorn.")(ui)
