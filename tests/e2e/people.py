"""Test people and test situations for the end-to-end tests.

``People`` hands out requests for made-up persons on birth dates that neither mock system has,
so each test controls exactly who is there. ``SiteWriter`` arranges a situation through the
mock sites' own forms over HTTP (a person already in Reservnummersystemet, a patient already in
PMO), the way a clerk's earlier work would have left it. Identity numbers are generated in the
mock's shape (reservnummer) or with serials 980-999 (personnummer), never real ones.
"""

from __future__ import annotations

import html
import itertools
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from typing import Any

import httpx

from flows.groups import load_groups
from flows.request import RegistrationRequest, parse_request
from mock_sites.testing import MockSites
from robot.settings import DEFAULT_CONFIG_DIR

GROUPS = load_groups(DEFAULT_CONFIG_DIR)
_FAMILY = ("Lindqvist", "Bergström", "Ekholm", "Sandberg", "Nordin", "Wallin", "Hedlund")
_GIVEN_K = ("Astrid", "Ingrid", "Maja", "Elsa", "Saga", "Tilde", "Vera")
_GIVEN_M = ("Gustav", "Arvid", "Nils", "Olof", "Ture", "Viggo", "Elis")


def luhn_digit(digits: str) -> int:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch) * (2 if i % 2 == 0 else 1)
        total += d - 9 if d > 9 else d
    return (10 - total % 10) % 10


def make_personnummer(birth: date, *, sex: str, serial: int = 981) -> str:
    """A 12-digit personnummer in the 980-999 serial range (cannot name a real person)."""
    if (serial % 2 == 1) != (sex == "M"):
        serial += 1
    ten = f"{birth:%y%m%d}{serial:03d}"
    return f"{birth:%Y}"[:2] + ten + str(luhn_digit(ten))


# Each People starts on later dates than the one before, so two tests never ask for the same
# person (the robot's journal outlives a test's reset of the mock data).
_BLOCKS = itertools.count()


class People:
    """Requests for new persons, each on a birth date that no mock system has yet."""

    def __init__(self, sites: MockSites, *, start: date | None = None) -> None:
        start = start or date(2012, 1, 1) + timedelta(days=60 * next(_BLOCKS))
        taken = {p["birth_date"] for p in sites.records("rns")["persons"]}
        taken |= {_pmo_birth(p["patient_id"]) for p in sites.records("pmo")["patients"]}
        self._dates = (d for d in _days(start) if d.isoformat() not in taken)
        self._n = 0

    def request(self, **overrides: Any) -> RegistrationRequest:
        """A valid request for a new person (Asylsökande with a Gävle address by default)."""
        self._n += 1
        sex = overrides.pop("sex", "K" if self._n % 2 else "M")
        given = (_GIVEN_K if sex == "K" else _GIVEN_M)[self._n % 7]
        data: dict[str, Any] = {
            "birth_date": next(self._dates).isoformat(),
            "sex": sex,
            "family_name": f"{_FAMILY[self._n % 7]}-Test",
            "given_names": given,
            "group": "asylsokande",
            "street": "Norra Kungsgatan 5",
            "postal_code": "803 20",
            "city": "Gävle",
            "country": "SE",
        }
        data.update(
            {k: (v.isoformat() if isinstance(v, date) else v) for k, v in overrides.items()}
        )
        return parse_request(data, groups=GROUPS)


def _days(start: date) -> Iterator[date]:
    day = start
    while True:
        yield day
        day += timedelta(days=1)


def _pmo_birth(patient_id: str) -> str:
    digits = patient_id[:8]
    day = int(digits[6:8])
    if patient_id.isdigit() and day > 60:
        day -= 60
    return f"{digits[:4]}-{digits[4:6]}-{day:02d}"


class SiteWriter:
    """Arranges data through the mock sites' own forms (logged in as the demo user)."""

    def __init__(self, sites: MockSites) -> None:
        self.sites = sites

    @contextmanager
    def _client(self, base: str) -> Iterator[httpx.Client]:
        with httpx.Client(
            base_url=base, follow_redirects=True, trust_env=False, timeout=10
        ) as client:
            client.post("/login", data={"username": "demo", "password": "demo", "next": "/"})
            yield client

    def rns_create(self, birth: date, *, sex: str, family: str, given: str) -> str:
        """Create a reservnummer in Reservnummersystemet; returns the number."""
        with self._client(self.sites.rns_url) as client:
            page = client.post(
                "/skapa",
                data={
                    "fodelsedatum": birth.strftime("%Y%m%d"),
                    "sex": sex,
                    "family_name": family,
                    "given_names": given,
                },
            )
        page.raise_for_status()
        match = re.search(r'aria-label="Reservnummer" value="([^"]+)"', page.text)
        assert match, "RNS did not show a new number"
        return html.unescape(match.group(1))

    def pmo_register(
        self,
        patient_id: str,
        *,
        sex: str,
        family: str,
        given: str,
        kommun: str = "80",
        lan: str = "21",
    ) -> None:
        """Register a patient in PMO through its form (as an earlier clerk would have)."""
        with self._client(self.sites.pmo_url) as client:
            page = client.post(
                "/registrera",
                data={
                    "patient_id": patient_id,
                    "sex": sex,
                    "family_name": family,
                    "given_names": given,
                    "street": "Drottninggatan 1",
                    "postal_code": "802 50",
                    "city": "Gävle",
                    "country": "Sverige",
                    "kommun": kommun,
                    "lan": lan,
                    "info": "",
                },
            )
        assert page.status_code == 200 and "/patient/" in str(page.url), page.text[:500]


def patients_with(sites: MockSites, **fields: str) -> list[dict[str, Any]]:
    """PMO patients whose fields equal the given values."""
    return [
        p for p in sites.records("pmo")["patients"] if all(p.get(k) == v for k, v in fields.items())
    ]


def persons_born(sites: MockSites, birth: date) -> list[dict[str, Any]]:
    """Reservnummersystemet's rows for a birth date."""
    return [p for p in sites.records("rns")["persons"] if p["birth_date"] == birth.isoformat()]


def patients_born(sites: MockSites, birth: date) -> list[dict[str, Any]]:
    """PMO's patients for a birth date."""
    return [
        p
        for p in sites.records("pmo")["patients"]
        if _pmo_birth(p["patient_id"]) == birth.isoformat()
    ]
