"""Who holds an item: a worker's name, robot machine, host and process.

Whether a holder is gone is the runtime's one rule (``robot.processes.HolderProcess``, shared
with the leases): on the worker's own machine (host name and pid namespace) and boot a dead
holder is recognised at once; anywhere else, and for any doubt, only the heartbeat can tell.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from robot.processes import SIMULATED_HOST_ENV, HolderProcess, host_name

__all__ = ["SIMULATED_HOST_ENV", "WorkerIdentity", "default_machine", "host_name"]


def default_machine() -> str:
    """The machine name used when none is configured: the host name."""
    return host_name()


@dataclass(frozen=True)
class WorkerIdentity:
    """A worker process: its name, pid, host name (for people) and robot machine.

    ``process`` is what the process rule needs to tell that it is gone; None when the system
    would not say, and then only the heartbeat can tell.
    """

    name: str
    pid: int
    host: str
    process: HolderProcess | None = None
    machine: str = ""

    @classmethod
    def current(cls, name: str, *, machine: str | None = None) -> WorkerIdentity:
        return cls(
            name=name,
            pid=os.getpid(),
            host=host_name(),
            process=HolderProcess.current(),
            machine=machine or default_machine(),
        )
