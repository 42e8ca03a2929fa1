"""Test hook to prove idempotency: die abruptly right after a named step.

With ``RESERVROBOT_TEST_CRASH_AFTER=<step>`` in the environment the process kills itself with
SIGKILL (exit status 137 where there is no SIGKILL) the moment ``crash_point(<step>)`` is
reached: no cleanup, no journal update, nothing flushed, as a power cut or ``kill -9`` would.
Points: ``search_pmo``, ``search_rns``, ``create_rns`` (after the new number is journaled),
``register_pmo`` (after PMO saved the patient, before the journal knows) and ``verify``.
Never set it in production.
"""

from __future__ import annotations

import os
import signal

ENV = "RESERVROBOT_TEST_CRASH_AFTER"


def crash_point(step: str) -> None:
    """Kill this process now when the test hook names ``step``."""
    if os.environ.get(ENV) == step:
        kill = getattr(signal, "SIGKILL", None)
        if kill is not None:
            os.kill(os.getpid(), kill)
        os._exit(137)
