"""The one generator of invented people, for the tests, the benches and the demo.

``InventedPeople`` is seeded: the same seed and the same ``taken`` dates give the same people,
in the same order. Names come from Faker's ``sv_SE`` locale (each name pair once per
generator); every person gets a birth date of their own that nobody in the mock sites has
(``taken``, read with ``taken_in(sites)``), so the robot's duplicate search finds nobody by
chance and each person means exactly one new reservnummer and one new PMO patient.

The identity numbers follow the routine's own rules in ``flows.rules.identity`` and are parsed back
by it before they are handed out: personnummer and samordningsnummer (day + 60) with serials
980-999 only, so no generated number can name a real person, and reservnummer in the shape the
region profile accepts. A PMO Patient-ID is turned back into a birth date by the same rules
(``birth_date_of``), so a samordningsnummer's day + 60 is never mistaken for another date.
The mock sites' seed (``mock_sites/seed.py``) keeps a generator of its own, since the mocks
import nothing of the project; it follows the same rules.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from faker import Faker
from stdnum import luhn

from apps.backlog.columns import COLUMNS
from flows.rules.groups import PatientGroup, load_groups
from flows.rules.identity import IdKind, InvalidIdentity, parse_patient_id, parse_personnummer
from flows.rules.model import Sex
from flows.rules.region import RegionProfile, load_region_profile
from flows.rules.request import RegistrationRequest, parse_request
from robot.settings import DEFAULT_CONFIG_DIR

if TYPE_CHECKING:
    from mock_sites.testing import MockSites

# Serials 980-999: Skatteverket hands these out to nobody the generator could name.
INVENTED_SERIALS = range(980, 1000)
SWEDISH_TOWNS = (
    ("803 20", "Gävle"),
    ("811 30", "Sandviken"),
    ("826 30", "Söderhamn"),
    ("824 30", "Hudiksvall"),
    ("821 30", "Bollnäs"),
)
FOREIGN_ADDRESSES = (
    ("Musterstraße", "80331", "München", "DE"),
    ("Testikatu", "00100", "Helsinki", "FI"),
    ("Rue d'Essai", "75001", "Paris", "FR"),
)
_SAMORDNING_OFFSET = 60


@lru_cache(maxsize=4)
def _profile(config_dir: Path, region: str) -> RegionProfile:
    return load_region_profile(config_dir, region)


@lru_cache(maxsize=4)
def _groups(config_dir: Path) -> Mapping[str, PatientGroup]:
    return load_groups(config_dir)


def personnummer(
    birth: date, *, sex: Sex | str, serial: int | None = None, samordning: bool = False
) -> str:
    """A 12-digit personnummer (or samordningsnummer: day + 60) with an invented serial.

    ``serial`` (980-999) defaults to the first one whose sex digit fits ``sex`` (odd for men);
    one that does not fit is moved up by one. The result is checked by ``flows.rules.identity``.
    """
    sex = Sex(sex)
    if sex.known is None:
        raise ValueError("a personnummer always says the sex (M or K)")
    serial = INVENTED_SERIALS[0] if serial is None else serial
    if (serial % 2 == 1) != (sex is Sex.MAN):
        serial += 1
    if serial not in INVENTED_SERIALS:
        raise ValueError(f"serial {serial} is outside the invented range 980-999")
    day = birth.day + (_SAMORDNING_OFFSET if samordning else 0)
    ten = f"{birth:%y%m}{day:02d}{serial:03d}"
    number = f"{birth:%Y}"[:2] + ten + luhn.calc_check_digit(ten)
    parsed = parse_personnummer(number)
    kind = IdKind.SAMORDNINGSNUMMER if samordning else IdKind.PERSONNUMMER
    assert parsed.kind is kind and parsed.birth_date == birth and parsed.sex is sex, number
    return number


def reservnummer(
    birth: date,
    *,
    sex: Sex | str,
    serial: int = 1,
    config_dir: Path = DEFAULT_CONFIG_DIR,
    region: str = "gavleborg",
) -> str:
    """A reservnummer in the region profile's format, as the mock Reservnummersystemet makes
    it (``mock_sites/rns/numbers.py``), parsed back by the routine's rules before it is handed
    out; a profile that does not accept it raises ``ValueError``."""
    from mock_sites.rns.numbers import NumberFormat  # qa may use the mocks; only here

    sex = Sex(sex)
    profile = _profile(config_dir, region)
    number = NumberFormat.for_region(region, config_dir).reservnummer(birth, serial, sex.value)
    parsed = parse_patient_id(number, profile=profile)
    if parsed.kind is not IdKind.RESERVNUMMER or parsed.value != number:
        raise ValueError(f"the region profile {region!r} does not accept {number!r}")
    return number


def birth_date_of(
    patient_id: str, *, config_dir: Path = DEFAULT_CONFIG_DIR, region: str = "gavleborg"
) -> date | None:
    """The birth date in a PMO Patient-ID by the routine's rules (None when it has none)."""
    try:
        return parse_patient_id(patient_id, profile=_profile(config_dir, region)).birth_date
    except InvalidIdentity:
        return None


def taken_birth_dates(
    records: Mapping[str, Mapping[str, Sequence[Mapping[str, Any]]]],
) -> set[date]:
    """Birth dates already present in the mock sites' records (``/_mock/records``)."""
    taken = {
        date.fromisoformat(str(person["birth_date"]))
        for person in records.get("rns", {}).get("persons", [])
    }
    for patient in records.get("pmo", {}).get("patients", []):
        birth = birth_date_of(str(patient["patient_id"]))
        if birth is not None:
            taken.add(birth)
    return taken


