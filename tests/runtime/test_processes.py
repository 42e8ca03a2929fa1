"""The one rule whether a holder's process is gone (``robot.processes``), as a folder name too.

The leases' and the queue's tests hold real holders in rows; here the rule names the working
folders of ``robot.evidence``: a folder of a live process in another pid namespace of this
host name is kept, one of a killed process on this machine is removed.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from robot.evidence import RECORDING_DIR, prepare_evidence
from robot.processes import SIMULATED_HOST_ENV, HolderProcess, this_machine
from robot.settings import Settings

REPO = Path(__file__).resolve().parents[2]
PROGRESS_DEADLINE_S = 60  # only a guard against hanging; never what a test asserts

# Makes its working folder in the evidence folder, names it, and lives until stdin closes.
_OWNER = """
import sys
from pathlib import Path
from robot.evidence import process_recording_dir
print(process_recording_dir(Path(sys.argv[1])).name, flush=True)
sys.stdin.read()
"""


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        data_dir=tmp_path / "data", volatile_dir=tmp_path / "memory", evidence_retention_days=36500
    )


def _owner(
    settings: Settings, *prefix: str, env: dict[str, str] | None = None
) -> tuple[subprocess.Popen[str], str]:
    """A process (behind ``prefix``, e.g. ``unshare``) owning a working folder; its name."""
    owner = subprocess.Popen(
        [*prefix, sys.executable, "-c", _OWNER, str(settings.evidence_path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO), **(env or {})},
    )
    name = (owner.stdout.readline() if owner.stdout else "").strip()
    if not name:
        _, err = owner.communicate(timeout=PROGRESS_DEADLINE_S)
        if "Operation not permitted" in err:
            pytest.skip("this user may not create pid namespaces")
        pytest.fail(f"the owner did not start: {err[-2000:]}")
    return owner, name


def test_the_tag_names_this_process_and_it_is_not_gone() -> None:
    me = HolderProcess.current()
    assert me is not None and me.host == this_machine()
    read = HolderProcess.from_tag(me.tag() + "-browser-0a1b")
    assert read is not None and (read.host, read.pid) == (me.host, os.getpid())
    assert not read.is_gone()
    assert HolderProcess.from_tag("123-456-browser-x") is None  # an older release's name


def test_a_live_owner_in_another_pid_namespace_keeps_its_folder(settings: Settings) -> None:
    unshare = shutil.which("unshare")
    if unshare is None:
        pytest.skip("needs util-linux's unshare")
    owner, name = _owner(settings, unshare, "--pid", "--fork", "--mount-proc")
    try:
        folder = settings.evidence_path / RECORDING_DIR / name
        assert folder.is_dir() and name.startswith("1-")  # pid 1 of its own namespace
        assert prepare_evidence(settings) == 0
        assert folder.is_dir()
    finally:
        if owner.stdin:
            owner.stdin.close()
        owner.wait(timeout=PROGRESS_DEADLINE_S)


def test_a_killed_owner_on_this_machine_loses_its_folder_and_another_machines_keeps_it(
    settings: Settings,
) -> None:
    here, here_name = _owner(settings)
    there, there_name = _owner(settings, env={SIMULATED_HOST_ENV: "machine-2"})
    for owner in (here, there):
        owner.send_signal(signal.SIGKILL)
        owner.communicate(timeout=PROGRESS_DEADLINE_S)
    recording = settings.evidence_path / RECORDING_DIR
    assert prepare_evidence(settings) == 1
    assert not (recording / here_name).exists()
    # Another machine's process cannot be proven gone from here: its folder stays.
    assert (recording / there_name).is_dir()
