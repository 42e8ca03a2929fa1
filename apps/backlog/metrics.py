"""The queue's health in Prometheus' text exposition format (``backlog metrics``).

Queue depth by status, the age of the oldest case waiting for a person and of the oldest
pending one, failed attempts in the last hour, each worker's heartbeat age and whether it is
alive, and each machine's mode. Written on demand, or to a file for node_exporter's textfile
collector (``--out``; replaced atomically). See docs/operations.md for alert rules.

A worker whose process is provably gone (it died without signing off: ``WorkerRecord.gone``)
is not a silent worker: it is left out like a stopped one, so the worker-silent alert clears
(``backlog metrics`` also signs such workers off first, ``expire_workers``).
"""

from __future__ import annotations

import os
import tempfile
from collections import Counter
from datetime import timedelta
from pathlib import Path

from apps.backlog.store import ItemStatus, MachineMode, QueueReader, utcnow

# A worker whose heartbeat is older than this is reported as not alive.
ALIVE_WITHIN_S = 60.0

PREFIX = "reservrobot"


def _label(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


class _Writer:
    def __init__(self) -> None:
        self.lines: list[str] = []

    def family(self, name: str, kind: str, text: str) -> None:
        self.lines += [f"# HELP {PREFIX}_{name} {text}", f"# TYPE {PREFIX}_{name} {kind}"]

    def sample(self, name: str, value: float, **labels: str) -> None:
        inner = ",".join(f'{k}="{_label(v)}"' for k, v in labels.items())
        shown = f"{value:.3f}".rstrip("0").rstrip(".") if isinstance(value, float) else str(value)
        self.lines.append(
            f"{PREFIX}_{name}{{{inner}}} {shown}" if inner else f"{PREFIX}_{name} {shown}"
        )


def render_metrics(store: QueueReader) -> str:
    """Every metric of the queue, as Prometheus text."""
    now = utcnow()
    out = _Writer()
    counts = store.counts()
    out.family("queue_items", "gauge", "Queue items by status.")
    for status in ItemStatus:
        out.sample("queue_items", counts.get(status, 0), status=status.value)

    for status, name, text in (
        (
            ItemStatus.NEEDS_PERSON,
            "queue_oldest_needs_person_age_seconds",
            "Seconds the oldest case waiting for a person has waited (0: none waits).",
        ),
        (
            ItemStatus.PENDING,
            "queue_oldest_pending_age_seconds",
            "Seconds since the oldest pending item was queued (0: none waits).",
        ),
    ):
        oldest = (
            store.oldest(status) if status is ItemStatus.NEEDS_PERSON else store.oldest_pending()
        )
        since = None
        if oldest is not None:
            since = oldest.updated_at if status is ItemStatus.NEEDS_PERSON else oldest.created_at
        out.family(name, "gauge", text)
        out.sample(name, round((now - since).total_seconds(), 1) if since else 0.0)

    out.family(
        "queue_failed_attempts_last_hour",
        "gauge",
        "Attempts that ended in a technical failure or an interrupted worker in the last hour.",
    )
    out.sample(
        "queue_failed_attempts_last_hour", store.failed_attempts_since(now - timedelta(hours=1))
    )

    workers = store.workers()
    out.family(
        "worker_heartbeat_age_seconds", "gauge", "Seconds since each worker's last heartbeat."
    )
    running = [w for w in workers if w.running and not w.gone]
    for w in running:
        out.sample(
            "worker_heartbeat_age_seconds", round(w.age_s, 1), machine=w.machine, worker=w.name
        )
    out.family("worker_up", "gauge", "1 when the worker runs and its heartbeat is fresh.")
    alive: Counter[str] = Counter()
    for w in running:
        up = w.age_s <= ALIVE_WITHIN_S
        alive[w.machine] += int(up)
        out.sample("worker_up", 1 if up else 0, machine=w.machine, worker=w.name)
    out.family("machine_workers_alive", "gauge", "Workers alive per machine.")
    modes = store.machine_modes()
    for machine in sorted({w.machine for w in workers} | set(modes)):
        out.sample("machine_workers_alive", alive[machine], machine=machine)
    out.family(
        "machine_mode", "gauge", "1 for the mode each machine is in (run, paused, draining)."
    )
    for machine, mode in sorted(modes.items()):
        for candidate in MachineMode:
            out.sample(
                "machine_mode", int(candidate is mode), machine=machine, mode=candidate.value
            )
    last = store.last_run()
    out.family(
        "last_run_start_timestamp_seconds", "gauge", "When the last run started (Unix time)."
    )
    out.sample("last_run_start_timestamp_seconds", last.started_at.timestamp() if last else 0.0)
    return "\n".join(out.lines) + "\n"


def write_metrics_file(path: Path, text: str) -> None:
    """Replace ``path`` atomically (the textfile collector never reads half a file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.chmod(tmp, 0o644)  # metrics hold no personal data; the collector must read them
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
