"""``reservrobot-qa bench``: how fast the robot registers, side by side with a plain script.

The mock sites run in a process of their own (as the real systems do: they never share this
interpreter). Then, in one run and on the same sites:

- **the robot** (``flows.runner.Runner``, every safety step on) and **the plain script**
  (``qa.plain_script``: one browser, one page, role/label locators, ``fill``, no safety) each
  register ``count`` generated people, interleaved person by person (who goes first alternates),
  half of each contestant's people with a German address. Each contestant's first registration
  includes its browser start and logins (plus the Playwright driver's start, reported apart);
  the others are warm. Per registration the bench takes the wall time, the CPU seconds of this
  process, the Playwright driver and every browser (psutil; the mock sites' process left out),
  and the messages sent to the driver (a counting wrapper around Playwright's connection);
  the PSS of each contestant's browser after its first registration and after the last,
  when both have registered the same number of people.
- **the cost of each safety feature**: after that, rounds of robot registrations: one with
  everything on (the reference) and one with each feature switched off (evidence, the form
  read-back, the verification, the journal, the lease) or each earlier evidence design,
  interleaved. The switch is monkeypatched here, in the bench only; production code has no
  such knob. Cost = the reference's median minus the variant's.
- **the plain-HTTP floor**: the same requests as bare httpx calls (what the servers need).

Every contestant's registrations are checked afterwards against ``/_mock/records``: one
reservnummer and one PMO patient per person, every saved field as the request says.

Long (about 760 lines) because it is one report of many figures measured in one run (robot and
plain script interleaved, safety features switched off one at a time); it is a QA tool, not
production code.
"""

from __future__ import annotations

import multiprocessing
import queue
import re
import statistics
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager, nullcontext, suppress
from dataclasses import dataclass, field
from functools import partial
from multiprocessing.process import BaseProcess
from multiprocessing.queues import Queue
from multiprocessing.synchronize import Event
from pathlib import Path
from typing import Any, Literal

import httpx
import psutil
from pydantic import SecretStr

import flows.register as register_flow
from flows.config import RoutineConfig
from flows.rules.countries import CountryLists, country_name_sv
from flows.rules.groups import PatientGroup
from flows.rules.request import RegistrationRequest
from flows.runner import Runner
from mock_sites.testing import MockSites
from qa.bench_evidence import DESIGNS as EVIDENCE_DESIGNS
from qa.bench_evidence import evidence_costs, evidence_design, format_evidence_costs
from qa.people import InventedPeople
from qa.plain_script import PlainPerson, PlainScript
from robot.browser import shared_playwright
from robot.chromium import find_chromium, launch_args
from robot.evidence import EvidenceHandle
from robot.settings import Settings, load_settings

STEPS = ("search_pmo", "search_rns", "create_rns", "register_pmo", "verify")
FEATURES = ("evidence", "read_back", "verify", "journal", "lease")
GOALS = {
    "ratio_robot_plain_max": 0.8,
    "first_s_max": 2.5,
    "browser_pss_mb_max": 300.0,
}
_NUMBER_RE = re.compile(r'aria-label="Reservnummer" value="([^"]+)"')
_PLAIN_MARKER = "--reservrobot-plain-script"


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0..100) with linear interpolation (0.0 for no values)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q / 100
    low = int(pos)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (pos - low)


def _summary(values: list[float]) -> dict[str, float]:
    return {
        "median_s": round(statistics.median(values), 4) if values else 0.0,
        "p95_s": round(percentile(values, 95), 4),
    }


# The mock sites in a process of their own ---------------------------------------------------


def _serve(
    data_dir: str, layout: str, latency_ms: int, urls: Queue[dict[str, str]], stop: Event
) -> None:
    from mock_sites.common.faults import FaultSettings
    from mock_sites.testing import run_mock_sites

    chosen: Literal["a", "b"] = "b" if layout == "b" else "a"
    faults = FaultSettings(latency_ms=latency_ms)
    with run_mock_sites(Path(data_dir), pmo_layout=chosen, faults=faults) as sites:
        urls.put({"pmo": sites.pmo_url, "rns": sites.rns_url, "plexus": sites.plexus_url})
        stop.wait()


