"""Structured, pseudonymised logs: one JSON line per event on stderr (and optionally a file).

Nothing that names a person or opens a system may reach a log in clear text:

- fields named in ``SENSITIVE_FIELDS`` are replaced by a keyed hash (``Pseudonymizer``), so the
  same person gives the same ``p_...`` reference across runs and logs can be correlated
  without holding the number;
- as a safety net, anything shaped like a personnummer, samordningsnummer or reservnummer
  (10 to 13 characters: 6 or 8 digits, an optional ``-``/``+``, then 4 digits, or 8 digits and
  4 to 5 digits/letters) is masked in every message, argument, field and traceback; the price is
  that a plain 10 to 12 digit number (a byte count, an epoch in ms) is masked too, so log
  sizes in MB and times as ISO text;
- ``SecretStr`` values render as ``**********``, and the configured secrets' values are masked
  should one be logged by mistake through ``get_secret_value()``.

Usage: ``configure_logging(settings)`` once at the edge, then
``get_logger(__name__).event("step_done", step="search_pmo", ref=ref, duration_ms=412)``.

A console window a person watches (the attended app's) gets ``ConsoleFormatter`` instead: one
short line per event in the words the caller gives (``configure_logging(..., console=...)``),
while the log file keeps every event as JSON.
"""

from __future__ import annotations

import hashlib
import hmac
import json as jsonlib
import logging
import re
import secrets
import sys
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime
from enum import Enum
from pathlib import Path
from typing import Any, TextIO

from pydantic import SecretStr

from robot.files import private_file
from robot.settings import Settings

MASK = "[redacted]"
SECRET_MASK = "**********"  # noqa: S105 - the mask, not a password
LOG_FILE_NAME = "reservrobot.jsonl"

# Identity-shaped tokens, standing alone (not inside a longer word or number).
IDENTITY_PATTERN = re.compile(
    r"(?<![\w])(?:"
    r"(?:\d{6}|\d{8})[-+]?\d{4}"  # personnummer / samordningsnummer, with or without century
    # reservnummer: a date part (6 digits: Region Skåne's may have no century) and a reserve
    # part (letters too); SLL's 99 + ten digits and NRID's XXYYMMDDNNGC fit these shapes too.
    r"|(?:\d{6}|\d{8})[-+]?[0-9A-Za-z]{4,5}"
    r")(?![\w])"
)

# Fields whose values are always replaced by a pseudonym, whatever they look like.
SENSITIVE_FIELDS = frozenset(
    {
        "name",
        "names",
        "family_name",
        "given_names",
        "personnummer",
        "samordningsnummer",
        "reservnummer",
        "patient_id",
        "id_value",
        "birth_date",
        "address",
        "street",
        "postal_code",
        "city",
        "phone",
        "email",
    }
)

_RESERVED = frozenset({"ts", "level", "logger", "event", "msg", "exc"})
# What every LogRecord carries; anything else on a record came from ``extra=``.
_RECORD_ATTRS = frozenset(
    {*logging.makeLogRecord({}).__dict__, "message", "asctime", "event", "fields", "taskName"}
)
_HANDLER_TAG = "_reservrobot_handler"
# Secrets shorter than this are not masked by value (they would mask ordinary words, like the
# mock sites' documented demo password).
_MIN_SECRET_LEN = 6


class Pseudonymizer:
    """Keyed hash of a value: ``"p_"`` + the first 12 hex digits of HMAC-SHA256.

    The key lives in settings (``pseudonym_key``); without it the references cannot be
    recomputed from a guessed number. Surrounding whitespace is ignored.
    """

    def __init__(self, key: SecretStr) -> None:
        self._key = key.get_secret_value().encode("utf-8")

    def __call__(self, value: str) -> str:
        digest = hmac.new(self._key, value.strip().encode("utf-8"), hashlib.sha256).hexdigest()
        return "p_" + digest[:12]

    def full(self, value: str) -> str:
        """The whole HMAC (``"k_"`` + 64 hex digits), where a key must never collide: the
        journal's rows (48 bits are enough to find a log line, not to tell people apart)."""
        digest = hmac.new(self._key, value.strip().encode("utf-8"), hashlib.sha256).hexdigest()
        return "k_" + digest


def contains_identity(text: str) -> bool:
    """True when ``text`` holds anything shaped like an identity number."""
    return IDENTITY_PATTERN.search(text) is not None


