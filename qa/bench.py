"""``reservrobot bench``: how fast the robot registers, against freshly started mock sites.

Runs N registrations of generated people (unique birth dates no mock system has, unique names)
through the full routine (both searches, create, register, verify) headless in one warm
browser, and reports per step and in total the median and 95th percentile, registrations per
minute, the first registration including browser start and logins, and the peak memory of the
browser and the robot. Then the same registrations as plain HTTP requests (httpx: login once,
then per person search, search, create, register, fetch the patient) give the floor: what the
servers themselves need. The ratio says how much the browser adds.
"""

from __future__ import annotations

import re
import statistics
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Literal

import httpx
import psutil
from pydantic import SecretStr

from flows.request import RegistrationRequest
from flows.runner import Runner
from mock_sites.testing import MockSites, run_mock_sites
from qa.people import InventedPeople
from robot.settings import Settings

STEPS = ("search_pmo", "search_rns", "create_rns", "register_pmo", "verify")
_NUMBER_RE = re.compile(r'aria-label="Reservnummer" value="([^"]+)"')


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


def generate_requests(sites: MockSites, count: int, *, seed: int = 1) -> list[RegistrationRequest]:
    """``count`` requests for new people on birth dates neither mock system has."""
    return InventedPeople.beside(sites, seed=seed).requests(count)


class _MemorySampler:
    """Samples the RSS of the browser tree, the Playwright driver and this process."""

    def __init__(self, runner: Runner, interval_s: float = 0.1) -> None:
        self.runner = runner
        self.interval_s = interval_s
        self.peak = {"browser": 0, "driver": 0, "python": 0, "total": 0}
        self.browser_pss_end = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="bench-memory", daemon=True)

    def __enter__(self) -> _MemorySampler:
        self.sample()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.sample()
        # RSS counts Chromium's shared libraries once per process; PSS shares them out.
        self.browser_pss_end = self.runner.session.memory_pss_bytes()

    def _loop(self) -> None:
        while not self._stop.wait(self.interval_s):
            self.sample()

    def sample(self) -> None:
        me = psutil.Process()
        browser = self.runner.session.memory_rss_bytes()
        driver = 0
        for child in me.children(recursive=False):
            try:
                if any("run-driver" in part for part in child.cmdline()):
                    driver += child.memory_info().rss
            except psutil.Error:
                continue
        python = me.memory_info().rss
        now = {
            "browser": browser,
            "driver": driver,
            "python": python,
            "total": browser + driver + python,
        }
        for key, value in now.items():
            self.peak[key] = max(self.peak[key], value)