@dataclass
class SitesProcess:
    """The mock sites served by another process; ``sites`` talks to them over HTTP."""

    sites: MockSites
    process: BaseProcess

    @property
    def pid(self) -> int:
        return int(self.process.pid or 0)


@contextmanager
def sites_in_subprocess(
    data_dir: Path, *, pmo_layout: str = "a", latency_ms: int = 0
) -> Iterator[SitesProcess]:
    """Start Plexus, PMO and RNS in a spawned process (free ports; faults off but for an
    added ``latency_ms``), as the real systems run apart from the robot."""
    context = multiprocessing.get_context("spawn")
    urls: Queue[dict[str, str]] = context.Queue()
    stop = context.Event()
    data_dir.mkdir(parents=True, exist_ok=True)
    process = context.Process(
        target=_serve, args=(str(data_dir), pmo_layout, latency_ms, urls, stop), daemon=True
    )
    process.start()
    try:
        found = _first_message(urls, process, timeout_s=120)
        with httpx.Client(timeout=30.0, trust_env=False) as client:
            yield SitesProcess(
                MockSites(
                    pmo_url=found["pmo"],
                    rns_url=found["rns"],
                    plexus_url=found["plexus"],
                    data_dir=data_dir,
                    pmo_layout=pmo_layout,
                    _client=client,
                ),
                process,
            )
    finally:
        stop.set()
        process.join(timeout=15)
        if process.is_alive():
            process.terminate()
            process.join(timeout=5)


