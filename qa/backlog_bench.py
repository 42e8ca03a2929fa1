"""``reservrobot-qa backlog-bench``: throughput of a generated backlog with 1, 2, ... workers.

Starts the mock sites in a process of their own (``qa.bench.sites_in_subprocess``), and for each
store and worker count: resets the sites, imports the same generated rows into a fresh queue
(fresh journal and audit log too), runs the backlog and times it. Prints items per minute per
pass and the scaling ratio against the first pass (target on a 2-core machine: 2 workers at
least 1.6 times one).

The store is SQLite files by default. With ``store_dsn`` (a PostgreSQL server the bench may
create databases on) every worker count runs on SQLite and then on PostgreSQL, each pass in a
database of its own that is dropped afterwards, so the two backends are compared side by side.
"""

from __future__ import annotations

import itertools
import os
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from apps.backlog.importer import Importer
from apps.backlog.run import RunOptions, run_backlog
from apps.backlog.store import ItemStatus, open_store
from qa.people import generate_rows, taken_birth_dates, write_rows_csv
from robot.settings import Settings


@dataclass
class BenchPass:
    workers: int
    items: int
    seconds: float
    by_status: dict[str, int]
    pmo_patients_added: int
    rns_persons_added: int
    store: str = "sqlite"

    @property
    def per_minute(self) -> float:
        return 60.0 * self.items / self.seconds if self.seconds else 0.0


@dataclass
class BenchResult:
    items: int
    passes: list[BenchPass] = field(default_factory=list)

    def ratio(self, workers: int, store: str = "sqlite") -> float | None:
        """Throughput with ``workers`` on ``store`` relative to the first pass."""
        base = self.passes[0] if self.passes else None
        other = next((p for p in self.passes if (p.workers, p.store) == (workers, store)), None)
        if base is None or other is None or not base.per_minute:
            return None
        return other.per_minute / base.per_minute

    def as_dict(self) -> dict[str, Any]:
        return {
            "items": self.items,
            "passes": [
                {
                    "store": p.store,
                    "workers": p.workers,
                    "seconds": round(p.seconds, 2),
                    "per_minute": round(p.per_minute, 1),
                    "by_status": p.by_status,
                    "pmo_patients_added": p.pmo_patients_added,
                    "rns_persons_added": p.rns_persons_added,
                }
                for p in self.passes
            ],
            "ratios": {
                f"{p.store}:{p.workers}": round(self.ratio(p.workers, p.store) or 0, 3)
                for p in self.passes
            },
        }


def run_bench(
    base: Settings,
    *,
    items: int,
    worker_counts: Sequence[int],
    seed: int = 7,
    latency_ms: int = 0,
    work_dir: Path | None = None,
    on_pass: Callable[[BenchPass], None] | None = None,
    store_dsn: str = "",
) -> BenchResult:
    """Run the bench; ``base`` supplies everything but URLs, folders and the store.

    ``store_dsn``: also run every worker count on PostgreSQL (see the module docstring).
    """
    from qa.bench import sites_in_subprocess

    result = BenchResult(items=items)
    with tempfile.TemporaryDirectory(prefix="reservrobot-bench-", dir=work_dir) as tmp:
        root = Path(tmp)
        # The sites in a process of their own, as the real systems run apart from the robot.
        with sites_in_subprocess(root / "mock", latency_ms=latency_ms) as hosted:
            sites = hosted.sites
            records = {"pmo": sites.records("pmo"), "rns": sites.records("rns")}
            rows = generate_rows(items, seed=seed, taken=taken_birth_dates(records))
            csv_file = write_rows_csv(rows, root / "bench.csv")
            stores = ["sqlite", "postgresql"] if store_dsn else ["sqlite"]
            for store_kind, workers in itertools.product(stores, worker_counts):
                sites.reset()
                before_pmo = len(sites.records("pmo")["patients"])
                before_rns = len(sites.records("rns")["persons"])
                with _scratch_database(store_dsn if store_kind == "postgresql" else "") as dsn:
                    settings = base.with_urls(
                        pmo=sites.pmo_url, rns=sites.rns_url, plexus=sites.plexus_url
                    ).model_copy(
                        update={
                            "data_dir": root / f"data-{store_kind}-{workers}",
                            "evidence_dir": None,
                            "headless": True,
                            "store_dsn": dsn,
                        }
                    )
                    with open_store(settings) as store:
                        report = Importer(settings, store, actor="bench").import_file(csv_file)
                        assert report.added == items, report.as_dict()
                    started = time.monotonic()
                    summary = run_backlog(settings, RunOptions(workers=workers))
                    seconds = time.monotonic() - started
                    with open_store(settings) as store:
                        done = store.counts()[ItemStatus.DONE]
                bench_pass = BenchPass(
                    store=store_kind,
                    workers=workers,
                    items=done,
                    seconds=seconds,
                    by_status=summary.by_status,
                    pmo_patients_added=len(sites.records("pmo")["patients"]) - before_pmo,
                    rns_persons_added=len(sites.records("rns")["persons"]) - before_rns,
                )
                result.passes.append(bench_pass)
                if on_pass is not None:
                    on_pass(bench_pass)
    return result


_serial = itertools.count(1)


@contextmanager
def _scratch_database(server_dsn: str) -> Iterator[str]:
    """A fresh PostgreSQL database on the server of ``server_dsn`` (dropped after); "" stays ""."""
    if not server_dsn:
        yield ""
        return
    import psycopg
    import psycopg.conninfo

    name = f"reservrobot_bench_{os.getpid()}_{next(_serial)}"
    with psycopg.connect(server_dsn, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield psycopg.conninfo.make_conninfo(server_dsn, dbname=name)
    finally:
        with psycopg.connect(server_dsn, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
