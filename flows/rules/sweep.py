"""The sweep's rules: which pairs of records on one birth date are an anomaly (pure, no browser).

``reservrobot sweep`` reads PMO's and Reservnummersystemet's hit lists for a birth date; this
module judges them with the project's matcher (``flows.rules.matching``) and names every
anomaly the routine exists to prevent, whoever caused it:

- ``duplicate_rns``: one person holds two or more reservnummer in RNS;
- ``duplicate_pmo``: one person is two or more patients in PMO;
- ``orphan_number``: a reservnummer no PMO patient holds (nor the personnummer RNS lists
  beside it): a crash between the two systems, or an abandoned registration;
- ``unknown_number``: a PMO patient whose Patient-ID has the region's reservnummer shape
  (``RegionProfile.match``) but that RNS does not know (mistyped, half pasted);
- ``sex_mismatch`` / ``name_mismatch``: a PMO patient whose sex differs from what its number
  says (only where the region's format carries the sex) or whose name the matcher judges to be
  another person than RNS's row of the same number;
- ``check`` ("kontrollera"): a pair the matcher is uncertain about. Never counted as an anomaly.

One fact, one finding: an orphan number whose person has another, registered number is part of
the ``duplicate_rns`` finding, and an orphan number whose person is a PMO patient with an
unknown number is part of that ``unknown_number`` finding (a mistyped number), not reported a
second time.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from itertools import combinations
from typing import Literal

from flows.rules.identity import InvalidIdentity, parse_patient_id, parse_personnummer
from flows.rules.judge import canonical_number, pmo_key
from flows.rules.matching import (
    MatchConfig,
    MatchOutcome,
    MatchResult,
    PersonContext,
    PersonKey,
    judge,
)
from flows.rules.model import Sex
from flows.rules.region import RegionProfile
from flows.rules.screens import PmoHit, RnsHit


class FindingKind(StrEnum):
    """What a finding is; every kind but ``check`` counts as an anomaly."""

    DUPLICATE_RNS = "duplicate_rns"
    DUPLICATE_PMO = "duplicate_pmo"
    ORPHAN_NUMBER = "orphan_number"
    UNKNOWN_NUMBER = "unknown_number"
    SEX_MISMATCH = "sex_mismatch"
    NAME_MISMATCH = "name_mismatch"
    CHECK = "check"

    @property
    def counted(self) -> bool:
        """True for an anomaly (exit 1, alert); a ``check`` is for a person to look at."""
        return self is not FindingKind.CHECK

    @property
    def label_sv(self) -> str:
        return KIND_LABELS_SV[self]


# The Swedish words data-quality staff read in the report (one table, one word per kind).
KIND_LABELS_SV: dict[FindingKind, str] = {
    FindingKind.DUPLICATE_RNS: "Två eller fler reservnummer för samma person",
    FindingKind.DUPLICATE_PMO: "Samma person två eller fler gånger i PMO",
    FindingKind.ORPHAN_NUMBER: "Reservnummer utan patient i PMO",
    FindingKind.UNKNOWN_NUMBER: "Patient-ID i PMO som Reservnummersystemet inte känner till",
    FindingKind.SEX_MISMATCH: "Kön i PMO stämmer inte med reservnumret",
    FindingKind.NAME_MISMATCH: "Namn i PMO stämmer inte med reservnumrets person",
    FindingKind.CHECK: "Kontrollera",
}

# Next step for staff, per kind (Swedish; no developer words).
NEXT_STEP_SV: dict[FindingKind, str] = {
    FindingKind.DUPLICATE_RNS: "Behåll ett nummer och makulera de andra i Reservnummersystemet.",
    FindingKind.DUPLICATE_PMO: "Slå ihop patienterna i PMO enligt regionens rutin.",
    FindingKind.ORPHAN_NUMBER: "Registrera personen i PMO med numret, eller makulera numret.",
    FindingKind.UNKNOWN_NUMBER: "Rätta Patient-ID i PMO till numret i Reservnummersystemet.",
    FindingKind.SEX_MISMATCH: "Kontrollera kön mot identitetshandling och rätta fel system.",
    FindingKind.NAME_MISMATCH: "Kontrollera att rätt person har fått numret.",
    FindingKind.CHECK: "Jämför uppgifterna; är det samma person, hantera som dubblett.",
}

# The sweep's own reasons (the matcher's reasons come with their own Swedish text).
REASONS_SV: dict[str, str] = {
    "same_person": "Samma person enligt namnjämförelsen.",
    "no_patient": "Ingen patient i PMO har numret (eller personnumret bredvid det).",
    "number_unknown": "Numret finns inte i Reservnummersystemet.",
    "number_unknown_same_person_other_number": (
        "Numret finns inte i Reservnummersystemet, men samma person har ett annat nummer där "
        "utan patient: troligen felskrivet."
    ),
    "sex_differs": "Könet i PMO är inte det kön numret anger.",
}

System = Literal["pmo", "rns"]


@dataclass(frozen=True)
class Record:
    """One record involved in a finding, as the system's screen shows it."""

    system: System
    id_value: str
    name: str
    sex: Sex | None = None
    personnummer: str | None = None


