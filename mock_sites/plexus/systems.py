"""The IT systems Plexus lists under "IT-system" (names as staff see them)."""

from __future__ import annotations

from dataclasses import dataclass

from mock_sites.plexus.config import PlexusConfig


@dataclass(frozen=True)
class System:
    key: str
    name: str
    url: str
    description: str


def systems_for(config: PlexusConfig) -> tuple[System, ...]:
    """Every system, in the order shown; PMO and RNS point at the configured mock sites."""
    return (
        System(
            "avvikelser",
            "Avvikelsehantering",
            "/system/avvikelser",
            "Rapportera avvikelser och risker.",
        ),
        System(
            "kompetens",
            "Kompetensportalen",
            "/system/kompetens",
            "Utbildningar och kompetensbevis.",
        ),
        System(
            "pmo",
            "PMO",
            config.pmo_url.rstrip("/") + "/",
            "Journalsystem för bland annat barnhälsovård och elevhälsa.",
        ),
        System(
            "rns",
            "Reservnummersystemet",
            config.rns_url.rstrip("/") + "/",
            "Reservnummer för personer utan svenskt personnummer.",
        ),
        System("tid", "Tidrapportering", "/system/tid", "Rapportera arbetstid och frånvaro."),
    )


# Favourites every user starts with (Reservnummersystemet on purpose not among them).
DEFAULT_FAVOURITES = ("pmo", "tid")
