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
from apps.sweep.cli import sweep_app
from apps.ui.cli import ui

app = typer.Typer(
    name="reservrobot",
    help="Registers persons without a Swedish personnummer in PMO with a reservnummer.",
    cls=EdgeGroup,
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,  # locals may hold personal data
)
app.callback()(open_edge)
app.add_typer(config_app, name="config", help="Show the effective settings.")
app.add_typer(backlog_app, name="backlog", help="The durable work queue of registrations.")
app.add_typer(audit_app, name="audit", help="The pseudonymised audit log.")
app.add_typer(sweep_app, name="sweep", help="Read-only sweep for duplicates and orphans.")
app.command()(register)
app.command(name="complete-pnr")(complete_pnr)
app.command()(doctor)
app.command(name="check-screens")(check_screens)
app.command()(ui)
