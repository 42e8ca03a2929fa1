"""Settings of the mock Plexus (the intranet portal)."""

from __future__ import annotations

from dataclasses import dataclass

from mock_sites.common.config import SiteConfig


@dataclass(frozen=True)
class PlexusConfig(SiteConfig):
    """Plexus links to the other two mock sites, so it needs their addresses."""

    pmo_url: str = "http://127.0.0.1:8101"
    rns_url: str = "http://127.0.0.1:8102"
