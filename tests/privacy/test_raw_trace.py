"""A raw support trace never outlives its process on a disk (issue 25, point 7).

``reservrobot register`` runs with the support trace on for a person born the same day as a
protected one, and is killed (SIGKILL, its whole process group) while RNS is slow, mid-item,
its trace recording: PMO's search list has shown the protected person's name and number. The
raw trace holds them; before, it lay in ``<evidence>/.recording/`` until the next start. Now
Playwright writes it into the process's folder in memory (``robot.volatile``): nothing of it is
anywhere in the data folder, and the cleaner's next pass removes the folder in memory and the
killed Chromium's temp profile.
"""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO

import psutil
import pytest

from mock_sites.testing import MockSites
from robot.evidence import remove_leftovers
from robot.leftovers import GRACE_S, PROFILE_PREFIX, LeftoverCleaner
from robot.settings import Settings
from robot.volatile import ram_backed
from tests.e2e.conftest import cli_env
from tests.e2e.people import People, SiteWriter

pytestmark = [pytest.mark.e2e]

ROOT = Path(__file__).resolve().parents[2]
PROGRESS_DEADLINE_S = 120  # only a guard against hanging; never what a test asserts


@pytest.fixture
def temp() -> Iterator[Path]:
    """The run's own temp folder, short: Chromium's socket path in it must fit 108 bytes."""
    folder = Path(tempfile.mkdtemp(prefix="rr-"))
    yield folder
    subprocess.run(["rm", "-rf", str(folder)], check=False)


@pytest.fixture
def memory(tmp_path: Path) -> Iterator[Path]:
    """A folder of this test's own in memory (not the one other tests' processes share)."""
    if not Path("/dev/shm").is_dir() or not ram_backed(Path("/dev/shm")):
        pytest.skip("needs Linux's /dev/shm (a tmpfs)")
    folder = Path(tempfile.mkdtemp(prefix="reservrobot-test-", dir="/dev/shm"))
    yield folder
    subprocess.run(["rm", "-rf", str(folder)], check=False)


def _pump(stream: IO[str], lines: queue.Queue[str]) -> None:
    for line in stream:
        lines.put(line)


def _kill_mid_item(args: list[str], *, cwd: Path, env: dict[str, str]) -> None:
    """Run ``reservrobot`` and SIGKILL its process group once PMO has been searched."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "apps", *args],
        cwd=cwd,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    lines: queue.Queue[str] = queue.Queue()
    assert proc.stderr is not None
    threading.Thread(target=_pump, args=(proc.stderr, lines), daemon=True).start()
    seen: list[str] = []
    deadline = time.monotonic() + PROGRESS_DEADLINE_S
    try:
        while True:
            try:
                line = lines.get(timeout=1)
            except queue.Empty:
                if proc.poll() is None and time.monotonic() < deadline:
                    continue
                pytest.fail("the run never got past PMO's search:\n" + "".join(seen)[-3000:])
            seen.append(line)
            if '"step_done"' in line and '"search_pmo"' in line:
                break  # RNS answers slowly now: the robot is mid-item, its trace recording
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def _files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()] if root.is_dir() else []


def _holding(root: Path, needles: list[bytes]) -> list[str]:
    return [str(p) for p in _files(root) for n in needles if n in p.read_bytes()]


def _wait_until_nobody_names(folder: Path) -> None:
    """Chromium runs in a process group of its own and exits once its driver is gone."""
    deadline = time.monotonic() + PROGRESS_DEADLINE_S
    while any(
        str(folder) in " ".join(p.info["cmdline"] or []) for p in psutil.process_iter(["cmdline"])
    ):
        assert time.monotonic() < deadline, "the killed run's Chromium did not exit"
        time.sleep(0.05)


def test_a_killed_runs_raw_trace_is_only_in_memory_and_the_cleaner_removes_it(
    fresh_mock_sites: MockSites,
    tmp_path: Path,
    memory: Path,
    temp: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sites = fresh_mock_sites
    people = People(sites)
    neighbour = people.request()
    # The protected person, born the same day, registered earlier: PMO's list shows them.
    family, given = "Skyddadottir", "Hemlighild"
    number = SiteWriter(sites).rns_create(neighbour.birth_date, sex="K", family=family, given=given)
    SiteWriter(sites).pmo_register(number, sex="K", family=family, given=given)
    needles = [family.encode(), given.encode(), number.encode()]
    request_file = tmp_path / "request.json"
    request_file.write_text(neighbour.model_dump_json(), encoding="utf-8")
    data = tmp_path / "data"
    env = cli_env(sites, data)
    env.update(
        {
            "RESERVROBOT_EVIDENCE_TRACE": "true",
            "RESERVROBOT_VOLATILE_DIR": str(memory),
            "TMPDIR": str(temp),  # where the killed Chromium's profile stays
        }
    )
    sites.set_faults("rns", latency_ms=800)
    try:
        _kill_mid_item(["register", "--json", "--file", str(request_file)], cwd=tmp_path, env=env)
    finally:
        sites.set_faults("rns", latency_ms=0)

    # Nothing of the raw trace on the disk: no trace file, not the protected person's data.
    evidence = data / "evidence"
    traces = [p.name for p in _files(evidence) if "trace" in p.name or p.suffix == ".network"]
    assert traces == []
    assert _holding(data, needles) == []
    # It was recorded, in memory: the killed browser's folder holds the protected person.
    [left] = [p for p in memory.iterdir() if "-browser-" in p.name]
    assert any(p.suffix == ".trace" for p in _files(left))
    assert _holding(left, needles)
    [profile] = [p for p in temp.iterdir() if p.name.startswith(PROFILE_PREFIX)]
    _wait_until_nobody_names(profile)

    # The running entry points' cleaner: its next pass removes both.
    monkeypatch.setattr(tempfile, "tempdir", str(temp))
    aged = time.time() - GRACE_S - 60  # past the grace a browser being launched gets
    os.utime(profile, (aged, aged))
    settings = Settings(data_dir=data, volatile_dir=memory)
    with LeftoverCleaner(lambda: remove_leftovers(settings), interval_s=0.01) as cleaner:
        assert cleaner.wait_for_passes(1, timeout_s=PROGRESS_DEADLINE_S)
    assert list(memory.iterdir()) == []
    assert not profile.exists()
