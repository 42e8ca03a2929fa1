"""The PostgreSQL backend of ``robot.db`` (psycopg 3): one database for every component.

Connections run in autocommit mode with transactions written out (``BEGIN``, or a read-only
repeatable-read snapshot for reads). ``?`` placeholders become psycopg's ``%s``. Driver errors
that mean the server is at fault (unreachable, login refused, busy, missing rights) become
``StoreError`` naming the database and host, never the password.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from functools import lru_cache
from typing import Any, Literal

import psycopg
import psycopg.conninfo
import psycopg.rows

from robot.errors import ConstraintViolation, StoreError

CONNECT_TIMEOUT_S = 10

_KEEPALIVE = {
    "keepalives": 1,
    "keepalives_idle": 30,
    "keepalives_interval": 10,
    "keepalives_count": 3,
    "tcp_user_timeout": 60_000,
}


class PostgresBackend:
    kind: Literal["postgresql"] = "postgresql"

    def __init__(self, dsn: str, *, application_name: str) -> None:
        try:
            params = psycopg.conninfo.conninfo_to_dict(dsn)
        except psycopg.ProgrammingError as exc:
            raise StoreError(
                "Inställningen RESERVROBOT_STORE_DSN går inte att läsa. Skriv den som "
                "postgresql://användare:lösenord@värd:5432/databas.",
                code="store_unavailable",
            ) from exc
        params.setdefault("connect_timeout", CONNECT_TIMEOUT_S)
        # A server that vanishes (a machine or network gone) is noticed within about a minute
        # instead of a query hanging on a dead TCP connection.
        for name, value in _KEEPALIVE.items():
            params.setdefault(name, value)
        params.setdefault("application_name", application_name)
        self._conninfo = psycopg.conninfo.make_conninfo(**{k: str(v) for k, v in params.items()})
        host = str(params.get("host") or os.environ.get("PGHOST") or "localhost")
        port = str(params.get("port") or os.environ.get("PGPORT") or "5432")
        dbname = str(params.get("dbname") or os.environ.get("PGDATABASE") or params.get("user", ""))
        user = str(params.get("user") or os.environ.get("PGUSER") or "")
        self.host = host
        self.where = f"{dbname} på {host}:{port}" + (f" (användare {user})" if user else "")

    def connect(self) -> psycopg.Connection[Any]:
        conn = psycopg.connect(self._conninfo, autocommit=True, row_factory=psycopg.rows.tuple_row)
        # No server-side prepared statements: they break behind a pooler in transaction mode
        # (pgbouncer, common in regions' database setups) and after a migration alters a table.
        conn.prepare_threshold = None
        return conn

    def close(self, conn: psycopg.Connection[Any]) -> None:
        conn.close()

    def begin(self, conn: psycopg.Connection[Any], *, write: bool) -> None:
        conn.execute("BEGIN" if write else "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")

    def end(self, conn: psycopg.Connection[Any], *, commit: bool, write: bool) -> None:
        conn.execute("COMMIT" if commit else "ROLLBACK")

    def run(self, conn: psycopg.Connection[Any], sql: str, params: Sequence[Any]) -> Any:
        if not params:
            # No parameters: the text goes as written (a literal "%" stays one).
            return conn.execute(sql)
        return conn.execute(pyformat(sql), tuple(params))

    def run_many(
        self, conn: psycopg.Connection[Any], sql: str, rows: Sequence[Sequence[Any]]
    ) -> int:
        with conn.cursor() as cur:
            cur.executemany(pyformat(sql), [tuple(r) for r in rows])
            return int(cur.rowcount)

    def lock(self, conn: psycopg.Connection[Any], name: str) -> None:
        conn.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", (name,))

    def is_broken(self, conn: psycopg.Connection[Any]) -> bool:
        return bool(
            conn.closed or conn.info.transaction_status != psycopg.pq.TransactionStatus.IDLE
        )

    def translate(self, exc: BaseException) -> StoreError | None:
        if not isinstance(exc, psycopg.Error):
            return None
        state = exc.sqlstate or ""
        if isinstance(exc, psycopg.IntegrityError) or state.startswith("23"):
            return ConstraintViolation(
                f"Databasen {self.where}: en rad bryter mot en regel i databasen.",
            )
        if state.startswith("40") or state in {"55P03", "57014"}:
            return StoreError(
                f"Databasen {self.where} var upptagen för länge. Försök igen om en stund.",
                code="store_busy",
            )
        if state == "42501":
            return StoreError(
                f"Databasanvändaren saknar behörighet i databasen {self.where}. Ge rollen de "
                "rättigheter som docs/operations.md beskriver.",
                code="store_forbidden",
            )
        if state in {"28P01", "28000"} or _login_refused(str(exc)):
            return StoreError(
                f"Inloggningen till databasen {self.where} nekades. Kontrollera användare och "
                "lösenord i RESERVROBOT_STORE_DSN.",
                # Not "unavailable": waiting would not help, and an outage is waited out.
                code="store_login_refused",
            )
        lost = isinstance(exc, psycopg.OperationalError | psycopg.InterfaceError) and not state
        if lost or state.startswith(("08", "57P", "53")) or state == "3D000":
            return StoreError(
                f"Databasen {self.where} går inte att nå. Kontrollera att PostgreSQL-servern är "
                "igång och nåbar från den här datorn och att RESERVROBOT_STORE_DSN stämmer.",
                code="store_unavailable",
            )
        return None


# A refused login at connect time carries no SQLSTATE in psycopg, only the server's message
# (in English unless the server's lc_messages says otherwise: then it counts as an outage,
# waited out for a bounded time).
_REFUSED_LOGIN = re.compile(
    r"password authentication failed|role \".*\" does not exist|no pg_hba\.conf entry"
    r"|(GSSAPI|SSPI|certificate) authentication failed|certificate .* does not match"
)


def _login_refused(message: str) -> bool:
    return _REFUSED_LOGIN.search(message) is not None


@lru_cache(maxsize=512)
def pyformat(sql: str) -> str:
    """``?`` placeholders as psycopg's ``%s`` (and a literal ``%`` as ``%%``), outside quotes."""
    out: list[str] = []
    i, n = 0, len(sql)
    while i < n:
        ch = sql[i]
        if ch in "'\"":
            end = i + 1
            while end < n:
                if sql[end] == ch:
                    if end + 1 < n and sql[end + 1] == ch:
                        end += 2
                        continue
                    break
                end += 1
            out.append(sql[i : end + 1].replace("%", "%%"))
            i = end + 1
        elif sql.startswith("--", i):
            end = sql.find("\n", i)
            end = n if end < 0 else end
            out.append(sql[i:end].replace("%", "%%"))
            i = end
        elif ch == "?":
            out.append("%s")
            i += 1
        elif ch == "%":
            out.append("%%")
            i += 1
        else:
            out.append(ch)
            i += 1
    return "".join(out)
