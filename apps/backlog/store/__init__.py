"""The durable work queue: typed items, an explicit lifecycle, SQLite or PostgreSQL.

Every registration waiting in the backlog is a ``QueueItem`` with a stable reference (the
input's own reference, or a fingerprint of the person), its ``RegistrationRequest``, a status,
the number of failed attempts and the last ``Outcome``. Every change of status is checked
against the one transition table (``status.TRANSITIONS``) and written to a history table;
every ``backlog run`` to a runs table; every worker to a registry.

The package, by role: ``status`` (vocabulary, transitions), ``policy`` (outcome -> status),
``identity`` (who holds an item), ``model``/``rows`` (typed records), ``schema`` (numbered
migrations), ``items`` (adding, claiming, finishing), ``maintenance`` (a person's decisions,
recovery, purging), ``queries`` (reading), ``claim`` (a held item as a context manager),
``runs``, ``workers`` (registry, machine modes), ``protocol`` (the roles), ``vault`` (a protected
person's columns sealed, persons and birth dates keyed with the pseudonym key).

Concurrency: several processes and machines use one store at once. On SQLite every write is a
``BEGIN IMMEDIATE`` transaction; on PostgreSQL a claim takes an advisory lock, then the row
``FOR UPDATE SKIP LOCKED``. Either way two workers never take the same item, and never two
items of the same birth date (a partial unique index says so in the database as well).
"""

from __future__ import annotations

from pathlib import Path
from types import TracebackType
from typing import Self

from pydantic import SecretStr

from apps.backlog.store.claim import Claim, RideOut, call_directly, failed_outcome
from apps.backlog.store.identity import (
    SIMULATED_HOST_ENV,
    WorkerIdentity,
    default_machine,
    host_name,
)
from apps.backlog.store.items import ItemWrites
from apps.backlog.store.maintenance import ItemMaintenance
from apps.backlog.store.model import (
    MODE_SV,
    Added,
    HistoryEntry,
    MachineMode,
    QueueItem,
    RowProblem,
    RowRejection,
    RunItem,
    RunRecord,
    WorkerRecord,
)
from apps.backlog.store.policy import Next, RetryPlan, next_status
from apps.backlog.store.protocol import (
    QueueMaintenance,
    QueueReader,
    QueueStore,
    QueueWorker,
    QueueWriter,
)
from apps.backlog.store.queries import ItemReads
from apps.backlog.store.rows import utcnow
from apps.backlog.store.runs import Runs
from apps.backlog.store.schema import COMPONENT, MIGRATIONS, SCHEMA_VERSION
from apps.backlog.store.status import (
    IllegalTransition,
    ItemStatus,
    check_transition,
)
from apps.backlog.store.vault import Vault
from apps.backlog.store.workers import WorkerRegistry
from robot.db import Database, StoreError, open_database, open_sqlite
from robot.settings import PLACEHOLDER_PSEUDONYM_KEY, Settings
from robot.store_key import verify_store_key

QUEUE_FILE = f"{COMPONENT}.sqlite3"
_PLACEHOLDER = SecretStr(PLACEHOLDER_PSEUDONYM_KEY)

__all__ = [
    "MODE_SV",
    "QUEUE_FILE",
    "SCHEMA_VERSION",
    "SIMULATED_HOST_ENV",
    "Added",
    "Claim",
    "DatabaseQueueStore",
    "HistoryEntry",
    "IllegalTransition",
    "ItemStatus",
    "MachineMode",
    "Next",
    "QueueItem",
    "QueueMaintenance",
    "QueueReader",
    "QueueStore",
    "QueueWorker",
    "QueueWriter",
    "RetryPlan",
    "RideOut",
    "RowProblem",
    "RowRejection",
    "RunItem",
    "RunRecord",
    "StoreError",
    "WorkerIdentity",
    "WorkerRecord",
    "check_transition",
    "default_machine",
    "failed_outcome",
    "host_name",
    "next_status",
    "open_store",
    "queue_path",
    "utcnow",
]


class DatabaseQueueStore(ItemWrites, ItemMaintenance, ItemReads, Runs, WorkerRegistry):
    """``QueueStore`` on a ``robot.db.Database`` (SQLite file or PostgreSQL). Thread-safe.

    ``key`` is the region's pseudonym key (``Settings.pseudonym_key``; ``open_store`` passes
    it and checks it against the store's): persons are keyed and a protected person's columns
    sealed with it (``vault``). Without one (tests, tools) the published placeholder key is
    used, which ``doctor`` refuses for real use.
    """

    def __init__(self, db: Database, *, key: SecretStr = _PLACEHOLDER) -> None:
        self.db = db
        self.vault = Vault(key)
        self.version = db.migrate(COMPONENT, MIGRATIONS)
        self.vault.upgrade(db)

    @classmethod
    def at(cls, path: Path, *, key: SecretStr = _PLACEHOLDER) -> DatabaseQueueStore:
        """The queue in one SQLite file (tests, tools)."""
        return cls(open_sqlite(Path(path)), key=key)

    @property
    def kind(self) -> str:
        return self.db.kind

    def claim(
        self,
        worker: WorkerIdentity,
        *,
        plan: RetryPlan,
        actor: str,
        run_id: int | None = None,
        beat_s: float | None = None,
        ride_out: RideOut | None = None,
    ) -> Claim | None:
        """Take the next due item (see ``claim_next``) as a ``Claim`` to settle.

        ``ride_out`` carries the claim and its outcome's write-back through a store outage
        (the worker's ``StoreOutage.call``; see ``Claim``).
        """
        through = ride_out or call_directly
        item = through(lambda: self.claim_next(worker, run_id=run_id))
        if item is None:
            return None
        return Claim(self, item, worker, plan=plan, actor=actor, beat_s=beat_s, ride_out=through)

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def open_store(settings: Settings) -> DatabaseQueueStore:
    """The queue of these settings (``Settings.store_dsn``; empty: SQLite in ``data_dir``).

    Raises ``StoreError`` (with a Swedish message) when the store is unreadable or damaged,
    and ``StoreKeyMismatch`` when the store was first used with another pseudonym key (its
    persons' keys and sealed columns are that key's).
    """
    db = open_database(settings, COMPONENT)
    try:
        verify_store_key(db, settings.pseudonym_key)
        return DatabaseQueueStore(db, key=settings.pseudonym_key)
    except BaseException:
        db.close()
        raise


def queue_path(settings: Settings) -> Path:
    """The SQLite queue file of these settings (also where the run lock lives)."""
    return Path(settings.data_dir) / QUEUE_FILE
