"""The sweep's rules (``flows.rules.sweep``): which records on one birth date are an anomaly.

The region profile is built here (Gävleborg's published shape with the sex letter read, and the
same shape without reading it), so these tests do not follow changes of the shipped profiles.
"""

from __future__ import annotations

import re
from datetime import date

import pytest

from flows.rules.matching import MatchConfig, load_match_config
from flows.rules.model import Sex
from flows.rules.region import RegionProfile
from flows.rules.screens import PmoHit, RnsHit
from flows.rules.sweep import FindingKind, judge_date
from robot.settings import DEFAULT_CONFIG_DIR

BORN = date(1990, 5, 17)
ESTIMATED = date(1990, 1, 1)


def _profile(*, with_sex: bool) -> RegionProfile:
    sex = "(?P<sex>[MKX])" if with_sex else "[MKX]"
    return RegionProfile(
        key="test",
        name="Test",
        pattern=re.compile(rf"^(?P<date>[0-9]{{8}})-?(?P<reserve>[0-9]{{2}}{sex}[0-9])$"),
        example="19900517-01M1",
        format="gavleborg",
        estimated_birth_dates=frozenset({"01-01"}),
    )


@pytest.fixture(scope="module")
def config() -> MatchConfig:
    return load_match_config(DEFAULT_CONFIG_DIR)


def n(serial: int, sex: str = "M", born: date = BORN) -> str:
    """A number as the rules report it (canonical: no hyphen; RNS shows one, PMO may not)."""
    return f"{born:%Y%m%d}{serial:02d}{sex}1"


def shown(number: str) -> str:
    """The number as Reservnummersystemet shows it, with the hyphen."""
    return f"{number[:8]}-{number[8:]}"


def pmo(number: str, name: str, sex: Sex | None = Sex.MAN) -> PmoHit:
    family, given = name.split(", ")
    return PmoHit(number, name, family, given, sex)


def rns(number: str, name: str, *, pnr: str | None = None, id_type: str = "reservnummer") -> RnsHit:
    family, given = name.split(", ")
    return RnsHit(pnr, name, family, given, id_type, number)


def kinds(findings: list) -> list[tuple[str, tuple[str, ...]]]:  # type: ignore[type-arg]
    return [(f.kind.value, f.numbers) for f in findings]


def test_every_patient_with_its_number_and_no_one_twice_is_no_finding(
    config: MatchConfig,
) -> None:
    findings = judge_date(
        BORN,
        [pmo(n(1), "Nowak, Jan"), pmo(n(2, "K"), "Nowak, Janina", Sex.KVINNA)],
        [rns(shown(n(1)), "Nowak, Jan"), rns(shown(n(2, "K")), "Nowak, Janina")],
        profile=_profile(with_sex=True),
        config=config,
    )
    assert findings == []


def test_a_person_registered_twice_in_pmo_under_two_spellings_is_one_duplicate(
    config: MatchConfig,
) -> None:
    pnr = "199005179811"
    findings = judge_date(
        BORN,
        [pmo(n(1), "Al-Hassan, Mohammed"), pmo(pnr, "Alhassan, Muhammad")],
        [rns(n(1), "Al-Hassan, Mohammed")],
        profile=_profile(with_sex=False),
        config=config,
    )
    assert kinds(findings) == [("duplicate_pmo", tuple(sorted((n(1), pnr))))]


def test_two_numbers_for_one_person_are_one_duplicate_not_also_an_orphan(
    config: MatchConfig,
) -> None:
    findings = judge_date(
        BORN,
        [pmo(n(1, "K"), "Shevchenko, Olena", Sex.KVINNA)],
        [rns(n(1, "K"), "Shevchenko, Olena"), rns(n(2, "K"), "Sjevtjenko, Olena")],
        profile=_profile(with_sex=False),
        config=config,
    )
    assert kinds(findings) == [("duplicate_rns", (n(1, "K"), n(2, "K")))]


def test_two_numbers_none_registered_are_a_duplicate_and_two_orphans(
    config: MatchConfig,
) -> None:
    findings = judge_date(
        BORN,
        [],
        [rns(n(1), "Nowak, Jan"), rns(n(2), "Nowak, Jan")],
        profile=_profile(with_sex=False),
        config=config,
    )
    assert kinds(findings) == [
        ("duplicate_rns", (n(1), n(2))),
        ("orphan_number", (n(1),)),
        ("orphan_number", (n(2),)),
    ]


