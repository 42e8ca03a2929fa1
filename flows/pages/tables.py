"""Reading a search's result table the way a person reads it: by its column headers.

One reading for every result screen (PMO's and Reservnummersystemet's searches): wait until the
screen shows the table, its "no hits" text or its error, then read the whole table in one round
trip and pick the columns by their header labels (from the selector file).
"""

from __future__ import annotations

from collections.abc import Mapping

from playwright.sync_api import Page

from flows.pages.errors import shown
from flows.pages.responses import site_name
from flows.selectors import ScreenSelectors
from robot.errors import SelectorMissing, SiteError

# One round trip for the whole table instead of one per cell: a search result page is read in a
# few milliseconds however many hits it has.
_GRIDS_JS = """ts => ts.map(
  t => Array.from(t.rows, r => Array.from(r.cells, c => c.innerText.trim())))"""


def read_results(screen: ScreenSelectors, page: Page, *, site: str) -> list[dict[str, str]]:
    """The rows of ``screen``'s result table keyed by field ([] for its "no hits" text).

    ``screen`` names the elements ``results`` (the table), ``no_hits`` and ``error``, and the
    header labels by field under ``[<screen>.columns]``. Neither table nor "no hits" nor an
    error shown: ``SelectorMissing``; the error shown: ``SiteError`` (``search_error``).
    """
    results = screen.loc(page, "results")
    no_hits = screen.loc(page, "no_hits")
    error = screen.loc(page, "error")
    if not shown(results.or_(no_hits).or_(error).first):
        raise SelectorMissing(f"{site_name(site)} visar varken sökresultat eller ”inga träffar”.")
    # The table read at once: no separate count (the element in hand is the table again).
    grids: list[list[list[str]]] = screen.loc(page, "results").evaluate_all(_GRIDS_JS)
    if not grids:
        if no_hits.count():
            return []
        raise SiteError(
            f"Sökningen i {site_name(site)} gav ett felmeddelande.", code="search_error"
        )
    return rows_of(grids, screen.table("columns"))


def rows_of(grids: list[list[list[str]]], columns: Mapping[str, str]) -> list[dict[str, str]]:
    """The body rows of exactly one table's cells (header row first) as dicts keyed by field,
    columns found by their header text (``columns``: field -> label). A missing header means
    the screen changed: ``SelectorMissing``."""
    if len(grids) != 1:
        raise SelectorMissing(
            f"Sidan visar {len(grids)} resultattabeller i stället för en.", code="selector_missing"
        )
    grid = grids[0]
    if not grid:
        return []
    header = grid[0]
    index: dict[str, int] = {}
    for field, label in columns.items():
        try:
            index[field] = header.index(label)
        except ValueError:
            raise SelectorMissing(
                f"Kolumnen {label!r} saknas i tabellen.", code="selector_missing"
            ) from None
    rows: list[dict[str, str]] = []
    for cells in grid[1:]:
        if len(cells) < len(header):
            continue  # e.g. a "no hits" row spanning the table
        rows.append({field: cells[i] for field, i in index.items()})
    return rows
