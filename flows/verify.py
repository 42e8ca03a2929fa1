"""Checking what PMO shows: the Patient-ID field before a save, the patient page after it.

Shared by registration (``flows.register``) and completion (``flows.complete``): both check
the Patient-ID field the way the routine says (no red marker, exactly the number), open the
saved patient (the page already shown, else by a birth-date search) and compare its fields.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from flows.context import RoutineContext
from robot.errors import VerificationFailed


def check_patient_id(marker_shown: bool, field_value: str, number: str) -> None:
    """The routine's check after pasting: no red marker, and exactly the created number."""
    if marker_shown:
        raise VerificationFailed(
            "PMO markerar Patient-ID med röd markering (fel format).", code="patient_id_marker"
        )
    if field_value != number:
        raise VerificationFailed(
            "Fältet Patient-ID innehåller inte exakt reservnumret.", code="patient_id_mismatch"
        )


def open_patient(
    birth_date: date,
    patient_id: str,
    *,
    ctx: RoutineContext,
    missing: str = "Patienten hittas inte i PMO.",
) -> dict[str, str]:
    """The patient's page values: the page already shown, the result list, else a search.

    Raises ``VerificationFailed`` (code "not_saved", text ``missing``) when PMO has no patient
    with this Patient-ID on that birth date.
    """
    pmo = ctx.pmo
    if pmo.site.on_site():
        page = pmo.site.page
        if pmo.site.screen("patient").loc(page, "data").count():
            shown = pmo.patient.read()
            if shown.get("patient_id") == patient_id:
                return shown
        elif pmo.search.shows_patient(patient_id):
            pmo.search.open_patient(patient_id)
            return pmo.patient.read()
    hits = pmo.search.search_by_birth_date(birth_date)
    if not any(h.patient_id == patient_id for h in hits):
        raise VerificationFailed(missing, code="not_saved")
    pmo.search.open_patient(patient_id)
    shown = pmo.patient.read()
    if shown.get("patient_id") != patient_id:
        raise VerificationFailed("PMO visar fel Patient-ID.", code="not_saved")
    return shown


def differing_fields(expected: Mapping[str, str], shown: Mapping[str, str]) -> list[str]:
    """The fields whose shown value differs from the expected one (whitespace aside)."""
    return sorted(k for k, v in expected.items() if norm(shown.get(k)) != norm(v))


def require_fields(
    expected: Mapping[str, str], shown: Mapping[str, str], *, ctx: RoutineContext, what: str
) -> None:
    """Raise ``VerificationFailed`` naming (by their PMO labels) the fields that differ."""
    different = differing_fields(expected, shown)
    if different:
        labels = ctx.pmo.site.screen("labels").texts
        raise VerificationFailed(
            what + ", ".join(labels.get(k, k) for k in different), code="verification_failed"
        )


def verify_patient(
    birth_date: date, patient_id: str, expected: Mapping[str, str], *, ctx: RoutineContext
) -> dict[str, str]:
    """Open the saved patient and compare every expected field; the page values."""
    shown = open_patient(birth_date, patient_id, ctx=ctx)
    require_fields(
        expected, shown, ctx=ctx, what="Patienten i PMO skiljer sig från ärendet i fälten: "
    )
    return shown


def norm(value: str | None) -> str:
    return " ".join((value or "").split())
