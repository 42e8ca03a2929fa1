"""Helpers for the web app tests: test persons, mock-data lookups, keyboard and screenshots."""

from __future__ import annotations

import html
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from playwright.sync_api import Page
from starlette.types import ASGIApp, Receive, Scope, Send

from mock_sites.testing import MockSites
from qa.people import InventedPeople, personnummer, taken_in
from tests.fixtures.accessibility import assert_accessible


@dataclass(frozen=True)
class Person:
    birth_date: date
    sex: str  # "M" or "K"
    family_name: str
    given_names: str

    @property
    def display_name(self) -> str:
        return f"{self.family_name}, {self.given_names}"


def _date_part(patient_id: str) -> date | None:
    try:
        return date(int(patient_id[:4]), int(patient_id[4:6]), int(patient_id[6:8]))
    except ValueError:
        return None


def used_birth_dates(sites: MockSites) -> set[date]:
    """Every birth date that has someone in PMO or Reservnummersystemet."""
    return taken_in(sites)


# One seeded generator (qa.people) for the session: no two tests get the same person, so the
# robot's journal in the app's shared data folder never meets anybody twice.
_PEOPLE = InventedPeople(seed=1940)


def new_person(sites: MockSites, *, sex: str = "K") -> Person:
    """A made-up person whose birth date nobody in either system has (so: no search hits)."""
    _PEOPLE.used |= used_birth_dates(sites)
    invented = _PEOPLE.person(sex=sex)
    return Person(invented.birth_date, sex, invented.family_name, invented.given_names)


@dataclass
class UncertainPair:
    """A PMO patient and a made-up request the matcher cannot tell apart from them."""

    patient: dict[str, Any]
    request: Person
    others_on_date: list[dict[str, Any]] = field(default_factory=list)


def _variants(family: str, given: str) -> list[tuple[str, str]]:
    first = given.split()[0]
    out = [
        (family, first[:-1] + ("a" if first[-1] != "a" else "e")),
        (family, first + " Maria"),
        (family, first[:-1]),
        (family[:-1] + ("a" if family[-1] != "a" else "e"), given),
        (family, first[0] + first[1:].replace("a", "e", 1)),
    ]
    return [(f, g) for f, g in out if len(g) > 1 and (f, g) != (family, given)]


def find_uncertain_pair(sites: MockSites, *, skip: int = 0) -> UncertainPair:
    """A PMO patient with a name variant judged UNCERTAIN against every patient that day.

    Uses the robot's own matcher on the mock's seed, so the test keeps working when the
    thresholds are tuned. ``skip`` picks a different pair for a different test.
    """
    from flows.rules.matching import PersonKey, judge_hits, load_match_config
    from flows.rules.model import Sex
    from robot.settings import DEFAULT_CONFIG_DIR

    config = load_match_config(DEFAULT_CONFIG_DIR)
    patients = sites.records("pmo")["patients"]
    rns_days = {date.fromisoformat(p["birth_date"]) for p in sites.records("rns")["persons"]}
    by_day: dict[date, list[dict[str, Any]]] = {}
    for patient in patients:
        day = _date_part(patient["patient_id"])
        if day is not None:
            by_day.setdefault(day, []).append(patient)
    found = 0
    for day, on_day in sorted(by_day.items()):
        if day in rns_days:
            continue  # keep the RNS step free of hits: the test is about the PMO decision
        if not all(p["patient_id"].isdigit() for p in on_day):
            # A PMO-only reservnummer that day: the mock RNS, which has nobody that day, would
            # hand out the same number again (a real RNS never would).
            continue
        for patient in on_day:
            sex = Sex(patient["sex"])
            hits = [PersonKey(p["family_name"], p["given_names"], Sex(p["sex"])) for p in on_day]
            for family, given in _variants(patient["family_name"], patient["given_names"]):
                decision = judge_hits(PersonKey(family, given, sex), hits, config=config)
                if decision.outcome == "uncertain":
                    if found == skip:
                        return UncertainPair(
                            patient, Person(day, patient["sex"], family, given), on_day
                        )
                    found += 1
                    break
    raise LookupError("no uncertain pair in the mock seed")


