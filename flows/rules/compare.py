"""The person being registered next to a record a system holds, field by field.

One comparison for every screen that shows a match (the attended app, ``register``,
``--dry-run``, the backlog result): a row per field, both values as a person reads them, and
what differs, said in words ("annan stavning", "annan adress"). A different spelling of the
same person is normal (that is why the matcher exists), but a person must be able to see it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from flows.rules.countries import CountryLists, country_name_sv
from flows.rules.groups import PatientGroup
from flows.rules.names import fold, normalise_name
from flows.rules.outcome import Candidate
from flows.rules.request import RegistrationRequest

# What a difference is called, per field.
DIFFERS_SV = {
    "name": "annan stavning",
    "sex": "annat kön",
    "address": "annan adress",
    "kommun": "annan kod",
    "lan": "annan kod",
}
LABELS_SV = {
    "patient_id": "Patient-ID",
    "name": "Namn",
    "sex": "Kön",
    "address": "Adress",
    "kommun": "Kommun",
    "lan": "Län",
}
_NOT_ALNUM = re.compile(r"[^0-9a-z]+")


@dataclass(frozen=True)
class ComparedField:
    """One row: the field's label, the request's value, the record's value, and the word for
    how they differ (None when they agree, or when one side does not say)."""

    key: str
    label_sv: str
    mine: str
    theirs: str
    differs_sv: str | None


def request_address(request: RegistrationRequest, *, countries: CountryLists | None = None) -> str:
    """The request's address as one line, as the systems show one ("" for none)."""
    address = request.address
    if address is None or request.protected:
        return ""
    try:
        country = country_name_sv(address.country, lists=countries)
    except KeyError:
        country = address.country
    place = " ".join(p for p in (address.postal_code, address.city) if p)
    return ", ".join(p for p in (address.street, place, country) if p)


def compare(
    request: RegistrationRequest,
    record: Candidate,
    *,
    group: PatientGroup | None = None,
    countries: CountryLists | None = None,
) -> list[ComparedField]:
    """The request beside ``record``, a row per field the record holds (address and codes
    only where the system's record was read)."""
    mine_name = f"{request.family_name}, {request.given_names}"
    rows = [
        ComparedField("patient_id", LABELS_SV["patient_id"], "", record.id_value, None),
        _row("name", mine_name, record.name, same=_same_name(mine_name, record.name)),
        _row(
            "sex",
            request.sex.label_sv,
            record.sex or "",
            same=not record.sex or record.sex == request.sex.label_sv,
        ),
    ]
    if record.address is not None:
        mine_address = request_address(request, countries=countries)
        rows.append(
            _row(
                "address",
                mine_address,
                record.address,
                same=not mine_address or _same_address(mine_address, record.address),
            )
        )
    for key, theirs in (("kommun", record.kommun), ("lan", record.lan)):
        if theirs is None:
            continue
        wanted = getattr(group, key) if group is not None else ""
        rows.append(_row(key, wanted, theirs, same=not wanted or wanted == theirs.strip()))
    return rows


def differing(rows: Sequence[ComparedField]) -> list[str]:
    """The keys of the rows that differ, in order."""
    return [r.key for r in rows if r.differs_sv]


def _row(key: str, mine: str, theirs: str, *, same: bool) -> ComparedField:
    return ComparedField(key, LABELS_SV[key], mine, theirs, None if same else DIFFERS_SV[key])


def _same_name(a: str, b: str) -> bool:
    """Equal after normalising case, accents, spacing and hyphens, part by part."""
    return [normalise_name(part) for part in a.split(",")] == [
        normalise_name(part) for part in b.split(",")
    ]


def _same_address(a: str, b: str) -> bool:
    """Equal in letters and digits (case, accents, spaces and punctuation aside)."""
    return _NOT_ALNUM.sub("", fold(a)) == _NOT_ALNUM.sub("", fold(b))
