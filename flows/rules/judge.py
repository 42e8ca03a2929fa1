"""Judging search hits: is somebody PMO or Reservnummersystemet found by birth date our person?

Every hit goes through ``flows.rules.matching``; a person's earlier decisions come first. A decision
is about the person holding a number, not about one system's row: "Annan person" on PMO's
patient 19911205001M8 also rules out RNS's row with that number (``Verdicts``). RNS shows no
sex, so an RNS hit takes the sex of the PMO patient holding the same number when there is one,
else what the number itself says (where the region's format encodes it).

The functions return the hit that is the person, an ``Outcome`` when a person must decide (with
the candidates side by side), or ``None`` when every hit is somebody else.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from flows.rules.identity import InvalidIdentity, parse_patient_id
from flows.rules.matching import (
    HitsDecision,
    MatchConfig,
    MatchOutcome,
    MatchResult,
    PersonContext,
    PersonKey,
)
from flows.rules.matching import judge as judge_one
from flows.rules.matching import judge_hits as match_hits
from flows.rules.model import Sex
from flows.rules.names import normalise_name
from flows.rules.outcome import Candidate, Decision, Outcome, needs_person
from flows.rules.region import RegionProfile
from flows.rules.request import RegistrationRequest
from flows.rules.screens import PmoHit, RnsHit

Verdict = Literal["same", "different"]


def canonical_number(id_value: str) -> str:
    """A Patient-ID as decisions are keyed: trimmed, letters in capitals (as PMO wants them),
    without hyphen: PMO may keep a number without the hyphen Reservnummersystemet shows
    (``[reservnummer] pmo_form = "compact"``), and it is the same number."""
    return id_value.strip().upper().replace("-", "")


@dataclass(frozen=True)
class Verdicts:
    """A person's decisions by Patient-ID, whichever system the decision was made on.

    ``by_key`` maps ``key(id_value)`` to the verdict: the canonical number itself, or (for
    decisions read back from the store) a keyed hash of it.
    """

    by_key: Mapping[str, Verdict] = field(default_factory=dict)
    key: Callable[[str], str] = canonical_number

    @classmethod
    def of(cls, decisions: Iterable[Decision]) -> Verdicts:
        """The decisions in order; a later decision on a number replaces an earlier one."""
        return cls({canonical_number(d.id_value): d.verdict for d in decisions})

    def get(self, id_value: str) -> Verdict | None:
        return self.by_key.get(self.key(id_value))

    def __len__(self) -> int:
        return len(self.by_key)


def person_key(request: RegistrationRequest, *, reservnummer: str | None = None) -> PersonKey:
    """The request as matching sees it; the context (address, case reference, the journaled
    reservnummer) counts when the birth date is an estimated one."""
    address = request.address
    context = PersonContext(
        postal_code=address.postal_code if address else None,
        street=address.street if address else None,
        reservnummer=reservnummer,
        reference=request.external_ref,
    )
    return PersonKey(
        family_name=request.family_name,
        given_names=request.given_names,
        sex=request.sex.known,  # "X" (okänt) is no sex to compare
        context=context,
    )


def is_exactly(request: RegistrationRequest, hit: PmoHit) -> bool:
    """True when PMO shows the request's own spelling and sex (our own earlier save)."""
    return (
        hit.sex is request.sex
        and normalise_name(hit.family_name) == normalise_name(request.family_name)
        and normalise_name(hit.given_names) == normalise_name(request.given_names)
    )


# PMO ---------------------------------------------------------------------------------------


def judge_pmo(
    person: PersonKey,
    hits: Sequence[PmoHit],
    verdicts: Verdicts,
    *,
    config: MatchConfig,
    estimated_birth_date: bool = False,
    profile: RegionProfile | None = None,
) -> PmoHit | Outcome | None:
    """The PMO patient who is the person, an Outcome for a person to decide, or None.

    With the region ``profile``, a patient whose reservnummer says the sex is unknown is
    matched with the sex unknown (PMO's Kön then holds the profile's stand-in)."""
    decided = [h for h in hits if verdicts.get(h.patient_id) == "same"]
    if decided:
        return decided[0]
    open_hits = [h for h in hits if verdicts.get(h.patient_id) != "different"]
    judged = match_hits(
        person,
        [pmo_key(h, profile=profile) for h in open_hits],
        config=config,
        estimated_birth_date=estimated_birth_date,
    )
    if judged.outcome == "same":
        assert judged.same_index is not None
        return open_hits[judged.same_index]
    if judged.outcome == "uncertain":
        return needs_person(
            "uncertain_match_pmo",
            candidates=[
                pmo_candidate(h, r)
                for h, r in zip(open_hits, judged.results, strict=True)
                if r.outcome is not MatchOutcome.DIFFERENT
            ],
        )
    return None


