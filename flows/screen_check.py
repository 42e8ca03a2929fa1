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
save confirmation) are not required; they are listed as such in ``_CONDITIONAL``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from typing import Literal

from playwright.sync_api import Page
from rapidfuzz import fuzz, process

from flows.pages.login import LoginPage
from flows.pages.site import SiteUI
from flows.selectors import LocatorSpec, ScreenSelectors, load_selectors
from robot.browser import BrowserSession
from robot.errors import RobotError
from robot.settings import Settings

Status = Literal["ok", "missing", "many", "changed", "skipped"]

# Keys a screen shows only in some states: never required, checked when present.
_CONDITIONAL: dict[str, frozenset[str]] = {
    "login": frozenset({"error"}),
    "search": frozenset({"results", "no_hits", "error"}),
    "form": frozenset({"marker", "error"}),
    "patient": frozenset({"saved"}),
    "create": frozenset({"error"}),
    "start": frozenset({"rns_link"}),
    "it_systems": frozenset({"add", "added"}),
}
# Elements that name a screen's structure, never a person's data (offered on private screens).
_STRUCTURE = frozenset(
    {"button", "link", "table", "term", "rowheader", "columnheader", "region", "navigation"}
)
# Locators that stand for a collection (a role without a name): more than one is expected.
_ARIA_LINE = re.compile(
    r'^\s*-\s+(?P<role>[a-z]+)(?:\s+"(?P<name>(?:[^"\\]|\\.)*)")?(?:\s*\[[^\]]*\])*'
    r"(?::\s*(?P<text>.*))?$"
)


@dataclass(frozen=True)
class Finding:
    """One selector key or label text of one screen, and what the screen showed."""

    site: str  # selector file name: pmo_a, rns, plexus
    screen: str
    key: str
    status: Status
    expected: str
    offered: tuple[str, ...] = ()
    note: str = ""

    @property
    def drifted(self) -> bool:
        return self.status in ("missing", "many", "changed")

    @property
    def where(self) -> str:
        return f"{self.site}.{self.screen}.{self.key}"


@dataclass
class ScreenReport:
    """Every finding of one walk, in the order the screens were visited."""

    findings: list[Finding] = field(default_factory=list)

    @property
    def drifted(self) -> list[Finding]:
        return [f for f in self.findings if f.drifted]

    @property
    def clean(self) -> bool:
        return not self.drifted


@dataclass(frozen=True)
class AriaNode:
    role: str
    name: str

    def __str__(self) -> str:
        return f"{self.role} {self.name!r}" if self.name else self.role


def aria_nodes(page: Page) -> list[AriaNode]:
    """The page's accessible elements (role, name) from one ARIA snapshot: one round trip."""
    nodes = []
    for line in page.locator("body").aria_snapshot().splitlines():
        if line.strip().startswith("- text:"):
            nodes.append(AriaNode("text", line.split(":", 1)[1].strip().strip('"')))
            continue
        match = _ARIA_LINE.match(line)
        if match:
            name = match.group("name")
            if name is None:  # `- term: Patient-ID`: the element's own text is its name
                name = (match.group("text") or "").strip().strip('"')
            nodes.append(AriaNode(match.group("role"), name.replace('\\"', '"')))
    return nodes


def _nearest(wanted: str, candidates: Iterable[str], *, limit: int = 3) -> tuple[str, ...]:
    pool = sorted({c for c in candidates if c})
    if not pool:
        return ()
    best = process.extract(wanted, pool, scorer=fuzz.WRatio, limit=limit)
    return tuple(str(choice) for choice, score, _ in best if score >= 40)


def _offered(spec: LocatorSpec, nodes: Sequence[AriaNode]) -> tuple[str, ...]:
    """What the screen offers instead of a missing element: same name in another role first,
    then the nearest names of the same role (or of any named element)."""
    wanted = spec.name or spec.label or spec.text or spec.placeholder or ""
    same_name = [
        str(n) for n in nodes if wanted and n.name == wanted and n.role not in (spec.role, "text")
    ]
    if wanted and any(n.role == "text" and n.name == wanted for n in nodes) and not same_name:
        same_name.append(f"texten {wanted!r} (namnger inget element)")
    if spec.role is not None and spec.name is None:
        # A collection (e.g. the terms of a data list): offer the roles that are there instead.
        counts: dict[str, int] = {}
        for n in nodes:
            if n.role != "text":
                counts[n.role] = counts.get(n.role, 0) + 1
        return tuple(f"{role} ×{n}" for role, n in sorted(counts.items()) if n > 1)[:6]
    if spec.role is not None:
        if any(n.role == spec.role and not n.name for n in nodes):
            same_name.append(f"{spec.role} utan namn")
        same_role = {n.name: str(n) for n in nodes if n.role == spec.role and n.name}
        near = _nearest(wanted, same_role) or tuple(sorted(same_role))[:5]
        return tuple(same_name + [same_role[name] for name in near])
    named = {n.name: str(n) for n in nodes if n.name and n.role != "text"}
    return tuple(same_name + [named[name] for name in _nearest(wanted, named)])


