"""``backlog report --out DIR``: an HTML run report and a result file (CSV and .xlsx).

The HTML report starts with what needs a person now (cases waiting in Att hantera, with what
to do) and the import rows that were refused (file, row, column, reason), then lists, per run,
every item the run touched: outcome, reason (always in Swedish, also for runs older than the
reason texts), duration, and where the evidence of a failure is. Evidence stays on the robot
machine: the report says so next to its link, so a report sent on does not promise files its
reader cannot open. The report holds no names and no identity numbers, so it can be passed to
IT support. The result files list every item in the queue with its status and Patient-ID for
the staff who sent the rows in; they are personal data (like the file that was imported) and
are written private (0600). Cells that could be spreadsheet formulas are escaped.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import os
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape

from apps.backlog.cells import escape_cell
from apps.backlog.store import ItemStatus, QueueItem, QueueReader, RunRecord
from apps.exitcodes import exit_label_sv
from flows.rules.identity import InvalidIdentity, parse_personnummer
from flows.rules.outcome import REASONS_SV
from flows.rules.vocabulary import (
    ID_TYPE_SV,
    OUTCOME_KIND_SV,
    FailureKind,
    decimal_sv,
    failed_step,
    failure_text,
)
from robot.files import private_dir, write_private

# What an item came to: its last outcome's kind, or the queue's word for an invalid row or a
# case a person closed (``QueueItem.kind``).
KIND_SV: dict[str, str] = {
    **OUTCOME_KIND_SV,
    "rejected": ItemStatus.REJECTED.label_sv,
    "closed": ItemStatus.CLOSED.label_sv,
}


class NoSuchRun(LookupError):
    """``--run N`` names a run the queue does not have."""

    def __init__(self, run_id: int, known: list[int]) -> None:
        shown = ", ".join(str(n) for n in known[:5]) or "inga"
        super().__init__(f"Körning {run_id} finns inte i ärendekön. Senaste körningarna: {shown}.")
        self.run_id = run_id


def reason_text(code: str | None, stored_sv: str | None, item: QueueItem | None = None) -> str:
    """A reason in Swedish: the stored text, else the text of its code (older runs kept only
    the code), never a bare code."""
    if stored_sv:
        return stored_sv
    if not code:
        return ""
    if code in REASONS_SV:
        return REASONS_SV[code]
    outcome = item.outcome if item is not None else None
    failure = failure_text(
        code,
        step=failed_step((e.step, e.status) for e in outcome.steps) if outcome else None,
        reservnummer=outcome.reservnummer if outcome else None,
    )
    if failure.kind is not FailureKind.OTHER:
        return f"{failure.headline}."
    return f"Okänd orsak (kod för IT-support: {code})."


RESULT_COLUMNS = (
    "id",
    "källa",
    "referens",
    "status",
    "utfall",
    "patient_id",
    "orsak",
    "försök",
    "senast_ändrad",
)

# A person's key (``store.vault.person_key``; unkeyed before), or an invalid row's own.
_FINGERPRINT = re.compile(r"(k_)?[0-9a-f]{64}|ogiltig-[0-9a-f]{24}")


def display_ref(ref: str) -> str:
    """The reference as shown to people: the row's own reference; a derived one is hidden."""
    return "" if _FINGERPRINT.fullmatch(ref) else ref


@dataclass(frozen=True)
class ReportFiles:
    html: Path
    csv: Path
    xlsx: Path


def _evidence_link(evidence_dir: str | None, out: Path) -> str | None:
    if not evidence_dir:
        return None
    target = Path(evidence_dir).resolve()
    try:
        return os.path.relpath(target, out.resolve())
    except ValueError:  # another drive on Windows
        return target.as_uri()


def _run_rows(store: QueueReader, run: RunRecord, out: Path) -> list[dict[str, Any]]:
    rows = []
    for entry in store.run_items(run.id):
        item = store.get(entry.item_id)
        if item is None:
            continue
        detail = entry.detail
        status = entry.status
        kind = detail.get("kind") or item.kind
        failed = status in (ItemStatus.FAILED, ItemStatus.PENDING) and kind == "failed"
        rows.append(
            {
                "id": item.id,
                "source": item.source or "",
                "ref": display_ref(item.ref),
                "status": status.label_sv,
                "status_key": str(status),
                "kind": KIND_SV.get(str(kind), "Avbröts" if status == ItemStatus.PENDING else "–"),
                "reason": reason_text(
                    entry.reason,
                    item.reason_sv if entry.reason == item.reason_code else None,
                    item,
                )
                + (
                    " Ett reservnummer finns redan (se resultatfilen): skapa inget nytt."
                    if item.outcome is not None
                    and item.outcome.reservnummer
                    and not item.patient_id
                    else ""
                ),
                "duration": _seconds(detail.get("duration_s")),
                "attempts": detail.get("attempts"),
                # A run's table shows what the run left; an item resolved since says so.
                "now": item.status.label_sv if item.status != status else "",
                "evidence": _evidence_link(item.outcome.evidence_dir if item.outcome else None, out)
                if failed
                else None,
            }
        )
    return rows


