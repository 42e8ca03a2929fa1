"""A wrong password in the backlog: no run, worker or item sends it again (no account lock)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from apps.backlog.store import ItemStatus, open_store
from apps.exitcodes import ExitCode
from mock_sites.testing import MockSites
from tests.fixtures.settings import environment_of
from tests.ui.helpers import counted_pmo

from .helpers import queue_generated, robot_settings

pytestmark = pytest.mark.e2e


def _run(env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "apps", "backlog", "run", "--workers", "2", "--retry-delay", "0"],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_wrong_password_in_two_runs_with_two_workers_is_sent_at_most_once_per_worker(
    mock_sites: MockSites, tmp_path: Path
) -> None:
    with counted_pmo(tmp_path / "pmo") as (pmo_url, logins):
        settings = robot_settings(tmp_path, mock_sites).with_urls(pmo=pmo_url)
        queue_generated(settings, mock_sites, 4, seed=8080)
        env = {**environment_of(settings), "RESERVROBOT_PMO_PASSWORD": "fel-lösenord"}

        first = _run(env, tmp_path)
        sent = logins.attempts
        second = _run(env, tmp_path)

        assert first.returncode == ExitCode.SOME_FAILED, first.stdout + first.stderr
        # Two workers may meet the login page at the same moment; after that, never again.
        assert 1 <= sent <= 2
        assert logins.attempts == sent, second.stdout + second.stderr
        assert "Roboten kom inte in – inloggningen nekades" in " ".join(first.stdout.split())
    with open_store(settings) as store:
        items = store.items()
        assert items and all(i.status is not ItemStatus.DONE for i in items)
        assert {i.reason_code for i in items if i.reason_code} == {"login_refused"}
