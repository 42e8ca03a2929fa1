"""The ``reservrobot`` command line: the root app that gathers each part's commands.

Each part owns its commands in its own module; this file only wires them together.
"""

from __future__ import annotations

import typer

from mock_sites.cli import app as mock_app
from robot.backlog.cli import audit_app, backlog_app
from robot.cli_run import bench, complete_pnr, config_app, doctor, register
from robot.ui.cli import ui

app = typer.Typer(
    name="reservrobot",
    help="Registers persons without a Swedish personnummer in PMO with a reservnummer.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,  # locals may hold personal data
)
app.add_typer(
    mock_app, name="mock", help="The bundled mock sites (PMO, Reservnummersystemet, Plexus)."
)
app.add_typer(config_app, name="config", help="Show the effective settings.")
app.add_typer(backlog_app, name="backlog", help="The durable work queue of registrations.")
app.add_typer(audit_app, name="audit", help="The pseudonymised audit log.")
app.command()(register)
app.command(name="complete-pnr")(complete_pnr)
app.command()(doctor)
app.command()(bench)
app.command()(ui)