def _first_message(urls: Queue[dict[str, str]], process: BaseProcess, *, timeout_s: float) -> Any:
    """The sites' addresses; fails at once when the sites' process died starting."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            return urls.get(timeout=1)
        except queue.Empty:
            if not process.is_alive():
                break
    raise RuntimeError("the mock sites' process did not start (see its output above)")


# People ------------------------------------------------------------------------------------


def generate_requests(sites: MockSites, count: int, *, seed: int = 1) -> list[RegistrationRequest]:
    """``count`` requests for new people on birth dates nobody in the sites has; every other
    pair lives in Germany (EES/EU with a card: München's 80331 looks like a Gävle postnummer
    to PMO's autofill), so each of two interleaved contestants gets half of them."""
    people = InventedPeople.beside(sites, seed=seed)
    requests = []
    for n in range(count):
        if (n // 2) % 2 == 1:
            requests.append(
                people.request(
                    group="ees_med_kort",
                    street=f"Musterstraße {n + 1}",
                    postal_code="80331",
                    city="München",
                    country="DE",
                )
            )
        else:
            requests.append(people.request())
    return requests


# Measuring ---------------------------------------------------------------------------------


class _Meter:
    """CPU seconds of this process tree (the mock sites' process excluded) and driver messages."""

    def __init__(self, exclude_pid: int) -> None:
        self.exclude_pid = exclude_pid
        self.messages = 0

    def cpu_s(self) -> float:
        me = psutil.Process()
        total = 0.0
        skip: set[int] = {self.exclude_pid}
        with suppress(psutil.Error):
            skip.update(c.pid for c in psutil.Process(self.exclude_pid).children(recursive=True))
        for proc in [me, *me.children(recursive=True)]:
            if proc.pid in skip:
                continue
            try:
                t = proc.cpu_times()
            except psutil.Error:
                continue
            # Exited renderers are counted in their (waiting) parent's children_* times.
            total += t.user + t.system
            if proc.pid != me.pid:
                total += t.children_user + t.children_system
        return total

    @contextmanager
    def counting(self) -> Iterator[None]:
        """Count every message sent to the Playwright driver while inside."""
        from playwright._impl.connection import Connection

        original = Connection.send_message_to_server

        def counted(conn: Any, *args: Any, **kwargs: Any) -> Any:
            self.messages += 1
            return original(conn, *args, **kwargs)

        Connection.send_message_to_server = counted  # type: ignore[method-assign, assignment]
        try:
            yield
        finally:
            Connection.send_message_to_server = original  # type: ignore[method-assign]


@dataclass
class _Samples:
    totals: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)
    messages: list[int] = field(default_factory=list)

    def add(self, seconds: float, cpu: float, messages: int) -> None:
        self.totals.append(seconds)
        self.cpu.append(cpu)
        self.messages.append(messages)

    def figures(self) -> dict[str, Any]:
        return {
            "total": _summary(self.totals),
            "cpu_s_per_registration": round(statistics.median(self.cpu), 3) if self.cpu else 0,
            "driver_messages_per_registration": (
                round(statistics.median(self.messages)) if self.messages else 0
            ),
        }


def _measured(meter: _Meter, samples: _Samples, fn: Callable[[], Any]) -> Any:
    cpu0, msg0 = meter.cpu_s(), meter.messages
    began = time.perf_counter()
    result = fn()
    elapsed = time.perf_counter() - began
    samples.add(elapsed, meter.cpu_s() - cpu0, meter.messages - msg0)
    return result


def _pss_of_marked(marker: str) -> int:
    """PSS of every process in this tree launched with ``marker`` (and their children)."""
    me = psutil.Process()
    seen: set[int] = set()
    total = 0
    for proc in me.children(recursive=True):
        try:
            if not any(marker in part for part in proc.cmdline()):
                continue
            tree = [proc, *proc.children(recursive=True)]
        except psutil.Error:
            continue
        for p in tree:
            if p.pid in seen:
                continue
            seen.add(p.pid)
            try:
                info = p.memory_full_info()
            except psutil.Error:
                continue
            total += int(getattr(info, "pss", info.rss))
    return total


# Safety features switched off (bench only) ---------------------------------------------------


class _NoJournal:
    """A journal that remembers nothing (bench only: what the durable journal costs)."""

    def record(self, key: str, step: str, data: Any) -> None:
        return None

    def steps(self, key: str) -> dict[str, dict[str, Any]]:
        return {}

    def get(self, key: str, step: str) -> dict[str, Any] | None:
        return None

    def clear(self, key: str) -> None:
        return None


@contextmanager
def feature_off(runner: Runner, feature: str) -> Iterator[None]:
    """Switch one safety feature off for the registrations inside (bench only, by patching)."""
    with ExitStack() as stack:
        if feature == "evidence":
            recorder = runner._evidence
            assert recorder is not None

            @contextmanager
            def no_evidence(item_key: str, *args: Any, **kwargs: Any) -> Iterator[EvidenceHandle]:
                yield EvidenceHandle(item_key=item_key, protected=bool(kwargs.get("protected")))

            recorder.capture = no_evidence  # type: ignore[method-assign]
            stack.callback(lambda: delattr(recorder, "capture"))
        elif feature == "read_back":
            _patch(stack, register_flow, "_check_form_values", lambda *a, **k: None)
            _patch(stack, register_flow, "check_patient_id", lambda *a, **k: None)
        elif feature == "verify":
            _patch(stack, register_flow, "verify_patient", lambda *a, **k: {})
        elif feature == "journal":
            _patch(stack, runner.context, "journal", _NoJournal())
        elif feature == "lease":
            # No lease held around the request and none checked before a create or save.
            _patch(stack, runner, "_lease", lambda *a, **k: nullcontext(None))
            _patch(stack, runner, "_fence", lambda: None)
        else:
            raise ValueError(f"unknown feature {feature!r}")
        yield


def _patch(stack: ExitStack, owner: object, name: str, value: object) -> None:
    original = getattr(owner, name)
    setattr(owner, name, value)
    stack.callback(setattr, owner, name, original)


# The run -----------------------------------------------------------------------------------


def _robot_settings(sites: MockSites, work: Path, layout: str) -> Settings:
    return Settings(
        pmo_url=sites.pmo_url,
        rns_url=sites.rns_url,
        plexus_url=sites.plexus_url,
        pmo_selectors=f"pmo_{layout}",
        data_dir=work / "robot",
        headless=True,
        transfer_mode="browser",
        pseudonym_key=SecretStr("bench"),
    )


@dataclass
class _Registered:
    contestant: str
    request: RegistrationRequest
    patient_id: str | None


def _browser_phase(
    hosted: SitesProcess,
    requests: list[RegistrationRequest],
    cost_requests: list[RegistrationRequest],
    work: Path,
    layout: str,
    *,
    groups: dict[str, PatientGroup],
    countries: CountryLists,
) -> tuple[dict[str, Any], list[_Registered]]:
    sites = hosted.sites
    meter = _Meter(exclude_pid=hosted.pid)
    settings = _robot_settings(sites, work, layout)
    robot_half, plain_half = requests[0::2], requests[1::2]
    run_plain = layout == "a"  # the plain script knows layout a's label texts
    robot = _Samples()
    plain = _Samples()
    control = _Samples()  # the robot, all safety on, in the cost phase (reference of the costs)
    variants = {f: _Samples() for f in FEATURES}
    designs = {d: _Samples() for d in EVIDENCE_DESIGNS}
    steps: dict[str, list[float]] = {s: [] for s in STEPS}
    kinds: Counter[str] = Counter()
    registered: list[_Registered] = []

    def robot_register(
        runner: Runner, request: RegistrationRequest, who: str = "robot", *, warm: bool = False
    ) -> None:
        outcome = runner.register(request)
        kinds[outcome.kind.value] += 1
        registered.append(_Registered(who, request, outcome.patient_id))
        for event in outcome.steps if warm else ():
            if event.status == "done" and event.step in steps:
                steps[event.step].append(event.elapsed_s)

    with meter.counting(), ExitStack() as stack:
        began = time.perf_counter()
        playwright = stack.enter_context(shared_playwright())
        driver_start_s = time.perf_counter() - began
        # One throwaway Chromium first: whoever starts first would otherwise also pay for
        # reading the browser from disk, which is no part of either contestant.
        playwright.chromium.launch(executable_path=find_chromium(), args=launch_args()).close()

        began = time.perf_counter()
        runner = stack.enter_context(Runner(settings))
        robot_start_s = time.perf_counter() - began
        robot_register(runner, robot_half[0])
        robot_first_s = time.perf_counter() - began
        robot_pss_first = runner.session.memory_pss_bytes()

        plain_first_s = 0.0
        plain_pss_first = 0
        script: PlainScript | None = None
        if run_plain:
            began = time.perf_counter()
            script = stack.enter_context(
                PlainScript(playwright, pmo_url=sites.pmo_url, rns_url=sites.rns_url)
            )
            person = PlainPerson.from_request(plain_half[0], groups=groups, countries=countries)
            registered.append(_Registered("plain", plain_half[0], script.register(person)))
            plain_first_s = time.perf_counter() - began
            plain_pss_first = _pss_of_marked(_PLAIN_MARKER)

        def plain_register(request: RegistrationRequest) -> None:
            assert script is not None
            person = PlainPerson.from_request(request, groups=groups, countries=countries)
            registered.append(_Registered("plain", request, script.register(person)))

        for n, (mine, theirs) in enumerate(zip(robot_half[1:], plain_half[1:], strict=False)):
            turns: list[Callable[[], None]] = [
                partial(_measured, meter, robot, partial(robot_register, runner, mine, warm=True))
            ]
            if run_plain:
                turns.append(partial(_measured, meter, plain, partial(plain_register, theirs)))
            for turn in turns if n % 2 == 0 else reversed(turns):
                turn()
        # Memory now, when both browsers have registered the same number of people (the cost
        # phase below registers more with the robot's browser only).
        robot_pss = runner.session.memory_pss_bytes()
        plain_pss = _pss_of_marked(_PLAIN_MARKER) if run_plain else 0
        robot_rss = runner.session.memory_rss_bytes()

        # The cost phase: per round one robot registration with everything on (the reference)
        # and one with each feature or evidence design switched, interleaved.
        costs = iter(cost_requests)
        while True:
            request = next(costs, None)
            if request is None:
                break
            _measured(meter, control, partial(robot_register, runner, request, "robot_control"))
            for feature in FEATURES:
                request = next(costs, None)
                if request is None:
                    break
                with feature_off(runner, feature):
                    _measured(
                        meter,
                        variants[feature],
                        partial(robot_register, runner, request, f"robot_no_{feature}"),
                    )
            for design in EVIDENCE_DESIGNS:  # evidence as designed before (qa/bench_evidence.py)
                request = next(costs, None)
                if request is None:
                    break
                with evidence_design(runner, design):
                    _measured(
                        meter,
                        designs[design],
                        partial(robot_register, runner, request, f"robot_{design}"),
                    )
    mb = 1024 * 1024
    result = {
        "driver_start_s": round(driver_start_s, 3),
        "robot": {
            **robot.figures(),
            "first_s": round(driver_start_s + robot_first_s, 3),
            "runner_start_s": round(robot_start_s, 3),
            "steps": {step: _summary(values) for step, values in steps.items()},
            "outcomes": dict(kinds),
            "browser_pss_mb": round(robot_pss / mb, 1),
            "browser_pss_first_mb": round(robot_pss_first / mb, 1),
            "browser_rss_mb": round(robot_rss / mb, 1),
        },
        "plain": (
            {
                **plain.figures(),
                "first_s": round(driver_start_s + plain_first_s, 3),
                "browser_pss_mb": round(plain_pss / mb, 1),
                "browser_pss_first_mb": round(plain_pss_first / mb, 1),
            }
            if run_plain
            else None
        ),
        "control": control.figures(),
        "feature_off": {f: s.figures() for f, s in variants.items()},
        "evidence_designs": {d: s.figures() for d, s in designs.items()},
    }
    return result, registered


def check_records(
    sites: MockSites,
    registered: list[_Registered],
    *,
    groups: dict[str, PatientGroup],
    countries: CountryLists,
) -> dict[str, list[str]]:
    """Per contestant the problems found in ``/_mock/records`` (empty lists: all saved right).

    Every person: one PMO patient with the Patient-ID, every field as the request says, and
    exactly one Reservnummersystemet person on the birth date, holding that number.
    """
    patients = {p["patient_id"]: p for p in sites.records("pmo")["patients"]}
    persons = sites.records("rns")["persons"]
    problems: dict[str, list[str]] = {}
    for item in registered:
        # The robot's variants (features off, evidence designs) count as the robot.
        who = "robot" if item.contestant.startswith("robot") else item.contestant
        found = problems.setdefault(who, [])
        request, pid = item.request, item.patient_id
        label = f"{item.contestant} #{registered.index(item)}"
        if pid is None:
            found.append(f"{label}: no Patient-ID")
            continue
        patient = patients.get(pid)
        if patient is None:
            found.append(f"{label}: no PMO patient")
            continue
        address = request.address
        assert address is not None
        group = groups[request.group]
        expected = {
            "sex": request.sex.value,
            "family_name": request.family_name,
            "given_names": request.given_names,
            "street": address.street,
            "postal_code": address.postal_code,
            "city": address.city,
            "country": country_name_sv(address.country, lists=countries),
            "kommun": group.kommun,
            "lan": group.lan,
            "info": request.info,
        }
        wrong = sorted(k for k, v in expected.items() if patient.get(k) != v)
        if wrong:
            found.append(f"{label}: PMO fields differ: {', '.join(wrong)}")
        born = request.birth_date.isoformat()
        numbers = [p["id_value"] for p in persons if p["birth_date"] == born]
        if numbers != [pid]:
            found.append(f"{label}: RNS has {len(numbers)} numbers on the birth date")
    return problems


@contextmanager
def _logged_in(base: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=base, trust_env=False, timeout=30) as client:
        client.post("/login", data={"username": "demo", "password": "demo", "next": "/"})
        yield client


def _http_register(pmo: httpx.Client, rns: httpx.Client, request: RegistrationRequest) -> None:
    birth = request.birth_date
    pmo.get("/sok", params={"ar": f"{birth:%Y}", "manad": f"{birth:%m}", "dag": f"{birth:%d}"})
    rns.get("/sok", params={"fodelsedatum": f"{birth:%Y%m%d}"})
    created = rns.post(
        "/skapa",
        data={
            "fodelsedatum": f"{birth:%Y%m%d}",
            "sex": request.sex.value,
            "family_name": request.family_name,
            "given_names": request.given_names,
        },
        follow_redirects=True,
    )
    match = _NUMBER_RE.search(created.text)
    if match is None:
        raise RuntimeError("the HTTP floor could not read a created reservnummer")
    address = request.address
    assert address is not None
    saved = pmo.post(
        "/registrera",
        data={
            "patient_id": match.group(1),
            "sex": request.sex.value,
            "family_name": request.family_name,
            "given_names": request.given_names,
            "street": address.street,
            "postal_code": address.postal_code,
            "city": address.city,
            "country": "Sverige",
            "kommun": "01",
            "lan": "99",
            "info": request.info,
        },
    )
    if saved.status_code != 303:
        raise RuntimeError(f"the HTTP floor could not save a patient (HTTP {saved.status_code})")
    pmo.get(saved.headers["location"])


def _http_phase(sites: MockSites, requests: list[RegistrationRequest]) -> dict[str, Any]:
    start = time.perf_counter()
    totals: list[float] = []
    with _logged_in(sites.pmo_url) as pmo, _logged_in(sites.rns_url) as rns:
        _http_register(pmo, rns, requests[0])
        first_s = time.perf_counter() - start
        for request in requests[1:]:
            began = time.perf_counter()
            _http_register(pmo, rns, request)
            totals.append(time.perf_counter() - began)
    return {"first_s": round(first_s, 4), "total": _summary(totals)}


def run_bench(
    *, count: int = 15, pmo_layout: str = "a", seed: int = 1, cost_rounds: int | None = None
) -> dict[str, Any]:
    """Start the mock sites in their own process, run the contestants, return the figures.

    ``count`` registrations per contestant (the first cold); ``cost_rounds`` rounds of one
    registration per switched-off safety feature (default: a third of ``count``, at least 2).
    """
    if count < 2:
        raise ValueError("count must be at least 2 (one cold and one warm registration)")
    layout: Literal["a", "b"] = "b" if pmo_layout == "b" else "a"
    rounds = max(2, count // 3) if cost_rounds is None else cost_rounds
    rounds = min(rounds, count - 1)
    config = RoutineConfig.load(load_settings())
    groups, countries = config.groups, config.countries
    with tempfile.TemporaryDirectory(prefix="reservrobot-bench-") as tmp:
        work = Path(tmp)
        with sites_in_subprocess(work / "mock", pmo_layout=layout) as hosted:
            sites = hosted.sites
            people = generate_requests(
                sites, 2 * count + rounds * (1 + len(FEATURES) + len(EVIDENCE_DESIGNS)), seed=seed
            )
            requests, cost_requests = people[: 2 * count], people[2 * count :]
            figures, registered = _browser_phase(
                hosted,
                requests,
                cost_requests,
                work,
                layout,
                groups=groups,
                countries=countries,
            )
            records = check_records(sites, registered, groups=groups, countries=countries)
            sites.reset()
            floor = _http_phase(sites, requests[0::2])
    robot, plain, control = figures["robot"], figures["plain"], figures["control"]
    robot_median = robot["total"]["median_s"]
    control_median = control["total"]["median_s"]
    plain_median = plain["total"]["median_s"] if plain else 0.0
    floor_median = floor["total"]["median_s"]
    costs = {
        f: {
            "median_s_without": v["total"]["median_s"],
            "cost_s": round(control_median - v["total"]["median_s"], 4),
            "cpu_cost_s": round(control["cpu_s_per_registration"] - v["cpu_s_per_registration"], 3),
            "messages_cost": control["driver_messages_per_registration"]
            - v["driver_messages_per_registration"],
        }
        for f, v in figures["feature_off"].items()
    }
    ratio = round(robot_median / plain_median, 2) if plain_median else None
    return {
        "count": count,
        "cost_rounds": rounds,
        "pmo_layout": layout,
        "cpu_count": psutil.cpu_count(),
        "load_average_1m": round(psutil.getloadavg()[0], 2),
        "mock_sites": "separate process",
        "driver_start_s": figures["driver_start_s"],
        "robot": robot,
        "plain": plain,
        "records_ok": {who: not found for who, found in records.items()},
        "records_problems": records,
        "feature_costs": costs,
        "control": control,
        "feature_off": figures["feature_off"],
        "evidence_costs": evidence_costs(
            robot=control,
            without=figures["feature_off"]["evidence"],
            designs=figures["evidence_designs"],
        ),
        "http_floor": floor,
        "ratio_robot_plain": ratio,
        "ratio_median": round(robot_median / floor_median, 1) if floor_median else None,
        "goals": {
            "ratio_robot_plain_le_0_8": ratio is not None
            and ratio <= GOALS["ratio_robot_plain_max"],
            "first_le_2_5s": robot["first_s"] <= GOALS["first_s_max"],
            "cpu_robot_le_plain": bool(plain)
            and robot["cpu_s_per_registration"] <= plain["cpu_s_per_registration"],
            "browser_pss_le_300mb": robot["browser_pss_mb"] <= GOALS["browser_pss_mb_max"],
        },
    }


def format_report(report: dict[str, Any]) -> str:
    """The figures as a readable table."""
    robot, plain, floor = report["robot"], report["plain"], report["http_floor"]
    lines = [
        f"Bench: {report['count']} registrations per contestant, interleaved, PMO layout "
        f"{report['pmo_layout']}, {report['cpu_count']} CPUs, load {report['load_average_1m']}, "
        f"mock sites in a {report['mock_sites']}",
        "",
        f"{'contestant':<24}{'median':>9}{'p95':>9}{'CPU s/reg':>11}{'msgs/reg':>10}"
        f"{'first':>9}{'PSS MB':>9}",
    ]

    def row(name: str, f: dict[str, Any]) -> str:
        return (
            f"{name:<24}{f['total']['median_s']:>8.3f}s{f['total']['p95_s']:>8.3f}s"
            f"{f['cpu_s_per_registration']:>11.3f}{f['driver_messages_per_registration']:>10}"
            f"{f['first_s']:>8.2f}s{f['browser_pss_mb']:>9.1f}"
        )

    lines.append(row("robot (all safety on)", robot))
    if plain:
        lines.append(row("plain Playwright script", plain))
    lines += [
        f"(first = driver start {report['driver_start_s']:.2f} s + browser start + logins + "
        f"first registration; the robot's Runner.start {robot['runner_start_s']:.2f} s of it)",
        f"(PSS after {report['count']} registrations each; after the first: robot "
        f"{robot['browser_pss_first_mb']:.0f} MB"
        + (f", plain {plain['browser_pss_first_mb']:.0f} MB)" if plain else ")"),
        "",
        "robot steps (warm): "
        + ", ".join(
            f"{step} {f['median_s'] * 1000:.0f}/{f['p95_s'] * 1000:.0f} ms"
            for step, f in robot["steps"].items()
        )
        + " (median/p95)",
        f"robot / plain script (median): {report['ratio_robot_plain']}  (goal <= 0.8)",
        f"robot / plain-HTTP floor (median): {report['ratio_median']}x  "
        f"(floor median {floor['total']['median_s'] * 1000:.1f} ms, "
        f"p95 {floor['total']['p95_s'] * 1000:.1f} ms)",
        "records checked in /_mock/records: "
        + ", ".join(f"{who} {'OK' if ok else 'WRONG'}" for who, ok in report["records_ok"].items()),
        f"robot outcomes: {robot['outcomes']}",
        "",
        f"cost of each safety feature ({report['cost_rounds']} robot registrations with it "
        "switched off, bench only, against as many with everything on in the same rounds: "
        f"median {report['control']['total']['median_s']:.3f} s):",
    ]
    for feature, cost in report["feature_costs"].items():
        off = report["feature_off"][feature]
        lines.append(
            f"  {feature:<10} median without {cost['median_s_without']:.3f} s: wall "
            f"{cost['cost_s'] * 1000:+.0f} ms, CPU {cost['cpu_cost_s'] * 1000:+.0f} ms, "
            f"{cost['messages_cost']:+} driver msgs ({off['driver_messages_per_registration']} "
            "left)"
        )
    lines += ["", *format_evidence_costs(report["evidence_costs"])]
    goals = report["goals"]
    lines += [
        "",
        "goals: "
        + "; ".join(
            f"{name}: {_yes(ok)}"
            for name, ok in (
                ("robot <= 0.8 x plain", goals["ratio_robot_plain_le_0_8"]),
                ("first <= 2.5 s", goals["first_le_2_5s"]),
                ("CPU robot <= plain", goals["cpu_robot_le_plain"]),
                ("browser PSS <= 300 MB", goals["browser_pss_le_300mb"]),
            )
        ),
    ]
    return "\n".join(lines)


def _yes(ok: bool) -> str:
    return "yes" if ok else "NO"
