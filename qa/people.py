"""Generated backlog rows of invented people, for the bench and the reliability tests.

Names come from Faker's ``sv_SE`` locale; every person gets a birth date of their own that is
not already used in the sites (``taken``), so the robot's duplicate search finds nobody by
chance and each row means exactly one new reservnummer and one new PMO patient. Nothing here
is an identity number.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Sequence
from datetime import date, timedelta
from pathlib import Path

from faker import Faker

from apps.backlog.columns import COLUMNS

_SWEDISH_TOWNS = (
    ("803 20", "Gävle"),
    ("811 30", "Sandviken"),
    ("826 30", "Söderhamn"),
    ("824 30", "Hudiksvall"),
    ("821 30", "Bollnäs"),
)
_FOREIGN = (
    ("Musterstraße", "80331", "München", "DE"),
    ("Testikatu", "00100", "Helsinki", "FI"),
    ("Rue d'Essai", "75001", "Paris", "FR"),
)


def taken_birth_dates(records: dict[str, dict[str, list[dict[str, object]]]]) -> set[date]:
    """Birth dates already present in the mock sites' records (``/_mock/records``)."""
    taken: set[date] = set()
    for person in records.get("rns", {}).get("persons", []):
        taken.add(date.fromisoformat(str(person["birth_date"])))
    for patient in records.get("pmo", {}).get("patients", []):
        digits = str(patient["patient_id"])[:8]
        day = int(digits[6:8]) if digits.isdigit() else 0
        try:
            taken.add(date(int(digits[:4]), int(digits[4:6]), day - 60 if day > 60 else day))
        except ValueError:
            continue  # the printed-style date part is not always a calendar date
    return taken


def _clean_name(text: str) -> str:
    return "".join(ch for ch in text if ch.isalpha() or ch in " -'").strip()


def generate_rows(
    count: int,
    *,
    seed: int = 1,
    taken: Iterable[date] = (),
    start: date = date(1950, 1, 1),
    end: date = date(2023, 12, 31),
    foreign_every: int = 5,
) -> list[dict[str, str]]:
    """``count`` valid backlog rows (column key -> text) of distinct invented people."""
    rng = random.Random(seed)
    fake = Faker("sv_SE")
    fake.seed_instance(seed)
    used = set(taken)
    span = (end - start).days
    rows: list[dict[str, str]] = []
    while len(rows) < count:
        birth = start + timedelta(days=rng.randrange(span))
        if birth in used:
            continue
        used.add(birth)
        sex = rng.choice("MK")
        given = _clean_name(fake.first_name_male() if sex == "M" else fake.first_name_female())
        family = _clean_name(fake.last_name())
        n = len(rows)
        if foreign_every and n % foreign_every == foreign_every - 1:
            street, postal, city, country = _FOREIGN[n % len(_FOREIGN)]
            row = {
                "group": "ees_med_kort",
                "street": f"{street} {rng.randint(1, 90)}",
                "postal_code": postal,
                "city": city,
                "country": country,
            }
        else:
            postal, city = _SWEDISH_TOWNS[n % len(_SWEDISH_TOWNS)]
            row = {
                "group": rng.choice(("asylsokande", "papperslos")),
                "street": f"{_clean_name(fake.street_name())} {rng.randint(1, 90)}",
                "postal_code": postal,
                "city": city,
                "country": "SE",
            }
        row.update(
            {
                "birth_date": birth.isoformat(),
                "sex": sex,
                "family_name": family,
                "given_names": given,
                "info": "",
                "protected": "nej",
                "external_ref": f"GEN-{seed}-{n + 1:04d}",
            }
        )
        rows.append(row)
    return rows


def write_rows_csv(rows: Sequence[dict[str, str]], path: Path) -> Path:
    """Write rows as a backlog CSV with the template's Swedish headers."""
    lines = [";".join(c.sv for c in COLUMNS)]
    lines += [";".join(row.get(c.key, "") for c in COLUMNS) for row in rows]
    path.write_text("\r\n".join(lines) + "\r\n", encoding="utf-8")
    return path
