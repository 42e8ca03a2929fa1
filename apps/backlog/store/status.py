"""The queue's status vocabulary and its one table of allowed transitions.

Every change of an item's status is written by ``items.write_status``, which checks it against
``TRANSITIONS`` first: an illegal change raises ``IllegalTransition`` and nothing is written.

Terminal states: ``done`` (the robot registered the person or found them registered),
``closed`` (a person closed or handled the case by hand), ``rejected`` (an invalid import row;
a corrected row with the same reference may still replace it). A re-import never reopens
``done`` or ``closed``.
"""

from __future__ import annotations

from enum import StrEnum


class ItemStatus(StrEnum):
    """Where an item stands."""

    PENDING = "pending"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    NEEDS_PERSON = "needs_person"
    FAILED = "failed"
    REJECTED = "rejected"
    CLOSED = "closed"

    @property
    def label_sv(self) -> str:
        """The status as staff read it."""
        return STATUS_LABELS_SV[self]

    @property
    def counted_sv(self) -> tuple[str, str]:
        """The status in a count: the word for one item, and for several."""
        return STATUS_COUNTED_SV[self]

    @property
    def terminal(self) -> bool:
        """True when nothing more happens to the item by itself."""
        return self in TERMINAL


STATUS_LABELS_SV: dict[ItemStatus, str] = {
    ItemStatus.PENDING: "Väntar",
    ItemStatus.IN_PROGRESS: "Pågår",
    ItemStatus.DONE: "Klar",
    ItemStatus.NEEDS_PERSON: "Behöver en person",
    ItemStatus.FAILED: "Misslyckades",
    ItemStatus.REJECTED: "Ogiltig rad",
    ItemStatus.CLOSED: "Hanterad av en person",
}

# The same words in a count ("1 klar", "12 klara"): one, several.
STATUS_COUNTED_SV: dict[ItemStatus, tuple[str, str]] = {
    ItemStatus.PENDING: ("väntar", "väntar"),
    ItemStatus.IN_PROGRESS: ("pågår", "pågår"),
    ItemStatus.DONE: ("klar", "klara"),
    ItemStatus.NEEDS_PERSON: ("behöver en person", "behöver en person"),
    ItemStatus.FAILED: ("misslyckades", "misslyckades"),
    ItemStatus.REJECTED: ("ogiltig rad", "ogiltiga rader"),
    ItemStatus.CLOSED: ("hanterad av en person", "hanterade av en person"),
}

TERMINAL = frozenset({ItemStatus.DONE, ItemStatus.CLOSED, ItemStatus.REJECTED})

# Statuses that no import ever changes (the row is reported as already handled).
NEVER_REOPENED = frozenset({ItemStatus.DONE, ItemStatus.CLOSED})

S = ItemStatus
# from-status (None: the item is new) -> the statuses it may move to.
TRANSITIONS: dict[ItemStatus | None, frozenset[ItemStatus]] = {
    None: frozenset({S.PENDING, S.REJECTED}),
    # claimed; a re-import replaces a waiting request (pending -> pending); a person closes it
    S.PENDING: frozenset({S.IN_PROGRESS, S.PENDING, S.CLOSED}),
    # the outcome of an attempt (a retry waits as pending), or its worker died
    S.IN_PROGRESS: frozenset({S.DONE, S.NEEDS_PERSON, S.PENDING, S.FAILED}),
    # a person decided: back to the robot, or resolved in the attended app, or closed by hand
    S.NEEDS_PERSON: frozenset(
        {S.PENDING, S.IN_PROGRESS, S.DONE, S.NEEDS_PERSON, S.FAILED, S.CLOSED}
    ),
    # ``backlog retry``, or closed by hand
    S.FAILED: frozenset({S.PENDING, S.CLOSED}),
    # a corrected row with the same reference
    S.REJECTED: frozenset({S.PENDING}),
    S.DONE: frozenset(),
    S.CLOSED: frozenset(),
}


class IllegalTransition(ValueError):
    """A status change the lifecycle does not allow (a bug in the caller, never data)."""

    def __init__(self, item_id: int | None, old: ItemStatus | None, new: ItemStatus) -> None:
        self.item_id, self.old, self.new = item_id, old, new
        super().__init__(f"item {item_id}: {old or 'new'} -> {new} is not allowed")


def check_transition(item_id: int | None, old: ItemStatus | None, new: ItemStatus) -> None:
    """Raise ``IllegalTransition`` unless ``old -> new`` is in ``TRANSITIONS``."""
    if new not in TRANSITIONS[old]:
        raise IllegalTransition(item_id, old, new)
