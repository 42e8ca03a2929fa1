"""Who runs this process: the OS user, as the audit log, the queue and the runs table name it."""

from __future__ import annotations

import getpass

UNKNOWN_USER = "okänd"


def os_user() -> str:
    """The OS user name of this process, or ``okänd`` (some service accounts have no name)."""
    try:
        return getpass.getuser()
    except Exception:  # no name in the password database, no LOGNAME/USER
        return UNKNOWN_USER
