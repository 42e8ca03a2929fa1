"""``backlog run --dry-run``: what a run would do with every waiting item, changing nothing.

One in-process ``Runner`` (one browser) takes the waiting items in queue order and runs each
as a dry run (``Runner.register(dry_run=True)``): both searches and the judging, then the
outcome the real run would end with and the action it would take on the way (a new
reservnummer with the codes and address it would write, this existing reservnummer, already
registered with the code differences, or a person and why). Nothing is created in either
system, no item is claimed or changes status, the run lock is not taken, the journal is not
written, no evidence is kept; each request holds its birth date's lease only for its searches.

The prediction is per item against the systems as they are now: two waiting items for one
person (the same birth date) are each predicted alone, while the real run makes the second
find the first one's registration. Such an item is flagged (``after_item``) so that a person
reading the report knows its prediction may differ.

The report is printed and, with ``--out DIR``, written as ``provkorning.csv`` (Patient-ID and
address: personal data, private 0600, spreadsheet formulas escaped) and ``provkorning.html``
(headed as a dry run; no names, identity numbers or addresses, like the run report), never
into the queue's own run report.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from jinja2 import Environment

from apps.backlog.cells import escape_cell
from apps.backlog.report import display_ref
from apps.backlog.store import ItemStatus, open_store
from apps.exitcodes import ExitCode
from flows.rules.outcome import Candidate, Outcome, OutcomeKind
from flows.rules.vocabulary import DRY_RUN_SV, OUTCOME_KIND_SV, PLANNED_SV
from flows.runner import Runner
from robot.files import write_private
from robot.settings import Settings

REPORT_NAME = "provkorning.csv"
HTML_NAME = "provkorning.html"
DRY_RUN_COLUMNS = (
    "id",
    "referens",
    "provkörning",
    "skulle_göra",
    "utfall",
    "patient_id",
    "kommun",
    "län",
    "adress",
    "orsak",
    "kodskillnader",
    "samma_födelsedatum_som",
    # A person found in PMO: the patient as PMO has them, and why the robot judged them one.
    "i_pmo",
    "därför_samma_person",
)


@dataclass(frozen=True)
class Prediction:
    """What the real run would do with one waiting item."""

    item_id: int
    ref: str
    outcome: Outcome
    # An earlier waiting item on the same birth date that is planned to be registered.
    after_item: int | None = None

    @property
    def planned_sv(self) -> str:
        if self.outcome.planned is None:
            return OUTCOME_KIND_SV[self.outcome.kind]
        return PLANNED_SV[self.outcome.planned]


def dry_run_backlog(
    settings: Settings,
    *,
    limit: int | None = None,
    runner_factory: Callable[[Settings], Runner] | None = None,
    on_item: Callable[[Prediction], None] | None = None,
) -> list[Prediction]:
    """Predict every waiting item (at most ``limit``), in the order a run would take them."""
    with open_store(settings) as store:
        items = [i for i in store.items(status=ItemStatus.PENDING) if i.request is not None]
    items = items[:limit] if limit else items
    predictions: list[Prediction] = []
    if not items:
        return predictions
    factory = runner_factory or (lambda s: Runner(s, role="provkörningen"))
    planned_births: dict[str, int] = {}
    with factory(settings) as runner:
        for item in items:
            assert item.request is not None
            outcome = runner.register(item.request, decisions=list(item.decisions), dry_run=True)
            birth = item.request.birth_date.isoformat()
            prediction = Prediction(item.id, item.ref, outcome, planned_births.get(birth))
            if outcome.planned in ("register_new", "reuse_reservnummer", "register_journaled"):
                planned_births.setdefault(birth, item.id)
            predictions.append(prediction)
            if on_item is not None:
                on_item(prediction)
    return predictions


def dry_run_exit_code(predictions: Iterable[Prediction]) -> ExitCode:
    """The code the real run would end with: 1 a dry run failed, 2 someone would need a
    person, 0 otherwise."""
    kinds = {p.outcome.kind for p in predictions}
    if OutcomeKind.FAILED in kinds:
        return ExitCode.SOME_FAILED
    if OutcomeKind.NEEDS_PERSON in kinds:
        return ExitCode.NEEDS_PERSON
    return ExitCode.OK


def rows(predictions: Iterable[Prediction]) -> Iterator[dict[str, str]]:
    """The report's rows (column name -> text)."""
    for p in predictions:
        values = p.outcome.planned_values
        address = ", ".join(
            v for k in ("street", "postal_code", "city", "country") if (v := values.get(k))
        )
        yield {
            "id": str(p.item_id),
            "referens": display_ref(p.ref),
            "provkörning": "ja",
            "skulle_göra": p.planned_sv,
            "utfall": OUTCOME_KIND_SV[p.outcome.kind],
            "patient_id": p.outcome.patient_id or "",
            "kommun": values.get("kommun", ""),
            "län": values.get("lan", ""),
            "adress": address,
            "orsak": p.outcome.reason_sv or "",
            "kodskillnader": "; ".join(p.outcome.code_differences),
            "samma_födelsedatum_som": str(p.after_item) if p.after_item else "",
            "i_pmo": _record_line(p.outcome.pmo_record),
            "därför_samma_person": (
                p.outcome.pmo_record.match_reason_sv or "" if p.outcome.pmo_record else ""
            ),
        }


