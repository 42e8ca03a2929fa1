"""Matching against the mock sites' seed world: an independent check of the matcher.

The mock sites' seed (mock_sites/seed.py, written separately from the matcher) places people
in PMO and Reservnummersystemet with their own spelling variants (transliterations, swapped
names, accents dropped, first given name only). A PMO patient and an RNS row with the same
birth date are the same person exactly when they share an identity number. The robot meets
these pairs in the end-to-end tests, so the matcher must not merge two of them that the seed
means as different people, and must not call the same person different.

Two different seed people may be drawn with the same name (or with spellings the seed itself
treats as one name) on the same birth date: no name matcher can tell them apart, so such
pairs are left out of the merge check.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from flows.rules.matching import MatchConfig, MatchOutcome, PersonKey, judge
from flows.rules.model import Sex
from flows.rules.names import normalise_name

seed = pytest.importorskip("mock_sites.seed", reason="mock_sites.seed is not available")


def _birth_date(patient_id: str) -> date:
    day = int(patient_id[6:8])
    return date(int(patient_id[:4]), int(patient_id[4:6]), day - 60 if day > 60 else day)


def _canonical(words: str) -> str:
    """The seed's own idea of a name: every listed spelling mapped to its first spelling."""
    table: dict[str, str] = {}
    for row in (*seed.GIVEN_MALE, *seed.GIVEN_FEMALE, *seed.FAMILY):
        for spelling in row:
            table[normalise_name(spelling)] = normalise_name(row[0])
    return table.get(normalise_name(words), normalise_name(words))


def _name_forms(person: dict[str, Any]) -> set[frozenset[str]]:
    """The seed's spellings of a person, as word sets (order-free: swaps are variants too)."""
    family, given = _canonical(person["family_name"]), _canonical(person["given_names"])
    first = _canonical(person["given_names"].split()[0]) if person["given_names"] else ""
    return {frozenset({family, given}), frozenset({family, first})}


def _same_name_in_seed(p: dict[str, Any], r: dict[str, Any]) -> bool:
    return bool(_name_forms(p) & _name_forms(r))


def test_seed_world_pairs_should_never_be_merged_or_missed(match_config: MatchConfig) -> None:
    world = seed.build_world(1, 300)
    checked = {"same": 0, "different": 0}
    for patient in world.patients:
        born = _birth_date(patient["patient_id"]).isoformat()
        a = PersonKey(patient["family_name"], patient["given_names"], Sex(patient["sex"]))
        for row in world.persons:
            if row["birth_date"] != born:
                continue
            same = patient["patient_id"] in (row["id_value"], row["personnummer"])
            b = PersonKey(row["family_name"], row["given_names"], None)  # RNS shows no sex
            result = judge(a, b, config=match_config)
            if same:
                assert result.outcome is not MatchOutcome.DIFFERENT, (a, b)
                checked["same"] += 1
            elif not _same_name_in_seed(patient, row):
                assert result.outcome is not MatchOutcome.SAME, (a, b)
                checked["different"] += 1
    assert checked["same"] > 100 and checked["different"] > 300
