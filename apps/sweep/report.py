"""The sweep's report for data-quality staff: Swedish HTML and CSV, private, kept for a while.

Staff need names and numbers to fix the data, so these two files are personal data: written
0600 in a 0700 folder (``robot.files``) under ``<data_dir>/sweep/<date>/``, and deleted after
``Settings.sweep_retention_days`` like evidence (``purge_expired``, at every sweep). A
protected identity (a queue item marked protected) appears only as "skyddad identitet" with
its Patient-ID. Nothing else the sweep writes holds a name or a number: logs carry keyed
hashes, metrics counts only. CSV cells that a spreadsheet would run as formulas are escaped.
"""

from __future__ import annotations

import csv
import io
import shutil
from collections.abc import Collection
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from jinja2 import Environment, select_autoescape

from apps.backlog.cells import escape_cell
from apps.backlog.store import open_store, queue_path
from flows.rules.judge import canonical_number
from flows.rules.sweep import NEXT_STEP_SV, Finding, FindingKind, Record
from flows.sweep import DateResult, LeaseWay, SweepResult
from robot.files import private_dir, write_private
from robot.settings import Settings

PROTECTED_SV = "skyddad identitet"
SYSTEM_SV = {"pmo": "PMO", "rns": "Reservnummersystemet"}
LEASE_SV = {
    LeaseWay.HELD: "läst under datumets lås",
    LeaseWay.LOOKED_AGAIN: "upptaget av pågående registrering; läst igen senare under låset",
}
CSV_HEADER = (
    "Födelsedatum",
    "Typ",
    "System",
    "Patient-ID/Reservnummer",
    "Namn",
    "Kön",
    "Personnummer",
    "Skäl",
    "Nästa steg",
)


def sweep_dir(settings: Settings) -> Path:
    return Path(settings.data_dir) / "sweep"


def protected_numbers(settings: Settings) -> set[str]:
    """Patient-IDs of protected identities the robot knows (queue items marked protected)."""
    shared = bool(settings.store_dsn.strip())
    if not shared and not queue_path(settings).exists():
        return set()
    found = set()
    with open_store(settings) as store:
        for item in store.items():
            if item.request is not None and item.request.protected:
                for number in (item.patient_id, item.outcome.patient_id if item.outcome else None):
                    if number:
                        found.add(canonical_number(number))
    return found


def shown(record: Record, protected: Collection[str]) -> tuple[str, str, str]:
    """(name, sex, personnummer) as the report may show them."""
    if canonical_number(record.id_value) in protected:
        return PROTECTED_SV, "", ""
    return record.name, record.sex.label_sv if record.sex else "", record.personnummer or ""


