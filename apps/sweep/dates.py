"""Which birth dates a sweep reads: those the robot touched lately, a range, a file of dates.

``--since 30d`` takes every birth date of a queue item changed in the period and of every
reservnummer the journal recorded in it (registrations still open, or stopped between the two
systems). The audit log holds keyed hashes only, never a date, so it names no dates; every
registration of the backlog is in the queue, and an unfinished one of any entry point is in the
journal, except a protected person's number, which the journal keeps as a keyed hash (it names
no date: sweep such a date with ``--from/--to`` or ``--file``). ``--from/--to`` is a range
(both ends included); ``--file`` one date per line (ÅÅÅÅ-MM-DD or ÅÅÅÅMMDD, ``#`` starts a
comment).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from apps.backlog.store import open_store, queue_path
from flows.journaled import clear_number
from flows.register import JOURNAL_NUMBER
from flows.rules.identity import InvalidIdentity, parse_patient_id
from flows.rules.region import RegionProfile
from flows.rules.request import RequestInvalid, parse_birth_date
from flows.runner import JOURNAL, JOURNAL_FILE
from robot.db import open_database
from robot.errors import BusinessError
from robot.journal import StepJournal
from robot.settings import Settings

# One year of dates at most per range: a typo in --from must not start a century-long sweep.
MAX_RANGE_DAYS = 3660
_PERIOD = re.compile(r"^\s*(\d+)\s*([dhw])\s*$")
_UNIT_S = {"h": 3600, "d": 86400, "w": 7 * 86400}


class DatesInvalid(BusinessError):
    """The dates asked for cannot be read (a Swedish message says which and why)."""

    default_code = "sweep_dates_invalid"


def parse_period(text: str) -> timedelta:
    """``30d``, ``12h`` or ``2w`` as a period."""
    m = _PERIOD.match(text)
    if m is None:
        raise DatesInvalid(f"--since ska vara t.ex. 30d, 12h eller 2w, inte {text!r}.")
    return timedelta(seconds=int(m[1]) * _UNIT_S[m[2]])


def date_range(first: date, last: date) -> list[date]:
    """Every date from ``first`` to ``last``, both included."""
    if last < first:
        raise DatesInvalid("--to ligger före --from: byt plats på datumen.")
    days = (last - first).days + 1
    if days > MAX_RANGE_DAYS:
        raise DatesInvalid(f"Perioden är {days} dagar; dela upp den (högst {MAX_RANGE_DAYS}).")
    return [first + timedelta(days=i) for i in range(days)]


def dates_from_file(path: Path) -> list[date]:
    """One date per line; empty lines and ``#`` comments skipped. Names the bad line."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise DatesInvalid(f"Filen {path} går inte att läsa: {type(exc).__name__}.") from None
    out = []
    for number, line in enumerate(text.splitlines(), start=1):
        value = line.split("#", 1)[0].strip()
        if not value:
            continue
        try:
            out.append(parse_birth_date(value))
        except RequestInvalid:
            raise DatesInvalid(
                f"Rad {number} i {path.name} är inget datum (skriv ÅÅÅÅ-MM-DD)."
            ) from None
    return out


def touched_since(settings: Settings, since: timedelta, *, profile: RegionProfile) -> list[date]:
    """Birth dates the robot touched in the last ``since``: queue items and journal numbers."""
    cutoff = datetime.now(UTC) - since
    found: set[date] = set()
    shared = bool(settings.store_dsn.strip())
    if shared or queue_path(settings).exists():
        with open_store(settings) as store:
            for item in store.items():
                if item.request is not None and item.updated_at >= cutoff:
                    found.add(item.request.birth_date)
    if shared or (Path(settings.data_dir) / JOURNAL_FILE).exists():
        db = open_database(settings, JOURNAL)
        try:
            for data in StepJournal(db).recorded_since(JOURNAL_NUMBER, cutoff):
                # A protected person's number is journaled keyed: it names no date.
                born = _number_date(clear_number(data) or "", profile)
                if born is not None:
                    found.add(born)
        finally:
            db.close()
    return sorted(found)


def _number_date(number: str, profile: RegionProfile) -> date | None:
    try:
        return parse_patient_id(number, profile=profile).birth_date
    except InvalidIdentity:
        return None


def unique_sorted(*groups: Iterable[date]) -> list[date]:
    return sorted({d for group in groups for d in group})
