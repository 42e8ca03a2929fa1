"""The label texts that differ between PMO layout a (default) and layout b."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PmoLabels:
    """Texts a person sees that change with the layout; everything else is shared."""

    patient_id: str
    street: str
    city: str
    nav_search: str
    nav_register: str
    save: str
    results: str
    edit: str
    marker: str
    saved: str


LAYOUTS: dict[str, PmoLabels] = {
    "a": PmoLabels(
        patient_id="Patient-ID",
        street="Utdelningsadress",
        city="Ort",
        nav_search="Sök patient",
        nav_register="Registrera",
        save="Spara",
        results="Sökresultat",
        edit="Ändra patientdata",
        marker="Felaktigt format",
        saved="Patienten är sparad",
    ),
    "b": PmoLabels(
        patient_id="Pat-ID",
        street="Adress",
        city="Postort",
        nav_search="Patientsök",
        nav_register="Ny patient",
        save="Spara patient",
        results="Träfflista",
        edit="Redigera patient",
        marker="Fel format",
        saved="Patient sparad",
    ),
}
