"""``backlog import FILE``: validate every row of a CSV/.xlsx/FHIR file and queue it.

Each row is validated with ``flows.rules.request.parse_request``. A valid row is queued under its
reference (the row's own ``referens`` when given, else the person's keyed key), so the same
person, or the same file imported twice, is queued once. Every row ends in exactly one
reported state, and in ``resultat.csv``:

- a new item (``added``), or the same request already queued (``duplicate``), or a case already
  done or closed by a person (``handled``: a re-import never reopens it);
- a changed row for a request still waiting replaces it, and the change is reported
  (``replaced``), but only for the same person corrected; a row whose ``referens`` is waiting
  for another person (another birth date or sex, or neither name alike) is refused
  ("Referensen används redan för en annan person", ``conflict``), and so are all rows of one
  file that give one ``referens`` to different persons; a corrected row replaces an invalid
  one (``corrected``);
- a row whose ``referens`` is already queued for another person, once that case is under way,
  is refused with its reason (``conflict``), and so is a row that is one of the template's
  invented examples (``example``);
- an invalid row is reported with its row number, column and a Swedish reason (``rejected``);
  a FHIR entry with its number and the FHIR path (``Patient.birthDate``).

Refused rows are stored as ``rejected`` items, so nothing silently disappears; of those only the
reasons and which columns were filled are kept (no names). A cell that could be a spreadsheet
formula is refused, never evaluated.

Long (about 470 lines) because every row's one reported state is decided here, in one pass
over the file: validation, examples, references shared within the file, and the queue's answer.
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
from apps.backlog.reader import FHIR_TEXT, RawRow, Table, read_table
from apps.backlog.store import (
    Added,
    ItemStatus,
    QueueItem,
    QueueWriter,
    RowProblem,
    RowRejection,
)
from apps.backlog.store.vault import person_key
from apps.backlog.templates import EXAMPLE_ROWS
from flows.config import RoutineConfig
from flows.rules.groups import PatientGroup
from flows.rules.names import normalise_name
from flows.rules.request import FieldError, RegistrationRequest, RequestInvalid, parse_request
from robot.logs import Pseudonymizer, get_logger
from robot.settings import Settings

log = get_logger(__name__)

_COLUMN_ORDER = {name: i for i, c in enumerate(COLUMNS) for name in (c.sv, c.key)}

FORMULA_MESSAGE = (
    "Värdet börjar med =, +, - eller @ och kan tolkas som en formel i ett"
    " kalkylark; det tas inte emot."
)

# The template's invented example people: never registered, whoever forgets to delete them.
EXAMPLE_REFS = frozenset(row["external_ref"] for row in EXAMPLE_ROWS)
_EXAMPLE_NAMES = frozenset(
    (normalise_name(row["family_name"]), normalise_name(row["given_names"])) for row in EXAMPLE_ROWS
)


def example_message(ref: str | None) -> str:
    which = f" ({ref})" if ref else ""
    return (
        f"Raden är ett påhittat exempel ur mallen{which} och registreras inte. Ta bort"
        " exempelraderna och fyll i era egna."
    )


def conflict_message(ref: str, item: QueueItem) -> str:
    return (
        f"Referensen {ref} finns redan i kön för en annan person (ärende {item.id},"
        f" {item.status.label_sv.lower()}). Raden lades inte till: ge raden en egen referens,"
        " eller rätta den om det är samma person."
    )


def other_person_message(ref: str, item: QueueItem) -> str:
    return (
        f"Referensen används redan för en annan person (ärende {item.id}, referens {ref}, "
        f"{item.status.label_sv.lower()}). Raden lades inte till och det väntande ärendet är "
        "oförändrat: ge raden en egen referens, eller rätta den om det är samma person."
    )


def two_persons_message(ref: str) -> str:
    return (
        f"Referensen används redan för en annan person: {ref} står på flera rader i filen med "
        "olika personer. Ingen av raderna lades till; ge varje person en egen referens."
    )


def other_person(a: RegistrationRequest, b: RegistrationRequest) -> bool:
    """True when two requests under one reference cannot be one person corrected: another
    birth date or sex, or neither name in common (a spelling fix changes one name at most)."""
    if a.birth_date != b.birth_date or a.sex != b.sex:
        return True
    family = normalise_name(a.family_name) != normalise_name(b.family_name)
    given = normalise_name(a.given_names) != normalise_name(b.given_names)
    return family and given


def _is_example(request: RegistrationRequest) -> bool:
    names = (normalise_name(request.family_name), normalise_name(request.given_names))
    return request.external_ref in EXAMPLE_REFS or names in _EXAMPLE_NAMES


def changed_columns(old: RegistrationRequest, new: RegistrationRequest) -> list[str]:
    """The Swedish names of the columns in which ``new`` differs from ``old``."""
    before, after = old.model_dump(mode="json"), new.model_dump(mode="json")
    keys: list[str] = []
    for key in after:
        if key == "address":
            keys += [k for k in after[key] if after[key][k] != (before.get(key) or {}).get(k)]
        elif after[key] != before.get(key):
            keys.append(key)
    return [BY_KEY[k].sv if k in BY_KEY else k for k in keys]


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
    # added | corrected | replaced | duplicate | handled | conflict | example | rejected |
    # rejected_again
    outcome: str
    status: ItemStatus
    changes: tuple[str, ...] = ()


REFUSED = ("rejected", "rejected_again", "conflict", "example")


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
        return self.count("added") + self.count("corrected")

    @property
    def replaced(self) -> int:
        return self.count("replaced")

    @property
    def duplicates(self) -> int:
        return self.count("duplicate") + self.count("handled")

    @property
    def rejected(self) -> int:
        return sum(self.count(o) for o in REFUSED)

    def as_dict(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "kind": self.kind,
            "encoding": self.encoding,
            "delimiter": self.delimiter,
            "added": self.added,
            "replaced": self.replaced,
            "duplicates": self.duplicates,
            "rejected": self.rejected,
            "empty_rows": self.empty_rows,
            "warnings": self.warnings,
            "errors": [e.__dict__ for e in self.errors],
            "rows": [
                {
                    "row": r.row,
                    "item_id": r.item_id,
                    "outcome": r.outcome,
                    "status": str(r.status),
                    "changes": list(r.changes),
                }
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


ADDRESS_KEYS = frozenset({"street", "postal_code", "city"})


class Importer:
    """Validates rows and adds them to a queue."""

    def __init__(self, settings: Settings, store: QueueWriter, *, actor: str = "import") -> None:
        self.settings = settings
        self.store = store
        self.actor = actor
        config = RoutineConfig.load(settings)
        self.groups = config.groups
        self.rules = config.profile.field_rules
        self.countries = config.countries
        self._group_index = _group_index(self.groups)
        self._key = settings.pseudonym_key.get_secret_value().encode()
        self._pseudonym = Pseudonymizer(settings.pseudonym_key)
        self._shared_refs: frozenset[str] = frozenset()

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
        self._shared_refs = self._refs_of_two_persons(table)
        for row in table.rows:
            self._import_row(path.name, table, row, report)
        log.event(
            "backlog_import",
            kind=table.kind,
            rows=len(table.rows),
            added=report.added,
            replaced=report.replaced,
            duplicates=report.duplicates,
            rejected=report.rejected,
        )
        return report

    def _refs_of_two_persons(self, table: Table) -> frozenset[str]:
        """References that rows of this file give to different persons (all refused)."""
        first: dict[str, RegistrationRequest] = {}
        shared: set[str] = set()
        for row in table.rows:
            try:
                request = parse_request(
                    _request_data(row, self.groups, self._group_index),
                    groups=self.groups,
                    rules=self.rules,
                    countries=self.countries,
                )
            except RequestInvalid:
                continue  # refused for its own reasons
            ref = request.external_ref
            if ref is None:
                continue
            if ref in first and other_person(first[ref], request):
                shared.add(ref)
            first.setdefault(ref, request)
        return frozenset(shared)

    def _header(self, table: Table, key: str) -> str:
        return table.headers.get(key) or (BY_KEY[key].sv if key in BY_KEY else WHOLE_ROW)

    def _import_row(self, filename: str, table: Table, row: RawRow, report: ImportReport) -> None:
        source = f"{filename}:{row.number}"
        # A FHIR entry's own problems (apps/fhir/reading.py). Without readable fields they are
        # all there is to say; else the rules below add what else is wrong with the entry.
        issues = [RowError(row.number, i.column, i.code, i.message_sv) for i in row.issues]
        if issues and not row.cells.keys() - {FHIR_TEXT}:
            self._reject(source, row, issues, report)
            return
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
                _request_data(clean, self.groups, self._group_index),
                groups=self.groups,
                rules=self.rules,
                countries=self.countries,
            )
        except RequestInvalid as exc:
            for err in exc.errors:
                column = _column_of(err)
                if column in formula_cols:
                    continue  # already reported as a formula
                errors.append(
                    RowError(row.number, self._header(table, column), err.code, err.message_sv)
                )
        # Every required column must be filled, whatever the request model would default; the
        # address is not asked for a protected identity (it is secret, and not registered).
        reported = {e.column for e in errors}
        protected = request is not None and request.protected
        for spec in COLUMNS:
            header = self._header(table, spec.key)
            if (
                spec.required
                and not (protected and spec.key in ADDRESS_KEYS)
                and not row.cells.get(spec.key)
                and spec.key not in formula_cols
                and header not in reported
            ):
                errors.append(
                    RowError(row.number, header, "field_required", "Fältet måste fyllas i.")
                )
        errors.sort(key=lambda e: _COLUMN_ORDER.get(e.column, len(_COLUMN_ORDER)))
        if issues:  # what an issue names already (Patient.name covers Patient.name[0].family)
            from apps.fhir.patient import covered

            said = [i.column for i in issues]
            errors = issues + [e for e in errors if not covered(e.column, said)]
        if errors or request is None:
            self._reject(source, row, errors, report)
            return
        if _is_example(request):
            error = RowError(
                row.number,
                self._header(table, "external_ref"),
                "template_example",
                example_message(request.external_ref),
            )
            self._reject(source, row, [error], report, outcome="example")
            return
        ref = request.external_ref or person_key(self._pseudonym, request)
        if request.external_ref in self._shared_refs:
            error = RowError(
                row.number,
                self._header(table, "external_ref"),
                "ref_other_person",
                two_persons_message(ref),
            )
            self._reject(source, row, [error], report, outcome="conflict", taken=True)
            return
        before = self.store.find(ref)
        if (
            request.external_ref is not None
            and before is not None
            and before.request is not None
            and before.status is ItemStatus.PENDING
            and other_person(before.request, request)
        ):
            # Never a silent replacement: a waiting case keeps its person.
            error = RowError(
                row.number,
                self._header(table, "external_ref"),
                "ref_other_person",
                other_person_message(ref, before),
            )
            self._reject(source, row, [error], report, outcome="conflict", taken=True)
            return
        # A row's own reference names one case: a changed row replaces it while it waits.
        # Without one, two rows of the same person cannot tell a correction from a repeat.
        item, how = self.store.add(
            ref,
            request,
            source=source,
            actor=self.actor,
            replace_pending=request.external_ref is not None,
        )
        if how is Added.CONFLICT:
            error = RowError(
                row.number,
                self._header(table, "external_ref"),
                "ref_taken",
                conflict_message(ref, item),
            )
            self._reject(source, row, [error], report, outcome="conflict", taken=True)
            return
        changes: tuple[str, ...] = ()
        if how is Added.REPLACED and before is not None and before.request is not None:
            changes = tuple(changed_columns(before.request, request))
            report.warnings.append(
                f"Rad {row.number} ersatte det väntande ärendet {item.id} med samma referens"
                f" (ändrat: {', '.join(changes) or 'inget'})."
            )
        report.rows.append(RowResult(row.number, item.id, how.value, item.status, changes))
        self.store.record_import_row(report.file, row.number, item.id, how.value)

    def _reject(
        self,
        source: str,
        row: RawRow,
        errors: list[RowError],
        report: ImportReport,
        *,
        outcome: str = "rejected",
        taken: bool = False,
    ) -> None:
        """Store a refused row as ``rejected`` (so it is in ``resultat.csv``) and report it."""
        report.errors.extend(errors)
        ext = row.cells.get("external_ref", "")
        material = json.dumps(sorted(row.cells.items()), ensure_ascii=False).encode()
        derived = "ogiltig-" + hmac.new(self._key, material, hashlib.sha256).hexdigest()[:24]
        usable = ext and not looks_like_formula(ext) and ext.isprintable() and len(ext) <= 100
        ref = ext if usable and not taken else derived
        existing = self.store.find(ref)
        if existing is not None and existing.status is not ItemStatus.REJECTED:
            # The row's reference belongs to a valid item: that item stands, and this row is
            # stored under a reference of its own, so it is reported all the same.
            ref = derived
        rejection = RowRejection(
            row=row.number,
            errors=[
                RowProblem(column=e.column, code=e.code, message_sv=e.message_sv) for e in errors
            ],
            columns_filled=sorted(k for k, v in row.cells.items() if v),
        )
        item, added = self.store.add_rejected(
            ref,
            rejection,
            reason_code=errors[0].code if outcome != "rejected" else "request_invalid",
            reason_sv="; ".join(str(e) for e in errors)[:1000],
            source=source,
            actor=self.actor,
        )
        if outcome == "rejected" and not added:
            outcome = "rejected_again"
        report.rows.append(RowResult(row.number, item.id, outcome, item.status))
        self.store.record_import_row(report.file, row.number, item.id, outcome)
