"""Selector files (``config/selectors/*.toml``): where each element of each screen is found.

A selector file has one table per screen. Each entry is either a locator spec (an inline table:
``{ role = "button", name = "Spara" }``, ``{ label = "..." }``, ``{ text = "..." }`` or, as a
last resort, ``{ css = "..." }``) or a plain string (a label text read from the screen, such as
a column header). Page objects ask for elements by key; they never hold CSS or label texts
themselves, so a new layout of a site is a new selector file and no code change.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal, cast

from playwright.sync_api import Locator, Page

from robot.errors import ConfigError

AriaRole = Literal[
    "alert",
    "button",
    "cell",
    "checkbox",
    "columnheader",
    "definition",
    "dialog",
    "heading",
    "img",
    "link",
    "list",
    "listitem",
    "main",
    "navigation",
    "radio",
    "region",
    "row",
    "rowheader",
    "status",
    "table",
    "term",
    "textbox",
]
_ROLES: frozenset[str] = frozenset(AriaRole.__args__)  # type: ignore[attr-defined]
_KINDS = ("role", "label", "text", "placeholder", "css")


@dataclass(frozen=True)
class LocatorSpec:
    """One way of finding an element, preferring what a person sees (role, label, text)."""

    role: str | None = None
    name: str | None = None
    label: str | None = None
    text: str | None = None
    placeholder: str | None = None
    css: str | None = None
    exact: bool = True

    @classmethod
    def parse(cls, where: str, raw: dict[str, Any]) -> LocatorSpec:
        unknown = set(raw) - {*_KINDS, "name", "exact"}
        kinds = [k for k in _KINDS if k in raw]
        if unknown or len(kinds) != 1:
            raise ConfigError(
                f"Selector {where}: exactly one of {', '.join(_KINDS)} is needed "
                f"(got {sorted(raw)})",
                code="selector_config",
            )
        if "role" in raw and raw["role"] not in _ROLES:
            raise ConfigError(
                f"Selector {where}: unknown role {raw['role']!r}", code="selector_config"
            )
        values = {k: v for k, v in raw.items() if k != "exact"}
        if not all(isinstance(v, str) for v in values.values()):
            raise ConfigError(f"Selector {where}: values must be strings", code="selector_config")
        return cls(exact=bool(raw.get("exact", True)), **values)

    def locate(self, root: Page | Locator) -> Locator:
        """The Playwright locator for this spec, searched inside ``root``."""
        if self.role is not None:
            role = cast(AriaRole, self.role)
            if self.name is None:
                return root.get_by_role(role)
            return root.get_by_role(role, name=self.name, exact=self.exact)
        if self.label is not None:
            return root.get_by_label(self.label, exact=self.exact)
        if self.text is not None:
            return root.get_by_text(self.text, exact=self.exact)
        if self.placeholder is not None:
            return root.get_by_placeholder(self.placeholder, exact=self.exact)
        assert self.css is not None
        return root.locator(self.css)

    def describe(self) -> str:
        """Short human description for error messages (no personal data in selectors)."""
        if self.role is not None:
            return f"{self.role} {self.name!r}" if self.name else self.role
        kind = next(k for k in _KINDS if getattr(self, k) is not None)
        return f"{kind} {getattr(self, kind)!r}"


@dataclass(frozen=True)
class ScreenSelectors:
    """The selectors of one screen."""

    site: str
    screen: str
    locators: dict[str, LocatorSpec]
    texts: dict[str, str]
    tables: dict[str, dict[str, str]]

    def spec(self, key: str) -> LocatorSpec:
        try:
            return self.locators[key]
        except KeyError:
            raise ConfigError(
                f"Selector {self.site}.{self.screen}.{key} is missing", code="selector_config"
            ) from None

    def loc(self, root: Page | Locator, key: str) -> Locator:
        """The locator for element ``key`` inside ``root``."""
        return self.spec(key).locate(root)

    def text(self, key: str) -> str:
        """A label text of this screen."""
        try:
            return self.texts[key]
        except KeyError:
            raise ConfigError(
                f"Label text {self.site}.{self.screen}.{key} is missing", code="selector_config"
            ) from None

    def table(self, key: str) -> dict[str, str]:
        """A sub-table of label texts (for example column headers by field)."""
        try:
            return self.tables[key]
        except KeyError:
            raise ConfigError(
                f"Label table {self.site}.{self.screen}.{key} is missing", code="selector_config"
            ) from None


@dataclass(frozen=True)
class SiteSelectors:
    """Every screen's selectors of one site (one selector file)."""

    name: str
    screens: dict[str, ScreenSelectors]

    def __getitem__(self, screen: str) -> ScreenSelectors:
        try:
            return self.screens[screen]
        except KeyError:
            raise ConfigError(
                f"Selector file {self.name}.toml has no [{screen}] table", code="selector_config"
            ) from None


def _is_spec(value: dict[str, Any]) -> bool:
    return any(k in value for k in _KINDS)


def parse_selectors(name: str, data: dict[str, Any]) -> SiteSelectors:
    """Build the selectors from a parsed TOML document, checking every spec."""
    screens: dict[str, ScreenSelectors] = {}
    for screen, entries in data.items():
        if not isinstance(entries, dict):
            raise ConfigError(
                f"Selector file {name}: [{screen}] must be a table", code="selector_config"
            )
        locators: dict[str, LocatorSpec] = {}
        texts: dict[str, str] = {}
        tables: dict[str, dict[str, str]] = {}
        for key, value in entries.items():
            where = f"{name}.{screen}.{key}"
            if isinstance(value, str):
                texts[key] = value
            elif isinstance(value, dict) and _is_spec(value):
                locators[key] = LocatorSpec.parse(where, value)
            elif isinstance(value, dict) and all(isinstance(v, str) for v in value.values()):
                tables[key] = dict(value)
            else:
                raise ConfigError(f"Selector {where}: unsupported value", code="selector_config")
        screens[screen] = ScreenSelectors(name, screen, locators, texts, tables)
    return SiteSelectors(name, screens)


@lru_cache(maxsize=16)
def _load_cached(path: Path, mtime_ns: int) -> SiteSelectors:
    with path.open("rb") as fh:
        data = tomllib.load(fh)
    return parse_selectors(path.stem, data)


def load_selectors(selectors_dir: Path, name: str) -> SiteSelectors:
    """Load ``<selectors_dir>/<name>.toml`` (cached until the file changes)."""
    path = (selectors_dir / f"{name}.toml").resolve()
    if not path.is_file():
        raise ConfigError(f"Selector file not found: {path}", code="selector_config")
    try:
        return _load_cached(path, path.stat().st_mtime_ns)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(
            f"Selector file {path} is not valid TOML: {exc}", code="selector_config"
        ) from exc