# Reservnummersystemet ----------------------------------------------------------------------


@dataclass(frozen=True)
class RnsJudge:
    """Judges RNS hits, knowing the PMO patients of the same birth date (for their sex)."""

    person: PersonKey
    verdicts: Verdicts
    config: MatchConfig
    profile: RegionProfile
    pmo_sexes: Mapping[str, Sex] = field(default_factory=dict)
    # The birth date is one the region gives as an estimate (flows/rules/matching.py).
    estimated_birth_date: bool = False

    @classmethod
    def build(
        cls,
        person: PersonKey,
        verdicts: Verdicts,
        *,
        pmo_hits: Iterable[PmoHit],
        config: MatchConfig,
        profile: RegionProfile,
        estimated_birth_date: bool = False,
    ) -> RnsJudge:
        sexes = {
            canonical_number(h.patient_id): h.sex
            for h in pmo_hits
            if h.sex is not None and not profile.says_sex_unknown(h.patient_id)
        }
        return cls(person, verdicts, config, profile, sexes, estimated_birth_date)

    def sex(self, hit: RnsHit) -> Sex | None:
        """The PMO patient's sex for the same number, else what the numbers encode; none for
        a number that says the sex is unknown (``X``) unless a personnummer says it."""
        pmo = self.pmo_sexes.get(canonical_number(hit.id_value))
        if pmo is not None:
            return pmo
        for text in (hit.id_value, hit.personnummer):
            if text:
                try:
                    sex = parse_patient_id(text, profile=self.profile).sex
                except InvalidIdentity:
                    continue
                if sex is not None:
                    return sex
        return None

    def key(self, hit: RnsHit) -> PersonKey:
        number = hit.id_value if hit.id_type == "reservnummer" else None
        return PersonKey(
            family_name=hit.family_name,
            given_names=hit.given_names,
            sex=self.sex(hit),
            context=PersonContext(reservnummer=number),
        )

    def judge(self, hits: Sequence[RnsHit]) -> RnsHit | Outcome | None:
        """The RNS row to reuse, an Outcome for a person (a personnummer, or unsure), or None."""
        decided = [h for h in hits if self.verdicts.get(h.id_value) == "same"]
        open_hits = [h for h in hits if self.verdicts.get(h.id_value) != "different"]
        judged = self._match(open_hits)
        same = [
            h
            for h, r in zip(open_hits, judged.results, strict=True)
            if r.outcome is MatchOutcome.SAME
        ]
        with_pnr = [h for h in (decided or same) if h.has_personnummer]
        if with_pnr:
            results = {h.id_value: r for h, r in zip(open_hits, judged.results, strict=True)}
            return needs_person(
                "has_personnummer",
                candidates=[self.candidate(h, results.get(h.id_value)) for h in with_pnr],
            )
        if decided:
            return decided[0]
        if judged.outcome == "same":
            assert judged.same_index is not None
            return open_hits[judged.same_index]
        if judged.outcome == "uncertain":
            return needs_person(
                "uncertain_match_rns",
                candidates=[
                    self.candidate(h, r)
                    for h, r in zip(open_hits, judged.results, strict=True)
                    if r.outcome is not MatchOutcome.DIFFERENT
                ],
            )
        return None

    def new_number(self, hits: Sequence[RnsHit], *, before: set[str]) -> RnsHit | None:
        """A reservnummer for the person that was not there ``before`` (a lost answer)."""
        new = [
            h
            for h in hits
            if h.id_value not in before
            and h.id_type == "reservnummer"
            and self.verdicts.get(h.id_value) != "different"
        ]
        judged = self._match(new)
        if judged.outcome != "same" or judged.same_index is None:
            return None
        return new[judged.same_index]

    def candidate(self, hit: RnsHit, result: MatchResult | None) -> Candidate:
        sex = self.sex(hit)
        return Candidate(
            system="rns",
            id_value=hit.id_value,
            id_type=hit.id_type,
            name=hit.name,
            sex=sex.label_sv if sex else None,
            personnummer=hit.personnummer,
            match=result.outcome.value if result else MatchOutcome.SAME.value,
            score=result.score if result else 1.0,
            match_reason=result.reason if result else None,
            match_reason_sv=(result.reason_sv or None) if result else None,
        )

    def _match(self, hits: Sequence[RnsHit]) -> HitsDecision:
        return match_hits(
            self.person,
            [self.key(h) for h in hits],
            config=self.config,
            estimated_birth_date=self.estimated_birth_date,
        )


