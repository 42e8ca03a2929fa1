"""Completing a personnummer: a person with a reservnummer in PMO gets their full personnummer.

The routine: the patient proves their identity and shows a document with the full
personnummer; then search and fetch the patient, "Ändra patientdata", delete the reservnummer
part of the Patient-ID, type the four new digits, save, and check the result against the
document. The robot refuses unless the caller states that a person checked identity and
document, and refuses a personnummer whose birth date differs from the reservnummer's.
Everything else on the patient stays as it was (checked after the save).
"""

from __future__ import annotations

from datetime import date

from flows.context import RoutineContext
from flows.crashpoint import crash_point
from flows.identity import BirthDateMismatch, IdKind, InvalidIdentity, PatientId, parse_patient_id
from flows.identity import complete_personnummer as completed_id
from flows.outcome import Outcome, OutcomeKind, reason_sv
from flows.pages.pmo_form import PmoPatientForm
from flows.register import check_patient_id
from flows.steps import StepTracker
from robot.errors import VerificationFailed


def complete_pnr(
    patient_id: str,
    personnummer: str,
    *,
    identity_checked: bool,
    ctx: RoutineContext,
    steps: StepTracker,
) -> Outcome:
    """Replace a patient's reservnummer in PMO with their personnummer, and verify."""
    if not identity_checked:
        return _needs_person("identity_not_checked")
    try:
        old = parse_patient_id(patient_id, profile=ctx.profile)
        new = completed_id(old, personnummer, profile=ctx.profile)
    except BirthDateMismatch:
        return _needs_person("birth_date_mismatch")
    except InvalidIdentity as exc:
        return _needs_person("request_invalid", exc.message)
    assert new.birth_date is not None  # a personnummer always has a calendar date
    birth_date = new.birth_date

    with steps.step("search_pmo"):
        hits = ctx.retry(lambda: ctx.pmo.search.search_by_birth_date(birth_date), step="search_pmo")
    crash_point("search_pmo")
    ids = {h.patient_id for h in hits}
    if old.value not in ids:
        if new.value in ids:  # done before (perhaps by a run that crashed before reporting)
            steps.skipped("change_pmo")
            with steps.step("verify"):
                ctx.retry(lambda: _verify_id(new, ctx=ctx), step="verify")
            return Outcome(kind=OutcomeKind.ALREADY_REGISTERED, patient_id=new.value)
        return _needs_person("patient_not_found")

    before: dict[str, str] = {}

    def change() -> str:
        before.clear()
        before.update(_open(old, birth_date, ctx=ctx))
        ctx.pmo.patient.start_edit()
        form = ctx.pmo.form
        check_patient_id(False, form.patient_id_value(), old.value)
        _type_personnummer(form, old, new)
        form.leave_patient_id()
        check_patient_id(form.marker_shown(), form.patient_id_value(), new.value)
        form.save()
        return new.value

    def already_changed() -> str | None:
        found = ctx.pmo.search.search_by_birth_date(birth_date)
        return new.value if any(h.patient_id == new.value for h in found) else None

    with steps.step("change_pmo"):
        ctx.retry(change, step="change_pmo", already_done=already_changed)
    crash_point("change_pmo")

    with steps.step("verify"):
        shown = ctx.retry(lambda: _verify_id(new, ctx=ctx), step="verify")
        changed = sorted(
            k for k, v in before.items() if k != "patient_id" and shown.get(k, "") != v
        )
        if changed:
            labels = ctx.pmo.site.screen("labels").texts
            raise VerificationFailed(
                "Andra fält än Patient-ID ändrades: "
                + ", ".join(labels.get(k, k) for k in changed),
                code="verification_failed",
            )
    return Outcome(kind=OutcomeKind.REGISTERED, patient_id=new.value)


def _open(old: PatientId, birth_date: date, *, ctx: RoutineContext) -> dict[str, str]:
    """Fetch the patient: from the result list when it is shown, else by a new search."""
    search = ctx.pmo.search
    if not (ctx.pmo.site.on_site() and search.shows_patient(old.value)):
        found = search.search_by_birth_date(birth_date)
        if not any(h.patient_id == old.value for h in found):
            raise VerificationFailed("Patienten hittas inte längre i PMO.", code="not_found")
    search.open_patient(old.value)
    return ctx.pmo.patient.read()


def _type_personnummer(form: PmoPatientForm, old: PatientId, new: PatientId) -> None:
    """Delete the reservnummer part after the date and type the personnummer's last digits."""
    field = form.patient_id_field
    field.focus()
    field.press("End")
    for _ in old.reserve_part:
        field.press("Backspace")
    field.press_sequentially(new.reserve_part)


def _verify_id(new: PatientId, *, ctx: RoutineContext) -> dict[str, str]:
    """Open the patient under the new Patient-ID and check the page shows it."""
    pmo = ctx.pmo
    if pmo.site.on_site() and pmo.site.screen("patient").loc(pmo.site.page, "data").count():
        shown = pmo.patient.read()
        if shown.get("patient_id") == new.value:
            return shown
    assert new.birth_date is not None
    found = pmo.search.search_by_birth_date(new.birth_date)
    if not any(h.patient_id == new.value for h in found):
        raise VerificationFailed("Patienten med personnumret hittas inte i PMO.", code="not_saved")
    pmo.search.open_patient(new.value)
    shown = pmo.patient.read()
    if shown.get("patient_id") != new.value:
        raise VerificationFailed("PMO visar fel Patient-ID efter ändringen.", code="not_saved")
    if new.kind is not IdKind.PERSONNUMMER:  # pragma: no cover - completed_id guarantees it
        raise VerificationFailed("Patient-ID är inget personnummer.", code="verification_failed")
    return shown


def _needs_person(code: str, detail: str | None = None) -> Outcome:
    return Outcome(
        kind=OutcomeKind.NEEDS_PERSON, reason_code=code, reason_sv=detail or reason_sv(code)
    )
