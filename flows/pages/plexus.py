"""Plexus, the intranet portal: "Mina favoriter" and "Redigera favoriter" → "IT-system".

Staff reach Reservnummersystemet through a favourite link next to their name; when the link is
missing they add it under IT-system. The link opens Reservnummersystemet in a new tab.
"""

from __future__ import annotations

from playwright.sync_api import Locator, Page, expect

from flows.pages.site import SiteUI
from robot.errors import SelectorMissing


class PlexusStartPage:
    """The start page with the user's name, "Mina favoriter" and the pen."""

    def __init__(self, site: SiteUI) -> None:
        self.site = site
        self.sel = site.screen("start")

    def open(self) -> None:
        self.site.open_home()

    def show_favourites(self) -> Locator:
        """Open "Mina favoriter" (if closed) and return the list."""
        page = self.site.page
        button = self.sel.loc(page, "favourites_button")
        if button.get_attribute("aria-expanded") != "true":
            button.click()
        favourites = self.sel.loc(page, "favourites")
        try:
            expect(favourites).to_be_visible()
        except AssertionError as exc:
            raise SelectorMissing("Plexus visar inte ”Mina favoriter”.") from exc
        return favourites

    def rns_link(self) -> Locator | None:
        """The favourite link to Reservnummersystemet, or None when it is missing."""
        link = self.sel.loc(self.show_favourites(), "rns_link")
        return link if link.count() else None

    def open_rns(self, link: Locator) -> Page:
        """Follow the favourite link; returns the new tab it opens."""
        with self.site.page.context.expect_page() as new_tab:
            link.click()
        page = new_tab.value
        page.wait_for_load_state("domcontentloaded")
        return page

    def edit_favourites(self) -> None:
        """Press the pen ("Redigera favoriter")."""
        self.site.navigate(self.sel.loc(self.site.page, "edit_favourites").click)


class PlexusSystemsPage:
    """ "IT-system": every system with "Lägg till" (or "Tillagd" once it is a favourite)."""

    def __init__(self, site: SiteUI) -> None:
        self.site = site
        self.sel = site.screen("it_systems")

    def add_favourite(self, system_name: str) -> None:
        """Press "Lägg till" on the system's row (nothing to do when it says "Tillagd")."""
        page = self.site.page
        try:
            expect(self.sel.loc(page, "heading")).to_be_visible()
        except AssertionError as exc:
            raise SelectorMissing("Plexus visar inte sidan ”IT-system”.") from exc
        name = page.get_by_text(system_name, exact=True)
        item = self.sel.loc(page, "item").filter(has=name)
        if not item.count():
            raise SelectorMissing(f"{system_name} finns inte bland Plexus IT-system.")
        add = self.sel.loc(item.first, "add")
        if add.count():
            self.site.navigate(add.click)
