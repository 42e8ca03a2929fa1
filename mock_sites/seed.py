"""Deterministic seed data for PMO and Reservnummersystemet (Faker sv_SE + a seeded RNG).

One "world" of people is drawn first, then each person is placed in PMO, in RNS, or in both,
so the two systems disagree the way real ones do:

- many people share a birth date (a pool of common dates);
- the same person is spelt differently in the two systems (transliterations such as
  Mohammed/Muhammad, swapped given and family name, accents dropped, only the first given name);
- people with a personnummer or samordningsnummer as well as people with a reservnummer, and
  some reservnummer holders who later got a personnummer (PMO completed, RNS row still shows the
  reservnummer with the personnummer beside it);
- a few people with two reservnummer in RNS (it never refuses a second one);
- people present in one system only.

Identity numbers are never real: reservnummer have the mock shape, and personnummer and
samordningsnummer use serials 980-999 only.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import Any

from faker import Faker

from mock_sites.pmo.postnummer import GAVLEBORG_PREFIXES, POSTNUMMER
from mock_sites.rns.numbers import GAVLEBORG, NumberFormat, personnummer

# Spelling variants of the same name; the first is the "canonical" one.
GIVEN_MALE = (
    ("Mohammed", "Muhammad", "Mohamed", "Mohammad"),
    ("Ahmed", "Ahmad", "Achmed"),
    ("Yusuf", "Youssef", "Jusuf"),
    ("Aleksandr", "Alexander", "Oleksandr"),
    ("Dmytro", "Dmitrij", "Dmitri"),
    ("Omar", "Umar"),
    ("Hassan", "Hasan"),
    ("José", "Jose"),
    ("Jürgen", "Juergen", "Jurgen"),
    ("Serhij", "Sergej", "Sergei"),
    ("Mikołaj", "Mikolaj"),
    ("Abdirahman", "Abdurahman", "Abdi Rahman"),
)
GIVEN_FEMALE = (
    ("Fatima", "Fatma", "Fatimah"),
    ("Olena", "Elena", "Jelena"),
    ("Aisha", "Aïcha", "Ayesha"),
    ("Zeynep", "Zejnep"),
    ("Mariam", "Maryam", "Miriam"),
    ("Nataliia", "Natalia", "Natalja"),
    ("Amina", "Aminah"),
    ("Chloé", "Chloe"),
    ("Sofiia", "Sofia", "Sofija"),
    ("Małgorzata", "Malgorzata"),
    ("Hodan", "Hoodan"),
)
FAMILY = (
    ("Al-Hassan", "Alhassan", "al Hassan"),
    ("Hussein", "Husein", "Hussain"),
    ("Shevchenko", "Sjevtjenko", "Ševčenko"),
    ("Abdullahi", "Abdulahi"),
    ("Yılmaz", "Yilmaz"),
    ("Müller", "Mueller", "Muller"),
    ("Kovalenko", "Kovalenka"),
    ("Mohamud", "Mahamud", "Mohamoud"),
    ("García", "Garcia"),
    ("Öztürk", "Ozturk"),
    ("Ibrahim", "Ebrahim"),
    ("Nowak",),
    ("Haddad",),
    ("Bondarenko",),
)

# (country's Swedish name, postcode, city, street) for addresses abroad. The first is the trap:
# a German postcode that a prefix lookup takes for Gävle.
FOREIGN_ADDRESSES = (
    ("Tyskland", "80331", "München", "Marienplatz 8"),
    ("Tyskland", "10115", "Berlin", "Invalidenstraße 44"),
    ("Polen", "00-950", "Warszawa", "ul. Marszałkowska 10"),
    ("Finland", "00100", "Helsingfors", "Mannerheimvägen 5"),
    ("Norge", "0150", "Oslo", "Karl Johans gate 22"),
    ("Spanien", "28013", "Madrid", "Calle Mayor 3"),
    ("Frankrike", "75001", "Paris", "Rue de Rivoli 100"),
    ("Ukraina", "01001", "Kyjiv", "Chreschtschatyk 14"),
    ("Turkiet", "34110", "Istanbul", "Divan Yolu Cd. 7"),
)

# (Kommun, Län, address abroad?) per patient group of the routine.
GROUP_CODES = (
    ("01", "99", False),  # Asylsökande
    ("07", "99", False),  # Gömd, papperslös
    ("02", "99", True),  # EES/EU med kort/intyg, Nordisk konvention
    ("03", "99", True),  # EES/EU utan kort/intyg
    ("04", "99", True),  # Konventionsland
)
MANUAL_INFO = "Läggs in manuellt"
BASE_TIME = datetime(2024, 1, 8, 8, 0, tzinfo=UTC)


@dataclass
class Person:
    """One person of the seed world, before it is written into either system."""

    birth_date: date
    sex: str
    given_variants: tuple[str, ...]
    family_variants: tuple[str, ...]
    kind: str  # "reserv", "pnr" or "sam"
    personnummer: str | None = None
    reservnummer: str | None = None
    extra_reservnummer: str | None = None


@dataclass(frozen=True)
class World:
    """Seed rows for PMO (``patients``) and RNS (``persons``), as the QA endpoints show them."""

    patients: tuple[dict[str, Any], ...]
    persons: tuple[dict[str, Any], ...]


class _Numbers:
    """Hands out unique serials per birth date (one run over all dates for a format whose
    number has no birth date: SLL)."""

    def __init__(self, number_format: NumberFormat = GAVLEBORG) -> None:
        self.number_format = number_format
        self.reserv: dict[date | None, int] = {}
        self.reserv_high: dict[date | None, int] = {}
        self.pnr_used: set[str] = set()

    def _key(self, birth: date) -> date | None:
        return birth if self.number_format.serial_per_birth_date else None

    def high_reserv(self, birth: date, sex: str) -> str:
        """A serial counted down from the top: for numbers RNS does not hold (PMO-only persons).

        RNS hands out the next serial after the highest it holds for a date, so a number from
        the top of the range never comes back as somebody else's new number.
        """
        key = self._key(birth)
        serial = self.reserv_high.get(key, self.number_format.max_serial + 1) - 1
        self.reserv_high[key] = serial
        return self.number_format.reservnummer(birth, serial, sex)

    def next_reserv(self, birth: date, sex: str) -> str:
        key = self._key(birth)
        serial = self.reserv.get(key, 0) + 1
        self.reserv[key] = serial
        return self.number_format.reservnummer(birth, serial, sex)

    def new_pnr(self, rng: random.Random, birth: date, sex: str, samordning: bool) -> str | None:
        # The last digit of the serial is odd for men, even for women.
        serials = [s for s in range(980, 1000) if (s % 2 == 1) == (sex == "M")]
        rng.shuffle(serials)
        for serial in serials:
            number = personnummer(birth, serial, samordning=samordning)
            if number not in self.pnr_used:
                self.pnr_used.add(number)
                return number
        return None


def _random_date(rng: random.Random, start: date, end: date) -> date:
    return start + timedelta(days=rng.randrange((end - start).days + 1))


def _draw_person(rng: random.Random, fake: Faker, shared_dates: list[date]) -> Person:
    birth = (
        rng.choice(shared_dates)
        if rng.random() < 0.55
        else _random_date(rng, date(1935, 1, 1), date(2024, 12, 31))
    )
    sex = rng.choice("MK")
    given: tuple[str, ...]
    family: tuple[str, ...]
    if rng.random() < 0.5:
        given = rng.choice(GIVEN_MALE if sex == "M" else GIVEN_FEMALE)
        family = rng.choice(FAMILY)
    else:
        first = fake.first_name_male() if sex == "M" else fake.first_name_female()
        if rng.random() < 0.3:
            second = fake.first_name_male() if sex == "M" else fake.first_name_female()
            if second != first:
                first = f"{first} {second}"
        given = (first,)
        family = (fake.last_name(),)
    roll = rng.random()
    kind = "reserv" if roll < 0.6 else ("pnr" if roll < 0.85 else "sam")
    return Person(birth, sex, given, family, kind)


def _variant_name(rng: random.Random, person: Person) -> tuple[str, str]:
    """(family, given) as written in the other system: a plausible misspelling of the same name."""
    family, given = person.family_variants[0], person.given_variants[0]
    options = ["swap", "accents", "first_only"]
    if len(person.family_variants) > 1 or len(person.given_variants) > 1:
        options += ["translit", "translit"]
    choice = rng.choice(options)
    if choice == "translit":
        if len(person.given_variants) > 1:
            given = rng.choice(person.given_variants[1:])
        if len(person.family_variants) > 1:
            family = rng.choice(person.family_variants[1:])
    elif choice == "swap":
        family, given = given, family
    elif choice == "accents":
        family, given = _strip_accents(family), _strip_accents(given)
    elif choice == "first_only":
        given = given.split()[0]
    return family, given


def _strip_accents(text: str) -> str:
    import unicodedata

    table = str.maketrans({"ł": "l", "Ł": "L", "ı": "i", "ø": "o", "Ø": "O"})
    decomposed = unicodedata.normalize("NFKD", text.translate(table))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _stamp(rng: random.Random) -> str:
    moment = BASE_TIME + timedelta(minutes=rng.randrange(0, 60 * 24 * 300))
    return moment.isoformat(timespec="seconds")


def _pmo_row(
    rng: random.Random, fake: Faker, person: Person, names: tuple[str, str]
) -> dict[str, Any]:
    if person.kind == "reserv" and person.personnummer is None:
        patient_id = person.reservnummer
        kommun, lan, abroad = rng.choice(GROUP_CODES)
        info = MANUAL_INFO
    else:
        patient_id = person.personnummer
        kommun = lan = ""
        abroad = False
        info = ""
    if abroad:
        country, postal_code, city, street = rng.choice(FOREIGN_ADDRESSES)
    else:
        prefix = rng.choice(GAVLEBORG_PREFIXES)
        locality = POSTNUMMER[prefix]
        postal_code = f"{prefix} {rng.randrange(0, 100):02d}"
        city, country, street = locality.ort, "Sverige", fake.street_address()
        if not kommun:
            kommun, lan = locality.kommun, locality.lan
    created = _stamp(rng)
    return {
        "patient_id": patient_id,
        # The search key where the Patient-ID carries no birth date (an SLL number).
        "birth_date": f"{person.birth_date:%Y%m%d}",
        "sex": person.sex,
        "family_name": names[0],
        "given_names": names[1],
        "street": street,
        "postal_code": postal_code,
        "city": city,
        "country": country,
        "kommun": kommun,
        "lan": lan,
        "info": info,
        "created_at": created,
        "updated_at": created,
    }


def _rns_rows(rng: random.Random, person: Person, names: tuple[str, str]) -> list[dict[str, Any]]:
    base = {
        "birth_date": person.birth_date.isoformat(),
        "sex": person.sex,
        "family_name": names[0],
        "given_names": names[1],
        "personnummer": person.personnummer,
    }
    if person.kind == "reserv":
        rows = [{**base, "id_type": "Reservnummer", "id_value": person.reservnummer}]
        if person.extra_reservnummer:
            rows.append({**base, "id_type": "Reservnummer", "id_value": person.extra_reservnummer})
    else:
        id_type = "Personnummer" if person.kind == "pnr" else "Samordningsnummer"
        rows = [{**base, "id_type": id_type, "id_value": person.personnummer}]
    return [{**row, "created_at": _stamp(rng)} for row in rows]


@lru_cache(maxsize=8)
def build_world(seed: int = 1, size: int = 300, number_format: NumberFormat = GAVLEBORG) -> World:
    """The seed world for ``seed``: about ``size`` PMO patients and ``size`` RNS rows, with
    reservnummer in ``number_format`` (the region profile's)."""
    rng = random.Random(seed)
    fake = Faker("sv_SE")
    fake.seed_instance(seed)
    shared_dates = [
        _random_date(rng, date(1940, 1, 1), date(2023, 12, 31)) for _ in range(max(4, size // 8))
    ]
    both = round(size * 0.7)
    only = size - both
    numbers = _Numbers(number_format)
    people: list[Person] = []
    for _ in range(both + 2 * only):
        person = _draw_person(rng, fake, shared_dates)
        if person.kind in ("pnr", "sam"):
            person.personnummer = numbers.new_pnr(
                rng, person.birth_date, person.sex, person.kind == "sam"
            )
            if person.personnummer is None:
                person.kind = "reserv"
        if person.kind == "reserv":
            person.reservnummer = numbers.next_reserv(person.birth_date, person.sex)
            if rng.random() < 0.12:  # got a personnummer later
                person.personnummer = numbers.new_pnr(rng, person.birth_date, person.sex, False)
        people.append(person)
    in_both, pmo_only, rns_only = people[:both], people[both : both + only], people[both + only :]
    for person in pmo_only:
        if person.kind == "reserv":
            person.reservnummer = numbers.high_reserv(person.birth_date, person.sex)
    for person in [p for p in rns_only if p.kind == "reserv" and p.personnummer is None][:3]:
        person.extra_reservnummer = numbers.next_reserv(person.birth_date, person.sex)

    patients: list[dict[str, Any]] = []
    persons: list[dict[str, Any]] = []
    for person in in_both:
        canonical = (person.family_variants[0], person.given_variants[0])
        varied = _variant_name(rng, person) if rng.random() < 0.35 else canonical
        pmo_names, rns_names = (varied, canonical) if rng.random() < 0.5 else (canonical, varied)
        patients.append(_pmo_row(rng, fake, person, pmo_names))
        persons.extend(_rns_rows(rng, person, rns_names))
    for person in pmo_only:
        patients.append(
            _pmo_row(rng, fake, person, (person.family_variants[0], person.given_variants[0]))
        )
    for person in rns_only:
        persons.extend(
            _rns_rows(rng, person, (person.family_variants[0], person.given_variants[0]))
        )
    return World(patients=tuple(patients), persons=tuple(persons))
