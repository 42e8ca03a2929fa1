"""Reading an HTML table the way a person reads it: by its column headers."""

from __future__ import annotations

from collections.abc import Mapping

from playwright.sync_api import Locator

from robot.errors import SelectorMissing

# One round trip for the whole table instead of one per cell: a search result page is read in a
# few milliseconds however many hits it has.
_GRID_JS = """t => Array.from(t.rows, r => Array.from(r.cells, c => c.innerText.trim()))"""


def read_rows(table: Locator, columns: Mapping[str, str]) -> list[dict[str, str]]:
    """The table's body rows as dicts keyed by field, columns found by their header text.

    ``columns`` maps a field name to its header label (from the selector file). A header that
    is missing means the screen changed: ``SelectorMissing``.
    """
    return rows_of(table_grids(table), columns)


def table_grids(table: Locator) -> list[list[list[str]]]:
    """Every table the locator matches, as its cells' texts (one round trip, never waits)."""
    grids: list[list[list[str]]] = table.evaluate_all(f"ts => ts.map({_GRID_JS})")
    return grids


def rows_of(grids: list[list[list[str]]], columns: Mapping[str, str]) -> list[dict[str, str]]:
    """``read_rows`` on grids already read (``table_grids``): exactly one table expected."""
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
