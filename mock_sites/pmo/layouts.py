"""The label texts that differ between PMO layouts a (default), b and c.

Layout c is layout a *drifted*, the way a real system changes under a robot: a renamed button
("Spara uppgifter"), a label moved off its field (the Ort label is plain text beside the field,
so the field has no accessible name) and a field that became a combobox (Land is a select). It
exists for ``reservrobot check-screens`` tests; the robot is not expected to work on it.
"""

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
    templates: str = ""  # template folder, when not the layout's own name
    city_label_detached: bool = False  # the Ort label is beside its field, labelling nothing
    country_as_select: bool = False  # Land is a select (role combobox), not a textbox


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
    "c": PmoLabels(
        patient_id="Patient-ID",
        street="Utdelningsadress",
        city="Ort",
        nav_search="Sök patient",
        nav_register="Registrera",
        save="Spara uppgifter",
        results="Sökresultat",
        edit="Ändra patientdata",
        marker="Felaktigt format",
        saved="Patienten är sparad",
        templates="a",
        city_label_detached=True,
        country_as_select=True,
    ),
}
