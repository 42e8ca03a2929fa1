"""The selector files in config/selectors/: complete, consistent, and strict about their format.

No browser: a layout file that lacks a key the page objects use would only fail in the middle
of a registration, so every file is checked against layout a's keys here.
"""

from __future__ import annotations

import pytest

from flows.selectors import LocatorSpec, load_selectors, parse_selectors
from robot.errors import ConfigError
from robot.settings import DEFAULT_CONFIG_DIR

SELECTORS = DEFAULT_CONFIG_DIR / "selectors"


def _keys(name: str) -> dict[str, set[str]]:
    site = load_selectors(SELECTORS, name)
    return {
        screen: set(sel.locators) | set(sel.texts) | set(sel.tables)
        for screen, sel in site.screens.items()
    }


def test_pmo_layout_b_should_define_every_element_layout_a_defines() -> None:
    assert _keys("pmo_b") == _keys("pmo_a")
    a, b = load_selectors(SELECTORS, "pmo_a"), load_selectors(SELECTORS, "pmo_b")
    assert a["labels"].texts.keys() == b["labels"].texts.keys()
    assert a["search"].table("columns").keys() == b["search"].table("columns").keys()


@pytest.mark.parametrize("name", ["pmo_a", "pmo_b", "rns", "plexus"])
def test_selector_files_should_prefer_roles_and_labels_over_css(name: str) -> None:
    site = load_selectors(SELECTORS, name)
    specs = [spec for screen in site.screens.values() for spec in screen.locators.values()]
    assert specs
    assert all(spec.css is None for spec in specs)
    assert {"login", "site"} <= site.screens.keys()


@pytest.mark.parametrize(
    "raw",
    [
        {"role": "button"} | {"label": "Spara"},  # two ways at once
        {"role": "knapp", "name": "Spara"},  # not an ARIA role
        {"name": "Spara"},  # no way to find it
        {"role": "button", "name": 3},  # not text
    ],
)
def test_a_broken_locator_spec_should_be_a_config_error(raw: dict[str, object]) -> None:
    with pytest.raises(ConfigError):
        LocatorSpec.parse("test.screen.key", raw)


def test_a_missing_element_should_name_file_screen_and_key() -> None:
    site = parse_selectors("demo", {"form": {"save": {"role": "button", "name": "Spara"}}})

    with pytest.raises(ConfigError, match=r"demo\.form\.delete"):
        site["form"].spec("delete")
    with pytest.raises(ConfigError, match=r"\[nav\]"):
        site["nav"]
