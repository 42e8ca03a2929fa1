"""Who holds an item: a worker's name, machine, process and start time.

On the worker's own host a dead holder is recognised at once (its pid is gone, or was reused
by a process started at another time); across hosts only the heartbeat can tell.
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass

import psutil

# Tests simulate several robot machines on one computer: each "machine" then reports its own
# host, so only the heartbeat can tell whether its workers live (as across real hosts).
SIMULATED_HOST_ENV = "RESERVROBOT_SIMULATED_HOST"


def host_name() -> str:
    """This computer's name (or the simulated one of a test's robot machine)."""
    return os.environ.get(SIMULATED_HOST_ENV) or socket.gethostname()


def default_machine() -> str:
    """The machine name used when none is configured: the host name."""
    return host_name()


@dataclass(frozen=True)
class WorkerIdentity:
    """A worker process. ``started`` is its creation time, so a reused pid is not mistaken."""

    name: str
    pid: int
    host: str
    started: float
    machine: str = ""

    @classmethod
    def current(cls, name: str, *, machine: str | None = None) -> WorkerIdentity:
        pid = os.getpid()
        return cls(
            name=name,
            pid=pid,
            host=host_name(),
            started=psutil.Process(pid).create_time(),
            machine=machine or default_machine(),
        )

    def is_alive(self) -> bool:
        """True when this process still runs (only answerable on the same host)."""
        return self.host == host_name() and process_alive(self.pid, self.started)


def process_alive(pid: int, started: float | None) -> bool:
    """True when ``pid`` runs and (when known) was started at ``started``."""
    try:
        proc = psutil.Process(pid)
        if proc.status() == psutil.STATUS_ZOMBIE:
            return False
        return started is None or abs(proc.create_time() - started) < 0.01
    except (psutil.NoSuchProcess, psutil.AccessDenied):
        return False