@pytest.mark.parametrize("shown", ["199005179818", "19900517-9818", "900517-9818"])
def test_a_number_with_a_personnummer_beside_it_held_by_a_patient_is_no_orphan(
    config: MatchConfig, shown: str
) -> None:
    findings = judge_date(
        BORN,
        [pmo("199005179818", "Nowak, Jan")],
        [rns(n(1), "Nowak, Jan", pnr=shown)],
        profile=_profile(with_sex=False),
        config=config,
    )
    assert findings == []


def test_a_mistyped_patient_id_is_one_unknown_number_naming_the_number_meant(
    config: MatchConfig,
) -> None:
    findings = judge_date(
        BORN,
        [pmo(n(21, "K"), "Haddad, Mariam", Sex.KVINNA)],
        [rns(n(12, "K"), "Haddad, Mariam")],
        profile=_profile(with_sex=True),
        config=config,
    )
    assert kinds(findings) == [("unknown_number", (n(12, "K"), n(21, "K")))]
    assert findings[0].reason == "number_unknown_same_person_other_number"


def test_a_personnummer_patient_is_never_an_unknown_number(config: MatchConfig) -> None:
    findings = judge_date(
        BORN,
        [pmo("199005179818", "Nowak, Jan")],
        [],
        profile=_profile(with_sex=False),
        config=config,
    )
    assert findings == []


def test_sex_differing_from_the_number_is_found_where_the_format_carries_the_sex(
    config: MatchConfig,
) -> None:
    hits = ([pmo(n(1, "M"), "Ibrahim, Yusuf", Sex.KVINNA)], [rns(n(1, "M"), "Ibrahim, Yusuf")])
    with_sex = judge_date(BORN, *hits, profile=_profile(with_sex=True), config=config)
    assert kinds(with_sex) == [("sex_mismatch", (n(1, "M"),))]
    # A format without the sex says nothing about it (and RNS's screen shows none).
    assert judge_date(BORN, *hits, profile=_profile(with_sex=False), config=config) == []


def test_another_persons_name_on_the_number_is_a_name_mismatch(config: MatchConfig) -> None:
    findings = judge_date(
        BORN,
        [pmo(n(1), "Nowak, Jan")],
        [rns(n(1), "Bondarenko, Serhij")],
        profile=_profile(with_sex=False),
        config=config,
    )
    assert kinds(findings) == [("name_mismatch", (n(1),))]


def test_twins_and_siblings_are_not_duplicates_and_lookalikes_are_to_check(
    config: MatchConfig,
) -> None:
    people = [
        (n(1), "Öztürk, Amir", Sex.MAN),
        (n(2), "Öztürk, Amin", Sex.MAN),
        (n(3), "Öztürk, Ali", Sex.MAN),
        (n(4, "K"), "Öztürk, Ayşe", Sex.KVINNA),
        (n(5, "K"), "Kovalenko, Nataliia", Sex.KVINNA),
    ]
    findings = judge_date(
        BORN,
        [pmo(number, name, sex) for number, name, sex in people],
        [rns(number, name) for number, name, _ in people],
        profile=_profile(with_sex=False),
        config=config,
    )
    assert kinds(findings) == [("check", (n(1), n(2))), ("check", (n(1), n(2)))]
    assert {r.system for f in findings for r in f.records} == {"pmo", "rns"}
    assert not any(f.kind.counted for f in findings)


def test_on_an_estimated_birth_date_the_same_name_is_to_check_not_a_duplicate(
    config: MatchConfig,
) -> None:
    findings = judge_date(
        ESTIMATED,
        [pmo(n(1, born=ESTIMATED), "Nowak, Jan"), pmo(n(2, born=ESTIMATED), "Nowak, Jan")],
        [rns(n(1, born=ESTIMATED), "Nowak, Jan"), rns(n(2, born=ESTIMATED), "Nowak, Jan")],
        profile=_profile(with_sex=False),
        config=config,
    )
    assert {f.kind for f in findings} == {FindingKind.CHECK}
    assert len(findings) == 2
