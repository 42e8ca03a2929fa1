"""A robot process for the frozen-holder test (``python -m tests.e2e.holder_child``).

Settings come from the environment (``RESERVROBOT_*``) as in production; JSON events go to
stderr. One ``Runner`` (one Chromium) registers each request read from stdin, one JSON line per
request, and writes each outcome as one JSON line to stdout. With
``RESERVROBOT_TEST_PAUSE_BEFORE`` set (``flows.crashpoint``) it stops itself before that action
of every request, for the test to continue it.
"""

from __future__ import annotations

import sys

from flows.rules.request import RegistrationRequest
from flows.runner import Runner
from robot.logs import configure_logging
from robot.settings import Settings


def main() -> None:
    settings = Settings()
    configure_logging(settings, json=True)
    with Runner(settings, role="testprocess") as runner:
        print('{"ready": true}', flush=True)
        for line in sys.stdin:
            request = RegistrationRequest.model_validate_json(line)
            outcome = runner.register(request)
            print(outcome.model_dump_json(), flush=True)


if __name__ == "__main__":
    main()
