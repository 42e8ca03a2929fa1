"""Spreadsheet cell safety: formula injection in, formula injection out.

A cell that starts with ``=``, ``+``, ``-`` or ``@`` (or a tab or carriage return) is taken as
a formula by Excel and LibreOffice (OWASP "CSV injection"). Imported cells like that are
refused as invalid and never evaluated; values written to result files are escaped with a
leading apostrophe so a spreadsheet shows them as text.
"""

from __future__ import annotations

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def looks_like_formula(value: str) -> bool:
    """True when a spreadsheet could take ``value`` as a formula."""
    return value.startswith(FORMULA_PREFIXES) or value.lstrip(" ").startswith(FORMULA_PREFIXES)


def escape_cell(value: object) -> object:
    """``value`` made safe for a CSV/XLSX cell: text that could be a formula gets a ``'``."""
    if isinstance(value, str) and value and looks_like_formula(value):
        return "'" + value
    return value
