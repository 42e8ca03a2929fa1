"""Whether the process that holds something is provably gone: the one rule, for every holder.

A lease (``robot.leases``) and a queue item (``apps.backlog``) are both held by a process that
may die without letting go. On the holder's own machine that can be known at once, instead of
waiting for a heartbeat to age; anywhere else only the heartbeat can tell. The rule is easy to
get subtly wrong, hence one home:

```python
me = HolderProcess.current()          # record it with what is held
...
if held_by.is_gone(): take_it_over()  # only on proof; any doubt means "alive"
```

A pid names one process only on one machine, in one pid namespace, in one boot, until it is
reused: ``HolderProcess`` records all four (``this_machine``: host name and pid namespace; pid;
its start time; the machine's boot time). A holder recorded without them (a row written before
they were) is never judged gone. A folder a process owns is named by ``HolderProcess.tag``
and judged by ``from_tag`` (``robot.evidence``'s working folders).

Tests simulate several robot machines on one computer by giving each its own host name in
``RESERVROBOT_SIMULATED_HOST``: a holder on another simulated machine then never looks gone,
exactly as one on another real machine.
"""

from __future__ import annotations

import hashlib
import os
import re
import socket
from dataclasses import dataclass
from typing import Any

import psutil

# Tests simulate several robot machines on one computer: each "machine" then reports its own
# host, so only the heartbeat can tell whether its processes live (as across real hosts).
SIMULATED_HOST_ENV = "RESERVROBOT_SIMULATED_HOST"

# Two start (or boot) times within this many seconds are the same: psutil's are exact to 0.01 s,
# and Linux's boot time is whole seconds. A pid is not reused within a second of its start.
SAME_TIME_S = 1.0

# ``HolderProcess.tag``: pid, start and boot time (whole seconds), a short hash of the machine;
# anything after it is the owner's own (``<tag>-browser-...``).
_TAG = re.compile(r"([0-9]+)-([0-9]+)-([0-9]+)-([0-9a-f]{8})(?:-.*)?")


def host_name() -> str:
    """This computer's name (or the simulated one of a test's robot machine)."""
    return os.environ.get(SIMULATED_HOST_ENV) or socket.gethostname()


def this_machine() -> str:
    """Where a pid means something: the host name and, on Linux, the pid namespace.

    Containers on one machine share its boot time and may share a host name (replicas of one
    image), but not their pids: a holder in another container must never look gone from here
    because its pid is not visible.
    """
    host = host_name()
    try:
        namespace = os.readlink("/proc/self/ns/pid")  # "pid:[4026531836]"
    except OSError:
        return host  # no /proc (not Linux): the host name is the machine
    return f"{host} {namespace}"


@dataclass(frozen=True)
class HolderProcess:
    """A process holding something: machine (``this_machine``: host name and pid namespace),
    pid, and its start and the machine's boot time.

    A pid names one process only within one boot of one machine and until it is reused, hence
    the two times (psutil's ``create_time`` and ``boot_time``, seconds since the epoch).
    """

    host: str
    pid: int
    started: float
    booted: float

    @classmethod
    def current(cls) -> HolderProcess | None:
        """This process; None if the system will not say (what it holds then just expires)."""
        try:
            me = psutil.Process()
            return cls(this_machine(), me.pid, me.create_time(), psutil.boot_time())
        except (psutil.Error, OSError):
            return None

    @classmethod
    def recorded(cls, host: Any, pid: Any, started: Any, booted: Any) -> HolderProcess | None:
        """The process as a store recorded it; None when any part is missing (an older row)."""
        if host is None or pid is None or started is None or booted is None:
            return None
        return cls(str(host), int(pid), float(started), float(booted))

    def tag(self) -> str:
        """The process as a file name: ``<pid>-<start>-<boot>-<machine>`` (whole seconds,
        within ``SAME_TIME_S``; the machine as a short hash, it may hold any character)."""
        return f"{self.pid}-{int(self.started)}-{int(self.booted)}-{_machine_hash(self.host)}"

    @classmethod
    def from_tag(cls, name: str) -> HolderProcess | None:
        """The process a ``tag`` names (None when ``name`` is not one); of another machine it
        keeps only the hash, so it is never judged gone from here."""
        match = _TAG.fullmatch(name)
        if match is None:
            return None
        pid, started, booted, machine = match.groups()
        here = this_machine()
        host = here if machine == _machine_hash(here) else f"machine {machine}"
        return cls(host, int(pid), float(started), float(booted))

    def is_gone(self) -> bool:
        """True only when this process provably no longer runs; any doubt is False.

        It must be this machine (``this_machine``: host name and pid namespace) in the same
        boot: a boot time that moved means another boot, another machine of the same name, or
        a step of the clock, and these cannot be told apart. Then the pid must be free, or
        belong to a zombie or to a process started at another time (the pid was reused). A
        pid that cannot be looked at (no right to) counts as alive.
        """
        if self.host != this_machine() or self.pid <= 0:
            return False
        try:
            if not _same_time(psutil.boot_time(), self.booted):
                return False
            try:
                proc = psutil.Process(self.pid)
                started, booted = proc.create_time(), psutil.boot_time()
                # A zombie has stopped for good; a zombie leader with live threads has not.
                if proc.status() == psutil.STATUS_ZOMBIE and proc.num_threads() <= 1:
                    return True
            except psutil.NoSuchProcess:
                return _pid_free(self.pid)
        except (psutil.Error, OSError):
            return False
        # psutil's start time is the boot time plus the time since boot on Linux (it moves
        # with the boot time), and fixed elsewhere: the same process matches on one of them.
        return not (
            _same_time(started, self.started)
            or _same_time(started - booted, self.started - self.booted)
        )


def _machine_hash(host: str) -> str:
    return hashlib.sha256(host.encode("utf-8")).hexdigest()[:8]


def _same_time(a: float, b: float) -> bool:
    return abs(a - b) <= SAME_TIME_S


def _pid_free(pid: int) -> bool:
    """Confirm psutil's "no such process": a pid hidden from us (``hidepid``) still exists."""
    if os.name != "posix":
        return not psutil.pid_exists(pid)
    try:
        os.kill(pid, 0)  # signal 0: only asks whether the pid exists
    except ProcessLookupError:
        return True
    except OSError:
        return False  # exists, but not ours to signal
    return False
