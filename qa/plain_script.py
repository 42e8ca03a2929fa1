"""The floor the bench holds the robot to: a minimal plain-Playwright script of the routine.

What a region's IT department would write in an afternoon: one browser, one page, role and
label locators, ``fill``, and no safety at all (no judging of hits, no journal, no lease, no
read-back, no verification, no evidence, no retries). Per person it searches PMO by birth
date, searches Reservnummersystemet, creates the reservnummer, opens "Registrera", fills in
Patient-ID, sex, name, address, the postnummer followed by Tab and only then Ort, Land, Kommun,
Län and Info (the routine's order), and saves. Eight page loads per person.

The bench (``qa.bench``) runs it next to the robot on the same mock sites and checks what it
saved against ``/_mock/records`` the same way. Written for PMO layout a (its label texts).

```python
with sync_playwright() as pw, PlainScript(pw, pmo_url=..., rns_url=...) as script:
    patient_id = script.register(PlainPerson.from_request(request, groups=..., countries=...))
```
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from types import TracebackType
from typing import Self

from playwright.sync_api import Browser, Page, Playwright

from flows.rules.countries import CountryLists, country_name_sv
from flows.rules.groups import PatientGroup
from flows.rules.request import RegistrationRequest
from robot.chromium import find_chromium, launch_args


@dataclass(frozen=True)
class PlainPerson:
    """Everything the script types, as text (the group's codes and the Swedish country name)."""

    birth_date: date
    sex: str  # "M" or "K"
    family_name: str
    given_names: str
    street: str
    postal_code: str
    city: str
    country: str
    kommun: str
    lan: str
    info: str

    @classmethod
    def from_request(
        cls,
        request: RegistrationRequest,
        *,
        groups: Mapping[str, PatientGroup],
        countries: CountryLists,
    ) -> PlainPerson:
        group = groups[request.group]
        address = request.address
        if address is None:
            raise ValueError("the plain script registers people with an address only")
        return cls(
            birth_date=request.birth_date,
            sex=request.sex.value,
            family_name=request.family_name,
            given_names=request.given_names,
            street=address.street,
            postal_code=address.postal_code,
            city=address.city,
            country=country_name_sv(address.country, lists=countries),
            kommun=group.kommun,
            lan=group.lan,
            info=request.info,
        )


class PlainScript:
    """One browser, one page, logged in to PMO and Reservnummersystemet once."""

    def __init__(
        self,
        playwright: Playwright,
        *,
        pmo_url: str,
        rns_url: str,
        username: str = "demo",
        password: str = "demo",  # noqa: S107 - the mock sites' documented demo user
        headless: bool = True,
    ) -> None:
        self.playwright = playwright
        self.pmo_url = pmo_url.rstrip("/")
        self.rns_url = rns_url.rstrip("/")
        self.username = username
        self.password = password
        self.headless = headless
        self._browser: Browser | None = None
        self._page: Page | None = None

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    @property
    def page(self) -> Page:
        if self._page is None:
            raise RuntimeError("PlainScript is not started")
        return self._page

    @property
    def browser(self) -> Browser:
        if self._browser is None:
            raise RuntimeError("PlainScript is not started")
        return self._browser

    def start(self) -> None:
        """Launch Chromium (the machine's own, with only the flags it needs to run here)."""
        # A marker switch (ignored by Chromium) lets the bench find this browser's processes.
        self._browser = self.playwright.chromium.launch(
            executable_path=find_chromium(),
            args=[*launch_args(), "--reservrobot-plain-script"],
            headless=self.headless,
        )
        self._page = self._browser.new_page(locale="sv-SE")

    def close(self) -> None:
        if self._browser is not None:
            self._browser.close()
        self._browser = self._page = None

    def log_in(self) -> None:
        """Log in to both systems (the first ``register`` does this too when needed)."""
        for url in (self.pmo_url, self.rns_url):
            self._open(url + "/")

    def _open(self, url: str) -> None:
        page = self.page
        page.goto(url)
        if page.url.split("?", 1)[0].endswith("/login"):
            page.get_by_role("textbox", name="Användarnamn").fill(self.username)
            page.get_by_label("Lösenord").fill(self.password)
            page.get_by_role("button", name="Logga in").click()
            page.wait_for_url(lambda u: "/login" not in u)

    def register(self, person: PlainPerson) -> str:
        """The routine for one new person; returns the Patient-ID saved in PMO."""
        page = self.page
        born = person.birth_date

        # 1. Search PMO by birth date.
        self._open(self.pmo_url + "/")
        page.get_by_role("textbox", name="År").fill(f"{born:%Y}")
        page.get_by_role("textbox", name="Månad").fill(f"{born:%m}")
        page.get_by_role("textbox", name="Dag").fill(f"{born:%d}")
        page.get_by_role("button", name="Sök").click()
        results = page.get_by_role("table", name="Sökresultat")
        results.or_(page.get_by_text("Inga patienter hittades")).wait_for()

        # 2. Search Reservnummersystemet.
        self._open(self.rns_url + "/")
        page.get_by_role("textbox", name="Födelsedatum").fill(f"{born:%Y%m%d}")
        page.get_by_role("button", name="Sök").click()
        page.get_by_role("table", name="Sökresultat").or_(
            page.get_by_text("Inga träffar")
        ).wait_for()

        # 3. Create the reservnummer.
        page.get_by_role("link", name="Skapa reservnummer").click()
        page.get_by_role("textbox", name="Födelsedatum").fill(f"{born:%Y%m%d}")
        page.get_by_role("radio", name="Man" if person.sex == "M" else "Kvinna").check()
        page.get_by_role("textbox", name="Efternamn").fill(person.family_name)
        page.get_by_role("textbox", name="Förnamn").fill(person.given_names)
        page.get_by_role("button", name="Skapa").click()
        number = page.get_by_role("textbox", name="Reservnummer").input_value()

        # 4. PMO "Registrera": Patient-ID, sex, name, address, postnummer + Tab, then the rest.
        self._open(self.pmo_url + "/registrera")
        page.get_by_role("textbox", name="Patient-ID").fill(number)
        page.get_by_role("radio", name="Man" if person.sex == "M" else "Kvinna").check()
        page.get_by_role("textbox", name="Efternamn").fill(person.family_name)
        page.get_by_role("textbox", name="Förnamn").fill(person.given_names)
        page.get_by_role("textbox", name="Utdelningsadress").fill(person.street)
        postal = page.get_by_role("textbox", name="Postnummer")
        postal.fill(person.postal_code)
        postal.press("Tab")
        page.get_by_role("textbox", name="Ort").fill(person.city)
        page.get_by_role("textbox", name="Land").fill(person.country)
        page.get_by_role("textbox", name="Kommun").fill(person.kommun)
        page.get_by_role("textbox", name="Län").fill(person.lan)
        page.get_by_role("textbox", name="Info").fill(person.info)
        page.get_by_role("button", name="Spara").click()
        page.get_by_label("Patientdata").wait_for()
        return number
