"""Settings of the mock Reservnummersystemet."""

from __future__ import annotations

from dataclasses import dataclass

from mock_sites.common.config import SiteConfig


@dataclass(frozen=True)
class RnsConfig(SiteConfig):
    """RNS has no settings beyond the common ones (users, faults, seed)."""