def _robot_phase(
    sites: MockSites, requests: list[RegistrationRequest], work: Path, layout: str
) -> dict[str, Any]:
    settings = Settings(
        pmo_url=sites.pmo_url,
        rns_url=sites.rns_url,
        plexus_url=sites.plexus_url,
        pmo_selectors=f"pmo_{layout}",
        data_dir=work / "robot",
        headless=True,
        transfer_mode="browser",
        pseudonym_key=SecretStr("bench"),
    )
    start = time.perf_counter()
    totals: list[float] = []
    steps: dict[str, list[float]] = {s: [] for s in STEPS}
    kinds: Counter[str] = Counter()
    with Runner(settings) as runner, _MemorySampler(runner) as memory:
        first = runner.register(requests[0])
        first_s = time.perf_counter() - start
        kinds[first.kind.value] += 1
        warm_start = time.perf_counter()
        for request in requests[1:]:
            began = time.perf_counter()
            outcome = runner.register(request)
            totals.append(time.perf_counter() - began)
            kinds[outcome.kind.value] += 1
            for event in outcome.steps:
                if event.status == "done" and event.step in steps:
                    steps[event.step].append(event.elapsed_s)
        warm_s = time.perf_counter() - warm_start
    mb = 1024 * 1024
    return {
        "first_s": round(first_s, 3),
        "total": _summary(totals),
        "steps": {step: _summary(values) for step, values in steps.items()},
        "registrations_per_minute": round(60 * len(totals) / warm_s, 1) if warm_s else 0.0,
        "outcomes": dict(kinds),
        "peak_rss_mb": {k: round(v / mb, 1) for k, v in memory.peak.items()},
        "browser_pss_mb_at_end": round(memory.browser_pss_end / mb, 1),
    }


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
    saved = pmo.post(
        "/registrera",
        data={
            "patient_id": match.group(1),
            "sex": request.sex.value,
            "family_name": request.family_name,
            "given_names": request.given_names,
            "street": request.address.street,
            "postal_code": request.address.postal_code,
            "city": request.address.city,
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


def run_bench(*, count: int = 20, pmo_layout: str = "a", seed: int = 1) -> dict[str, Any]:
    """Start the mock sites, run the robot and the HTTP floor, return the figures."""
    if count < 2:
        raise ValueError("count must be at least 2 (one cold and one warm registration)")
    layout: Literal["a", "b"] = "b" if pmo_layout == "b" else "a"
    with tempfile.TemporaryDirectory(prefix="reservrobot-bench-") as tmp:
        work = Path(tmp)
        with run_mock_sites(work / "mock", pmo_layout=layout) as sites:
            requests = generate_requests(sites, count, seed=seed)
            robot = _robot_phase(sites, requests, work, layout)
            sites.reset()
            floor = _http_phase(sites, requests)
    robot_median = robot["total"]["median_s"]
    floor_median = floor["total"]["median_s"]
    return {
        "count": count,
        "pmo_layout": layout,
        "cpu_count": psutil.cpu_count(),
        "load_average_1m": round(psutil.getloadavg()[0], 2),
        "robot": robot,
        "http_floor": floor,
        "ratio_median": round(robot_median / floor_median, 1) if floor_median else None,
        "targets": {
            "warm_median_below_1s": robot_median < 1.0,
            "first_below_4s": robot["first_s"] < 4.0,
        },
    }


def format_report(report: dict[str, Any]) -> str:
    """The figures as a readable table."""
    robot, floor = report["robot"], report["http_floor"]
    lines = [
        f"Bench: {report['count']} registrations, PMO layout {report['pmo_layout']}, "
        f"{report['cpu_count']} CPUs, load {report['load_average_1m']}",
        "",
        f"{'step':<16}{'median':>10}{'p95':>10}",
    ]
    for step, figures in robot["steps"].items():
        lines.append(f"{step:<16}{figures['median_s']:>9.3f}s{figures['p95_s']:>9.3f}s")
    lines += [
        f"{'total (warm)':<16}{robot['total']['median_s']:>9.3f}s{robot['total']['p95_s']:>9.3f}s",
        "",
        f"first registration (browser start + logins): {robot['first_s']:.2f} s",
        f"registrations per minute (warm): {robot['registrations_per_minute']}",
        f"outcomes: {robot['outcomes']}",
        "peak RSS: "
        + ", ".join(f"{k} {v} MB" for k, v in robot["peak_rss_mb"].items())
        + " (python includes the in-process mock sites)",
        f"browser PSS at the end: {robot['browser_pss_mb_at_end']} MB (shared pages counted once)",
        "",
        f"HTTP floor (httpx, same requests): median {floor['total']['median_s'] * 1000:.1f} ms, "
        f"p95 {floor['total']['p95_s'] * 1000:.1f} ms, first {floor['first_s'] * 1000:.1f} ms",
        f"robot / floor (median): {report['ratio_median']}x",
        "",
        f"targets: warm median < 1 s: {_yes(report['targets']['warm_median_below_1s'])}; "
        f"first < 4 s: {_yes(report['targets']['first_below_4s'])}",
    ]
    return "\n".join(lines)


def _yes(ok: bool) -> str:
    return "yes" if ok else "NO"