def render_csv(result: SweepResult, protected: Collection[str]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    for finding in result.findings:
        for record in finding.records:
            name, sex, pnr = shown(record, protected)
            writer.writerow(
                escape_cell(v)
                for v in (
                    finding.birth_date.isoformat(),
                    finding.kind.label_sv,
                    SYSTEM_SV[record.system],
                    record.id_value,
                    name,
                    sex,
                    pnr,
                    finding.reason_sv or "",
                    NEXT_STEP_SV[finding.kind],
                )
            )
    for item in result.not_covered:
        writer.writerow(
            escape_cell(v)
            for v in (
                item.birth_date.isoformat(),
                "Ej kontrollerat",
                "",
                "",
                "",
                "",
                "",
                item.reason_sv,
                "Kör svepet igen för datumet.",
            )
        )
    return buffer.getvalue()


_HTML = """<!doctype html>
<html lang="sv"><head><meta charset="utf-8">
<title>Svep: dubbletter och reservnummer utan patient</title>
<style>
body{font-family:system-ui,sans-serif;margin:2rem;max-width:70rem}
table{border-collapse:collapse;margin:.5rem 0 1.5rem}
th,td{border:1px solid #999;padding:.25rem .5rem;text-align:left;vertical-align:top}
.counted{color:#8a1c1c}.check{color:#7a5b00}
</style></head><body><main>
<h1>Svep av PMO och Reservnummersystemet</h1>
<p>{{ period }}. {{ covered }} av {{ total }} födelsedatum kontrollerade.
Avvikelser: <strong>{{ anomalies }}</strong>. Att kontrollera: {{ checks }}.</p>
<p>Filen innehåller namn och identitetsnummer. Den sparas bara på robotdatorn och raderas
efter {{ retention }} dagar. Skicka den inte vidare.</p>
{% if not_covered %}
<h2>Ej kontrollerade datum</h2>
<p>Svepet kunde inte läsa dessa datum. Kör svepet igen för dem.</p>
<table><tr><th>Födelsedatum</th><th>Orsak</th></tr>
{% for d in not_covered %}<tr><td>{{ d.birth_date }}</td><td>{{ d.reason_sv }}</td></tr>{% endfor %}
</table>
{% endif %}
{% for kind, rows in sections %}
<h2 class="{{ 'counted' if kind.counted else 'check' }}">
{{ kind.label_sv }} ({{ rows|length }})</h2>
<p>{{ next_step[kind] }}</p>
<table><tr><th>Födelsedatum</th><th>System</th><th>Patient-ID / reservnummer</th><th>Namn</th>
<th>Kön</th><th>Personnummer</th><th>Skäl</th></tr>
{% for f, records in rows %}{% for r, name, sex, pnr in records %}
<tr>{% if loop.first %}<td rowspan="{{ records|length }}">{{ f.birth_date }}</td>{% endif %}
<td>{{ systems[r.system] }}</td><td>{{ r.id_value }}</td><td>{{ name }}</td><td>{{ sex }}</td>
<td>{{ pnr }}</td>{% if loop.first %}
<td rowspan="{{ records|length }}">{{ f.reason_sv }}</td>{% endif %}</tr>
{% endfor %}{% endfor %}
</table>
{% endfor %}
{% if not sections %}<p>Inga avvikelser hittades.</p>{% endif %}
<h2>Hur datumen lästes</h2>
<p>Varje datum lästes under samma lås som en registrering håller, så ingen pågående
registrering av roboten syns som en avvikelse.
{% if looked_again %}{{ looked_again }} datum var upptagna och lästes igen senare.{% endif %}
{% if reread %}{{ reread }} datum med nummer utan patient lästes en gång till efter
{{ grace }}; {{ young }} fynd syntes bara vid den andra läsningen och räknas inte ännu
(de kan vara registreringar som pågår).{% endif %}</p>
</main></body></html>
"""


def render_html(
    result: SweepResult,
    protected: Collection[str],
    *,
    period: str,
    retention_days: int,
    grace_s: float,
) -> str:
    env = Environment(autoescape=select_autoescape(default=True, default_for_string=True))
    by_kind: dict[FindingKind, list[Finding]] = {}
    for finding in result.findings:
        by_kind.setdefault(finding.kind, []).append(finding)
    sections = [
        (kind, [(f, [(r, *shown(r, protected)) for r in f.records]) for f in by_kind[kind]])
        for kind in FindingKind
        if kind in by_kind
    ]
    dates: list[DateResult] = result.dates
    return env.from_string(_HTML).render(
        period=period,
        covered=sum(1 for d in dates if d.covered),
        total=len(dates),
        anomalies=len(result.anomalies),
        checks=result.count(FindingKind.CHECK),
        retention=retention_days,
        not_covered=result.not_covered,
        sections=sections,
        next_step=NEXT_STEP_SV,
        systems=SYSTEM_SV,
        looked_again=sum(1 for d in dates if d.lease is LeaseWay.LOOKED_AGAIN),
        reread=sum(1 for d in dates if d.reread),
        young=sum(d.too_young for d in dates),
        grace=_duration_sv(grace_s),
    )


def _duration_sv(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f} sekunder"
    return f"{seconds / 60:.0f} minuter"


def write_report(
    result: SweepResult, settings: Settings, *, period: str, protected: Collection[str]
) -> tuple[Path, Path]:
    """Write ``svep-<time>.html`` and ``.csv`` (0600) under today's folder; their paths."""
    now = datetime.now(UTC)
    folder = private_dir(sweep_dir(settings) / now.date().isoformat())
    stem = f"svep-{now:%H%M%S}"
    html = write_private(
        folder / f"{stem}.html",
        render_html(
            result,
            protected,
            period=period,
            retention_days=settings.sweep_retention_days,
            grace_s=settings.sweep_grace_s,
        ),
    )
    csv_path = write_private(folder / f"{stem}.csv", "\ufeff" + render_csv(result, protected))
    return html, csv_path


def purge_expired(settings: Settings, *, today: date | None = None) -> int:
    """Delete report day folders older than ``sweep_retention_days``; how many."""
    root = sweep_dir(settings)
    if not root.is_dir():
        return 0
    cutoff = (today or datetime.now(UTC).date()) - timedelta(days=settings.sweep_retention_days)
    removed = 0
    for child in root.iterdir():
        try:
            day = date.fromisoformat(child.name)
        except ValueError:
            continue
        if child.is_dir() and day < cutoff:
            shutil.rmtree(child)
            removed += 1
    return removed
