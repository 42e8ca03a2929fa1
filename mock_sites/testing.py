"""Start all three mock sites in this process, for tests, QA and ``reservrobot-qa mock serve``.

```python
with run_mock_sites(tmp_path, pmo_layout="a") as sites:
    page.goto(sites.pmo_url)
    sites.set_faults("pmo", error_rate=0.1, seed=1)
    assert sites.records("pmo")["patients"]
```
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import httpx

from mock_sites.common.config import DEFAULT_CONFIG_DIR, DEFAULT_USERS, User
from mock_sites.common.faults import FaultSettings
from mock_sites.plexus.app import create_app as create_plexus
from mock_sites.plexus.config import PlexusConfig
from mock_sites.pmo.app import create_app as create_pmo
from mock_sites.pmo.config import PmoConfig
from mock_sites.rns.app import create_app as create_rns
from mock_sites.rns.config import RnsConfig
from mock_sites.serve import ServerThread, bind_socket

Site = Literal["plexus", "pmo", "rns"]
SITES: tuple[Site, ...] = ("plexus", "pmo", "rns")
DEFAULT_PORTS: dict[Site, int] = {"plexus": 8100, "pmo": 8101, "rns": 8102}


@dataclass
class MockSites:
    """The running sites: their addresses and the QA endpoints as methods."""

    pmo_url: str
    rns_url: str
    plexus_url: str
    data_dir: Path
    pmo_layout: str
    _client: httpx.Client = field(repr=False)

    def url(self, site: Site) -> str:
        return {"plexus": self.plexus_url, "pmo": self.pmo_url, "rns": self.rns_url}[site]

    def _call(self, method: str, site: Site, path: str, body: Any = None) -> dict[str, Any]:
        response = self._client.request(method, self.url(site) + path, json=body)
        response.raise_for_status()
        result: dict[str, Any] = response.json()
        return result

    def reset(self, *sites: Site) -> None:
        """Restore seed data and start-up fault settings (all sites unless named)."""
        for site in sites or SITES:
            self._call("POST", site, "/_mock/reset")

    def records(self, site: Site) -> dict[str, Any]:
        """Every record of ``site``: ``{"patients": [...]}``, ``{"persons": [...]}`` or
        ``{"favourites": [...]}``."""
        return self._call("GET", site, "/_mock/records")

    def faults(self, site: Site) -> dict[str, Any]:
        return self._call("GET", site, "/_mock/faults")

    def set_faults(self, site: Site, **settings: Any) -> dict[str, Any]:
        """Change fault settings of ``site`` (latency_ms, error_rate, session_timeout_s, seed)."""
        return self._call("POST", site, "/_mock/faults", settings)

    def plant_anomalies(self, first_date: str = "1931-03-02") -> dict[str, Any]:
        """Add the hand-made anomalies (``mock_sites/anomalies.py``) to PMO and RNS, one case
        per day from ``first_date``; the manifest of what a sweep should find."""
        body = {"first_date": first_date}
        self._call("POST", "pmo", "/_mock/anomalies", body)
        return self._call("POST", "rns", "/_mock/anomalies", body)

    def advance_clock(self, site: Site, seconds: float) -> None:
        """Move the site's clock forward, e.g. past the session idle timeout."""
        self._call("POST", site, "/_mock/clock", {"advance_s": seconds})


def _faults_for(
    faults: FaultSettings | Mapping[str, FaultSettings] | None, site: Site
) -> FaultSettings:
    if faults is None:
        return FaultSettings()
    if isinstance(faults, FaultSettings):
        return faults
    return faults.get(site, FaultSettings())


@contextmanager
def run_mock_sites(
    data_dir: Path,
    *,
    pmo_layout: Literal["a", "b", "c"] = "a",
    faults: FaultSettings | Mapping[str, FaultSettings] | None = None,
    region: str = "gavleborg",
    host: str = "127.0.0.1",
    ports: Mapping[str, int] | None = None,
    users: tuple[User, ...] = DEFAULT_USERS,
    data_seed: int = 1,
    seed_size: int = 300,
    config_dir: Path = DEFAULT_CONFIG_DIR,
    anomalies_from: str = "",
) -> Iterator[MockSites]:
    """Start Plexus, PMO and RNS with uvicorn in background threads; stop them on exit.

    Each site keeps its SQLite file in ``data_dir`` (``pmo.sqlite3``, ``rns.sqlite3``,
    ``plexus.sqlite3``); existing data is kept, an empty database is seeded. Ports default to
    0 (free ports); ``faults`` is one FaultSettings for all sites or one per site name.
    ``anomalies_from`` (an ISO date) plants the hand-made anomalies of
    ``mock_sites/anomalies.py`` in PMO's and RNS's seed data from that day on.
    """
    data_dir.mkdir(parents=True, exist_ok=True)
    chosen = {site: int((ports or {}).get(site, 0)) for site in SITES}
    with ExitStack() as stack:
        sockets = {}
        for site in SITES:
            sockets[site] = bind_socket(host, chosen[site])
            stack.callback(sockets[site].close)
        shown_host = f"[{host}]" if ":" in host else host
        urls = {site: f"http://{shown_host}:{sockets[site].getsockname()[1]}" for site in SITES}
        common: dict[str, Any] = {
            "users": users,
            "data_seed": data_seed,
            "seed_size": seed_size,
            "anomalies_from": anomalies_from,
        }
        apps = {
            "pmo": create_pmo(
                db_path=data_dir / "pmo.sqlite3",
                config=PmoConfig(
                    **common,
                    faults=_faults_for(faults, "pmo"),
                    layout=pmo_layout,
                    region=region,
                    config_dir=config_dir,
                ),
            ),
            "rns": create_rns(
                db_path=data_dir / "rns.sqlite3",
                config=RnsConfig(
                    **common,
                    faults=_faults_for(faults, "rns"),
                    region=region,
                    config_dir=config_dir,
                ),
            ),
            "plexus": create_plexus(
                db_path=data_dir / "plexus.sqlite3",
                config=PlexusConfig(
                    **common,
                    faults=_faults_for(faults, "plexus"),
                    pmo_url=urls["pmo"],
                    rns_url=urls["rns"],
                ),
            ),
        }
        for site in SITES:
            server = ServerThread(apps[site], sockets[site], name=site)
            server.start()
            stack.callback(server.stop)
        client = stack.enter_context(httpx.Client(timeout=10.0, trust_env=False))
        yield MockSites(
            pmo_url=urls["pmo"],
            rns_url=urls["rns"],
            plexus_url=urls["plexus"],
            data_dir=data_dir,
            pmo_layout=pmo_layout,
            _client=client,
        )
