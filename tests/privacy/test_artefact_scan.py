"""The proof that evidence holds by construction: run everything, then read every file.

One module-scoped scenario against freshly started mock sites whose only user has a unique
password: a registration that is killed (SIGKILL) mid-item with a trace being recorded; a
success; a protected identity registered, then failing itself (registration and completion);
a neighbour born the same day failing while the PMO list shows the protected person; HTTP 500s;
latency beyond the time-out; a selector file that no longer finds the PMO result list, with
the opt-in trace on; and a backlog import (the protected person among its rows) and report.
Then every file the project wrote (data folder, evidence, logs, queue/journal/audit databases,
report, the temp folder given to the command-line runs, new entries in the system temp folder,
unzipped traces) is read, and the tests below assert what must never be in it.

Switch masking off (``ALWAYS_MASKED`` and the runner's masks) and the tests on other people's
data in evidence and on the protected person fail.
"""

from __future__ import annotations

import csv
import os
import queue
import re
import secrets
import shutil
import signal
import stat
import string
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import IO

import pytest
from pydantic import SecretStr

from apps.backlog.store import open_store
from flows.rules.outcome import OutcomeKind
from flows.rules.request import RegistrationRequest
from flows.runner import Runner
from mock_sites.common.config import User
from mock_sites.testing import MockSites, run_mock_sites
from qa.people import InventedPeople, birth_date_of, personnummer
from robot.evidence import RECORDING_DIR
from robot.logs import IDENTITY_PATTERN, configure_logging, unconfigure_logging
from robot.settings import DEFAULT_CONFIG_DIR, Settings
from tests.fixtures.settings import settings_for

pytestmark = [pytest.mark.e2e, pytest.mark.slow]  # a SIGKILLed run and four browsers

REPO_ROOT = Path(__file__).resolve().parents[2]
KEY = "artefact-scan-pseudonym-key"
CLI_TIMEOUT_S = 120
TMP_PREFIXES = ("playwright", ".org.chromium", "chromium", "reservrobot", "tmp")


@dataclass
class Person:
    """A scenario person: the request, and what must not appear outside its own evidence."""

    request: RegistrationRequest
    patient_id: str | None = None

    @property
    def names(self) -> list[str]:
        return [self.request.family_name, *self.request.given_names.split()]


NewPerson = Callable[..., Person]


@dataclass
class Scan:
    work: Path
    settings: Settings
    password: str
    people: dict[str, Person] = field(default_factory=dict)
    evidence_of: dict[Path, str] = field(default_factory=dict)  # folder -> person key
    neighbours_of: dict[str, list[str]] = field(default_factory=dict)  # others on that date
    log_files: list[Path] = field(default_factory=list)
    new_tmp_entries: list[Path] = field(default_factory=list)
    leftovers_after_kill: list[Path] = field(default_factory=list)
    leftovers_after_start: list[Path] = field(default_factory=list)
    notes: dict[str, object] = field(default_factory=dict)
    blobs: list[tuple[str, bytes]] = field(default_factory=list)  # every file, read once

    @property
    def data(self) -> Path:
        return self.settings.data_dir

    def files(self) -> Iterator[Path]:
        """Every file the project wrote: the work folder (not the mock sites' own data)."""
        mock = self.work / "mock"
        for path in sorted(self.work.rglob("*")):
            if path.is_file() and not path.is_relative_to(mock):
                yield path
        for entry in self.new_tmp_entries:
            yield from _readable_files(entry)


def _readable_files(entry: Path) -> Iterator[Path]:
    candidates = [entry] if entry.is_file() else sorted(entry.rglob("*"))
    for path in candidates:
        try:
            if path.is_file() and not path.is_symlink() and os.access(path, os.R_OK):
                yield path
        except OSError:
            continue


def contents(path: Path) -> Iterator[tuple[str, bytes]]:
    """The bytes of a file, and of every member when it is a zip (traces)."""
    try:
        data = path.read_bytes()
    except OSError:
        return
    yield str(path), data
    if data[:4] == b"PK\x03\x04":
        try:
            with zipfile.ZipFile(path) as archive:
                for name in archive.namelist():
                    yield f"{path}!{name}", archive.read(name)
        except zipfile.BadZipFile:
            return


def _word(text: str) -> re.Pattern[bytes]:
    return re.compile(rb"(?<![\w])" + re.escape(text.encode("utf-8")) + rb"(?![\w])")


