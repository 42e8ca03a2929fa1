"""Measure what evidence recording costs per item: ``python -m tests.runtime.bench_evidence``.

One item = open a page, fill a field, click, wait for the result (four actions), in a warm
headless Chromium against a local page. The modes run interleaved so machine load hits them
alike; medians and 95th percentiles in milliseconds.
"""

from __future__ import annotations

import shutil
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path

from playwright.sync_api import Page, expect

from qa.bench_evidence import _FullTraceBefore
from robot.browser import BrowserSession
from robot.errors import SiteError
from robot.evidence import EvidenceHandle, EvidenceRecorder
from robot.settings import Settings
from tests.runtime.conftest import LocalSiteServer


def _item(page: Page, n: int) -> None:
    page.goto(f"/plain?item={n}")
    page.get_by_label("Patient-ID").fill(f"id-{n}")
    page.get_by_role("button", name="Spara").click()
    expect(page.locator("#out")).to_have_text("klar")


def main(items: int = 30) -> None:
    server = LocalSiteServer()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}"
    evidence_dir = Path(tempfile.mkdtemp(prefix="bench-evidence-"))
    settings = Settings(pmo_url=url, rns_url=url, evidence_dir=evidence_dir)
    with BrowserSession(settings) as session:
        page = session.page("pmo")
        contexts = [session.context("pmo")]
        traces = session.traces_dir
        recorders = {
            "default (masked on failure)": EvidenceRecorder(settings),
            "support trace (redacted)": EvidenceRecorder(settings, trace=True, traces_dir=traces),
            "full trace (before issue 11)": _FullTraceBefore(
                settings, trace=True, traces_dir=traces
            ),
            "protected (blank after)": EvidenceRecorder(settings),
        }

        # For comparison only: one long trace cut into chunks, the design evidence.py rejects
        # because every saved chunk carries the network log of all earlier items.
        # It needs its own context, whose tracing stays started throughout.
        chunked = session.context("rns")
        chunked_page = session.page("rns")
        chunked.tracing.start(screenshots=True, snapshots=True)
        chunked.tracing.stop_chunk()

        @contextmanager
        def chunk() -> Iterator[None]:
            chunked.tracing.start_chunk()
            try:
                yield
            finally:
                chunked.tracing.stop_chunk()

        def wrap(name: str, n: int) -> AbstractContextManager[EvidenceHandle | None]:
            if name == "no evidence":
                return nullcontext()
            if name == "chunks (rejected design)":
                return chunk()
            return recorders[name].capture(
                f"p_bench{n}", contexts, protected=name.startswith("protected")
            )

        modes: list[str] = ["no evidence", "chunks (rejected design)", *recorders]
        times: dict[str, list[float]] = {m: [] for m in modes}
        for n in range(3):  # warm up
            _item(page, n)
            _item(chunked_page, n)
        for n in range(items):
            for mode in modes:
                started = time.perf_counter()
                with wrap(mode, n):
                    _item(chunked_page if mode.startswith("chunks") else page, n)
                times[mode].append((time.perf_counter() - started) * 1000)

        failures: list[float] = []
        recorder = recorders["default (masked on failure)"]
        for n in range(5):
            started = time.perf_counter()
            try:
                with recorder.capture(f"p_fail{n}", contexts, protected=False):
                    _item(page, n)
                    raise SiteError("bench")
            except SiteError:
                pass
            failures.append((time.perf_counter() - started) * 1000)
        sizes = [p.stat().st_size for p in evidence_dir.rglob("*") if p.is_file()]

    base = statistics.median(times["no evidence"])
    print(f"{'mode':32} {'median ms':>10} {'p95 ms':>8} {'+median':>8}")
    for mode, values in [*times.items(), ("failed item (kept)", failures)]:
        values.sort()
        median = statistics.median(values)
        p95 = values[min(len(values) - 1, int(len(values) * 0.95))]
        print(f"{mode:32} {median:10.1f} {p95:8.1f} {median - base:+8.1f}")
    print(
        f"evidence of {len(failures)} failed items: {len(sizes)} files, {sum(sizes) / 1024:.0f} KiB"
    )
    shutil.rmtree(evidence_dir)
    server.shutdown()


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 30)
