"""Countries: Swedish names (pycountry's ISO 3166 translations) and the lists the group
suggestion needs (EU/EEA, Switzerland, UK, Nordic, convention countries) from
``config/countries.toml``."""

from __future__ import annotations

import gettext
import tomllib
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import pycountry

from robot.errors import ConfigError
from robot.settings import DEFAULT_CONFIG_DIR

SWEDEN = "SE"


@dataclass(frozen=True)
class CountryLists:
    """The country lists and Swedish name overrides from ``config/countries.toml``."""

    eu: frozenset[str]
    eea: frozenset[str]
    eu_card_like: frozenset[str]
    ghic: frozenset[str]
    nordic: frozenset[str]
    convention: frozenset[str]
    convention_notes: Mapping[str, str] = field(default_factory=dict)
    names_sv: Mapping[str, str] = field(default_factory=dict)
    extra_names_sv: Mapping[str, str] = field(default_factory=dict)
    aliases: Mapping[str, str] = field(default_factory=dict)
    _index: Mapping[str, str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_index", _name_index(self))

    def eu_card_valid(self, alpha2: str) -> bool:
        """True when a health card from this country counts as an EU card (EEA, CH, UK GHIC)."""
        return alpha2 in self.eea or alpha2 in self.eu_card_like or alpha2 in self.ghic

    def eea_like(self, alpha2: str) -> bool:
        """True for the EEA and the countries treated like it (Switzerland)."""
        return alpha2 in self.eea or alpha2 in self.eu_card_like


def load_country_lists(config_dir: Path) -> CountryLists:
    """Load ``config_dir/countries.toml``; raise ``ConfigError`` on unknown codes."""
    path = config_dir / "countries.toml"
    try:
        with path.open("rb") as fh:
            data = tomllib.load(fh)
        extra = {str(k).upper(): str(v) for k, v in data.get("extra_names_sv", {}).items()}
        eu = _codes(data["eu"], extra)
        lists = CountryLists(
            eu=eu,
            eea=eu | _codes(data["eea_extra"], extra),
            eu_card_like=_codes(data.get("eu_card_like", []), extra),
            ghic=_codes(data.get("ghic", []), extra),
            nordic=_codes(data["nordic"], extra),
            convention=_codes(data["convention"], extra),
            convention_notes={
                str(k).upper(): str(v) for k, v in data.get("convention_notes", {}).items()
            },
            names_sv={str(k).upper(): str(v) for k, v in data.get("names_sv", {}).items()},
            extra_names_sv=extra,
            aliases={
                str(k): code
                for k, v in data.get("aliases", {}).items()
                for code in _codes([v], extra)
            },
        )
    except (FileNotFoundError, tomllib.TOMLDecodeError, KeyError, ValueError) as exc:
        raise ConfigError(f"Landlistorna går inte att läsa: {path}: {exc}") from exc
    return lists


def country_name_sv(alpha2: str, *, lists: CountryLists | None = None) -> str:
    """The Swedish name of a country, e.g. ``DE`` -> ``Tyskland``, ``SE`` -> ``Sverige``.

    Short names from the configuration win over pycountry's formal ones (``SY`` -> ``Syrien``).
    Without ``lists`` the project's default ``config/countries.toml`` is used. Raises
    ``KeyError`` for an unknown code.
    """
    lists = lists or default_country_lists()
    code = alpha2.strip().upper()
    if code in lists.names_sv:
        return lists.names_sv[code]
    if code in lists.extra_names_sv:
        return lists.extra_names_sv[code]
    country = pycountry.countries.get(alpha_2=code) if len(code) == 2 else None
    if country is None:
        raise KeyError(f"okänd landskod: {alpha2!r}")
    return _sv().gettext(country.name)


def country_code(text: str, *, lists: CountryLists | None = None) -> str | None:
    """Resolve what staff or an import file wrote as a country to its alpha-2 code.

    Accepts alpha-2 and alpha-3 codes and Swedish or English names, ignoring case and accents
    (``se``, ``SWE``, ``Sverige``, ``Sweden``, ``Tyskland``). Returns None when unknown.
    """
    key = _fold(text)
    if not key:
        return None
    return (lists or default_country_lists())._index.get(key)


def countries_sv(*, lists: CountryLists | None = None) -> list[tuple[str, str]]:
    """All countries as ``(alpha2, Swedish name)``, in Swedish alphabetical order."""
    lists = lists or default_country_lists()
    codes = {c.alpha_2 for c in pycountry.countries} | set(lists.extra_names_sv)
    pairs = [(code, country_name_sv(code, lists=lists)) for code in codes]
    return sorted(pairs, key=lambda pair: swedish_sort_key(pair[1]))


def swedish_sort_key(text: str) -> str:
    """Sort key for the Swedish alphabet: å, ä, ö after z; other accents ignored."""
    out = []
    for ch in text.casefold():
        if ch in _SV_LAST:
            out.append(_SV_LAST[ch])
        else:
            out.append(unicodedata.normalize("NFKD", ch)[:1])
    return "".join(out)


@cache
def default_country_lists() -> CountryLists:
    """The lists from the project's own ``config/`` (cached; read-only data)."""
    return load_country_lists(DEFAULT_CONFIG_DIR)


_SV_LAST = {"å": "{", "ä": "|", "æ": "|", "ö": "}", "ø": "}"}


@cache
def _sv() -> gettext.NullTranslations:
    return gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=["sv"])


def _codes(values: Iterable[object], extra: Mapping[str, str]) -> frozenset[str]:
    codes = frozenset(str(v).upper() for v in values)
    unknown = [c for c in codes if c not in extra and pycountry.countries.get(alpha_2=c) is None]
    if unknown:
        raise ValueError(f"okända landskoder {sorted(unknown)}")
    return codes


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.strip().casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def _name_index(lists: CountryLists) -> dict[str, str]:
    names_sv, extra = lists.names_sv, lists.extra_names_sv
    index: dict[str, str] = {}
    for c in pycountry.countries:
        names = [c.name, getattr(c, "common_name", None), getattr(c, "official_name", None)]
        for name in [n for n in names if n]:
            index.setdefault(_fold(name), c.alpha_2)
            index.setdefault(_fold(_sv().gettext(name)), c.alpha_2)
        index[_fold(c.alpha_3)] = c.alpha_2
    for name, code in lists.aliases.items():
        index[_fold(name)] = code
    for code, name in [*names_sv.items(), *extra.items()]:
        index[_fold(name)] = code
    for c in pycountry.countries:
        index[_fold(c.alpha_2)] = c.alpha_2  # codes win over any name collision
    for code in extra:
        index[_fold(code)] = code
    return index