def _unique_name(rng: secrets.SystemRandom, stem: str) -> str:
    return stem + "".join(rng.choice(string.ascii_lowercase) for _ in range(5))


def _settings(sites: MockSites, data: Path, password: str, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "transfer_mode": "browser",
        "timeout_ms": 2_000,
        "navigation_timeout_ms": 2_500,
        "max_attempts": 2,
        "backoff_base_s": 0.05,
        "backoff_max_s": 0.1,
        "pseudonym_key": SecretStr(KEY),
    }
    for site in ("pmo", "rns", "plexus"):
        values[f"{site}_username"] = "robot"
        values[f"{site}_password"] = SecretStr(password)
    values.update(overrides)
    return settings_for(sites, data, **values)


def _env(settings: Settings, work: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RESERVROBOT_")}
    env.update(
        {
            "PYTHONPATH": str(REPO_ROOT),
            "PYTHONUNBUFFERED": "1",
            "TMPDIR": str(work / "tmp"),
            "RESERVROBOT_PMO_URL": settings.pmo.url,
            "RESERVROBOT_RNS_URL": settings.rns.url,
            "RESERVROBOT_PLEXUS_URL": settings.plexus.url,
            "RESERVROBOT_DATA_DIR": str(settings.data_dir),
            "RESERVROBOT_PSEUDONYM_KEY": KEY,
            "RESERVROBOT_TRANSFER_MODE": "browser",
            "RESERVROBOT_MAX_ATTEMPTS": "2",
            "RESERVROBOT_BACKOFF_BASE_S": "0.05",
            "RESERVROBOT_BACKOFF_MAX_S": "0.1",
        }
    )
    for site in ("PMO", "RNS", "PLEXUS"):
        env[f"RESERVROBOT_{site}_USERNAME"] = "robot"
        env[f"RESERVROBOT_{site}_PASSWORD"] = settings.pmo.password.get_secret_value()
    env.update(extra)
    return env


def _cli(scan: Scan, name: str, args: list[str], env: dict[str, str]) -> int:
    log = scan.work / f"cli-{name}.log"
    with log.open("w") as err:
        done = subprocess.run(
            [sys.executable, "-m", "apps", *args],
            cwd=scan.work,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=err,
            timeout=CLI_TIMEOUT_S,
            check=False,
        )
    scan.log_files.append(log)
    return done.returncode


def _register_args(request: RegistrationRequest) -> list[str]:
    address = request.address
    assert address is not None
    return [
        "register",
        "--json",
        f"--birth-date={request.birth_date.isoformat()}",
        f"--sex={request.sex.value}",
        f"--family-name={request.family_name}",
        f"--given-names={request.given_names}",
        f"--group={request.group}",
        f"--street={address.street}",
        f"--postal-code={address.postal_code}",
        f"--city={address.city}",
        "--country=SE",
    ]


def _pump(stream: IO[str], lines: queue.Queue[str]) -> None:
    for line in stream:
        lines.put(line)


def _killed_mid_item(scan: Scan, request: RegistrationRequest, env: dict[str, str]) -> None:
    """``reservrobot register`` with the trace on, SIGKILLed (all of it) inside search_rns."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "apps", *_register_args(request)],
        cwd=scan.work,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    lines: queue.Queue[str] = queue.Queue()
    assert proc.stderr is not None
    threading.Thread(target=_pump, args=(proc.stderr, lines), daemon=True).start()
    log = scan.work / "cli-killed.log"
    seen: list[str] = []
    try:
        while True:
            line = lines.get(timeout=CLI_TIMEOUT_S)
            seen.append(line)
            if '"step_done"' in line and '"search_pmo"' in line:
                break  # RNS answers slowly now: the robot is mid-item, its trace recording
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        log.write_text("".join(seen))
        scan.log_files.append(log)


@pytest.fixture(scope="module")
def scan(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Scan]:
    system_tmp = Path(tempfile.gettempdir())
    tmp_before = set(os.listdir(system_tmp))
    work = tmp_path_factory.mktemp("artefact-scan")
    (work / "tmp").mkdir()
    password = "Hemligt" + secrets.token_hex(8)
    rng = secrets.SystemRandom()
    user = User("robot", password, "Robot Robotsson")
    with run_mock_sites(work / "mock", users=(user,)) as sites:
        settings = _settings(sites, work / "data", password)
        result = Scan(work=work, settings=settings, password=password)
        people = InventedPeople.beside(sites, seed=rng.randrange(1 << 30))

        def person(key: str, **overrides: object) -> Person:
            family = _unique_name(rng, "Prov")
            one = Person(people.request(family_name=family, **overrides))
            result.people[key] = one
            return one

        clock = time.perf_counter()
        phases: dict[str, float] = {}

        def lap(name: str) -> None:
            nonlocal clock
            phases[name] = round(time.perf_counter() - clock, 1)
            clock = time.perf_counter()

        result.notes["phase_s"] = phases
        # 1. Killed mid-item while a trace records: its raw trace is in memory, not here.
        killed = person("killed")
        sites.set_faults("rns", latency_ms=1_500)
        _killed_mid_item(
            result, killed.request, _env(settings, work, RESERVROBOT_EVIDENCE_TRACE="1")
        )
        sites.set_faults("rns", latency_ms=0)
        recording = settings.evidence_path / RECORDING_DIR
        result.leftovers_after_kill = [p for p in recording.rglob("*") if p.is_file()]
        lap("killed")

        configure_logging(settings, json=True, to_file=True)
        result.log_files.append(settings.data_dir / "logs" / "reservrobot.jsonl")
        try:
            with Runner(settings) as runner:
                result.leftovers_after_start = [p for p in recording.rglob("*") if p.is_file()]
                _in_process(result, sites, runner, person)
            lap("in_process")
            _wrong_selector_with_trace(result, sites, work, person)
            lap("drift")
        finally:
            unconfigure_logging()
        _backlog(result, sites, work, rng)
        lap("backlog")
        _sweep(result, sites, work)
        lap("sweep")

        patients = sites.records("pmo")["patients"]
        persons = sites.records("rns")["persons"]
        for key, one in result.people.items():
            born = one.request.birth_date
            others = [
                p["family_name"]
                for p in patients
                if birth_date_of(p["patient_id"]) == born and p["family_name"] != one.names[0]
            ]
            others += [
                p["family_name"]
                for p in persons
                if date.fromisoformat(p["birth_date"]) == born and p["family_name"] != one.names[0]
            ]
            others += [o.names[0] for k, o in result.people.items() if k != key]
            result.neighbours_of[key] = sorted(set(others))
    # New entries of the system temp folder of the kind a browser, Playwright or Python's
    # tempfile makes (other programs on the machine make theirs meanwhile).
    result.new_tmp_entries = [
        system_tmp / n
        for n in sorted(set(os.listdir(system_tmp)) - tmp_before)
        if n.startswith(TMP_PREFIXES)
    ]
    result.blobs = [blob for path in result.files() for blob in contents(path)]
    yield result


def _in_process(scan: Scan, sites: MockSites, runner: Runner, new: NewPerson) -> None:

    def keep(key: str, outcome_dir: str | None) -> None:
        if outcome_dir:
            scan.evidence_of[Path(outcome_dir)] = key

    ok = new("success")
    outcome = runner.register(ok.request)
    assert outcome.kind is OutcomeKind.REGISTERED, outcome

    protected = new("protected", protected=True, given_names="Hemlighild")
    outcome = runner.register(protected.request)
    assert outcome.reason_code == "protected_identity", outcome
    protected.patient_id = outcome.patient_id
    assert protected.patient_id

    sites.set_faults("pmo", error_rate=1.0)
    try:
        own_failure = runner.register(protected.request)
        completion = runner.complete_pnr(
            protected.patient_id,
            personnummer(protected.request.birth_date, sex=protected.request.sex),
            identity_checked=True,
            protected=True,
        )
    finally:
        sites.set_faults("pmo", error_rate=0.0)
    assert own_failure.kind is OutcomeKind.FAILED and own_failure.evidence_dir is None
    assert completion.kind is OutcomeKind.FAILED and completion.evidence_dir is None
    scan.notes["protected_failures"] = [own_failure.reason_code, completion.reason_code]

    # The neighbour fails in RNS while the PMO page lists the protected person.
    neighbour = new("neighbour", birth_date=protected.request.birth_date)
    sites.set_faults("rns", error_rate=1.0)
    try:
        outcome = runner.register(neighbour.request)
    finally:
        sites.set_faults("rns", error_rate=0.0)
    assert outcome.kind is OutcomeKind.FAILED and outcome.evidence_dir, outcome
    keep("neighbour", outcome.evidence_dir)

    slow = new("slow")
    sites.set_faults("pmo", latency_ms=3_000)
    try:
        outcome = runner.register(slow.request)
    finally:
        sites.set_faults("pmo", latency_ms=0)
    assert outcome.kind is OutcomeKind.FAILED, outcome
    keep("slow", outcome.evidence_dir)


def _wrong_selector_with_trace(scan: Scan, sites: MockSites, work: Path, new: NewPerson) -> None:
    """PMO's result list is no longer found (selector drift), with the support trace on."""
    config = work / "config"
    shutil.copytree(DEFAULT_CONFIG_DIR, config)
    selectors = config / "selectors" / "pmo_a.toml"
    text = selectors.read_text(encoding="utf-8")
    drifted = text.replace(
        'results = { role = "table", name = "Sökresultat" }',
        'results = { role = "table", name = "Träfflista" }',
    )
    assert drifted != text
    selectors.write_text(drifted, encoding="utf-8")
    settings = scan.settings.model_copy(
        update={"config_dir": config, "evidence_trace": True, "max_attempts": 1}
    )
    patients = sites.records("pmo")["patients"]
    by_day: dict[date, int] = {}
    for patient in patients:
        day = birth_date_of(patient["patient_id"])
        if day is not None:
            by_day[day] = by_day.get(day, 0) + 1
    crowded = max(by_day, key=lambda d: by_day[d])
    protected = scan.people["protected"]
    with Runner(settings) as runner:
        for key, born in (("drift", crowded), ("drift_neighbour", protected.request.birth_date)):
            one = new(key, birth_date=born)
            outcome = runner.register(one.request)
            assert outcome.kind is OutcomeKind.FAILED and outcome.evidence_dir, outcome
            scan.evidence_of[Path(outcome.evidence_dir)] = key
    scan.notes["crowded_patients"] = by_day[crowded]


def _backlog(scan: Scan, sites: MockSites, work: Path, rng: secrets.SystemRandom) -> None:
    rows = InventedPeople.beside(sites, seed=rng.randrange(1 << 30)).rows(2, foreign_every=0)
    # The protected person queued too: the queue store holds their case sealed only.
    secret = scan.people["protected"].request
    rows.append(
        rows[0]
        | {
            "birth_date": secret.birth_date.isoformat(),
            "sex": secret.sex.value,
            "family_name": secret.family_name,
            "given_names": secret.given_names,
            "protected": "ja",
            "external_ref": "",
        }
    )
    source = work / "backlog.csv"
    with source.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    env = _env(scan.settings, work)
    assert _cli(scan, "import", ["backlog", "import", str(source)], env) == 0
    with open_store(scan.settings) as store:  # queued, not refused: its names are in the store
        queued = [(i.request.family_name, i.request.protected) for i in store.items() if i.request]
    assert (secret.family_name, True) in queued
    assert _cli(scan, "report", ["backlog", "report", "--out", str(work / "report")], env) == 0
    source.unlink()  # the input file is the user's, not an artefact of the robot


SWEEP_FIRST_DATE = "1931-03-02"
# Names and a number of the anomalies planted for the sweep (mock_sites/anomalies.py): they
# may be in the sweep's report files (staff need them) and nowhere else.
SWEEP_NEEDLES = (b"Sjevtjenko", b"Nataliia", b"19310304001M3")


def _sweep(scan: Scan, sites: MockSites, work: Path) -> None:
    """``reservrobot sweep`` over the planted anomalies and the scenario's own dates."""
    sites.plant_anomalies(SWEEP_FIRST_DATE)
    dates = work / "sweep-dates.txt"
    days = sorted({p.request.birth_date.isoformat() for p in scan.people.values()})
    dates.write_text("\n".join(days) + "\n", encoding="utf-8")
    env = _env(scan.settings, work, RESERVROBOT_SWEEP_GRACE_S="0")
    args = ["sweep", "--json", "--from", SWEEP_FIRST_DATE, "--to", "1931-03-07", "--file"]
    metrics = ["--metrics-out", str(work / "sweep.prom")]
    scan.notes["sweep_exit"] = _cli(scan, "sweep", [*args, str(dates), *metrics], env)
    dates.unlink()  # the input file is the user's


# -- The assertions ---------------------------------------------------------------------------


def test_the_scenario_ran_as_intended(scan: Scan) -> None:
    print("phases (s):", scan.notes["phase_s"])
    # The killed run's raw trace was in memory, never here (tests/privacy/test_raw_trace.py).
    assert scan.leftovers_after_kill == []
    assert scan.leftovers_after_start == []  # removed when the next entry point started
    assert set(scan.evidence_of.values()) >= {"neighbour", "drift", "drift_neighbour"}
    assert any(p.name == "trace-0.zip" for d in scan.evidence_of for p in d.iterdir())
    assert (scan.data / "queue.sqlite3").exists() or any(scan.data.glob("*.sqlite3"))
    assert (scan.work / "report").is_dir()


def test_names_and_numbers_of_the_sweep_are_only_in_its_report_files(scan: Scan) -> None:
    assert scan.notes["sweep_exit"] == 1  # the planted anomalies were found
    reports = sorted((scan.data / "sweep").glob("*/svep-*.*"))
    assert {p.suffix for p in reports} == {".html", ".csv"}
    where = {w for w, data in scan.blobs for n in SWEEP_NEEDLES if n in data}
    assert where == {str(p) for p in reports}  # in both files, and nowhere else
    assert (scan.work / "sweep.prom").read_bytes().count(b"reservrobot_sweep_anomalies") >= 5


def test_the_password_is_in_no_file(scan: Scan) -> None:
    needle = scan.password.encode()
    assert len(scan.blobs) > 20
    assert [where for where, data in scan.blobs if needle in data] == []


def test_no_protected_persons_name_or_number_anywhere(scan: Scan) -> None:
    protected = scan.people["protected"]
    assert protected.patient_id
    # Unique invented names and a number: a plain substring search is exact enough (and fast).
    needles = [n.encode() for n in (protected.request.family_name, "Hemlighild")]
    needles.append(protected.patient_id.encode())
    hits = [(where, n) for where, data in scan.blobs for n in needles if n in data]
    assert hits == []


def test_a_failed_items_evidence_shows_nobody_else(scan: Scan) -> None:
    assert scan.evidence_of
    for folder, key in scan.evidence_of.items():
        others = [_word(name) for name in scan.neighbours_of[key]]
        assert others, key
        texts = [
            (where, data)
            for path in sorted(folder.iterdir())
            if path.suffix != ".png"
            for where, data in contents(path)
        ]
        hits = [(where, o.pattern) for where, data in texts for o in others if o.search(data)]
        assert hits == [], key
        if key != "slow":
            # The list of others was on screen, and was masked (so the check above meant it).
            assert any(b"[maskerat]" in data or "•••".encode() in data for _, data in texts), key


def test_logs_hold_no_names_and_no_identity_numbers(scan: Scan) -> None:
    names = [_word(n) for person in scan.people.values() for n in person.names]
    ids = [p.patient_id for p in scan.people.values() if p.patient_id]
    assert all(log.stat().st_size for log in scan.log_files[:2])  # the killed run's, the robot's
    for log in scan.log_files:
        data = log.read_bytes()
        text = data.decode("utf-8")
        assert [n.pattern for n in names if n.search(data)] == [], log
        assert [i for i in ids if i in text] == [], log
        assert IDENTITY_PATTERN.findall(text) == [], log


def test_every_file_of_the_robot_is_private(scan: Scan) -> None:
    loose = []
    for root in (scan.data, scan.work / "report"):
        for path in [root, *root.rglob("*")]:
            mode = stat.S_IMODE(path.lstat().st_mode)
            if path.is_symlink():
                continue
            if (path.is_dir() and mode != 0o700) or (path.is_file() and mode != 0o600):
                loose.append(f"{path} {mode:o}")
    assert loose == []


def test_recording_goes_to_the_private_folder_and_is_gone_afterwards(scan: Scan) -> None:
    recording = scan.settings.evidence_path / RECORDING_DIR
    assert [p for p in recording.rglob("*") if p.is_file()] == []
    # The command-line runs had a temp folder of their own: Playwright put nothing there.
    assert [p.name for p in (scan.work / "tmp").rglob("*.trace")] == []
    assert [p.name for p in (scan.work / "tmp").glob("playwright-artifacts-*")] == []