@dataclass(frozen=True)
class Finding:
    """One anomaly (or ``check``) on one birth date; ``reason`` is a stable code (no names)."""

    kind: FindingKind
    birth_date: date
    records: tuple[Record, ...]
    reason: str
    reason_sv: str = ""

    @property
    def numbers(self) -> tuple[str, ...]:
        """The Patient-IDs and reservnummer involved, sorted, each once."""
        return tuple(sorted({canonical_number(r.id_value) for r in self.records}))

    @property
    def identity(self) -> tuple[str, date, tuple[str, ...]]:
        """What makes two readings of the date the same finding (the second look compares)."""
        return (self.kind.value, self.birth_date, self.numbers)


def number_sex(id_value: str, *, profile: RegionProfile) -> Sex | None:
    """The sex a reservnummer itself carries, where the region's format has one; else None
    (also for a number that says the sex is unknown)."""
    try:
        return parse_patient_id(id_value, profile=profile).sex
    except InvalidIdentity:
        return None


def is_reservnummer_shape(id_value: str, *, profile: RegionProfile) -> bool:
    """True when a Patient-ID has the region's reservnummer shape (format only)."""
    return profile.match(canonical_number(id_value)) is not None


def judge_date(
    birth_date: date,
    pmo_hits: Sequence[PmoHit],
    rns_hits: Sequence[RnsHit],
    *,
    profile: RegionProfile,
    config: MatchConfig,
) -> list[Finding]:
    """Every finding on one birth date, from both systems' hit lists for it."""
    estimated = profile.is_estimated_birth_date(birth_date)
    pmo_records = [_pmo_record(h) for h in pmo_hits]
    reserv_rows = [h for h in rns_hits if h.id_type == "reservnummer"]
    rns_records = [_rns_record(h, profile) for h in reserv_rows]
    findings: list[Finding] = []

    pmo_groups, pmo_checks = _pairs(
        pmo_records, [pmo_key(h) for h in pmo_hits], config=config, estimated=estimated
    )
    rns_groups, rns_checks = _pairs(
        rns_records, [_rns_key(r) for r in rns_records], config=config, estimated=estimated
    )
    for group, why in pmo_groups:
        findings.append(_finding(FindingKind.DUPLICATE_PMO, birth_date, group, "same_person", why))
    for group, why in rns_groups:
        findings.append(_finding(FindingKind.DUPLICATE_RNS, birth_date, group, "same_person", why))
    for pair, result in [*pmo_checks, *rns_checks]:
        findings.append(
            _finding(FindingKind.CHECK, birth_date, pair, result.reason, result.reason_sv)
        )

    pmo_ids = {canonical_number(r.id_value) for r in pmo_records}
    rns_ids = {canonical_number(h.id_value) for h in rns_hits}
    rns_by_id = {canonical_number(r.id_value): r for r in rns_records}

    # Orphan numbers: in RNS, held by no PMO patient (nor by the personnummer beside them).
    orphans = [
        r
        for r in rns_records
        if canonical_number(r.id_value) not in pmo_ids
        and not (r.personnummer and _personnummer_key(r.personnummer) in pmo_ids)
    ]
    explained: set[str] = set()
    for group, _ in rns_groups:
        if any(canonical_number(r.id_value) in pmo_ids for r in group):
            explained |= {canonical_number(r.id_value) for r in group}

    # PMO patients with a reservnummer-shaped Patient-ID that RNS does not know.
    for record, key in zip(pmo_records, (pmo_key(h) for h in pmo_hits), strict=True):
        number = canonical_number(record.id_value)
        if number in rns_ids or not is_reservnummer_shape(number, profile=profile):
            continue
        # The same person's orphan number: most likely what was meant (a mistyped number).
        meant = [
            o
            for o in orphans
            if canonical_number(o.id_value) not in explained
            and _judge(key, _rns_key(o), config=config).outcome is MatchOutcome.SAME
        ]
        explained |= {canonical_number(o.id_value) for o in meant}
        reason = "number_unknown_same_person_other_number" if meant else "number_unknown"
        findings.append(_finding(FindingKind.UNKNOWN_NUMBER, birth_date, [record, *meant], reason))

    for orphan in orphans:
        if canonical_number(orphan.id_value) not in explained:
            findings.append(_finding(FindingKind.ORPHAN_NUMBER, birth_date, [orphan], "no_patient"))

    # A PMO patient against RNS's row of the same number: sex and name.
    for record in pmo_records:
        row = rns_by_id.get(canonical_number(record.id_value))
        if row is None:
            continue
        if record.sex is not None and row.sex is not None and record.sex is not row.sex:
            findings.append(
                _finding(FindingKind.SEX_MISMATCH, birth_date, [record, row], "sex_differs")
            )
        # Sex aside (its own finding above): is the name another person's?
        result = _judge(_name_only(record), _name_only(row), config=config)
        if result.outcome is MatchOutcome.DIFFERENT:
            findings.append(
                _finding(
                    FindingKind.NAME_MISMATCH,
                    birth_date,
                    [record, row],
                    result.reason,
                    result.reason_sv,
                )
            )
        elif result.outcome is MatchOutcome.UNCERTAIN:
            findings.append(
                _finding(
                    FindingKind.CHECK, birth_date, [record, row], result.reason, result.reason_sv
                )
            )
    return sorted(findings, key=lambda f: (list(FindingKind).index(f.kind), f.numbers))


