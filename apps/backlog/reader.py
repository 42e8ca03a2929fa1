"""Reading a backlog file (CSV, .xlsx or FHIR JSON) into rows of text, before any validation.

CSV: UTF-8 (with or without the BOM Excel writes), falling back to Windows-1252 with a warning
(what Excel's plain "CSV" gives on a Swedish Windows); ``;`` or ``,`` (or tab) as delimiter,
sniffed. Excel: the active sheet (the one Excel opens on), formulas read as their text and
never evaluated. Row numbers are those a person sees in a spreadsheet (the header is row 1).

Excel choices worth knowing:
- Another visible sheet with a header row of its own makes the workbook ambiguous: it is
  refused, naming the sheets, rather than one of them being queued and the other forgotten.
  Hidden sheets are never read (a warning names them); sheets without a header row (such as the
  template's "Kolumner") are left alone.
- A hidden row (hidden by hand or filtered out by an autofilter) is marked ``hidden`` and the
  importer rejects it with a reason: someone chose not to see it, and registering a person
  cannot be undone, while a rejected row is reported by its number and can be imported again
  once it is shown.

FHIR (``.json``): one Patient or a Bundle of Patients (``apps/fhir/reading.py``); each entry is
a row numbered from 1, its "columns" named by their FHIR paths (``Patient.birthDate``), and an
entry that cannot be read carries its reasons (``RawRow.issues``).
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

from apps.backlog.columns import BY_KEY, COLUMNS, column_for_header
from robot.errors import BusinessError

XLSX_SUFFIXES = (".xlsx", ".xlsm")
CSV_SUFFIXES = (".csv", ".txt", ".tsv")
FHIR_SUFFIXES = (".json",)
# The cell holding a refused FHIR entry's whole text: what tells it from another entry.
FHIR_TEXT = "fhir_resource"


class UnreadableFile(BusinessError):
    """The file as a whole cannot be read (format, encoding, no header row)."""

    default_code = "import_unreadable"


@dataclass(frozen=True)
class RowIssue:
    """A problem found while reading a row, before validation (a FHIR entry's structure)."""

    column: str  # as the person sees it: a FHIR path
    code: str
    message_sv: str


@dataclass(frozen=True)
class RawRow:
    """One data row: column key -> the cell as text (stripped), and its spreadsheet row number."""

    number: int
    cells: dict[str, str]
    hidden: bool = False  # hidden or filtered out in the spreadsheet
    issues: tuple[RowIssue, ...] = ()  # the row cannot be read: refused with these reasons


@dataclass
class Table:
    """A whole file, read: headers mapped to columns, data rows, and what was odd about it."""

    kind: str  # "csv" or "xlsx"
    headers: dict[str, str]  # column key -> header as written in the file
    rows: list[RawRow]
    encoding: str | None = None
    delimiter: str | None = None
    empty_rows: list[int] = field(default_factory=list)
    missing_required: list[str] = field(default_factory=list)  # column keys
    warnings: list[str] = field(default_factory=list)  # Swedish, for the person


def read_table(path: Path) -> Table:
    """Read ``path`` (CSV or .xlsx by its name) into a ``Table``; raises ``UnreadableFile``."""
    suffix = path.suffix.lower()
    if not path.is_file():
        raise UnreadableFile(f"Filen {path.name} finns inte.")
    if suffix in XLSX_SUFFIXES:
        return _read_xlsx(path)
    if suffix == ".xls":
        raise UnreadableFile("Gamla Excel-filer (.xls) stöds inte: spara som .xlsx eller CSV.")
    if suffix in CSV_SUFFIXES or not suffix:
        return _read_csv(path)
    if suffix in FHIR_SUFFIXES:
        return _read_fhir(path)
    raise UnreadableFile(
        f"Okänd filtyp {suffix}: använd CSV (.csv), Excel (.xlsx) eller FHIR (.json)."
    )


# -- FHIR -----------------------------------------------------------------------------------


def _read_fhir(path: Path) -> Table:
    from apps.fhir.patient import FIELD_PATHS
    from apps.fhir.reading import FhirUnreadable, read_patients

    try:
        entries = read_patients(path.read_bytes())
    except FhirUnreadable as exc:
        raise UnreadableFile(exc.message) from None
    rows = [
        RawRow(
            number=e.number,
            # A refused entry is known by its whole text (hashed, never stored as it is).
            cells={**e.fields, FHIR_TEXT: e.text} if e.issues else e.fields,
            issues=tuple(RowIssue(i.path, i.code, i.message_sv) for i in e.issues),
        )
        for e in entries
    ]
    headers = {c.key: FIELD_PATHS[c.key] for c in COLUMNS}
    return Table(kind="fhir", headers=headers, rows=rows, encoding="utf-8")


# -- CSV ------------------------------------------------------------------------------------


def _decode(data: bytes) -> tuple[str, str, list[str]]:
    if b"\x00" in data[:4096]:
        raise UnreadableFile("Filen är inte en textfil (CSV). Spara som CSV UTF-8 eller .xlsx.")
    if data.startswith(b"PK\x03\x04"):
        raise UnreadableFile("Filen ser ut som en Excel-fil: ge den ändelsen .xlsx.")
    try:
        return data.decode("utf-8-sig"), "utf-8", []
    except UnicodeDecodeError:
        pass
    try:
        text = data.decode("cp1252")
    except UnicodeDecodeError:
        raise UnreadableFile(
            "Filens teckenkodning känns inte igen (varken UTF-8 eller Windows-1252)."
            ' Spara som "CSV UTF-8" och importera igen.'
        ) from None
    return (
        text,
        "cp1252",
        [
            "Filen är inte sparad som UTF-8; den lästes som Windows-1252. Kontrollera att å, ä och"
            ' ö blev rätt, eller spara som "CSV UTF-8" nästa gång.'
        ],
    )


def _sniff_delimiter(text: str) -> str:
    first = next((line for line in text.splitlines() if line.strip()), "")
    try:
        return csv.Sniffer().sniff(first, delimiters=";,\t").delimiter
    except csv.Error:
        counts = {d: first.count(d) for d in (";", ",", "\t")}
        best = max(counts, key=lambda d: counts[d])
        return best if counts[best] else ";"


def _read_csv(path: Path) -> Table:
    text, encoding, warnings = _decode(path.read_bytes())
    delimiter = _sniff_delimiter(text)
    records = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        table = _build("csv", enumerate(records, start=1))
    except csv.Error as exc:
        raise UnreadableFile(f"CSV-filen kunde inte tolkas: {exc}.") from None
    table.encoding = encoding
    table.delimiter = delimiter
    table.warnings[:0] = warnings
    return table


# -- Excel ----------------------------------------------------------------------------------


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "ja" if value else "nej"
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time(0) else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, int | float | str):
        return str(value)
    # openpyxl's ArrayFormula / DataTableFormula: keep the formula text so it is refused.
    text = getattr(value, "text", None)
    return f"={text}" if isinstance(text, str) else str(value)


