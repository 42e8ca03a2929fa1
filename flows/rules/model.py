"""Small value types shared by the whole routine."""

from __future__ import annotations

from enum import StrEnum


class Sex(StrEnum):
    """Sex as PMO and Reservnummersystemet record it: ``M`` (man) or ``K`` (kvinna).

    ``X`` (okänt) is a request's "sex unknown", as Region Gävleborg's published reservnummer
    can say it: matching treats it as not known (``known``), and the robot creates such a
    number only where the region profile says what PMO's sex field gets
    (``RegionProfile.registers_unknown_sex``).
    """

    MAN = "M"
    KVINNA = "K"
    OKANT = "X"

    @property
    def label_sv(self) -> str:
        """The label shown on the sites' radio buttons and result tables."""
        return {"M": "Man", "K": "Kvinna"}.get(self.value, "Okänt")

    @property
    def known(self) -> Sex | None:
        """The sex when known (``M``/``K``), None for ``X``: what matching compares."""
        return None if self is Sex.OKANT else self

    @classmethod
    def from_label(cls, text: str) -> Sex:
        """Read a sex from a label or code as staff and the sites write it.

        Accepts ``Man``/``Kvinna``/``Okänt`` and the codes ``M``/``K``/``X`` in any case (and
        the English ``male``/``female``/``unknown``, ``F``, which import files sometimes use).
        Raises ``ValueError``
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
    "x": Sex.OKANT,
    "okänt": Sex.OKANT,
    "okänd": Sex.OKANT,
    "unknown": Sex.OKANT,
}