class Redactor:
    """Masks identity-shaped tokens and known secret values in text; hashes sensitive fields."""

    def __init__(self, pseudonymizer: Pseudonymizer, secret_values: tuple[str, ...] = ()) -> None:
        self.pseudonymizer = pseudonymizer
        self.secret_values = tuple(
            sorted({s for s in secret_values if len(s) >= _MIN_SECRET_LEN}, key=len, reverse=True)
        )

    def text(self, value: str) -> str:
        for secret in self.secret_values:
            value = value.replace(secret, SECRET_MASK)
        return IDENTITY_PATTERN.sub(MASK, value)

    def field(self, name: str, value: Any) -> Any:
        if value is None or isinstance(value, bool):
            return value
        if isinstance(value, SecretStr):
            return SECRET_MASK
        if name in SENSITIVE_FIELDS:
            return self.pseudonymizer(str(value))
        if isinstance(value, int | float):
            return MASK if contains_identity(str(value)) else value
        if isinstance(value, Mapping):
            return {str(k): self.field(str(k), v) for k, v in value.items()}
        if isinstance(value, list | tuple | set | frozenset):
            return [self.field(name, v) for v in value]
        if isinstance(value, Enum):
            value = value.value
        if isinstance(value, datetime | date):
            value = value.isoformat()
        return self.text(str(value))


_redactor = Redactor(Pseudonymizer(SecretStr(secrets.token_hex(16))))


def pseudonymize(value: str) -> str:
    """The configured keyed hash of ``value`` (a throwaway key until logging is configured)."""
    return _redactor.pseudonymizer(value)


class _Formatter(logging.Formatter):
    """Common part: every string that leaves the process goes through the redactor."""

    def __init__(self, redactor: Redactor) -> None:
        super().__init__()
        self.redactor = redactor

    def document(self, record: logging.LogRecord) -> dict[str, Any]:
        redact = self.redactor
        doc: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "event": getattr(record, "event", None) or "log",
            "msg": redact.text(_message(record)),
        }
        fields = dict(getattr(record, "fields", None) or {})
        # Plain ``logging`` calls with ``extra={...}`` are fields too.
        fields.update({k: v for k, v in record.__dict__.items() if k not in _RECORD_ATTRS})
        for key, value in fields.items():
            name = str(key)
            doc[f"field_{name}" if name in _RESERVED else name] = redact.field(name, value)
        if record.exc_info:
            doc["exc"] = redact.text(self.formatException(record.exc_info))
        elif record.exc_text:
            doc["exc"] = redact.text(record.exc_text)
        return doc


class JsonFormatter(_Formatter):
    """One JSON object per line."""

    def format(self, record: logging.LogRecord) -> str:
        line = jsonlib.dumps(self.document(record), ensure_ascii=False, default=str)
        return IDENTITY_PATTERN.sub(MASK, line)  # last net: anything a default= rendering let in


class TextFormatter(_Formatter):
    """``time level logger event key=value ... | message`` for a person at a terminal."""

    def format(self, record: logging.LogRecord) -> str:
        doc = self.document(record)
        head = (
            f"{doc.pop('ts')} {doc.pop('level').upper():7} {doc.pop('logger')} {doc.pop('event')}"
        )
        msg, exc = doc.pop("msg"), doc.pop("exc", None)
        parts = [head, *(f"{k}={v}" for k, v in doc.items())]
        line = " ".join(parts) + (
            f" | {msg}" if msg and msg != record.__dict__.get("event") else ""
        )
        if exc:
            line += "\n" + exc
        return IDENTITY_PATTERN.sub(MASK, line)


# What a console line says for an event: ``(event, fields, level)`` -> the words, or None to
# leave the event out. ``event`` is the event's name (a plain log call: its message template);
# ``fields`` are the event's fields, already pseudonymised.
ConsoleWording = Callable[[str, Mapping[str, Any], int], str | None]


class ConsoleFormatter(_Formatter):
    """``17:05:12  <words>``: one short line per event, for a person watching a console window.

    The words come from the caller (``wording``; the runtime has no business words). An event it
    has no words for is left out (``shows``, the handler's filter); never a field, a reference
    or a traceback, and the line still passes the identity mask.
    """

    def __init__(self, redactor: Redactor, wording: ConsoleWording) -> None:
        super().__init__(redactor)
        self.wording = wording

    def words(self, record: logging.LogRecord) -> str | None:
        doc = self.document(record)
        fields = {k: v for k, v in doc.items() if k not in _RESERVED}
        event = getattr(record, "event", None) or str(record.msg)
        return self.wording(event, fields, record.levelno)

    def shows(self, record: logging.LogRecord) -> bool:
        return self.words(record) is not None

    def format(self, record: logging.LogRecord) -> str:
        clock = datetime.fromtimestamp(record.created).strftime("%H:%M:%S")
        words = " ".join((self.words(record) or "").split())  # one line, whatever it was given
        return IDENTITY_PATTERN.sub(MASK, f"{clock}  {words}")


