"""``reservrobot backlog workers | pause | drain | resume | metrics``: the robot machines.

Also the ``--machine`` option every ``backlog`` command shares (a machine is a worker-identity
prefix; default the host name). An unreadable or damaged store is exit code 4 with a Swedish
message (never "nothing to do"), as for every command (``apps.cli.edge``).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text

from apps.backlog.store import MODE_SV, MachineMode, default_machine, open_store
from apps.cli.edge import Edge, edge_of, out

MachineOption = Annotated[
    str | None,
    typer.Option(
        "--machine",
        envvar="RESERVROBOT_MACHINE",
        help="Robotmaskinens namn (standard: datorns namn).",
    ),
]


def workers(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="Skriv som JSON.")] = False,
) -> None:
    """Which machines and workers are alive (heartbeat), what each holds, each machine's mode."""
    from apps.backlog.metrics import ALIVE_WITHIN_S

    with open_store(edge_of(ctx).settings) as store:
        store.expire_workers()  # a worker that died without signing off: stopped, not silent
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
    labels = {
        "alive": Text("lever", style="green"),
        "silent": Text("tyst", style="red"),
        "stopped": Text("avslutad"),
    }
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


def _set_mode(edge: Edge, machine: str | None, mode: MachineMode, text: str) -> None:
    name = machine or default_machine()
    with open_store(edge.settings) as store:
        store.set_machine_mode(name, mode, actor=edge.actor("person"))
    out.print(text.format(machine=name))


def pause(ctx: typer.Context, machine: MachineOption = None) -> None:
    """Let one machine's workers take no new items until ``resume`` (they stay and wait)."""
    _set_mode(
        edge_of(ctx),
        machine,
        MachineMode.PAUSED,
        "Maskinen {machine} är pausad: pågående ärenden blir klara, nya tas inte.",
    )


def drain(ctx: typer.Context, machine: MachineOption = None) -> None:
    """Let one machine's workers finish their current item and stop (until ``resume``)."""
    _set_mode(
        edge_of(ctx),
        machine,
        MachineMode.DRAINING,
        "Maskinen {machine} töms: pågående ärenden blir klara, sedan stannar dess arbetare.",
    )


def resume(ctx: typer.Context, machine: MachineOption = None) -> None:
    """Let one machine take items again after ``pause`` or ``drain``."""
    _set_mode(edge_of(ctx), machine, MachineMode.RUN, "Maskinen {machine} tar ärenden igen.")


def metrics(
    ctx: typer.Context,
    out_file: Annotated[
        Path | None,
        typer.Option(
            "--out", metavar="fil", help="Skriv till filen (som driftövervakningen läser)."
        ),
    ] = None,
) -> None:
    """The queue's health in Prometheus text format (depth, oldest case, workers, failures)."""
    from apps.backlog.metrics import render_metrics, write_metrics_file

    with open_store(edge_of(ctx).settings) as store:
        store.expire_workers()  # a worker that died without signing off: stopped, not silent
        text = render_metrics(store)
    if out_file is None:
        sys.stdout.write(text)
    else:
        write_metrics_file(out_file, text)


def mount_machine_commands(app: typer.Typer) -> None:
    """Add the machine commands to ``reservrobot backlog``."""
    for command, help_sv in (
        (
            workers,
            "Visa vilka robotmaskiner som arbetar, vad var och en håller på med och "
            "om de är pausade.",
        ),
        (pause, "Pausa en robotmaskin: den tar inga nya ärenden förrän du skriver resume."),
        (drain, "Låt en robotmaskin göra klart sitt ärende och sedan stanna (till resume)."),
        (resume, "Låt en robotmaskin ta ärenden igen efter pause eller drain."),
        (metrics, "Köns läge som mätvärden för driftövervakningen (Prometheus)."),
    ):
        app.command(help=help_sv)(command)
