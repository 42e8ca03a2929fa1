"""Each system the robot works in (PMO, Reservnummersystemet, Plexus) as one nested settings
model: ``settings.pmo.url``, ``.username``, ``.password``, ``.selectors``; ``settings.rns.access``.

pydantic-settings fills them from ``RESERVROBOT_PMO__URL`` (``env_nested_delimiter``). The flat
names of before (``RESERVROBOT_PMO_URL``, ``Settings(pmo_url=...)``, ``pmo_url`` in the TOML
file) are folded into their site by one table, ``FLAT_SITE_NAMES``, in each source
(``FlatSiteNames``), so the sources keep their order of priority.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, SecretStr, field_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource

DEMO_CREDENTIAL = "demo"

RnsAccess = Literal["direct", "plexus"]


def _port_of(url: str) -> int | None:
    try:
        return urlsplit(url).port
    except ValueError:  # a port that is not a number, or out of range
        raise ValueError("har en port som inte är ett tal mellan 0 och 65535") from None


class SiteSettings(BaseModel):
    """One system the robot works in: where it is, the robot's login, its selector file."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    url: str
    # The mock sites' documented demo user by default.
    username: str = DEMO_CREDENTIAL
    password: SecretStr = SecretStr(DEMO_CREDENTIAL)
    # Name of the site's selector file in config/selectors/ (PMO: pmo_a.toml, pmo_b.toml, ...).
    selectors: str

    @field_validator("url")
    @classmethod
    def _site_address(cls, url: str) -> str:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("ska vara en webbadress som börjar med http:// eller https://")
        _port_of(url)
        return url


class PmoSettings(SiteSettings):
    url: str = "http://127.0.0.1:8101"
    selectors: str = "pmo_a"


class RnsSettings(SiteSettings):
    url: str = "http://127.0.0.1:8102"
    selectors: str = "rns"
    # Reservnummersystemet directly, or through its favourite in Plexus.
    access: RnsAccess = "direct"


class PlexusSettings(SiteSettings):
    url: str = "http://127.0.0.1:8100"
    selectors: str = "plexus"


SITES = ("pmo", "rns", "plexus")

# The flat names of before the nested models, still accepted from every source (the
# constructor ``Settings(pmo_url=...)``, RESERVROBOT_PMO_URL in the environment or .env,
# ``pmo_url`` in reservrobot.toml): flat name -> (site, field).
FLAT_SITE_NAMES: dict[str, tuple[str, str]] = {
    f"{site}_{key}": (site, key)
    for site in SITES
    for key in ("url", "username", "password", "selectors")
} | {"rns_access": ("rns", "access")}


def _fold_flat_names(data: Mapping[str, Any]) -> dict[str, Any]:
    """``data`` with each flat site name moved into its site (a nested value wins)."""
    folded = {k: v for k, v in data.items() if k not in FLAT_SITE_NAMES}
    for name, (site, key) in FLAT_SITE_NAMES.items():
        if name not in data:
            continue
        nested = folded.get(site, {})
        nested = nested.model_dump() if isinstance(nested, BaseModel) else dict(nested)
        nested.setdefault(key, data[name])
        folded[site] = nested
    return folded


class FlatSiteNames(PydanticBaseSettingsSource):
    """A source with the flat site names folded into their sites (see ``FLAT_SITE_NAMES``)."""

    def __init__(
        self, settings_cls: type[BaseSettings], read: Callable[[], Mapping[str, Any]]
    ) -> None:
        super().__init__(settings_cls)
        self._read = read

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False  # everything is read in __call__

    def __call__(self) -> dict[str, Any]:
        return _fold_flat_names(self._read())


def flat_names_in(variables: Mapping[str, str | None]) -> dict[str, Any]:
    """The flat site names among environment (or .env) variables, prefix removed."""
    prefix = "reservrobot_"  # pydantic-settings lowercases the names (case-insensitive)
    return {
        name.removeprefix(prefix): value
        for name, value in variables.items()
        if name.startswith(prefix) and name.removeprefix(prefix) in FLAT_SITE_NAMES
    }
