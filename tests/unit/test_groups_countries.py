"""The group table and the country lists, as loaded from config/."""

from __future__ import annotations

from pathlib import Path

import pytest

from flows.rules.countries import (
    CountryLists,
    countries_sv,
    country_code,
    country_name_sv,
    swedish_sort_key,
)
from flows.rules.groups import PatientGroup, load_groups
from flows.rules.model import Sex
from robot.errors import ConfigError

EXPECTED = {
    "asylsokande": ("01", "swedish"),
    "papperslos": ("07", "swedish"),
    "ees_med_kort": ("02", "residence_country"),
    "ees_utan_kort": ("03", "residence_country"),
    "konventionsland": ("04", "residence_country"),
    "utanfor": ("04", "residence_country"),
}


def test_group_table_should_hold_the_routines_codes_and_address_rule(
    groups: dict[str, PatientGroup],
) -> None:
    assert list(groups) == list(EXPECTED)
    for key, (kommun, address) in EXPECTED.items():
        assert groups[key].kommun == kommun
        assert groups[key].lan == "99"
        assert groups[key].address == address
        assert groups[key].label_sv
    assert groups["asylsokande"].code == "9901"


def test_last_group_should_carry_the_doubt_about_the_printed_04(
    groups: dict[str, PatientGroup],
) -> None:
    note = groups["utanfor"].note_sv
    assert note is not None and "04" in note and "groups.toml" in note
    assert "tryckfel" in groups["utanfor"].description_sv
    assert all(g.note_sv is None for k, g in groups.items() if k != "utanfor")


def test_group_with_bad_code_should_be_a_config_error(tmp_path: Path) -> None:
    (tmp_path / "groups.toml").write_text(
        "[groups.x]\nlabel_sv='X'\nkommun='1'\nlan='99'\naddress='swedish'\n", encoding="utf-8"
    )
    with pytest.raises(ConfigError):
        load_groups(tmp_path)


def test_group_with_unknown_address_kind_should_be_a_config_error(tmp_path: Path) -> None:
    (tmp_path / "groups.toml").write_text(
        "[groups.x]\nlabel_sv='X'\nkommun='01'\nlan='99'\naddress='mars'\n", encoding="utf-8"
    )
    with pytest.raises(ConfigError):
        load_groups(tmp_path)


def test_country_lists_should_match_the_routines_facts(countries: CountryLists) -> None:
    assert len(countries.eu) == 27
    assert countries.eea == countries.eu | {"IS", "LI", "NO"}
    assert countries.eu_card_valid("CH") and countries.eu_card_valid("GB")
    assert not countries.eu_card_valid("TR")
    assert {"DK", "FI", "IS", "NO", "GL", "FO", "AX"} <= countries.nordic
    assert {"DZ", "AU", "IL", "TR"} <= countries.convention


@pytest.mark.parametrize(
    ("code", "name"),
    [("SE", "Sverige"), ("DE", "Tyskland"), ("SY", "Syrien"), ("XK", "Kosovo"), ("so", "Somalia")],
)
def test_country_name_sv_should_give_the_short_swedish_name(code: str, name: str) -> None:
    assert country_name_sv(code) == name


def test_unknown_country_code_should_raise_key_error() -> None:
    with pytest.raises(KeyError):
        country_name_sv("QQ")


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("se", "SE"),
        ("SWE", "SE"),
        ("Sverige", "SE"),
        ("Sweden", "SE"),
        ("  tyskland ", "DE"),
        ("Osterrike", "AT"),
        ("Syriska arabrepubliken", "SY"),
        ("UK", "GB"),
        ("Kosovo", "XK"),
        ("Atlantis", None),
        ("", None),
    ],
)
def test_country_code_should_resolve_codes_and_names(text: str, code: str | None) -> None:
    assert country_code(text) == code


def test_country_list_should_be_in_swedish_order_with_aao_last() -> None:
    names = [name for _, name in countries_sv()]
    assert len(names) >= 249
    assert names == sorted(names, key=swedish_sort_key)
    assert names[-1].startswith("Ö")
    assert names.index("Zimbabwe") < names.index("Åland") < names.index("Österrike")


def test_sex_should_read_labels_and_codes_and_refuse_anything_else() -> None:
    assert Sex.from_label("Man") is Sex.MAN
    assert Sex.from_label(" kvinna ") is Sex.KVINNA
    assert Sex.from_label("K") is Sex.KVINNA
    assert Sex.MAN.label_sv == "Man" and Sex.KVINNA.label_sv == "Kvinna"
    assert Sex.from_label("X") is Sex.OKANT  # Region Gävleborg's "sex unknown"
    with pytest.raises(ValueError):
        Sex.from_label("Q")
