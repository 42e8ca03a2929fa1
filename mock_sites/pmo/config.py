"""Settings of the mock PMO."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from mock_sites.common.config import DEFAULT_CONFIG_DIR, SiteConfig

Layout = Literal["a", "b", "c"]


@dataclass(frozen=True)
class PmoConfig(SiteConfig):
    """PMO's settings: the common ones plus the page layout and the region profile.

    ``layout`` "b" gives the same screens with other markup, order, ids and some label texts
    (see mock_sites/README.md); "c" is layout a drifted, for the screen check's tests.
    ``region`` names ``<config_dir>/regions/<region>.toml``, whose
    reservnummer pattern the Patient-ID check uses.
    """

    layout: Layout = "a"
    region: str = "gavleborg"
    config_dir: Path = field(default=DEFAULT_CONFIG_DIR)