# Keys and candidates -----------------------------------------------------------------------


def pmo_key(hit: PmoHit, *, profile: RegionProfile | None = None) -> PersonKey:
    number = hit.patient_id if id_type_of(hit.patient_id) == "reservnummer" else None
    unknown = profile is not None and profile.says_sex_unknown(hit.patient_id)
    return PersonKey(
        family_name=hit.family_name,
        given_names=hit.given_names,
        sex=None if unknown else hit.sex,
        context=PersonContext(reservnummer=number),
    )


def pmo_candidate(hit: PmoHit, result: MatchResult) -> Candidate:
    return Candidate(
        system="pmo",
        id_value=hit.patient_id,
        id_type=id_type_of(hit.patient_id),
        name=hit.name,
        sex=hit.sex.label_sv if hit.sex else None,
        personnummer=None,
        match=result.outcome.value,
        score=result.score,
        match_reason=result.reason,
        match_reason_sv=result.reason_sv or None,
    )


def id_type_of(patient_id: str) -> str:
    """The kind of a PMO Patient-ID: 12 digits with a century (18-20) are a personnummer or
    samordningsnummer; anything else (letters, or Region Stockholm's ``99`` + ten digits) is
    a reservnummer."""
    if len(patient_id) == 12 and patient_id.isdigit() and patient_id[:2] in ("18", "19", "20"):
        day = int(patient_id[6:8]) if len(patient_id) >= 8 else 0
        return "samordningsnummer" if day > 60 else "personnummer"
    return "reservnummer"


# The basis of a judgement, and who was judged somebody else ---------------------------------

DECIDED_SAME_SV = "En person har avgjort att det är samma person."
DECIDED_DIFFERENT_SV = "En person har avgjort att det är en annan person."


def pmo_basis(
    person: PersonKey,
    hit: PmoHit,
    verdicts: Verdicts,
    *,
    config: MatchConfig,
    estimated_birth_date: bool = False,
    profile: RegionProfile | None = None,
) -> tuple[str, str]:
    """Why ``hit`` was judged the person: the matcher's reason code and Swedish text, or a
    person's decision (``profile``: as in ``judge_pmo``)."""
    if verdicts.get(hit.patient_id) == "same":
        return "decided_same", DECIDED_SAME_SV
    result = judge_one(
        person,
        pmo_key(hit, profile=profile),
        config=config,
        estimated_birth_date=estimated_birth_date,
    )
    return result.reason, result.reason_sv


def judged_others(
    person: PersonKey,
    verdicts: Verdicts,
    *,
    pmo_hits: Sequence[PmoHit],
    rns: RnsJudge | None,
    rns_hits: Sequence[RnsHit],
    config: MatchConfig,
    estimated_birth_date: bool = False,
) -> list[Candidate]:
    """Every hit of both searches judged another person, each once: an RNS row holding the
    number of a PMO patient already listed is that patient."""
    others: list[Candidate] = []
    for hit in pmo_hits:
        if verdicts.get(hit.patient_id) == "different":
            others.append(_decided_other(pmo_candidate, hit))
            continue
        # A number that says the sex is unknown is judged so (the profile RNS's judge holds).
        key = pmo_key(hit, profile=rns.profile if rns is not None else None)
        result = judge_one(person, key, config=config, estimated_birth_date=estimated_birth_date)
        if result.outcome is MatchOutcome.DIFFERENT:
            others.append(pmo_candidate(hit, result))
    listed = {canonical_number(h.patient_id) for h in pmo_hits}
    for row in rns_hits:
        if rns is None or canonical_number(row.id_value) in listed:
            continue
        if verdicts.get(row.id_value) == "different":
            others.append(_decided_other(rns.candidate, row))
            continue
        result = judge_one(
            person, rns.key(row), config=config, estimated_birth_date=estimated_birth_date
        )
        if result.outcome is MatchOutcome.DIFFERENT:
            others.append(rns.candidate(row, result))
    return others


def _decided_other(make: Callable[[Any, MatchResult], Candidate], hit: Any) -> Candidate:
    decided = MatchResult(MatchOutcome.DIFFERENT, 0.0, "decided_different", DECIDED_DIFFERENT_SV)
    return make(hit, decided)