def check_screen(
    page: Page,
    screen: ScreenSelectors,
    *,
    keys: Iterable[str] | None = None,
    required: Iterable[str] = (),
    private: bool = False,
) -> list[Finding]:
    """Check the locator keys of ``screen`` on the page as it is now.

    Keys in ``_CONDITIONAL`` may be absent (the screen shows them only in some states) unless
    named in ``required`` (the state that shows them is known to be on screen). On a
    ``private`` screen (a patient's page) only structural elements are offered as
    alternatives, never texts or cells that may hold the patient's data.
    """
    conditional = _CONDITIONAL.get(screen.screen, frozenset()) - set(required)
    nodes: list[AriaNode] | None = None
    findings = []
    for key in keys if keys is not None else screen.locators:
        spec = screen.spec(key)
        count = spec.locate(page).count()
        collection = spec.role is not None and spec.name is None
        if count == 1 or (collection and count > 1):
            status: Status = "ok"
        elif count > 1:
            status = "many"
        elif key in conditional:
            status = "skipped"
        else:
            status = "missing"
        offered: tuple[str, ...] = ()
        if status in ("missing", "many"):
            nodes = nodes if nodes is not None else aria_nodes(page)
            pool = [n for n in nodes if n.role in _STRUCTURE] if private else nodes
            offered = _offered(spec, pool)
        note = "visas bara ibland" if status == "skipped" else ""
        if status == "many":
            note = f"{count} träffar"
        findings.append(
            Finding(screen.site, screen.screen, key, status, spec.describe(), offered, note)
        )
    return findings


def check_texts(
    page: Page,
    screen: ScreenSelectors,
    texts: dict[str, str],
    *,
    table: str,
    roles: frozenset[str] | None = None,
) -> list[Finding]:
    """Check that each label text is the accessible name (or text) of something on the page."""
    nodes = aria_nodes(page)
    pool = [n for n in nodes if roles is None or n.role in roles]
    names = {n.name for n in pool}
    findings = []
    for key, text in texts.items():
        if text in names:
            findings.append(Finding(screen.site, screen.screen, f"{table}.{key}", "ok", repr(text)))
            continue
        near = _nearest(text, names)
        findings.append(
            Finding(screen.site, screen.screen, f"{table}.{key}", "changed", repr(text), near)
        )
    return findings


def _skipped(site: str, screen: ScreenSelectors, keys: Iterable[str], why: str) -> list[Finding]:
    return [
        Finding(site, screen.screen, key, "skipped", screen.spec(key).describe(), (), why)
        for key in keys
    ]


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
        self.findings += _skipped(self.name, self.site.screen(screen), keys, why)

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
    """A browser with one logged-out ``SiteUI`` per site, nothing recorded (no evidence)."""
    selectors = {
        "pmo": load_selectors(settings.selectors_dir, settings.pmo_selectors),
        "rns": load_selectors(settings.selectors_dir, "rns"),
        "plexus": load_selectors(settings.selectors_dir, "plexus"),
    }
    with BrowserSession(settings) as session:
        sites = {}
        for site, sel in selectors.items():
            login = LoginPage(
                site=site,
                selectors=sel,
                username=getattr(settings, f"{site}_username"),
                password=getattr(settings, f"{site}_password"),
            )
            sites[site] = SiteUI(
                site=site,
                page_factory=lambda site=site: session.page(site),  # type: ignore[misc]
                base_url=getattr(settings, f"{site}_url"),
                selectors=sel,
                login=login,
            )
        yield sites


def run_screen_check(settings: Settings, *, with_plexus: bool | None = None) -> ScreenReport:
    """Open the sites from ``settings`` and walk them (Plexus when RNS is reached through it,
    or when ``with_plexus`` says so)."""
    plexus = settings.rns_access == "plexus" if with_plexus is None else with_plexus
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