def taken_in(sites: MockSites) -> set[date]:
    """Birth dates that somebody in the running mock sites already has."""
    return taken_birth_dates({"pmo": sites.records("pmo"), "rns": sites.records("rns")})


@dataclass(frozen=True)
class Person:
    """An invented person: who they are, before any system has them."""

    birth_date: date
    sex: Sex
    family_name: str
    given_names: str


def _clean_name(text: str) -> str:
    return "".join(ch for ch in text if ch.isalpha() or ch in " -'").strip()


class InventedPeople:
    """Invented people on birth dates of their own, the same ones for the same seed.

    ``taken`` are dates somebody already has (``taken_in(sites)``); every person handed out
    adds their date to ``used``. Dates are drawn from ``start`` up to ``end``.
    """

    def __init__(
        self,
        *,
        seed: int = 1,
        taken: Iterable[date] = (),
        start: date = date(1950, 1, 1),
        end: date = date(2023, 12, 31),
        config_dir: Path = DEFAULT_CONFIG_DIR,
    ) -> None:
        self.seed = seed
        self.used: set[date] = set(taken)
        self._rng = random.Random(seed)
        self._fake = Faker("sv_SE")
        self._fake.seed_instance(seed)
        self._start = start
        self._span = (end - start).days + 1
        self._names: set[tuple[str, str]] = set()
        self._groups = _groups(config_dir)
        self.count = 0

    @classmethod
    def beside(cls, sites: MockSites, **options: Any) -> InventedPeople:
        """A generator whose people nobody in the running mock sites shares a birth date with."""
        return cls(taken=taken_in(sites), **options)

    def _birth_date(self) -> date:
        for _ in range(20 * self._span):
            birth = self._start + timedelta(days=self._rng.randrange(self._span))
            if birth not in self.used:
                self.used.add(birth)
                return birth
        raise RuntimeError("no free birth date left in the generator's range")

    def person(self, *, sex: Sex | str | None = None) -> Person:
        """The next invented person (of ``sex`` when given, else either)."""
        chosen = Sex(sex) if sex is not None else self._rng.choice([Sex.MAN, Sex.KVINNA])
        while True:
            first = (
                self._fake.first_name_male if chosen is Sex.MAN else self._fake.first_name_female
            )
            names = (_clean_name(self._fake.last_name()), _clean_name(first()))
            if names not in self._names:
                self._names.add(names)
                break
        self.count += 1
        return Person(self._birth_date(), chosen, *names)

    def people(self, count: int) -> Iterator[Person]:
        for _ in range(count):
            yield self.person()

    def request(self, **overrides: Any) -> RegistrationRequest:
        """A valid request for the next person: Asylsökande in a Gävleborg town by default.

        ``overrides`` replace request fields (dates may be ``date`` objects).
        """
        person = self.person(sex=overrides.pop("sex", None))
        postal_code, city = SWEDISH_TOWNS[self.count % len(SWEDISH_TOWNS)]
        data: dict[str, Any] = {
            "birth_date": person.birth_date.isoformat(),
            "sex": person.sex.value,
            "family_name": person.family_name,
            "given_names": person.given_names,
            "group": "asylsokande",
            "street": f"{_clean_name(self._fake.street_name())} {self._rng.randint(1, 90)}",
            "postal_code": postal_code,
            "city": city,
            "country": "SE",
        }
        data.update(
            {k: (v.isoformat() if isinstance(v, date) else v) for k, v in overrides.items()}
        )
        return parse_request(data, groups=self._groups)

    def requests(self, count: int) -> list[RegistrationRequest]:
        return [self.request() for _ in range(count)]

    def rows(self, count: int, *, foreign_every: int = 5) -> list[dict[str, str]]:
        """``count`` valid backlog rows (column key -> text); every ``foreign_every``-th one
        lives abroad (EES/EU with a card), the others in Sweden (Asylsökande or Papperslös)."""
        rows: list[dict[str, str]] = []
        for n, person in enumerate(self.people(count)):
            if foreign_every and n % foreign_every == foreign_every - 1:
                street, postal, city, country = FOREIGN_ADDRESSES[n % len(FOREIGN_ADDRESSES)]
                row = {
                    "group": "ees_med_kort",
                    "street": f"{street} {self._rng.randint(1, 90)}",
                    "postal_code": postal,
                    "city": city,
                    "country": country,
                }
            else:
                postal, city = SWEDISH_TOWNS[n % len(SWEDISH_TOWNS)]
                row = {
                    "group": self._rng.choice(("asylsokande", "papperslos")),
                    "street": f"{_clean_name(self._fake.street_name())} {self._rng.randint(1, 90)}",
                    "postal_code": postal,
                    "city": city,
                    "country": "SE",
                }
            row.update(
                {
                    "birth_date": person.birth_date.isoformat(),
                    "sex": person.sex.value,
                    "family_name": person.family_name,
                    "given_names": person.given_names,
                    "info": "",
                    "protected": "nej",
                    "external_ref": f"GEN-{self.seed}-{self.count:04d}",
                }
            )
            rows.append(row)
        return rows


def generate_rows(
    count: int, *, seed: int = 1, taken: Iterable[date] = (), foreign_every: int = 5
) -> list[dict[str, str]]:
    """``count`` backlog rows of distinct invented people (``InventedPeople(...).rows``)."""
    return InventedPeople(seed=seed, taken=taken).rows(count, foreign_every=foreign_every)


def write_rows_csv(rows: Sequence[Mapping[str, str]], path: Path) -> Path:
    """Write rows as a backlog CSV with the template's Swedish headers."""
    lines = [";".join(c.sv for c in COLUMNS)]
    lines += [";".join(row.get(c.key, "") for c in COLUMNS) for row in rows]
    path.write_text("\r\n".join(lines) + "\r\n", encoding="utf-8")
    return path
