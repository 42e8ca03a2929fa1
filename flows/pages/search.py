"""Search addresses: a GET search form filled in once, then reached by the address it sends.

The first search on a screen shows the screen and fills it in as a person would, and learns
the address the form sends: its action, its fields in order and which of them the robot fills.
Later searches go straight to that address with the new values: one page load instead of two,
the same request the form would send. What the result page shows is checked the same way
either way; when the page object finds it wrong the address is forgotten, so the retry fills
the form in again (``SearchForms.search``).

``start`` begins a learned search ahead and returns at once (the results load while the robot
works in the other system); ``search`` then only waits for it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import urlencode

from flows.pages.errors import page_call
from flows.selectors import ScreenSelectors

if TYPE_CHECKING:
    from flows.pages.site import SiteUI

T = TypeVar("T")

# A GET form's action and fields in order (the submitter included, as the browser sends them);
# null for a POST form or a button outside a form.
_FORM_ENTRIES_JS = """els => els.map(b => {
  const f = b.form;
  if (!f || (f.getAttribute("method") || "get").toLowerCase() !== "get") return null;
  const url = new URL(f.action);
  url.search = "";
  return {action: url.href, entries: Array.from(new FormData(f, b).entries())};
})"""
_NAMES_JS = "els => els.map(e => e.name || '')"


@dataclass(frozen=True)
class SearchAddress:
    """Where a GET search form sends its fields: ``entries`` in form order, ``keys`` naming
    the entries that hold a field the robot fills (query name -> field key)."""

    action: str
    entries: tuple[tuple[str, str], ...]
    keys: Mapping[str, str]

    def complete(self, values: Mapping[str, str]) -> bool:
        """True when every filled field is exactly one entry (safe to fill in by address)."""
        names = [n for n, _ in self.entries]
        return set(self.keys.values()) == set(values) and all(
            names.count(n) == 1 for n in self.keys
        )

    def url(self, values: Mapping[str, str]) -> str:
        """The address with ``values`` in place of the learned ones (none given: as learned)."""
        query = [(n, values.get(self.keys.get(n, ""), v)) for n, v in self.entries]
        return self.action + ("?" + urlencode(query) if query else "")


class SearchForms:
    """The search addresses one site's screens taught, learned on first use (per screen)."""

    def __init__(self, site: SiteUI) -> None:
        self.site = site
        self._learned: dict[str, SearchAddress] = {}

    @page_call
    def search(
        self,
        screen: ScreenSelectors,
        values: Mapping[str, str],
        *,
        marker: str,
        nav: str,
        read: Callable[[], T],
        submit: str = "submit",
    ) -> T:
        """Search with ``screen``'s GET form: its fields ``values`` (key -> text; "" empties
        it), then Sök; ``read()`` reads the result page. ``marker`` and ``nav`` show the screen
        the first time (``SiteUI.show_screen``). When ``read`` raises, the address is forgotten
        so the retry fills the form in again."""
        self._go(screen, values, marker=marker, nav=nav, submit=submit)
        try:
            return read()
        except Exception:
            self.forget(screen)
            raise

    def _go(
        self,
        screen: ScreenSelectors,
        values: Mapping[str, str],
        *,
        marker: str,
        nav: str,
        submit: str,
    ) -> None:
        site = self.site
        learned = self._learned.get(screen.screen)
        started = site.take_started()
        if learned is not None:
            url = learned.url(values)
            if started is not None and started[0] == "search:" + url and site.arrive(started[1]):
                return  # start() went there ahead
            site.goto(url, resumable=True)
            return
        site.show_screen(screen, marker, nav)
        page = site.page
        names: dict[str, str] = {}
        for key, text in values.items():
            field = screen.loc(page, key)
            field.fill(text)
            found: list[str] = field.evaluate_all(_NAMES_JS)
            if len(found) == 1 and found[0]:
                names[found[0]] = key
        button = screen.loc(page, submit)
        forms: list[dict[str, Any] | None] = button.evaluate_all(_FORM_ENTRIES_JS)
        form = forms[0] if len(forms) == 1 else None
        if form is None:
            site.submit(button, resumable=True)
            return
        address = SearchAddress(
            action=str(form["action"]),
            entries=tuple((str(n), str(v)) for n, v in form["entries"]),
            keys=names,
        )
        if address.complete(values):
            self._learned[screen.screen] = address
        site.goto(address.url({}), resumable=True)

    @page_call
    def start(self, screen: ScreenSelectors, values: Mapping[str, str]) -> None:
        """Start the search ``search(screen, values)`` will make, and return at once.

        Only once the form's address is learned and the page shows this site: a read-only
        GET, so starting it early decides nothing.
        """
        learned = self._learned.get(screen.screen)
        if learned is None:
            self.site.take_started()
            return
        url = learned.url(values)
        self.site.start_going("search:" + url, url)

    @page_call
    def forget(self, screen: ScreenSelectors) -> None:
        """Fill ``screen``'s form in again next time (its result page was not as expected)."""
        self._learned.pop(screen.screen, None)
