"""The main job on the embedded defaults, for ``./run demo``.

Starts the bundled mock sites on their default ports (free ports when those are taken), runs a
real registration of one generated person in Chromium, runs the same request again to show
that a rerun registers nobody twice, and prints what changed in the mock systems.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from rich.console import Console

from flows.rules.outcome import Outcome
from flows.runner import Runner
from mock_sites.testing import DEFAULT_PORTS, run_mock_sites
from qa.people import InventedPeople
from robot.settings import Settings

# The demo's person: always the same one (seed 1), on a birth date nobody in the mocks has.
DEMO_SEED = 1


def _ports_free() -> bool:
    import socket

    for port in DEFAULT_PORTS.values():
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                return False
    return True


def _show(console: Console, title: str, outcome: Outcome) -> None:
    console.print(f"[bold]{title}[/bold]: {outcome.kind.value}", highlight=False)
    if outcome.patient_id:
        console.print(f"  Patient-ID: {outcome.patient_id}", highlight=False)
    if outcome.reason_sv:
        console.print(f"  Orsak: {outcome.reason_sv}", highlight=False)
    for step in outcome.steps:
        if step.status != "started":
            console.print(f"  {step.label_sv:<32} {step.status:<8} {step.elapsed_s:6.2f} s")


def main() -> int:
    console = Console()
    data_dir = Path(tempfile.mkdtemp(prefix="reservrobot-demo-"))
    ports = {str(site): port for site, port in DEFAULT_PORTS.items()} if _ports_free() else None
    with run_mock_sites(data_dir / "mock", ports=ports) as sites:
        console.print(
            f"Mock sites: Plexus {sites.plexus_url}  PMO {sites.pmo_url}  "
            f"Reservnummersystemet {sites.rns_url}  (user demo / demo)"
        )
        before_pmo = len(sites.records("pmo")["patients"])
        before_rns = len(sites.records("rns")["persons"])
        settings = Settings(
            pmo_url=sites.pmo_url,
            rns_url=sites.rns_url,
            plexus_url=sites.plexus_url,
            data_dir=data_dir / "robot",
        )
        request = InventedPeople.beside(sites, seed=DEMO_SEED).request()
        with Runner(settings) as runner:
            first = runner.register(request)
            _show(console, "Registrering", first)
            again = runner.register(request)
            _show(console, "Samma begäran igen", again)
        added_pmo = len(sites.records("pmo")["patients"]) - before_pmo
        added_rns = len(sites.records("rns")["persons"]) - before_rns
    console.print(
        f"Nya patienter i PMO: {added_pmo}   nya reservnummer: {added_rns}   (data i {data_dir})"
    )
    ok = (
        first.kind.value == "registered"
        and again.kind.value == "already_registered"
        and added_pmo == 1
        and added_rns == 1
    )
    console.print("[green]Demo OK[/green]" if ok else "[red]Demo FAILED[/red]")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
