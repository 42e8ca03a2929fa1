"""Completing a personnummer: a person with a reservnummer in PMO gets their full personnummer.

The routine: the patient proves their identity and shows a document with the full
personnummer; then search and fetch the patient, "Ändra patientdata", delete the reservnummer
part of the Patient-ID, type the four new digits, save, and check the result against the
document. The robot refuses unless the caller states that a person checked identity and
document, and refuses, before changing anything, a personnummer whose birth date differs
from the reservnummer's, whose sex digit disagrees with the patient's sex, or that another PMO
patient already holds (a possible duplicate: a person resolves it). Everything else on the
patient stays as it was (checked after the save).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from flows.context import RoutineContext
from flows.crashpoint import crash_point
from flows.pages.pmo_form import PmoPatientForm
from flows.rules.identity import (
    BirthDateMismatch,
    IdKind,
    InvalidIdentity,
    PatientId,
    parse_patient_id,
)
from flows.rules.identity import complete_personnummer as completed_id
from flows.rules.model import Sex
from flows.rules.outcome import Candidate, Outcome, OutcomeKind, needs_person, reason_sv
from flows.rules.reserv_formats import Completion
from flows.steps import StepTracker
from flows.verify import check_patient_id, differing_fields, open_patient
from robot.errors import BusinessError, VerificationFailed


class SexMismatch(BusinessError):
    """The personnummer's sex digit says another sex than the patient has in PMO."""

    default_code = "sex_mismatch"


def complete_pnr(
    patient_id: str,
    personnummer: str,
    *,
    identity_checked: bool,
    ctx: RoutineContext,
    steps: StepTracker,
    before_change: Callable[[], None] = lambda: None,
) -> Outcome:
    """Replace a patient's reservnummer in PMO with their personnummer, and verify.

    ``before_change`` runs right before every press of "Spara" (the runner's fence: it raises
    ``LeaseLost`` unless the lease is still ours for the save's time).
    """
    if not identity_checked:
        return needs_person("identity_not_checked")
    try:
        old = parse_patient_id(patient_id, profile=ctx.profile)
        new = completed_id(old, personnummer, profile=ctx.profile)
    except BirthDateMismatch:
        return needs_person("birth_date_mismatch")
    except InvalidIdentity as exc:
        return needs_person("request_invalid", exc.message)
    assert new.birth_date is not None  # a personnummer always has a calendar date
    birth_date = new.birth_date
    old_text = ctx.profile.pmo_text(old.value)  # as PMO's Patient-ID field holds it

    with steps.step("search_pmo"):
        hits = ctx.retry(lambda: ctx.pmo.search.search_by_birth_date(birth_date), step="search_pmo")
    crash_point("search_pmo")
    ids = {h.patient_id for h in hits}
    if old_text not in ids:
        if new.value in ids:  # done before (perhaps by a run that crashed before reporting)
            steps.skipped("change_pmo")
            with steps.step("verify"):
                ctx.retry(lambda: _verify_id(new, ctx=ctx), step="verify")
            return Outcome(kind=OutcomeKind.ALREADY_REGISTERED, patient_id=new.value)
        return needs_person("patient_not_found")
    if new.value in ids:
        # Both the reservnummer and the personnummer are patients: perhaps one person twice.
        return needs_person("personnummer_taken")
    [patient] = [h for h in hits if h.patient_id == old_text]
    if patient.sex is not None and new.sex is not None and patient.sex is not new.sex:
        return _sex_mismatch(patient.sex, new.sex, patient_id=old_text)

    before: dict[str, str] = {}

    def change() -> str:
        before.clear()
        before.update(_open(old_text, birth_date, ctx=ctx))
        _check_sex(before, new)
        ctx.pmo.patient.start_edit()
        form = ctx.pmo.form
        check_patient_id(False, form.patient_id_value(), old_text)
        _type_personnummer(form, old_text, new, completion=ctx.profile.completion)
        form.leave_patient_id()
        check_patient_id(form.marker_shown(), form.patient_id_value(), new.value)
        before_change()  # the fence, immediately before every press of "Spara"
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
        unchanged = {k: v for k, v in before.items() if k != "patient_id"}
        changed = differing_fields(unchanged, shown)
        if changed:
            labels = ctx.pmo.site.screen("labels").texts
            raise VerificationFailed(
                "Andra fält än Patient-ID ändrades: "
                + ", ".join(labels.get(k, k) for k in changed),
                code="verification_failed",
            )
    record = Candidate(
        system="pmo",
        id_value=new.value,
        id_type="personnummer",
        name=patient.name,
        sex=patient.sex.label_sv if patient.sex else None,
        match="same",
        score=100.0,
    )
    return Outcome(
        kind=OutcomeKind.REGISTERED,
        patient_id=new.value,
        former_patient_id=old_text,
        pmo_record=record,
    )


def _sex_mismatch(in_pmo: Sex, in_number: Sex, *, patient_id: str) -> Outcome:
    """A refusal with both values: the personnummer belongs to someone of another sex than the
    patient, so nothing is changed (perhaps a mistyped number, perhaps another patient)."""
    outcome = needs_person(
        "sex_mismatch",
        f"Patienten {patient_id} är {in_pmo.label_sv.lower()} i PMO, men personnumrets "
        f"könssiffra (den näst sista) anger {in_number.label_sv.lower()}. "
        + reason_sv("sex_mismatch"),
    )
    return outcome.model_copy(update={"former_patient_id": patient_id})


def _open(old_text: str, birth_date: date, *, ctx: RoutineContext) -> dict[str, str]:
    """Fetch the patient: from the result list when it is shown, else by a new search."""
    return open_patient(
        birth_date, old_text, ctx=ctx, missing="Patienten hittas inte längre i PMO."
    )


def _check_sex(shown: dict[str, str], new: PatientId) -> None:
    """The patient page's sex must agree with the personnummer's sex digit."""
    try:
        sex = Sex.from_label(shown.get("sex", ""))
    except ValueError:
        return  # the page shows no sex: the search hit was checked already
    if new.sex is not None and sex is not new.sex:
        raise SexMismatch(
            "Personnumrets könssiffra stämmer inte med patientens kön i PMO. Inget har ändrats.",
            code="sex_mismatch",
        )


def _type_personnummer(
    form: PmoPatientForm, old_text: str, new: PatientId, *, completion: Completion
) -> None:
    """Change the Patient-ID field from the reservnummer to the personnummer.

    ``last_four`` (Region Gävleborg's routine): delete the last four characters and type the
    personnummer's last four. PMO holds personnummer as 12 digits, so a hyphen the
    reservnummer kept in PMO (``YYYYMMDD-NNSC``) is deleted too (the routine's printed form
    leaves the date part). ``replace``: delete the whole field and type the personnummer.
    """
    if completion == "replace":
        form.replace_reserve_part(old_text, new.value)
        return
    kept = old_text[:-4].rstrip("-")  # the date part
    form.replace_reserve_part(old_text[len(kept) :], new.value[len(kept) :])


def _verify_id(new: PatientId, *, ctx: RoutineContext) -> dict[str, str]:
    """Open the patient under the new Patient-ID and check the page shows it."""
    assert new.birth_date is not None
    if new.kind is not IdKind.PERSONNUMMER:  # pragma: no cover - completed_id guarantees it
        raise VerificationFailed("Patient-ID är inget personnummer.", code="verification_failed")
    return open_patient(
        new.birth_date, new.value, ctx=ctx, missing="Patienten med personnumret hittas inte i PMO."
    )
