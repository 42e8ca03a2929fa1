"""Anomalies "made by hand", planted on chosen birth dates for the sweep's tests and demos.

``plant(first_date, number_format)`` returns PMO patients, RNS persons and a manifest, one
case per day from ``first_date`` on (six days). Every case is what a clerk working by hand, or a
crash between the two systems, leaves behind; the last day holds look-alike different people
that a sweep must not call duplicates:

- day +0, ``pmo_twice``: a person registered in PMO twice under two spellings (with the
  reservnummer, later with a personnummer): ``duplicate_pmo``;
- +1, ``rns_twice``: two reservnummer for one person (two spellings), only the first in PMO:
  ``duplicate_rns``;
- +2, ``number_without_patient``: a reservnummer nobody registered: ``orphan_number``;
- +3, ``mistyped_number``: a patient whose Patient-ID has two digits swapped:
  ``unknown_number`` (with the number meant);
- +4, ``sex_differs``: a patient registered as a woman with a number made for a man:
  ``sex_mismatch``, where the region's format carries the sex;
- +5, ``lookalikes``: twins Amir and Amin (uncertain: ``check``, "kontrollera", once in PMO
  and once in RNS), twins Ali and Ayşe, siblings Dmytro and Nataliia: nothing else.

The manifest lists, per case, its date and the findings expected (kind and numbers), so tests
and people can compare a sweep's report with it. Names are invented; personnummer use serials
980-999 only, as the seed data does (mock_sites/README.md). The rows are placed on dates of the
caller's choosing: pick dates the seed world does not use (it draws birth dates from 1935 on),
such as the default ``1931-03-02``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from mock_sites.rns.numbers import NumberFormat, personnummer

DEFAULT_FIRST_DATE = date(1931, 3, 2)
CASES = (
    "pmo_twice",
    "rns_twice",
    "number_without_patient",
    "mistyped_number",
    "sex_differs",
    "lookalikes",
)
_STAMP = "2024-02-01T09:00:00+00:00"


@dataclass(frozen=True)
class Planted:
    """The rows to add to each system and what a sweep should find."""

    patients: tuple[dict[str, Any], ...]
    persons: tuple[dict[str, Any], ...]
    manifest: dict[str, Any]


def _patient(patient_id: str, sex: str, family: str, given: str) -> dict[str, Any]:
    return {
        "patient_id": patient_id,
        "sex": sex,
        "family_name": family,
        "given_names": given,
        "street": "Kungsgatan 1",
        "postal_code": "803 20",
        "city": "Gävle",
        "country": "Sverige",
        "kommun": "01",
        "lan": "99",
        "info": "Läggs in manuellt",
        "created_at": _STAMP,
        "updated_at": _STAMP,
    }


def _person(
    born: date, sex: str, family: str, given: str, number: str, *, id_type: str = "Reservnummer"
) -> dict[str, Any]:
    return {
        "birth_date": born.isoformat(),
        "sex": sex,
        "family_name": family,
        "given_names": given,
        "personnummer": None,
        "id_type": id_type,
        "id_value": number,
        "created_at": _STAMP,
    }


def _swap_serial_digits(fmt: NumberFormat, born: date, serial: int, sex: str) -> str:
    """The number with serial ``serial`` as a clerk mistypes it: its serial's last two digits
    swapped (a number RNS never handed out, in the right shape)."""
    width = 2 if fmt.kind == "nrid" else 3
    digits = f"{serial:0{width}d}"
    swapped = int(digits[:-2] + digits[-1] + digits[-2])
    return fmt.reservnummer(born, swapped, sex)


def plant(
    first_date: date = DEFAULT_FIRST_DATE, number_format: NumberFormat | None = None
) -> Planted:
    """The planted rows and manifest, one case per day from ``first_date``."""
    fmt = number_format or NumberFormat()
    days = [first_date + timedelta(days=i) for i in range(len(CASES))]
    patients: list[dict[str, Any]] = []
    persons: list[dict[str, Any]] = []
    cases: list[dict[str, Any]] = []

    def case(name: str, born: date, *expect: tuple[str, list[str]], **extra: Any) -> None:
        cases.append(
            {
                "case": name,
                "birth_date": born.isoformat(),
                "expect": [{"kind": k, "numbers": sorted(n)} for k, n in expect],
                **extra,
            }
        )

    # +0: registered in PMO twice, under two spellings: once with the reservnummer, later with
    # a personnummer (instead of completing the first patient).
    born = days[0]
    r1 = fmt.reservnummer(born, 1, "M")
    pnr = personnummer(born, 981)
    persons.append(_person(born, "M", "Al-Hassan", "Mohammed", r1))
    patients += [
        _patient(r1, "M", "Al-Hassan", "Mohammed"),
        _patient(pnr, "M", "Alhassan", "Muhammad"),
    ]
    case("pmo_twice", born, ("duplicate_pmo", [r1, pnr]))

    # +1: two reservnummer for one person; the second was never registered.
    born = days[1]
    r1, r2 = fmt.reservnummer(born, 1, "K"), fmt.reservnummer(born, 2, "K")
    persons += [
        _person(born, "K", "Shevchenko", "Olena", r1),
        _person(born, "K", "Sjevtjenko", "Olena", r2),
    ]
    patients.append(_patient(r1, "K", "Shevchenko", "Olena"))
    case("rns_twice", born, ("duplicate_rns", [r1, r2]))

    # +2: a number nobody registered (a crash between the systems, or an abandoned case).
    born = days[2]
    r1 = fmt.reservnummer(born, 1, "M")
    persons.append(_person(born, "M", "Nowak", "Jan", r1))
    case("number_without_patient", born, ("orphan_number", [r1]))

    # +3: the patient's Patient-ID has two digits of the serial swapped.
    born = days[3]
    r1 = fmt.reservnummer(born, 12, "K")
    typo = _swap_serial_digits(fmt, born, 12, "K")
    persons.append(_person(born, "K", "Haddad", "Mariam", r1))
    patients.append(_patient(typo, "K", "Haddad", "Mariam"))
    case("mistyped_number", born, ("unknown_number", [typo, r1]))

    # +4: registered as a woman with a number made for a man.
    born = days[4]
    r1 = fmt.reservnummer(born, 1, "M")
    persons.append(_person(born, "M", "Ibrahim", "Yusuf", r1))
    patients.append(_patient(r1, "K", "Ibrahim", "Yusuf"))
    case("sex_differs", born, ("sex_mismatch", [r1]), needs_sex_in_number=True)

    # +5: look-alike different people, each registered once and rightly.
    born = days[5]
    people = (
        ("M", "Öztürk", "Amir"),
        ("M", "Öztürk", "Amin"),
        ("M", "Öztürk", "Ali"),
        ("K", "Öztürk", "Ayşe"),
        ("M", "Kovalenko", "Dmytro"),
        ("K", "Kovalenko", "Nataliia"),
    )
    numbers = []
    for serial, (sex, family, given) in enumerate(people, start=1):
        number = fmt.reservnummer(born, serial, sex)
        numbers.append(number)
        persons.append(_person(born, sex, family, given, number))
        patients.append(_patient(number, sex, family, given))
    amir_amin = numbers[:2]
    case("lookalikes", born, ("check", amir_amin), ("check", amir_amin))

    manifest = {"first_date": first_date.isoformat(), "cases": cases}
    return Planted(tuple(patients), tuple(persons), manifest)