def _message(record: logging.LogRecord) -> str:
    try:
        return record.getMessage()
    except (TypeError, ValueError):  # bad %-args: show the template, never crash logging
        return str(record.msg)


class _StderrHandler(logging.StreamHandler[TextIO]):
    """Writes to whatever ``sys.stderr`` is at the time (pytest and the UI swap it)."""

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    @property
    def stream(self) -> TextIO:
        return sys.stderr

    @stream.setter
    def stream(self, _value: TextIO) -> None:
        pass


class EventLogger:
    """A logger whose records carry an event name and structured fields."""

    def __init__(self, logger: logging.Logger) -> None:
        self.logger = logger

    def event(self, event: str, /, *, level: int = logging.INFO, **fields: Any) -> None:
        """Log one event (``step_done``, ``retry``, ...) with its fields."""
        self.logger.log(level, event, extra={"event": event, "fields": fields}, stacklevel=2)

    def debug(self, msg: str, *args: object, **fields: Any) -> None:
        self.logger.debug(msg, *args, extra={"fields": fields}, stacklevel=2)

    def info(self, msg: str, *args: object, **fields: Any) -> None:
        self.logger.info(msg, *args, extra={"fields": fields}, stacklevel=2)

    def warning(self, msg: str, *args: object, **fields: Any) -> None:
        self.logger.warning(msg, *args, extra={"fields": fields}, stacklevel=2)

    def error(self, msg: str, *args: object, **fields: Any) -> None:
        self.logger.error(msg, *args, extra={"fields": fields}, stacklevel=2)

    def exception(self, msg: str, *args: object, **fields: Any) -> None:
        self.logger.exception(msg, *args, extra={"fields": fields}, stacklevel=2)


def get_logger(name: str) -> EventLogger:
    return EventLogger(logging.getLogger(name))


def configure_logging(
    settings: Settings,
    *,
    json: bool = True,
    to_file: bool = False,
    level: int | str = logging.INFO,
    stderr_level: int | str | None = None,
    console: ConsoleWording | None = None,
) -> None:
    """Send every log record (the robot's and its libraries') through the redacting formatter.

    stderr gets JSON lines (``json=False``: readable text; ``console``: one short line in those
    words per event it has words for, ``ConsoleFormatter``); ``to_file`` also appends JSON lines
    to ``<data_dir>/logs/reservrobot.jsonl`` (folder 0700, file 0600). ``stderr_level`` lets
    stderr show less than the file (a person at a terminal: warnings only, or
    ``logging.CRITICAL + 1`` for nothing). Calling it again replaces the earlier configuration.
    """
    global _redactor
    _redactor = Redactor(
        Pseudonymizer(settings.pseudonym_key),
        tuple(secret.get_secret_value() for secret in settings.secrets()),
    )
    unconfigure_logging()
    root = logging.getLogger()
    handlers: list[logging.Handler] = [_StderrHandler()]
    if console is not None:
        on_console = ConsoleFormatter(_redactor, console)
        handlers[0].setFormatter(on_console)
        handlers[0].addFilter(on_console.shows)
    else:
        handlers[0].setFormatter(JsonFormatter(_redactor) if json else TextFormatter(_redactor))
    if stderr_level is not None:
        handlers[0].setLevel(stderr_level)
    if to_file:
        file_handler = logging.FileHandler(_private_log_file(settings.data_dir), encoding="utf-8")
        file_handler.setFormatter(JsonFormatter(_redactor))
        handlers.append(file_handler)
    for handler in handlers:
        setattr(handler, _HANDLER_TAG, True)
        root.addHandler(handler)
    root.setLevel(level)


def unconfigure_logging() -> None:
    """Remove the handlers ``configure_logging`` installed (tests, reconfiguration)."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, _HANDLER_TAG, False):
            root.removeHandler(handler)
            handler.close()


def log_file_path(data_dir: Path) -> Path:
    """Where ``configure_logging(..., to_file=True)`` writes (``<data_dir>/logs/...``)."""
    return data_dir / "logs" / LOG_FILE_NAME


def _private_log_file(data_dir: Path) -> Path:
    return private_file(log_file_path(data_dir))
