"""Reservnummersystemet "Sök": search by birth date and read every hit."""

from __future__ import annotations

from datetime import date

from playwright.sync_api import Page

from flows.pages.errors import NamedElement, page_call
from flows.pages.site import SiteUI
from flows.pages.tables import read_results
from flows.rules.names import split_display_name
from flows.rules.screens import RnsHit


class RnsSearchPage:
    """The search screen (Födelsedatum, Namn, Sök) and its result table."""

    def __init__(self, site: SiteUI) -> None:
        self.site = site
        self.sel = site.screen("search")

    @page_call
    def open(self) -> None:
        """Go to the search screen unless it is already shown (the start page shows it)."""
        self.site.show_screen(self.sel, "birth_date", "search")

    @page_call
    def shown_on(self, page: Page) -> bool:
        """True when ``page`` shows this search screen (its ``birth_date`` field): how
        ``doctor`` recognises Reservnummersystemet, whichever site's address the page came from."""
        return self.sel.loc(page, "birth_date").is_visible()

    @page_call
    def search_by_birth_date(self, birth_date: date) -> list[RnsHit]:
        """Type the birth date as ÅÅÅÅMMDD (name left empty), press Sök, read every hit."""
        values = {"birth_date": birth_date.strftime("%Y%m%d"), "name": ""}
        # After the first search: straight to the address the form sends (flows.pages.search).
        return self.site.searches.search(
            self.sel, values, marker="birth_date", nav="search", read=self.read_hits
        )

    @page_call
    def start_search(self, birth_date: date) -> None:
        """Start the search ``search_by_birth_date`` will make and return at once (it then
        only waits for the answer): the results load while the robot reads PMO's."""
        values = {"birth_date": birth_date.strftime("%Y%m%d"), "name": ""}
        self.site.searches.start(self.sel, values)

    @page_call
    def read_hits(self) -> list[RnsHit]:
        """The hits on the current result screen ([] for "Inga träffar")."""
        types = {label: key for key, label in self.sel.table("id_types").items()}
        hits = []
        for row in read_results(self.sel, self.site.page, site=self.site.site):
            family, given = split_display_name(row["name"])
            hits.append(
                RnsHit(
                    personnummer=row["personnummer"] or None,
                    name=row["name"],
                    family_name=family,
                    given_names=given,
                    id_type=types.get(row["id_type"], row["id_type"].lower()),
                    id_value=row["id_value"],
                )
            )
        return hits

    @page_call
    def number_cell(self, id_value: str) -> NamedElement:
        """The result cell holding a number, for the copy step."""
        results = self.sel.loc(self.site.page, "results")
        cell = results.get_by_role("cell", name=id_value, exact=True).last
        return NamedElement(cell, self.sel.where("results"))
