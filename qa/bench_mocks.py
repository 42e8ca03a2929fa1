"""Median page latency of the mock sites, measured with httpx as a logged-in user.

Usage:
    .venv/bin/python qa/bench_mocks.py [-n 200] [--json]
    .venv/bin/python qa/bench_mocks.py --pmo-url http://127.0.0.1:8101 \
        --rns-url http://127.0.0.1:8102 --plexus-url http://127.0.0.1:8100   # running sites

Without URLs it starts the three sites in a separate process (faults off) on free ports, so
the client and the servers do not share one interpreter. Prints median and p95 per page; the
target is a median under 20 ms with faults off.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from multiprocessing.queues import Queue
from multiprocessing.synchronize import Event
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

TARGET_MEDIAN_MS = 20.0


def _serve(data_dir: str, urls: Queue[dict[str, str]], stop: Event) -> None:
    from mock_sites.testing import run_mock_sites

    with run_mock_sites(Path(data_dir)) as sites:
        urls.put({"pmo": sites.pmo_url, "rns": sites.rns_url, "plexus": sites.plexus_url})
        stop.wait()


@contextmanager
def _sites_in_subprocess() -> Iterator[dict[str, str]]:
    context = multiprocessing.get_context("spawn")
    urls: Queue[dict[str, str]] = context.Queue()
    stop = context.Event()
    with tempfile.TemporaryDirectory(prefix="bench-mocks-") as data_dir:
        process = context.Process(target=_serve, args=(data_dir, urls, stop), daemon=True)
        process.start()
        try:
            yield urls.get(timeout=60)
        finally:
            stop.set()
            process.join(timeout=15)
            if process.is_alive():
                process.terminate()


def _login(base_url: str) -> httpx.Client:
    client = httpx.Client(base_url=base_url, trust_env=False, timeout=10)
    response = client.post("/login", data={"username": "demo", "password": "demo"})
    if response.status_code != 303:
        raise SystemExit(f"login failed at {base_url}: HTTP {response.status_code}")
    return client


def _pages(clients: dict[str, httpx.Client]) -> dict[str, tuple[httpx.Client, str]]:
    patients = clients["pmo"].get("/_mock/records").json()["patients"]
    pid = patients[0]["patient_id"]
    date_part = pid[:8]
    return {
        "pmo search": (
            clients["pmo"],
            f"/sok?ar={date_part[:4]}&manad={date_part[4:6]}&dag={date_part[6:]}",
        ),
        "pmo patient": (clients["pmo"], f"/patient/{pid}"),
        "pmo register form": (clients["pmo"], "/registrera"),
        "rns search": (clients["rns"], f"/sok?fodelsedatum={date_part}"),
        "rns create form": (clients["rns"], "/skapa"),
        "plexus start": (clients["plexus"], "/"),
    }


def measure(urls: dict[str, str], requests: int) -> dict[str, dict[str, float]]:
    clients = {site: _login(url) for site, url in urls.items()}
    try:
        results: dict[str, dict[str, float]] = {}
        all_ms: list[float] = []
        for name, (client, path) in _pages(clients).items():
            for _ in range(5):  # warm-up: templates compiled, connections open
                client.get(path).raise_for_status()
            samples = []
            for _ in range(requests):
                started = time.perf_counter()
                response = client.get(path)
                elapsed = (time.perf_counter() - started) * 1000
                if response.status_code != 200:
                    raise SystemExit(f"{name}: HTTP {response.status_code}")
                samples.append(elapsed)
            all_ms += samples
            results[name] = _summary(samples)
        results["all pages"] = _summary(all_ms)
        return results
    finally:
        for client in clients.values():
            client.close()


def _summary(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {
        "n": len(ordered),
        "median_ms": round(statistics.median(ordered), 2),
        "p95_ms": round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))], 2),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", "--requests", type=int, default=200, help="requests per page")
    parser.add_argument("--pmo-url")
    parser.add_argument("--rns-url")
    parser.add_argument("--plexus-url")
    parser.add_argument("--json", action="store_true", help="print JSON")
    args = parser.parse_args()
    given = {"pmo": args.pmo_url, "rns": args.rns_url, "plexus": args.plexus_url}
    if any(given.values()):
        if not all(given.values()):
            parser.error("give all three URLs, or none to start the sites here")
        results = measure({k: v.rstrip("/") for k, v in given.items()}, args.requests)
    else:
        with _sites_in_subprocess() as urls:
            results = measure(urls, args.requests)
    overall = results["all pages"]["median_ms"]
    if args.json:
        print(json.dumps({"pages": results, "target_median_ms": TARGET_MEDIAN_MS}, indent=2))
    else:
        print(f"{'page':<20}{'n':>6}{'median ms':>12}{'p95 ms':>10}")
        for name, row in results.items():
            print(f"{name:<20}{row['n']:>6.0f}{row['median_ms']:>12.2f}{row['p95_ms']:>10.2f}")
        verdict = "OK" if overall < TARGET_MEDIAN_MS else "OVER TARGET"
        target = f"target < {TARGET_MEDIAN_MS:.0f} ms"
        print(f"median over all pages {overall:.2f} ms ({target}): {verdict}")
    return 0 if overall < TARGET_MEDIAN_MS else 1


if __name__ == "__main__":
    raise SystemExit(main())
