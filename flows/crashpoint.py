"""Test hooks to prove idempotency and fencing: die abruptly after a step, or freeze before
an irreversible action.

With ``RESERVROBOT_TEST_CRASH_AFTER=<step>`` in the environment the process kills itself with
SIGKILL (exit status 137 where there is no SIGKILL) the moment ``crash_point(<step>)`` is
reached: no cleanup, no journal update, nothing flushed, as a power cut or ``kill -9`` would.
Points: ``search_pmo``, ``search_rns``, ``create_rns`` (after the new number is journaled),
``register_pmo`` (after PMO saved the patient, before the journal knows) and ``verify``.

With ``RESERVROBOT_TEST_PAUSE_BEFORE=<action>`` the process stops itself (SIGSTOP, as a frozen
VM, a debugger or a swapped-out machine would) the moment ``pause_point(<action>)`` is reached,
right before the fence of that irreversible action: ``create_rns`` (before RNS "Skapa") or
``register_pmo`` (before PMO "Spara"). A test continues it with SIGCONT. Before stopping it
writes the event ``test_paused`` to the log, so the test knows where it stands.

Never set either in production.
"""

from __future__ import annotations

import os
import signal

from robot.logs import get_logger

_log = get_logger(__name__)

ENV = "RESERVROBOT_TEST_CRASH_AFTER"
PAUSE_ENV = "RESERVROBOT_TEST_PAUSE_BEFORE"


def crash_point(step: str) -> None:
    """Kill this process now when the test hook names ``step``."""
    if os.environ.get(ENV) == step:
        kill = getattr(signal, "SIGKILL", None)
        if kill is not None:
            os.kill(os.getpid(), kill)
        os._exit(137)


def pause_point(action: str) -> None:
    """Stop this process (SIGSTOP) now when the test hook names ``action``."""
    stop = getattr(signal, "SIGSTOP", None)
    if stop is None or os.environ.get(PAUSE_ENV) != action:
        return
    _log.event("test_paused", action=action)
    os.kill(os.getpid(), stop)