def _retries(store: QueueReader, run: RunRecord) -> dict[str, Any]:
    """What the run had to try again: items that needed more than one attempt, and the causes
    of the attempts that failed (an unstable site shows here even when every item ended well)."""
    causes: dict[str, int] = {}
    items = 0
    for entry in store.run_items(run.id):
        failed_attempts = [
            h
            for h in store.history(entry.item_id)
            if h.run_id == run.id
            and h.from_status is ItemStatus.IN_PROGRESS
            and h.to_status in (ItemStatus.PENDING, ItemStatus.FAILED)
        ]
        if not failed_attempts:
            continue
        items += 1
        for attempt in failed_attempts:
            cause = failure_text(attempt.reason or "", step=None, reservnummer=None).headline
            causes[cause] = causes.get(cause, 0) + 1
    return {"count": items, "causes": sorted(causes.items(), key=lambda c: (-c[1], c[0]))}


def _seconds(value: object) -> str:
    return decimal_sv(float(value)) if isinstance(value, int | float) else ""


_BAR_ORDER = ("done", "closed", "needs_person", "failed", "pending", "rejected")


def _bar(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The run's outcomes as parts of a bar (status key, label, count, percent of the run)."""
    total = len(rows)
    parts = []
    for key in _BAR_ORDER:
        n = sum(1 for row in rows if row["status_key"] == key)
        if n:
            label = next(row["status"] for row in rows if row["status_key"] == key)
            parts.append({"key": key, "label": label, "n": n, "percent": round(100 * n / total)})
    return parts


def _needs_person_rows(store: QueueReader, item_ids: set[int]) -> list[dict[str, Any]]:
    """Cases waiting for a person now, oldest first, without names: those in Att hantera, and
    items of the reported runs that are done but whose Kommun/Län in PMO a person must correct
    (the patient existed with other codes: the robot never changes an existing patient)."""
    waiting = list(store.items(status=ItemStatus.NEEDS_PERSON))
    to_correct = [
        item
        for item in store.items(status=ItemStatus.DONE)
        if item.id in item_ids and item.outcome is not None and item.outcome.code_differences
    ]
    rows: list[tuple[QueueItem, str, str]] = [
        (item, reason_text(item.reason_code, item.reason_sv, item), "Avgör ärendet i Att hantera.")
        for item in waiting
    ]
    rows += [
        (
            item,
            "Patienten fanns redan i PMO, men med andra koder för Kommun/Län än patientgruppens.",
            "Öppna patienten i PMO och rätta koderna: "
            + "; ".join(item.outcome.code_differences if item.outcome else []),
        )
        for item in to_correct
    ]
    rows.sort(key=lambda row: row[0].updated_at)
    return [
        {
            "id": item.id,
            "source": item.source or "",
            "ref": display_ref(item.ref),
            "reason": reason,
            "todo": todo,
            "since": item.updated_at.astimezone().strftime("%Y-%m-%d %H:%M"),
        }
        for item, reason, todo in rows
    ]


def _rejected_rows(store: QueueReader) -> list[dict[str, Any]]:
    """Refused import rows: one line per problem, with file, row and column."""
    rows: list[dict[str, Any]] = []
    for item in store.items(status=ItemStatus.REJECTED):
        source = (item.source or "").rsplit(":", 1)[0]
        rejection = item.rejection
        if rejection is None or not rejection.errors:
            rows.append(
                {
                    "source": source,
                    "row": rejection.row if rejection else "",
                    "column": "",
                    "reason": reason_text(item.reason_code, item.reason_sv, item),
                }
            )
            continue
        for problem in rejection.errors:
            rows.append(
                {
                    "source": source,
                    "row": rejection.row,
                    "column": problem.column,
                    "reason": problem.message_sv,
                }
            )
    return sorted(rows, key=lambda r: (r["source"], str(r["row"]).zfill(8)))


def selected_runs(store: QueueReader, *, runs: int, run_id: int | None) -> list[RunRecord]:
    """Run ``run_id`` alone, or the ``runs`` latest; raises ``NoSuchRun`` for an unknown id."""
    if run_id is None:
        return store.runs(limit=runs)
    every = store.runs()
    selected = [r for r in every if r.id == run_id]
    if not selected:
        raise NoSuchRun(run_id, [r.id for r in every])
    return selected


def build_report(
    store: QueueReader, out: Path, *, runs: int = 10, run_id: int | None = None
) -> ReportFiles:
    """Write ``rapport.html``, ``resultat.csv`` and ``resultat.xlsx`` into ``out``."""
    selected = selected_runs(store, runs=runs, run_id=run_id)
    private_dir(out)
    env = Environment(
        loader=FileSystemLoader(Path(__file__).parent), autoescape=select_autoescape(["html"])
    )
    reported_items = {e.item_id for r in selected for e in store.run_items(r.id)}
    rejected = _rejected_rows(store)
    page = env.get_template("report.html").render(
        generated=datetime.now(UTC).astimezone(),
        counts={s.label_sv: n for s, n in store.counts().items()},
        needs_person=_needs_person_rows(store, reported_items),
        rejected=rejected,
        # A row can have several problems: the heading counts rows, the table lists problems.
        rejected_rows=len({(r["source"], r["row"]) for r in rejected}),
        runs=[
            {
                **dataclasses.asdict(r),
                "exit_sv": exit_label_sv(r.exit_code)
                if r.exit_code is not None
                else "Pågår eller avbröts",
                "per_minute": _seconds((r.summary or {}).get("per_minute")),
                "seconds": _seconds((r.finished_at - r.started_at).total_seconds())
                if r.finished_at
                else "",
                "rows": (run_rows := _run_rows(store, r, out)),
                "bar": _bar(run_rows),
                "retries": _retries(store, r),
            }
            for r in selected
        ],
    )
    files = ReportFiles(
        html=out / "rapport.html", csv=out / "resultat.csv", xlsx=out / "resultat.xlsx"
    )
    write_private(files.html, page)
    rows = result_rows(store)
    write_results_csv(files.csv, rows)
    write_results_xlsx(files.xlsx, rows)
    return files


def _result_reason(item: QueueItem) -> str:
    """The row's reason for the staff who sent it. A person found with a personnummer or
    samordningsnummer gets no reservnummer: the row says which number to register with (the
    result file is personal data, private like the imported file)."""
    outcome = item.outcome
    if item.reason_code == "has_personnummer" and outcome is not None:
        for candidate in outcome.candidates:
            number = candidate.personnummer or (
                candidate.id_value if candidate.id_type != "reservnummer" else None
            )
            if not number:
                continue
            try:
                kind = parse_personnummer(number).kind
            except InvalidIdentity:
                continue
            return (
                f"Personen har {ID_TYPE_SV[kind.value].lower()} {number} i "
                "Reservnummersystemet: registrera patienten med det numret. Inget reservnummer "
                "skapades."
            )
    reason = item.reason_sv or ""
    if outcome is not None and outcome.reservnummer and not item.patient_id:
        # A number exists and no patient: whoever finishes by hand must reuse it.
        reason = (
            f"{reason} Reservnummer {outcome.reservnummer} finns redan i "
            "Reservnummersystemet: skapa inget nytt."
        ).strip()
    return reason


def result_rows(store: QueueReader) -> list[list[object]]:
    """One line per imported row (file and row; several rows may share one item: the same
    person twice, a file imported again), then one per item that came from no file."""
    items = {item.id: item for item in store.items()}
    lines: list[list[object]] = []
    imported: set[int] = set()
    for file, row, item_id, _outcome in store.import_rows():
        item = items.get(item_id)
        if item is not None:
            lines.append(_result_row(item, source=f"{file}:{row}"))
            imported.add(item_id)
    lines += [_result_row(item) for item in items.values() if item.id not in imported]
    return lines


def _result_row(item: QueueItem, *, source: str | None = None) -> list[object]:
    return [
        item.id,
        source or item.source or "",
        display_ref(item.ref),
        item.status.label_sv,
        KIND_SV.get(str(item.kind), ""),
        item.patient_id or "",
        _result_reason(item),
        item.attempts,
        item.updated_at.astimezone().strftime("%Y-%m-%d %H:%M"),
    ]


def write_results_csv(path: Path, rows: list[list[object]]) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(RESULT_COLUMNS)
    for row in rows:
        writer.writerow([escape_cell(v) for v in row])
    write_private(path, buffer.getvalue().encode("utf-8-sig"))


def write_results_xlsx(path: Path, rows: list[list[object]]) -> None:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Resultat"
    sheet.append(list(RESULT_COLUMNS))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append([escape_cell(v) for v in row])
        # Text cells stay text: a value that starts like a formula is stored as a string.
        for cell in sheet[sheet.max_row]:
            if isinstance(cell.value, str):
                cell.data_type = "s"
    sheet.freeze_panes = "A2"
    data = io.BytesIO()
    book.save(data)
    write_private(path, data.getvalue())
