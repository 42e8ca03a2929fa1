"""The Runner never raises for a single request, also when the store goes away after the flow.

After a failed request the Runner reads the journal once more (a number already created must
be named, so that a clerk finishing by hand never makes a second one). Here the request fails
in PMO and the store (real PostgreSQL, reached through a TCP proxy) is cut off the moment the
step fails, so that read meets a store outage: the outcome still comes back, without the
number, and the failed read is logged.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from flows.rules.outcome import OutcomeKind, StepEvent
from flows.runner import Runner
from mock_sites.testing import MockSites
from tests.e2e.conftest import make_settings
from tests.e2e.people import People
from tests.fixtures.postgres import PostgresServer
from tests.fixtures.tcp_proxy import TcpProxy

pytestmark = pytest.mark.e2e


@pytest.fixture
def sites(fresh_mock_sites: MockSites) -> Iterator[MockSites]:
    yield fresh_mock_sites
    fresh_mock_sites.reset()


def test_a_store_outage_after_the_flow_gives_the_outcome_without_the_number(
    sites: MockSites,
    tmp_path: Path,
    postgres_server: PostgresServer,
    postgres_dsn: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    with TcpProxy((postgres_server.host, postgres_server.port)) as proxy:
        dsn = postgres_dsn.replace(f":{postgres_server.port}/", f":{proxy.port}/")
        settings = make_settings(sites, tmp_path, store_dsn=dsn, max_attempts=1)
        request = People(sites).request()
        sites.set_faults("pmo", error_rate=1.0)  # the first PMO step fails

        def on_step(event: StepEvent) -> None:
            if event.status == "failed":
                proxy.down()  # the store goes away as the flow ends

        with Runner(settings) as runner, caplog.at_level(logging.WARNING):
            outcome = runner.register(request, on_step=on_step)

    assert outcome.kind is OutcomeKind.FAILED and outcome.reservnummer is None
    failed_reads = [r for r in caplog.records if r.getMessage() == "journal_read_failed"]
    assert len(failed_reads) == 1
