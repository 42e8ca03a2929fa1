"""Reservnummersystemet "Sök": search by birth date and read every hit."""

from __future__ import annotations

from datetime import date

from playwright.sync_api import Locator, expect

from flows.pages.site import SiteUI
from flows.pages.tables import rows_of, table_grids
from flows.rules.names import split_display_name
from flows.rules.screens import RnsHit
from robot.errors import SelectorMissing, SiteError


class RnsSearchPage:
    """The search screen (Födelsedatum, Namn, Sök) and its result table."""

    def __init__(self, site: SiteUI) -> None:
        self.site = site
        self.sel = site.screen("search")

    def open(self) -> None:
        """Go to the search screen unless it is already shown (the start page shows it)."""
        self.site.show_screen(self.sel, "birth_date", "search")

    def search_by_birth_date(self, birth_date: date) -> list[RnsHit]:
        """Type the birth date as ÅÅÅÅMMDD (name left empty), press Sök, read every hit."""
        values = {"birth_date": birth_date.strftime("%Y%m%d"), "name": ""}
        # After the first search: straight to the address the form sends (SiteUI.search).
        self.site.search(self.sel, values, marker="birth_date", nav="search")
        try:
            return self.read_hits()
        except Exception:
            self.site.forget_search(self.sel)  # the retry fills the form in again
            raise

    def start_search(self, birth_date: date) -> None:
        """Start the search ``search_by_birth_date`` will make and return at once (it then
        only waits for the answer): the results load while the robot reads PMO's."""
        values = {"birth_date": birth_date.strftime("%Y%m%d"), "name": ""}
        self.site.start_search(self.sel, values)

    def read_hits(self) -> list[RnsHit]:
        """The hits on the current result screen ([] for "Inga träffar")."""
        page = self.site.page
        results = self.sel.loc(page, "results")
        no_hits = self.sel.loc(page, "no_hits")
        error = self.sel.loc(page, "error")
        try:
            expect(results.or_(no_hits).or_(error).first).to_be_visible()
        except AssertionError as exc:
            raise SelectorMissing(
                "Reservnummersystemet visar varken sökresultat eller ”inga träffar”."
            ) from exc
        grids = table_grids(results)  # the table read at once: no separate count
        if not grids:
            if no_hits.count():
                return []
            raise SiteError("Reservnummersystemets sökning gav ett fel.", code="search_error")
        types = {label: key for key, label in self.sel.table("id_types").items()}
        hits = []
        for row in rows_of(grids, self.sel.table("columns")):
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

    def number_cell(self, id_value: str) -> Locator:
        """The result cell holding a number, for selecting and copying it."""
        results = self.sel.loc(self.site.page, "results")
        return results.get_by_role("cell", name=id_value, exact=True).last