def find_registered_patient(sites: MockSites) -> tuple[dict[str, Any], Person]:
    """A PMO patient that the matcher recognises as the same person when entered again."""
    from flows.rules.matching import PersonKey, judge_hits, load_match_config
    from flows.rules.model import Sex
    from robot.settings import DEFAULT_CONFIG_DIR

    config = load_match_config(DEFAULT_CONFIG_DIR)
    by_day: dict[date, list[dict[str, Any]]] = {}
    for patient in sites.records("pmo")["patients"]:
        day = _date_part(patient["patient_id"])
        if day is not None:
            by_day.setdefault(day, []).append(patient)
    for day, on_day in sorted(by_day.items()):
        hits = [PersonKey(p["family_name"], p["given_names"], Sex(p["sex"])) for p in on_day]
        for patient in on_day:
            me = PersonKey(patient["family_name"], patient["given_names"], Sex(patient["sex"]))
            if judge_hits(me, hits, config=config).outcome == "same":
                person = Person(day, patient["sex"], patient["family_name"], patient["given_names"])
                return patient, person
    raise LookupError("no clearly recognisable patient in the PMO seed")


def make_personnummer(date_part: str, sex: str) -> str:
    """A 12-digit personnummer for that date (``ÅÅÅÅMMDD``) with an invented serial."""
    birth = date(int(date_part[:4]), int(date_part[4:6]), int(date_part[6:8]))
    return personnummer(birth, sex=sex)


def tab_to(page: Page, selector: str, *, limit: int = 80) -> None:
    """Press Tab until the element matching ``selector`` has focus (keyboard-only use)."""
    for _ in range(limit):
        if page.evaluate("(s) => document.activeElement?.matches(s) ?? false", selector):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"{selector} never got focus by Tab")


# Screenshots for people to look at; RESERVROBOT_UI_SCREENS_DIR moves them elsewhere.
SCREENS_DIR = Path(
    os.environ.get(
        "RESERVROBOT_UI_SCREENS_DIR",
        Path(__file__).resolve().parents[2] / "test-results" / "ui-screens",
    )
)


def clear_screens(folder: Path = SCREENS_DIR) -> None:
    """Remove the last run's screenshots (once per run, by pytest's main process: every
    pytest-xdist worker photographs into the same folder)."""
    if folder.is_dir():
        for old in [*folder.glob("*.png"), *folder.glob("*.caption")]:
            old.unlink()


class Screens:
    """Saves full-page screenshots of each screen, each with its caption beside it, and an
    index of every screen in the folder (whichever worker of the run took it)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def shot(self, page: Page, name: str, caption: str) -> Path:
        """A full-page screenshot of the screen, after axe-core found no violation on it."""
        assert_accessible(page, name)
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self.folder / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        (self.folder / f"{name}.caption").write_text(caption, encoding="utf-8")
        return path

    def write_index(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        shots = {
            p.stem: p.read_text(encoding="utf-8") for p in sorted(self.folder.glob("*.caption"))
        }
        rows = "\n".join(
            f"<figure><figcaption><b>{html.escape(name)}</b>: {html.escape(caption)}"
            f"</figcaption><img src='{html.escape(name)}.png' alt='{html.escape(caption)}'"
            " style='max-width:100%;border:1px solid #999'></figure>"
            for name, caption in shots.items()
        )
        (self.folder / "index.html").write_text(
            "<!doctype html><html lang='sv'><meta charset='utf-8'>"
            f"<title>Reservnummerroboten: skärmar</title><body>{rows}</body></html>",
            encoding="utf-8",
        )


class LoginCounter:
    """ASGI middleware counting the login attempts (POST /login) a mock site receives."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.attempts = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "POST" and scope["path"] == "/login":
            self.attempts += 1
        await self.app(scope, receive, send)


@contextmanager
def counted_pmo(folder: Path) -> Iterator[tuple[str, LoginCounter]]:
    """A mock PMO of its own (seeded like the session's) that counts login attempts."""
    from mock_sites.pmo.app import create_app as create_pmo
    from mock_sites.pmo.config import PmoConfig
    from mock_sites.serve import ServerThread, bind_socket

    counter = LoginCounter(create_pmo(db_path=folder / "pmo.sqlite3", config=PmoConfig()))
    server = ServerThread(counter, bind_socket("127.0.0.1", 0), name="pmo-counted")
    server.start()
    try:
        yield f"http://127.0.0.1:{server.port}", counter
    finally:
        server.stop()
