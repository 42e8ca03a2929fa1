"""The project's error hierarchy.

Business errors mean the input or the situation needs a person: they are never retried.
Application errors mean something technical went wrong (a site is down, slow, logged out, a
selector is missing): they are retried with backoff. Anything unknown is treated as an
application error. Errors become exit codes or item statuses only at the edges (CLI, queue
worker, UI).
"""

from __future__ import annotations


class RobotError(Exception):
    """Root of every error this project raises on purpose.

    ``code`` is a stable machine-readable identifier; ``message`` is human text (Swedish where a
    clerk will read it). Neither may contain identity numbers or names.
    """

    default_code = "robot_error"

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.code = code or self.default_code
        self.message = message

    def __str__(self) -> str:
        return f"[{self.code}] {self.message}"


class BusinessError(RobotError):
    """The situation needs a person; retrying cannot help."""

    default_code = "business_error"


class ApplicationError(RobotError):
    """A technical failure; the step may be retried."""

    default_code = "application_error"


class SiteError(ApplicationError):
    """A site answered with a server error or an error page."""

    default_code = "site_error"


class SessionExpired(ApplicationError):
    """The site showed its login page in the middle of a step."""

    default_code = "session_expired"


class SelectorMissing(ApplicationError):
    """An expected element was not found on the page."""

    default_code = "selector_missing"


class VerificationFailed(ApplicationError):
    """What the site shows after a save differs from what was asked for."""

    default_code = "verification_failed"


class StoreError(RobotError):
    """The store (SQLite file or PostgreSQL database) is unreadable, corrupt, busy or out of reach.

    ``code`` says which: ``store_corrupt``, ``store_unavailable``, ``store_busy``,
    ``store_forbidden``, ``store_login_refused``, ``store_too_new``. The message names the
    file or the host, never a password. Never "nothing to do": an entry point that meets one
    exits non-zero.
    """

    default_code = "store_error"


class ConstraintViolation(StoreError):
    """A write broke a uniqueness or other constraint of the store's schema."""

    default_code = "store_constraint"


class ConfigError(RobotError):
    """The configuration is incomplete or contradictory."""

    default_code = "config_error"
