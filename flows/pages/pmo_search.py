"""PMO "Sök patient": search by birth date and read the list of patients."""

from __future__ import annotations

from datetime import date

from playwright.sync_api import expect

from flows.pages.site import SiteUI
from flows.pages.tables import rows_of, table_grids
from flows.rules.model import Sex
from flows.rules.names import split_display_name
from flows.rules.screens import PmoHit
from robot.errors import SelectorMissing, SiteError


class PmoSearchPage:
    """The search screen (År, Månad, Dag, Sök) and its result table."""

    def __init__(self, site: SiteUI) -> None:
        self.site = site
        self.sel = site.screen("search")

    def open(self) -> None:
        """Go to the search screen unless it is already shown (the start page shows it)."""
        self.site.show_screen(self.sel, "year", "search")

    def search_by_birth_date(self, birth_date: date) -> list[PmoHit]:
        """Fill in year, month and day, press Sök, and read every hit."""
        values = {
            "year": f"{birth_date.year:04d}",
            "month": f"{birth_date.month:02d}",
            "day": f"{birth_date.day:02d}",
        }
        # A GET form: after a lost session the site returns to the result itself. After the
        # first search the robot goes straight to the address the form sends (SiteUI.search).
        self.site.search(self.sel, values, marker="year", nav="search")
        try:
            return self.read_hits()
        except Exception:
            self.site.forget_search(self.sel)  # the retry fills the form in again
            raise

    def read_hits(self) -> list[PmoHit]:
        """The hits on the current result screen ([] for "Inga patienter hittades")."""
        page = self.site.page
        results = self.sel.loc(page, "results")
        no_hits = self.sel.loc(page, "no_hits")
        error = self.sel.loc(page, "error")
        try:
            expect(results.or_(no_hits).or_(error).first).to_be_visible()
        except AssertionError as exc:
            raise SelectorMissing("PMO visar varken sökresultat eller ”inga träffar”.") from exc
        grids = table_grids(results)  # the table read at once: no separate count
        if not grids:
            if no_hits.count():
                return []
            raise SiteError("PMO:s sökning gav ett felmeddelande.", code="search_error")
        rows = rows_of(grids, self.sel.table("columns"))
        hits = []
        for row in rows:
            family, given = split_display_name(row["name"])
            hits.append(
                PmoHit(
                    patient_id=row["patient_id"],
                    name=row["name"],
                    family_name=family,
                    given_names=given,
                    sex=_sex(row.get("sex", "")),
                )
            )
        return hits

    def shows_patient(self, patient_id: str) -> bool:
        """True when the current result list has a link to this Patient-ID."""
        results = self.sel.loc(self.site.page, "results")
        return results.get_by_role("link", name=patient_id, exact=True).count() > 0

    def open_patient(self, patient_id: str) -> None:
        """Open a patient from the result list by clicking their Patient-ID."""
        page = self.site.page
        link = self.sel.loc(page, "results").get_by_role("link", name=patient_id, exact=True)
        self.site.follow(link)


def _sex(label: str) -> Sex | None:
    try:
        return Sex.from_label(label.strip())
    except (KeyError, ValueError):
        return None
