"""Who is deciding an "Att hantera" case right now: a claim in the store, not in one app.

Clerks at different PCs (each with an attended app) may open the same case. Before a clerk's
choice does anything, the app claims the case in the shared store: a lease
(``robot.leases``) keyed by the item, held by the clerk, renewed by a heartbeat while the
robot works on the case and released after the result is written back. One atomic statement
decides between two clerks choosing at once: exactly one gets the claim; the other is told who
handles the case, and sees it read-only. An app that dies leaves a claim that expires after the
lease time.
"""

from __future__ import annotations

import queue
import threading
from dataclasses import dataclass

from robot.db import Database
from robot.leases import LeaseHeld, Leases


def claim_key(item_id: int) -> str:
    return f"decision:{item_id}"


@dataclass
class Claimed:
    """A held claim; ``release()`` once the case's result is written back (idempotent)."""

    item_id: int
    _done: threading.Event
    _thread: threading.Thread

    def release(self) -> None:
        self._done.set()
        self._thread.join(timeout=30)


class DecisionClaims:
    """Claims on queue items in ``db`` (the queue's store), ``ttl_s`` each while unrenewed."""

    def __init__(self, db: Database, *, ttl_s: float) -> None:
        self.leases = Leases(db)
        self.ttl_s = ttl_s

    def claim(self, item_id: int, *, actor: str) -> Claimed | str:
        """The claim, or the name of whoever holds it now."""
        answer: queue.Queue[Claimed | str | BaseException] = queue.Queue()
        done = threading.Event()

        def hold() -> None:
            try:
                with self.leases.hold(claim_key(item_id), holder=actor, ttl_s=self.ttl_s, wait_s=0):
                    answer.put(Claimed(item_id, done, thread))
                    done.wait()
            except LeaseHeld as held:
                answer.put(held.info.holder if held.info is not None else "en annan handläggare")
            except BaseException as exc:  # the store failed: the caller shows it
                answer.put(exc)

        thread = threading.Thread(target=hold, name=f"claim-{item_id}", daemon=True)
        thread.start()
        got = answer.get()
        if isinstance(got, BaseException):
            raise got
        return got

    def holder(self, item_id: int) -> str | None:
        """Who holds the claim on ``item_id`` now (None: nobody, or it expired)."""
        info = self.leases.holder_of(claim_key(item_id))
        return None if info is None or info.expired else info.holder
