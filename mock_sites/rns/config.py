"""Settings of the mock Reservnummersystemet."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from mock_sites.common.config import DEFAULT_CONFIG_DIR, SiteConfig


@dataclass(frozen=True)
class RnsConfig(SiteConfig):
    """RNS's settings: the common ones plus the region profile whose field rules it enforces
    and whose reservnummer format it hands out (``<config_dir>/regions/<region>.toml``,
    ``[fields.*]`` and ``[reservnummer] format``)."""

    region: str = "gavleborg"
    config_dir: Path = field(default=DEFAULT_CONFIG_DIR)