def _record_line(record: Candidate | None) -> str:
    """ "Efternamn, Förnamn; Kvinna; Storgatan 1, 802 67 Gävle, Sverige; Kommun 01, Län 99"."""
    if record is None:
        return ""
    codes = f"Kommun {record.kommun or '–'}, Län {record.lan or '–'}"
    return "; ".join(p for p in (record.name, record.sex, record.address, codes) if p)


def write_dry_run_report(predictions: Iterable[Prediction], out: Path) -> Path:
    """``out/provkorning.csv`` (personal data: private, 0600) and ``out/provkorning.html``;
    the CSV's path."""
    table = list(rows(predictions))
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=DRY_RUN_COLUMNS, delimiter=";")
    writer.writeheader()
    for row in table:
        writer.writerow({k: escape_cell(v) for k, v in row.items()})
    html = _HTML.render(
        title=DRY_RUN_SV,
        made=datetime.now(UTC).astimezone().strftime("%Y-%m-%d %H:%M"),
        rows=table,
        counts=Counter(r["skulle_göra"] for r in table).most_common(),
    )
    write_private(out / HTML_NAME, html.encode("utf-8"))
    return write_private(out / REPORT_NAME, buffer.getvalue().encode("utf-8-sig"))


# Names, identity numbers and addresses stay out: the page may go to IT support.
_HTML = Environment(autoescape=True).from_string(
    """<!doctype html>
<html lang="sv"><head><meta charset="utf-8"><title>{{ title }}</title>
<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}
td,th{border:1px solid #999;padding:.3em .6em;text-align:left;vertical-align:top}
.banner{background:#fff3cd;border:1px solid #c9a400;padding:.6em 1em;font-weight:bold}</style>
</head><body>
<h1>Provkörning av ärendekön</h1>
<p class="banner" role="status">{{ title }}. Ärendena behåller sin status; så här skulle
roboten göra med varje väntande ärende ({{ made }}).</p>
<ul>{% for label, n in counts %}<li>{{ label }}: {{ n }}</li>{% endfor %}</ul>
<table><thead><tr><th>Ärende</th><th>Referens</th><th>Skulle göra</th><th>Utfall</th>
<th>Kommun</th><th>Län</th><th>Orsak</th><th>Kodskillnader</th></tr></thead><tbody>
{% for r in rows %}<tr><td>{{ r["id"] }}</td><td>{{ r["referens"] }}</td>
<td>{{ r["skulle_göra"] }}{% if r["samma_födelsedatum_som"] %} (samma födelsedatum som
ärende {{ r["samma_födelsedatum_som"] }}){% endif %}</td><td>{{ r["utfall"] }}</td>
<td>{{ r["kommun"] }}</td><td>{{ r["län"] }}</td><td>{{ r["orsak"] }}</td>
<td>{{ r["kodskillnader"] }}</td></tr>
{% endfor %}</tbody></table></body></html>
"""
)
