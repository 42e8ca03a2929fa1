"""What the screen check finds on one screen: each selector key found, found more than once,
missing, or (for label texts) changed, with what the screen offers instead.

The alternatives come from one ARIA snapshot of the page (``Locator.aria_snapshot``): the
accessible roles and names a person's screen reader would announce, never a page's CSS. On a
private screen (a patient's page) only structural elements are offered, never texts or cells.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Literal

from playwright.sync_api import Page
from rapidfuzz import fuzz, process

from flows.selectors import LocatorSpec, ScreenSelectors

Status = Literal["ok", "missing", "many", "changed", "skipped"]

# Keys a screen shows only in some states: never required, checked when present.
_CONDITIONAL: dict[str, frozenset[str]] = {
    "login": frozenset({"error"}),
    "search": frozenset({"results", "no_hits", "error"}),
    # birth_date: only where the region's reservnummer carries no birth date (SLL).
    "form": frozenset({"marker", "error", "birth_date"}),
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


def nearest(wanted: str, candidates: Iterable[str], *, limit: int = 3) -> tuple[str, ...]:
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
        near = nearest(wanted, same_role) or tuple(sorted(same_role))[:5]
        return tuple(same_name + [same_role[name] for name in near])
    named = {n.name: str(n) for n in nodes if n.name and n.role != "text"}
    return tuple(same_name + [named[name] for name in nearest(wanted, named)])


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
        near = nearest(text, names)
        findings.append(
            Finding(screen.site, screen.screen, f"{table}.{key}", "changed", repr(text), near)
        )
    return findings


def skipped(site: str, screen: ScreenSelectors, keys: Iterable[str], why: str) -> list[Finding]:
    return [
        Finding(site, screen.screen, key, "skipped", screen.spec(key).describe(), (), why)
        for key in keys
    ]
