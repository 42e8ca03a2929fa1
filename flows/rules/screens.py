"""What the screens show and what the robot puts into them, as plain data.

The page objects (``flows/pages/``) fill these from the screens and take them to fill forms; the
pure rules (judging, verifying) reason about them without a browser. procrastinate keeps its
``Job`` apart from the database code in the same way.
"""

from __future__ import annotations

from dataclasses import dataclass

from flows.rules.model import Sex


@dataclass(frozen=True)
class PmoHit:
    """One row of PMO's search result."""

    patient_id: str
    name: str
    family_name: str
    given_names: str
    sex: Sex | None


@dataclass(frozen=True)
class RnsHit:
    """One row of Reservnummersystemet's search result.

    ``id_type`` is normalised to "reservnummer", "personnummer" or "samordningsnummer" (the
    key in the selector file's [search.id_types]); ``personnummer`` is the person's personnummer
    or samordningsnummer when they have one.
    """

    personnummer: str | None
    name: str
    family_name: str
    given_names: str
    id_type: str
    id_value: str

    @property
    def has_personnummer(self) -> bool:
        return bool(self.personnummer) or self.id_type != "reservnummer"


@dataclass(frozen=True)
class FormValues:
    """What the robot puts into the form besides the Patient-ID (None: leave the field alone)."""

    sex: Sex
    family_name: str
    given_names: str
    street: str | None = None
    postal_code: str | None = None
    city: str | None = None
    country: str | None = None
    kommun: str | None = None
    lan: str | None = None
    info: str | None = None
    # ÅÅÅÅMMDD, for PMO's "Födelsedatum" where the reservnummer carries no birth date (SLL);
    # not one of the text fields read back (PMO's birth-date search finds the patient by it).
    birth_date: str | None = None

    def text_fields(self) -> dict[str, str]:
        """The text fields to fill, in the order the routine fills them."""
        order = (
            "family_name",
            "given_names",
            "street",
            "postal_code",
            "city",
            "country",
            "kommun",
            "lan",
            "info",
        )
        return {k: v for k in order if (v := getattr(self, k)) is not None}


@dataclass(frozen=True)
class FormReading:
    """What the form shows: text fields by key, the ticked sex, the Patient-ID and its marker."""

    values: dict[str, str]
    sex: Sex | None
    patient_id: str
    marker: bool
