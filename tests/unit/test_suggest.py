"""Group suggestion from citizenship, residence and what the person shows."""

from __future__ import annotations

import pytest

from flows.rules.countries import CountryLists
from flows.rules.groups import PatientGroup
from flows.rules.suggest import GroupSuggestion, Shows, suggest_group

LMA, EU, NONE = Shows.LMA_KORT, Shows.EU_KORT, Shows.INGET


def suggest(
    countries: CountryLists, citizenship: str, residence: str | None, shows: Shows
) -> GroupSuggestion:
    return suggest_group(
        citizenship=citizenship, residence_country=residence, shows=shows, countries=countries
    )


@pytest.mark.parametrize(
    ("citizenship", "residence", "shows", "group"),
    [
        ("SY", "SE", LMA, "asylsokande"),
        ("AF", None, LMA, "asylsokande"),
        ("NO", "NO", NONE, "ees_med_kort"),  # Nordic convention: no card needed
        ("SY", "DK", NONE, "ees_med_kort"),  # resident in a Nordic country
        ("AX", "AX", NONE, "ees_med_kort"),  # Åland
        ("DE", "DE", EU, "ees_med_kort"),
        ("CH", "CH", EU, "ees_med_kort"),  # Switzerland like the EEA
        ("GB", "GB", EU, "ees_med_kort"),  # UK GHIC
        ("PL", "PL", NONE, "ees_utan_kort"),
        ("UA", "DE", NONE, "ees_utan_kort"),  # resident in the EU without a card
        ("TR", "TR", NONE, "konventionsland"),
        ("AU", "AU", NONE, "konventionsland"),
        ("DZ", "DZ", NONE, "konventionsland"),
        ("IL", "IL", NONE, "konventionsland"),
        ("US", "US", NONE, "utanfor"),
        ("SO", "KE", NONE, "utanfor"),
        ("GB", "GB", NONE, "utanfor"),  # UK without GHIC
    ],
)
def test_clear_cases_should_suggest_the_group_without_a_person(
    countries: CountryLists,
    groups: dict[str, PatientGroup],
    citizenship: str,
    residence: str | None,
    shows: Shows,
    group: str,
) -> None:
    result = suggest(countries, citizenship, residence, shows)
    assert result.group_key == group
    assert result.group_key in groups
    assert result.needs_person is False
    assert result.reason_sv


@pytest.mark.parametrize(
    ("citizenship", "residence", "shows"),
    [
        ("SY", "SE", NONE),  # asylum seeker without card, or undocumented: a person decides
        ("SY", None, NONE),  # residence unknown
        ("DE", "SE", EU),  # an EU card from Sweden would mean a personnummer
        ("SY", "SY", EU),  # EU card but lives outside the EEA
        ("CA", "CA", NONE),  # convention covers Québec only
        ("TR", "IQ", NONE),  # convention citizen living elsewhere
        ("SY", "DE", LMA),  # LMA card but lives abroad
        ("Atlantis", "DE", NONE),
        ("SY", "Atlantis", NONE),
    ],
)
def test_unclear_cases_should_need_a_person(
    countries: CountryLists, citizenship: str, residence: str | None, shows: Shows
) -> None:
    result = suggest(countries, citizenship, residence, shows)
    assert result.needs_person is True
    assert result.reason_sv


def test_living_in_sweden_without_card_should_name_both_possible_groups(
    countries: CountryLists,
) -> None:
    result = suggest(countries, "ER", "SE", NONE)
    assert result.group_key is None
    assert "asylsökande" in result.reason_sv and "papperslös" in result.reason_sv


def test_reason_should_use_swedish_country_names(countries: CountryLists) -> None:
    assert "Tyskland" in suggest(countries, "DE", "DE", EU).reason_sv
    assert "Turkiet" in suggest(countries, "TR", "TR", NONE).reason_sv
    assert "Québec" in suggest(countries, "CA", "CA", NONE).reason_sv


def test_names_should_be_accepted_for_countries(countries: CountryLists) -> None:
    result = suggest(countries, "Tyskland", "Tyskland", EU)
    assert result.group_key == "ees_med_kort" and not result.needs_person


def test_shows_should_have_swedish_labels() -> None:
    assert [s.label_sv for s in Shows] == ["LMA-kort", "EU-kort eller intyg", "Inget"]
