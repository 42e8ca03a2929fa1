"""``check-screens``: a read-only walk through every screen the routine uses.

Before a backlog runs into a changed PMO, this walk logs in to each site, opens every screen the
routine uses without writing anything (PMO's search with a birth date nobody has, "Registrera"
left without saving, one configured test patient read-only or skipped, RNS's search and its
create form left unsent, Plexus's favourites) and reports, for each selector key of
``config/selectors/*.toml``: found, found more than once, or missing; and for each label text
the robot reads (column headers, field labels): the same or changed. A drifted key comes with
what the screen offers instead (the nearest accessible names on that screen, from the page's
ARIA snapshot), so the fix is a line in a selector file.

Nothing is saved and no screenshot is taken: the walk only reads the screens' accessibility
trees, which on these screens hold no patient data (an empty search, an empty form; the test
patient's page is read for its labels only and never reported).

Keys that a screen shows only in some states (an error, the red format marker, "no hits", the
save confirmation) are not required (``flows.screen_findings``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date

from playwright.sync_api import Page

from flows.config import load_site_selectors
from flows.pages.errors import translated
from flows.pages.site import SiteUI
from flows.screen_findings import (
    Finding,
    ScreenReport,
    aria_nodes,
    check_screen,
    check_texts,
    skipped,
)
from flows.sites import build_sites
from robot.browser import BrowserSession
from robot.errors import RobotError
from robot.settings import Settings


@dataclass(frozen=True)
class CheckTarget:
    """The sites to walk and how (built by the caller from the runner's sites and settings)."""

    pmo: SiteUI
    rns: SiteUI
    plexus: SiteUI | None
    empty_birth_date: date
    test_patient: tuple[str, date] | None = None


class _Walk:
    """One site's walk: findings so far, and screens reached by their navigation links (or,
    when a link drifted, by the nearest link the screen offers, so the walk still names every
    later difference)."""

    def __init__(self, site: SiteUI) -> None:
        self.site = site
        self.name = site.selectors.name
        self.findings: list[Finding] = []

    @property
    def page(self) -> Page:
        return self.site.page

    def check(
        self,
        screen: str,
        *,
        keys: Iterable[str] | None = None,
        required: Iterable[str] = (),
        private: bool = False,
    ) -> list[Finding]:
        found = check_screen(
            self.page, self.site.screen(screen), keys=keys, required=required, private=private
        )
        self.findings += found
        return found

    def skip(self, screen: str, keys: Iterable[str], why: str) -> None:
        self.findings += skipped(self.name, self.site.screen(screen), keys, why)

    def stopped(self, screen: str, why: str) -> None:
        self.findings.append(Finding(self.name, screen, "-", "missing", "", (), why))

    def all_found(self, found: Sequence[Finding], keys: Iterable[str]) -> bool:
        by_key = {f.key: f.status for f in found}
        return all(by_key.get(k) == "ok" for k in keys)

    def go(self, nav_key: str, screen: str) -> bool:
        """Open the screen behind navigation link ``nav_key``; False when no link leads there.

        When the link drifted, every link of the start page is tried and the one whose page
        shows the most of ``screen``'s elements is taken (only to walk on: the drift itself is
        already reported under ``nav``).
        """
        self.site.open_home()
        link = self.site.screen("nav").loc(self.page, nav_key)
        if link.count() == 1:
            self.site.follow(link)
            return True
        home = self.page.url
        names = [n.name for n in aria_nodes(self.page) if n.role == "link" and n.name]
        specs = list(self.site.screen(screen).locators.values())
        best, best_found = "", 0
        for name in dict.fromkeys(names):
            self.page.goto(home, wait_until="domcontentloaded")
            candidate = self.page.get_by_role("link", name=name, exact=True).first
            href = candidate.get_attribute("href") or ""
            if not href or href.startswith(("#", "javascript:")) or "logout" in href.lower():
                continue
            self.site.follow(candidate)
            found = sum(1 for spec in specs if spec.locate(self.page).count())
            if found > best_found:
                best, best_found = name, found
        self.page.goto(home, wait_until="domcontentloaded")
        if not best:
            return False
        self.site.follow(self.page.get_by_role("link", name=best, exact=True).first)
        return True

    def login(self) -> bool:
        page = self.page
        page.goto(
            self.site.base_url + self.site.screen("site").text("login_path"),
            wait_until="domcontentloaded",
        )
        found = self.check("login")
        if not self.all_found(found, ["username", "password", "submit"]):
            self.stopped("login", "inloggningen ändrad: kontrollen kan inte logga in")
            return False
        self.site.login.login(page)
        self.site.open_home()
        if "nav" in self.site.selectors.screens:
            self.check("nav")
        if "session" in self.site.selectors.screens:
            # Who is signed in: the attended app reads it after every clerk's sign-in (an
            # account name, not patient data, but never offered as text all the same).
            self.check("session", private=True)
        return True

    def search(self, screen: str, fields: Sequence[str], fill: Callable[[], None]) -> bool:
        """Check a search screen's inputs, submit ``fill``'s search, check the result keys."""
        found = self.check(screen, keys=[*fields, "submit"])
        results = ["results", "no_hits", "error"]
        if not self.all_found(found, [*fields, "submit"]):
            self.skip(screen, results, "sökningen kunde inte göras")
            return False
        fill()
        self.site.submit(self.site.screen(screen).loc(self.page, "submit"), resumable=True)
        self.check(screen, keys=results)
        return True


def check_pmo(site: SiteUI, target: CheckTarget) -> list[Finding]:
    """PMO: login, navigation, search (empty date), a test patient, the form (unsaved)."""
    walk = _Walk(site)
    if not walk.login():
        return walk.findings
    sel = site.screen("search")
    patient_keys = site.screen("patient").locators

    def fill(day: date) -> Callable[[], None]:
        def do() -> None:
            sel.loc(walk.page, "year").fill(f"{day.year:04d}")
            sel.loc(walk.page, "month").fill(f"{day.month:02d}")
            sel.loc(walk.page, "day").fill(f"{day.day:02d}")

        return do

    if not walk.go("search", "search"):
        walk.stopped("search", "ingen länk leder till sökningen")
    elif walk.search("search", ["year", "month", "day"], fill(target.empty_birth_date)):
        if sel.loc(walk.page, "results").count():
            walk.findings.append(
                Finding(
                    walk.name,
                    "search",
                    "no_hits",
                    "skipped",
                    "",
                    (),
                    "kontrolldatumet har patienter; välj ett annat datum",
                )
            )
        if target.test_patient is None:
            walk.findings.append(
                Finding(
                    walk.name, "search", "columns", "skipped", "", (), "ingen testpatient inställd"
                )
            )
            walk.skip("patient", patient_keys, "ingen testpatient inställd")
        else:
            _check_test_patient(walk, target.test_patient, fill)
    if walk.go("register", "form"):
        form = site.screen("form")
        walk.check("form")
        walk.findings += check_texts(walk.page, form, site.screen("labels").texts, table="labels")
        site.open_home()  # leave the form without saving
    else:
        walk.stopped("form", "ingen länk leder till Registrera")
    return walk.findings


def _check_test_patient(
    walk: _Walk, patient: tuple[str, date], fill: Callable[[date], Callable[[], None]]
) -> None:
    patient_id, birth_date = patient
    site, sel = walk.site, walk.site.screen("search")
    patient_keys = site.screen("patient").locators
    walk.go("search", "search")
    fill(birth_date)()
    site.submit(sel.loc(walk.page, "submit"), resumable=True)
    walk.check("search", keys=["results"], required=["results"])
    results = sel.loc(walk.page, "results")
    if results.count() != 1:
        # Walk on with the page's only table, if it has exactly one: the drift is reported.
        results = walk.page.get_by_role("table")
        if results.count() != 1:
            walk.skip("patient", patient_keys, "testpatientens sökning visar ingen resultattabell")
            return
    walk.findings += check_texts(
        walk.page, sel, sel.table("columns"), table="columns", roles=frozenset({"columnheader"})
    )
    link = results.get_by_role("link", name=patient_id, exact=True)
    if link.count() != 1:
        walk.skip("patient", patient_keys, "testpatienten hittades inte")
        return
    site.follow(link)
    screen = site.screen("patient")
    walk.check("patient", private=True)
    # Label texts only: the page's values (the test patient's data) are never read or shown.
    walk.findings += check_texts(
        walk.page,
        screen,
        site.screen("labels").texts,
        table="labels",
        roles=frozenset({"term", "rowheader"}),
    )
    site.open_home()


def check_rns(site: SiteUI, target: CheckTarget) -> list[Finding]:
    """Reservnummersystemet: login, navigation, search (empty date), the create form unsent."""
    walk = _Walk(site)
    if not walk.login():
        return walk.findings
    sel = site.screen("search")

    def fill() -> None:
        sel.loc(walk.page, "birth_date").fill(target.empty_birth_date.strftime("%Y%m%d"))

    if walk.go("search", "search"):
        walk.search("search", ["birth_date", "name"], fill)
    else:
        walk.stopped("search", "ingen länk leder till sökningen")
    if walk.go("create", "create"):
        walk.check("create")
        site.open_home()  # leave the form unsent
    else:
        walk.stopped("create", "ingen länk leder till Skapa reservnummer")
    walk.skip("result", site.screen("result").locators, "visas först efter Skapa")
    return walk.findings


def check_plexus(site: SiteUI) -> list[Finding]:
    """Plexus: login, the start page and "Mina favoriter" (opened, nothing changed)."""
    walk = _Walk(site)
    if not walk.login():
        return walk.findings
    start = site.screen("start")
    found = walk.check("start", keys=["favourites_button"])
    if walk.all_found(found, ["favourites_button"]):
        button = start.loc(walk.page, "favourites_button")
        if button.get_attribute("aria-expanded") != "true":
            button.click()  # opens the list on the page; nothing is sent or changed
    walk.check("start", keys=["favourites", "rns_link", "edit_favourites"])
    return walk.findings


def check_screens(target: CheckTarget) -> ScreenReport:
    """Walk every screen of PMO, RNS and (when configured) Plexus; write nothing.

    A site whose walk cannot go on (its login screen changed, a navigation link is gone) gets
    one "missing" finding naming where it stopped; the other sites are still walked.
    """
    report = ScreenReport()
    walks: list[tuple[SiteUI, Callable[[], list[Finding]]]] = [
        (target.pmo, lambda: check_pmo(target.pmo, target)),
        (target.rns, lambda: check_rns(target.rns, target)),
    ]
    if target.plexus is not None:
        plexus = target.plexus
        walks.append((plexus, lambda: check_plexus(plexus)))
    for site, walk in walks:
        try:
            with translated(site.site):  # Playwright's errors in the project's words
                report.findings.extend(walk())
        except Exception as exc:
            message = exc.message if isinstance(exc, RobotError) else type(exc).__name__
            report.findings.append(
                Finding(
                    site.selectors.name,
                    "genomgång",
                    "-",
                    "missing",
                    "",
                    (),
                    f"kontrollen kunde inte fortsätta: {message}",
                )
            )
    return report


@contextmanager
def open_sites(settings: Settings) -> Iterator[dict[str, SiteUI]]:
    """A browser with one logged-out ``SiteUI`` per site (the Runner's logins, refused ones
    included), nothing recorded (no evidence)."""
    with BrowserSession(settings) as session:
        yield build_sites(settings, session, load_site_selectors(settings))


def run_screen_check(settings: Settings, *, with_plexus: bool | None = None) -> ScreenReport:
    """Open the sites from ``settings`` and walk them (Plexus when RNS is reached through it,
    or when ``with_plexus`` says so)."""
    plexus = settings.rns.access == "plexus" if with_plexus is None else with_plexus
    patient = None
    if settings.screen_check_patient_id and settings.screen_check_patient_birth_date:
        patient = (settings.screen_check_patient_id, settings.screen_check_patient_birth_date)
    with open_sites(settings) as sites:
        return check_screens(
            CheckTarget(
                pmo=sites["pmo"],
                rns=sites["rns"],
                plexus=sites["plexus"] if plexus else None,
                empty_birth_date=settings.screen_check_birth_date,
                test_patient=patient,
            )
        )