def _header_columns(values: Sequence[Any]) -> int:
    """How many cells of a row are known column headers."""
    return sum(1 for v in values if isinstance(v, str) and column_for_header(v.strip()))


def _first_row(sheet: Any) -> Sequence[Any]:
    for values in sheet.iter_rows(values_only=True):
        if any(v is not None and str(v).strip() for v in values):
            return list(values)
    return []


def _read_xlsx(path: Path) -> Table:
    from openpyxl import load_workbook

    try:
        # data_only=False: a formula cell yields its formula text ("=..."), which is refused;
        # nothing is ever evaluated or taken from a cached result. Not read-only: hidden rows
        # are only known from the full worksheet (a read-only sheet has no row dimensions).
        workbook = load_workbook(path, data_only=False)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise UnreadableFile(f"Excel-filen kunde inte öppnas ({type(exc).__name__}).") from None
    try:
        return _read_workbook(workbook)
    finally:
        workbook.close()


def _read_workbook(workbook: Any) -> Table:
    sheet = workbook.active
    if sheet is None or sheet.sheet_state != "visible":
        raise UnreadableFile(
            "Arbetsbokens aktiva blad är dolt. Visa bladet med raderna, gör det aktivt, spara"
            " och importera igen."
        )
    hidden = [s.title for s in workbook.worksheets if s.sheet_state != "visible"]
    others = [
        s.title
        for s in workbook.worksheets
        if s is not sheet and s.sheet_state == "visible" and _header_columns(_first_row(s))
    ]
    if others:
        names = ", ".join(f'"{t}"' for t in [sheet.title, *others])
        raise UnreadableFile(
            f"Arbetsboken har flera blad med rader att importera ({names}). Samla raderna på"
            " ett blad (eller ta bort de andra bladen) och importera igen."
        )
    dims = sheet.row_dimensions
    hidden_rows = {n for n, d in dims.items() if d.hidden}
    rows = (
        (number, [_cell_text(v) for v in values])
        for number, values in enumerate(sheet.iter_rows(values_only=True), start=sheet.min_row)
    )
    table = _build("xlsx", rows, hidden_rows=hidden_rows)
    if hidden:
        names = ", ".join(f'"{t}"' for t in hidden)
        table.warnings.append(f"Dolda blad lästes inte: {names}.")
    if len(workbook.worksheets) - len(hidden) > 1:
        table.warnings.append(f'Bara bladet "{sheet.title}" lästes (det aktiva bladet).')
    return table


# -- common ---------------------------------------------------------------------------------


def _build(
    kind: str,
    records: Iterable[tuple[int, Sequence[str]]],
    *,
    hidden_rows: Collection[int] = (),
) -> Table:
    header_map: dict[int, str] = {}
    headers: dict[str, str] = {}
    warnings: list[str] = []
    rows: list[RawRow] = []
    empty: list[int] = []
    header_seen = False
    for number, cells in records:
        if not any(str(c).strip() for c in cells):
            if header_seen:
                empty.append(number)
            continue
        if not header_seen:
            header_seen = True
            for index, header in enumerate(cells):
                header = str(header).strip()
                if not header:
                    continue
                key = column_for_header(header)
                if key is None:
                    warnings.append(f'Okänd kolumn "{header[:40]}" hoppades över.')
                elif key in headers:
                    warnings.append(
                        f'Kolumnen "{header[:40]}" finns två gånger; den första används.'
                    )
                else:
                    header_map[index] = key
                    headers[key] = header
            if not header_map:
                raise UnreadableFile(
                    "Hittar ingen rubrikrad: första raden måste ha kolumnnamn som i mallen"
                    " (t.ex. födelsedatum;kön;efternamn;förnamn;...)."
                )
            continue
        values = {
            key: (str(cells[i]).strip() if i < len(cells) else "") for i, key in header_map.items()
        }
        rows.append(RawRow(number=number, cells=values, hidden=number in hidden_rows))
    if not header_seen:
        raise UnreadableFile("Filen är tom.")
    missing = [c.key for c in COLUMNS if c.required and c.key not in headers]
    for key in missing:
        warnings.append(f'Kolumnen "{BY_KEY[key].sv}" saknas; alla rader saknar därför det värdet.')
    return Table(
        kind=kind,
        headers=headers,
        rows=rows,
        empty_rows=empty,
        missing_required=missing,
        warnings=warnings,
    )