# Pairing -------------------------------------------------------------------------------------


def _pairs(
    records: Sequence[Record],
    keys: Sequence[PersonKey],
    *,
    config: MatchConfig,
    estimated: bool,
) -> tuple[list[tuple[list[Record], str]], list[tuple[list[Record], MatchResult]]]:
    """Judge every pair of one system's records: groups of one person (two or more records,
    with the matcher's words for why), and the uncertain pairs not inside one such group."""
    parent = list(range(len(records)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    uncertain: list[tuple[int, int, MatchResult]] = []
    same: list[tuple[int, MatchResult]] = []
    for i, j in combinations(range(len(records)), 2):
        result = _judge(keys[i], keys[j], config=config, estimated=estimated)
        if result.outcome is MatchOutcome.SAME:
            parent[root(i)] = root(j)
            same.append((i, result))
        elif result.outcome is MatchOutcome.UNCERTAIN:
            uncertain.append((i, j, result))
    groups: dict[int, list[Record]] = {}
    for i, record in enumerate(records):
        groups.setdefault(root(i), []).append(record)
    checks = [
        ([records[i], records[j]], result) for i, j, result in uncertain if root(i) != root(j)
    ]
    why: dict[int, str] = {}
    for i, result in same:
        why.setdefault(root(i), result.reason_sv)
    found = [(g, why.get(r, "")) for r, g in groups.items() if len(g) > 1]
    return found, checks


def _judge(
    a: PersonKey, b: PersonKey, *, config: MatchConfig, estimated: bool = False
) -> MatchResult:
    return judge(a, b, config=config, estimated_birth_date=estimated)


def _finding(
    kind: FindingKind,
    birth_date: date,
    records: Iterable[Record],
    reason: str,
    reason_sv: str = "",
) -> Finding:
    ordered = sorted(records, key=lambda r: (r.system, canonical_number(r.id_value)))
    words = " ".join(w for w in (REASONS_SV.get(reason, ""), reason_sv) if w)
    return Finding(kind, birth_date, tuple(ordered), reason, words)


def _personnummer_key(text: str) -> str:
    """A personnummer as PMO stores it (12 digits), whichever way RNS writes it."""
    try:
        return parse_personnummer(text).value
    except InvalidIdentity:
        return canonical_number(text)


def _pmo_record(hit: PmoHit) -> Record:
    return Record("pmo", canonical_number(hit.patient_id), hit.name, hit.sex)


def _rns_record(hit: RnsHit, profile: RegionProfile) -> Record:
    number = canonical_number(hit.id_value)
    return Record(
        "rns", number, hit.name, number_sex(number, profile=profile), hit.personnummer or None
    )


def _rns_key(record: Record) -> PersonKey:
    return PersonKey.from_display(
        record.name, record.sex, context=PersonContext(reservnummer=record.id_value)
    )


def _name_only(record: Record) -> PersonKey:
    return PersonKey.from_display(record.name)
