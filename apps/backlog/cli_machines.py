"""``reservrobot backlog workers | pause | drain | resume | metrics``: the robot machines.

Also the pieces every ``backlog`` command shares: ``store_errors`` (an unreadable or damaged
store is exit code 4 with a Swedish message, never "nothing to do") and the ``--machine``
option (a machine is a worker-identity prefix; default the host name).
"""

from __future__ import annotations

import functools
import getpass
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, ParamSpec, TypeVar

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from apps.backlog.store import MODE_SV, MachineMode, StoreError, default_machine, open_store
from apps.exitcodes import ExitCode
from robot.settings import Settings

out = Console()
err = Console(stderr=True)

P = ParamSpec("P")
R = TypeVar("R")

STORE_BROKEN_SV = "Kön går inte att läsa, så ingenting kördes."


def store_errors(command: Callable[P, R]) -> Callable[P, R]:
    """Turn an unreadable or damaged store into exit code 4 with a Swedish message."""

    @functools.wraps(command)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return command(*args, **kwargs)
        except StoreError as exc:
            err.print(f"[red]{STORE_BROKEN_SV}[/] {escape(exc.message)}")
            raise typer.Exit(ExitCode.STORE_BROKEN) from None

    return wrapper


MachineOption = Annotated[
    str | None,
    typer.Option(
        "--machine",
        envvar="RESERVROBOT_MACHINE",
        help="Robotmaskinens namn (standard: datorns namn).",
    ),
]


def _settings() -> Settings:
    return Settings()


def _user() -> str:
    try:
        return getpass.getuser()
    except Exception:
        return "okänd"


@store_errors
def workers(
    as_json: Annotated[bool, typer.Option("--json", help="Skriv som JSON.")] = False,
) -> None:
    """Which machines and workers are alive (heartbeat), what each holds, each machine's mode."""
    from apps.backlog.metrics import ALIVE_WITHIN_S

    with open_store(_settings()) as store:
        found = store.workers()
        modes = store.machine_modes()

    def state(running: bool, age: float) -> str:
        if not running:
            return "stopped"
        return "alive" if age <= ALIVE_WITHIN_S else "silent"

    if as_json:
        data = {
            "machines": {
                m: str(modes.get(m, MachineMode.RUN))
                for m in sorted({w.machine for w in found} | set(modes))
            },
            "workers": [
                {
                    "name": w.name,
                    "machine": w.machine,
                    "host": w.host,
                    "pid": w.pid,
                    "run_id": w.run_id,
                    "state": state(w.running, w.age_s),
                    "heartbeat_age_s": round(w.age_s, 1),
                    "item_id": w.item_id,
                    "items_done": w.items_done,
                }
                for w in found
            ],
        }
        out.print_json(json.dumps(data, ensure_ascii=False))
        return
    labels = {"alive": "[green]lever[/]", "silent": "[red]tyst[/]", "stopped": "avslutad"}
    table = Table(title="Arbetsprocesser")
    for col in ("Maskin", "Arbetare", "Pid", "Läge", "Livstecken", "Ärende", "Klara"):
        table.add_column(col)
    for w in found:
        table.add_row(
            w.machine,
            w.name,
            str(w.pid),
            labels[state(w.running, w.age_s)],
            f"{w.age_s:.0f} s sedan",
            str(w.item_id or "–"),
            str(w.items_done),
        )
    out.print(table)
    for machine, mode in sorted(modes.items()):
        out.print(f"Maskin {machine}: {MODE_SV[mode]}")


def _set_mode(machine: str | None, mode: MachineMode, text: str) -> None:
    name = machine or default_machine()
    with open_store(_settings()) as store:
        store.set_machine_mode(name, mode, actor=f"person:{_user()}")
    out.print(text.format(machine=name))


@store_errors
def pause(machine: MachineOption = None) -> None:
    """Let one machine's workers take no new items until ``resume`` (they stay and wait)."""
    _set_mode(
        machine,
        MachineMode.PAUSED,
        "Maskinen {machine} är pausad: pågående ärenden blir klara, nya tas inte.",
    )


@store_errors
def drain(machine: MachineOption = None) -> None:
    """Let one machine's workers finish their current item and stop (until ``resume``)."""
    _set_mode(
        machine,
        MachineMode.DRAINING,
        "Maskinen {machine} töms: pågående ärenden blir klara, sedan stannar dess arbetare.",
    )


@store_errors
def resume(machine: MachineOption = None) -> None:
    """Let one machine take items again after ``pause`` or ``drain``."""
    _set_mode(machine, MachineMode.RUN, "Maskinen {machine} tar ärenden igen.")


@store_errors
def metrics(
    out_file: Annotated[
        Path | None,
        typer.Option("--out", help="Skriv till fil (för node_exporters textfile-insamlare)."),
    ] = None,
) -> None:
    """The queue's health in Prometheus text format (depth, oldest case, workers, failures)."""
    from apps.backlog.metrics import render_metrics, write_metrics_file

    with open_store(_settings()) as store:
        text = render_metrics(store)
    if out_file is None:
        sys.stdout.write(text)
    else:
        write_metrics_file(out_file, text)


def mount_machine_commands(app: typer.Typer) -> None:
    """Add the machine commands to ``reservrobot backlog``."""
    for command in (workers, pause, drain, resume, metrics):
        app.command()(command)
