"""``backlog import FILE``: validate every row of a CSV/.xlsx file and queue it.

Each row is validated with ``flows.request.parse_request``. A valid row is queued under its
reference (the row's own ``referens`` when given, else the person's fingerprint), so the same
person, or the same file imported twice, is queued once. An invalid row is reported with its
row number, column and a Swedish reason, and stored as ``rejected`` so nothing silently
disappears; of an invalid row only the reasons and which columns were filled are kept (no
names). A cell that could be a spreadsheet formula is refused, never evaluated.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from apps.backlog.cells import looks_like_formula
from apps.backlog.columns import BY_KEY, COLUMNS
from apps.backlog.reader import RawRow, Table, read_table
from apps.backlog.store import ItemStatus, QueueStore
from flows.groups import PatientGroup, load_groups
from flows.request import FieldError, RequestInvalid, parse_request
from robot.logs import get_logger
from robot.settings import Settings

log = get_logger(__name__)

_COLUMN_ORDER = {name: i for i, c in enumerate(COLUMNS) for name in (c.sv, c.key)}

FORMULA_MESSAGE = (
    "Värdet börjar med =, +, - eller @ och kan tolkas som en formel i ett"
    " kalkylark; det tas inte emot."
)
WHOLE_ROW = "(hela raden)"
# A hidden or filtered-out spreadsheet row is rejected, not queued (see apps/backlog/reader.py).
HIDDEN_ROW_MESSAGE = (
    "Raden är dold eller bortfiltrerad i Excel och köades inte. Visa raden och importera filen"
    " igen om personen ska registreras."
)


@dataclass(frozen=True)
class RowError:
    """One problem in one row: what staff need to find and fix it."""

    row: int
    column: str  # the header as written in the file (or the template's name)
    code: str
    message_sv: str

    def __str__(self) -> str:
        return f"Rad {self.row}, kolumn {self.column}: {self.message_sv}"


@dataclass(frozen=True)
class RowResult:
    row: int
    item_id: int
    outcome: str  # "added" | "duplicate" | "rejected" | "rejected_again"
    status: ItemStatus


@dataclass
class ImportReport:
    """The result of importing one file."""

    file: str
    kind: str
    encoding: str | None
    delimiter: str | None
    rows: list[RowResult] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    empty_rows: list[int] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def count(self, outcome: str) -> int:
        return sum(1 for r in self.rows if r.outcome == outcome)

    @property
    def added(self) -> int:
        return self.count("added")

    @property
    def duplicates(self) -> int:
        return self.count("duplicate")

    @property
    def rejected(self) -> int:
        return self.count("rejected") + self.count("rejected_again")

    def as_dict(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "kind": self.kind,
            "encoding": self.encoding,
            "delimiter": self.delimiter,
            "added": self.added,
            "duplicates": self.duplicates,
            "rejected": self.rejected,
            "empty_rows": self.empty_rows,
            "warnings": self.warnings,
            "errors": [e.__dict__ for e in self.errors],
            "rows": [
                {"row": r.row, "item_id": r.item_id, "outcome": r.outcome, "status": str(r.status)}
                for r in self.rows
            ],
        }


def _group_index(groups: Mapping[str, PatientGroup]) -> dict[str, str]:
    index: dict[str, str] = {}
    for key, group in groups.items():
        index[key.casefold()] = key
        index[group.label_sv.casefold()] = key
    return index


def _request_data(
    row: RawRow, groups: Mapping[str, PatientGroup], group_index: Mapping[str, str]
) -> dict[str, Any]:
    """The row as ``parse_request`` input: group names to keys, an empty Swedish country = SE."""
    data: dict[str, Any] = {k: v for k, v in row.cells.items() if v != ""}
    if "group" in data:
        data["group"] = group_index.get(data["group"].casefold(), data["group"])
    group = groups.get(str(data.get("group", "")))
    if "country" not in data and group is not None and group.swedish_address:
        data["country"] = "SE"
    return data


def _column_of(error: FieldError) -> str:
    key = error.field.split(".")[-1]
    return key if key in BY_KEY else ("street" if key == "address" else key)


class Importer:
    """Validates rows and adds them to a queue."""

    def __init__(self, settings: Settings, store: QueueStore, *, actor: str = "import") -> None:
        self.settings = settings
        self.store = store
        self.actor = actor
        self.groups = load_groups(settings.config_dir)
        self._group_index = _group_index(self.groups)
        self._key = settings.pseudonym_key.get_secret_value().encode()

    def import_file(self, path: Path) -> ImportReport:
        """Import ``path``; raises ``reader.UnreadableFile`` when the file cannot be read."""
        table = read_table(path)
        report = ImportReport(
            file=path.name,
            kind=table.kind,
            encoding=table.encoding,
            delimiter=table.delimiter,
            empty_rows=table.empty_rows,
            warnings=list(table.warnings),
        )
        for row in table.rows:
            self._import_row(path.name, table, row, report)
        log.event(
            "backlog_import",
            kind=table.kind,
            rows=len(table.rows),
            added=report.added,
            duplicates=report.duplicates,
            rejected=report.rejected,
        )
        return report

    def _header(self, table: Table, key: str) -> str:
        return table.headers.get(key) or (BY_KEY[key].sv if key in BY_KEY else WHOLE_ROW)

    def _import_row(self, filename: str, table: Table, row: RawRow, report: ImportReport) -> None:
        source = f"{filename}:{row.number}"
        formula_cols = [k for k, v in row.cells.items() if v and looks_like_formula(v)]
        clean = RawRow(
            row.number, {k: ("" if k in formula_cols else v) for k, v in row.cells.items()}
        )
        errors = [
            RowError(row.number, self._header(table, k), "formula_refused", FORMULA_MESSAGE)
            for k in formula_cols
        ]
        if row.hidden:
            errors.append(RowError(row.number, WHOLE_ROW, "row_hidden", HIDDEN_ROW_MESSAGE))
        request = None
        try:
            request = parse_request(
                _request_data(clean, self.groups, self._group_index), groups=self.groups
            )
        except RequestInvalid as exc:
            for err in exc.errors:
                column = _column_of(err)
                if column in formula_cols:
                    continue  # already reported as a formula
                errors.append(
                    RowError(row.number, self._header(table, column), err.code, err.message_sv)
                )
        # Every required column must be filled, whatever the request model would default.
        reported = {e.column for e in errors}
        for spec in COLUMNS:
            header = self._header(table, spec.key)
            if (
                spec.required
                and not row.cells.get(spec.key)
                and spec.key not in formula_cols
                and header not in reported
            ):
                errors.append(
                    RowError(row.number, header, "field_required", "Fältet måste fyllas i.")
                )
        errors.sort(key=lambda e: _COLUMN_ORDER.get(e.column, len(_COLUMN_ORDER)))
        if errors or request is None:
            self._reject(source, row, errors, report)
            return
        ref = request.external_ref or request.fingerprint()
        item, added = self.store.add(
            ref,
            request.model_dump(mode="json"),
            source=source,
            person_key=request.fingerprint(),
            actor=self.actor,
        )
        report.rows.append(
            RowResult(row.number, item.id, "added" if added else "duplicate", item.status)
        )

    def _reject(
        self, source: str, row: RawRow, errors: list[RowError], report: ImportReport
    ) -> None:
        report.errors.extend(errors)
        ext = row.cells.get("external_ref", "")
        if ext and not looks_like_formula(ext) and ext.isprintable() and len(ext) <= 100:
            ref = ext
        else:
            material = json.dumps(sorted(row.cells.items()), ensure_ascii=False).encode()
            ref = "ogiltig-" + hmac.new(self._key, material, hashlib.sha256).hexdigest()[:24]
        reason = "; ".join(str(e) for e in errors)[:1000]
        outcome = {
            "kind": "rejected",
            "row": row.number,
            "errors": [
                {"column": e.column, "code": e.code, "message_sv": e.message_sv} for e in errors
            ],
            "columns_filled": sorted(k for k, v in row.cells.items() if v),
        }
        item, added = self.store.add(
            ref,
            None,
            status=ItemStatus.REJECTED,
            source=source,
            reason_code="request_invalid",
            reason_sv=reason,
            outcome=outcome,
            actor=self.actor,
        )
        if added:
            report.rows.append(RowResult(row.number, item.id, "rejected", item.status))
        elif item.status == ItemStatus.REJECTED:
            report.rows.append(RowResult(row.number, item.id, "rejected_again", item.status))
        else:
            # An invalid row whose reference is already queued with a valid request: the queued
            # item stands; this row is reported as invalid.
            report.rows.append(RowResult(row.number, item.id, "rejected_again", item.status))
