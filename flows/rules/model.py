"""Small value types shared by the whole routine."""

from __future__ import annotations

from enum import StrEnum


class Sex(StrEnum):
    """Sex as PMO and Reservnummersystemet record it: ``M`` (man) or ``K`` (kvinna)."""

    MAN = "M"
    KVINNA = "K"

    @property
    def label_sv(self) -> str:
        """The label shown on the sites' radio buttons and result tables."""
        return "Man" if self is Sex.MAN else "Kvinna"

    @classmethod
    def from_label(cls, text: str) -> Sex:
        """Read a sex from a label or code as staff and the sites write it.

        Accepts ``Man``/``Kvinna`` and the codes ``M``/``K`` in any case (and the English
        ``male``/``female``, ``F``, which import files sometimes use). Raises ``ValueError``
        for anything else, so a typo never silently becomes a sex.
        """
        key = text.strip().casefold()
        sex = _LABELS.get(key)
        if sex is None:
            raise ValueError(f"okänt kön: {text!r}")
        return sex


_LABELS: dict[str, Sex] = {
    "m": Sex.MAN,
    "man": Sex.MAN,
    "male": Sex.MAN,
    "k": Sex.KVINNA,
    "kvinna": Sex.KVINNA,
    "f": Sex.KVINNA,
    "female": Sex.KVINNA,
}
