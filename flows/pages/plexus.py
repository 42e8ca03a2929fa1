"""Plexus, the intranet portal: "Mina favoriter" and "Redigera favoriter" → "IT-system".

Staff reach Reservnummersystemet through a favourite link next to their name; when the link is
missing they add it under IT-system. The link opens Reservnummersystemet in a new tab.
"""

from __future__ import annotations

from playwright.sync_api import Locator, Page

from flows.pages.errors import page_call, shown, translated
from flows.pages.site import SiteUI
from robot.errors import SelectorMissing


class PlexusStartPage:
    """The start page with the user's name, "Mina favoriter" and the pen."""

    def __init__(self, site: SiteUI) -> None:
        self.site = site
        self.sel = site.screen("start")

    @page_call
    def open(self) -> None:
        self.site.open_home()

    @page_call
    def show_favourites(self) -> Locator:
        """Open "Mina favoriter" (if closed) and return the list."""
        page = self.site.page
        button = self.sel.loc(page, "favourites_button")
        if button.get_attribute("aria-expanded") != "true":
            button.click()
        favourites = self.sel.loc(page, "favourites")
        if not shown(favourites):
            raise SelectorMissing("Plexus visar inte ”Mina favoriter”.")
        return favourites

    @page_call
    def has_rns_link(self) -> bool:
        """True when "Mina favoriter" (opened if closed) has the link to Reservnummersystemet."""
        return self._rns_link(self.show_favourites()).count() > 0

    @page_call
    def open_rns(self) -> tuple[Page, str | None]:
        """Follow the favourite link in the open "Mina favoriter": the new tab it opens, and
        the address it opened (None when the link has none)."""
        page = self.site.page
        link = self._rns_link(self.sel.loc(page, "favourites"))
        href = link.get_attribute("href")
        with translated(self.site.site, waiting=True):  # the new tab: the site's answer
            with page.context.expect_page() as new_tab, translated(self.site.site):
                link.click()  # an error of the click names the link
            opened = new_tab.value
            opened.wait_for_load_state("domcontentloaded")
        return opened, href

    def _rns_link(self, favourites: Locator) -> Locator:
        return self.sel.loc(favourites, "rns_link")

    @page_call
    def edit_favourites(self) -> None:
        """Press the pen ("Redigera favoriter")."""
        self.site.navigate(self.sel.loc(self.site.page, "edit_favourites").click)


class PlexusSystemsPage:
    """ "IT-system": every system with "Lägg till" (or "Tillagd" once it is a favourite)."""

    def __init__(self, site: SiteUI) -> None:
        self.site = site
        self.sel = site.screen("it_systems")

    @page_call
    def add_favourite(self, system_name: str) -> None:
        """Press "Lägg till" on the system's row (nothing to do when it says "Tillagd")."""
        page = self.site.page
        if not shown(self.sel.loc(page, "heading")):
            raise SelectorMissing("Plexus visar inte sidan ”IT-system”.")
        name = page.get_by_text(system_name, exact=True)
        item = self.sel.loc(page, "item").filter(has=name)
        if not item.count():
            raise SelectorMissing(f"{system_name} finns inte bland Plexus IT-system.")
        add = self.sel.loc(item.first, "add")
        if add.count():
            self.site.navigate(add.click)
