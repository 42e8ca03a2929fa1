"""Test people and test situations for the end-to-end tests.

``People`` hands out requests for invented persons (``qa.people``, the one generator) on birth
dates that neither mock system has, so each test controls exactly who is there. ``SiteWriter``
arranges a situation through the mock sites' own forms over HTTP (a person already in
Reservnummersystemet, a patient already in PMO), the way a clerk's earlier work would have
left it.
"""

from __future__ import annotations

import html
import itertools
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from typing import Any

import httpx
import pytest

from flows.rules.request import RegistrationRequest
from mock_sites.testing import MockSites
from qa.people import InventedPeople, birth_date_of, taken_in
from qa.people import personnummer as make_personnummer

__all__ = [
    "People",
    "SiteWriter",
    "make_personnummer",
    "patients_born",
    "patients_with",
    "persons_born",
]

# Every People gets a seed of its own, and no date is handed out twice in a test session: the
# robot's journal outlives a test's reset of the mock data.
_SEEDS = itertools.count(1)
_HANDED_OUT: set[date] = set()
_GAVLE_ADDRESS = {"street": "Norra Kungsgatan 5", "postal_code": "803 20", "city": "Gävle"}


class People:
    """Requests for new persons, each on a birth date that no mock system has yet."""

    def __init__(self, sites: MockSites) -> None:
        self._people = InventedPeople(seed=next(_SEEDS), taken=taken_in(sites) | _HANDED_OUT)

    def request(self, **overrides: Any) -> RegistrationRequest:
        """A valid request for a new person (Asylsökande with this Gävle address by default)."""
        request = self._people.request(**{**_GAVLE_ADDRESS, **overrides})
        _HANDED_OUT.add(request.birth_date)
        return request


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
    return [p for p in sites.records("pmo")["patients"] if birth_date_of(p["patient_id"]) == birth]


def rns_person_with_personnummer_alone(sites: MockSites) -> dict[str, Any]:
    """A seeded RNS person holding a personnummer, alone on a birth date PMO does not know."""
    persons = sites.records("rns")["persons"]
    pmo_dates = {birth_of(p["patient_id"]) for p in sites.records("pmo")["patients"]}
    for person in persons:
        same_day = [p for p in persons if p["birth_date"] == person["birth_date"]]
        if person["personnummer"] and person["birth_date"] not in pmo_dates and len(same_day) == 1:
            return dict(person)
    pytest.skip("the seed has no RNS-only person with a personnummer on a date of their own")


def birth_of(patient_id: str) -> str:
    """The birth date (ISO) in a PMO Patient-ID, read here independently of the routine's rule
    (a samordningsnummer-style day is 60 on)."""
    day = int(patient_id[6:8])
    day = day - 60 if patient_id.isdigit() and day > 60 else day
    return f"{patient_id[:4]}-{patient_id[4:6]}-{day:02d}"
