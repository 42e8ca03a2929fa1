"""PMO "Sök patient": search by birth date and read the list of patients."""

from __future__ import annotations

from datetime import date

from playwright.sync_api import Page

from flows.pages.errors import page_call
from flows.pages.site import SiteUI
from flows.pages.tables import read_results
from flows.rules.model import Sex
from flows.rules.names import split_display_name
from flows.rules.screens import PmoHit


class PmoSearchPage:
    """The search screen (År, Månad, Dag, Sök) and its result table."""

    def __init__(self, site: SiteUI) -> None:
        self.site = site
        self.sel = site.screen("search")

    @page_call
    def open(self) -> None:
        """Go to the search screen unless it is already shown (the start page shows it)."""
        self.site.show_screen(self.sel, "year", "search")

    @page_call
    def shown_on(self, page: Page) -> bool:
        """True when ``page`` shows this search screen (its ``year`` field): how
        ``doctor`` recognises PMO, whichever site's address the page came from."""
        return self.sel.loc(page, "year").is_visible()

    @page_call
    def search_by_birth_date(self, birth_date: date) -> list[PmoHit]:
        """Fill in year, month and day, press Sök, and read every hit."""
        values = {
            "year": f"{birth_date.year:04d}",
            "month": f"{birth_date.month:02d}",
            "day": f"{birth_date.day:02d}",
        }
        # A GET form: after a lost session the site returns to the result itself. After the
        # first search the robot goes straight to the address the form sends (flows.pages.search).
        return self.site.searches.search(
            self.sel, values, marker="year", nav="search", read=self.read_hits
        )

    @page_call
    def read_hits(self) -> list[PmoHit]:
        """The hits on the current result screen ([] for "Inga patienter hittades")."""
        hits = []
        for row in read_results(self.sel, self.site.page, site=self.site.site):
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

    @page_call
    def shows_patient(self, patient_id: str) -> bool:
        """True when the current result list has a link to this Patient-ID."""
        results = self.sel.loc(self.site.page, "results")
        return results.get_by_role("link", name=patient_id, exact=True).count() > 0

    @page_call
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
