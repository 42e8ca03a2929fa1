"""The registration routine: search PMO, search Reservnummersystemet, create, register, verify.

The flow follows the routine (``../shared/DOMAIN.md``) and adds the safety a robot needs:

1. Search PMO by birth date; judge every hit with ``flows.matching``. The same person means
   "already registered" (with any Kommun/Län codes that differ from the group, changing
   nothing); a possible match means a person must decide.
2. Search Reservnummersystemet by birth date. The same person with a reservnummer: reuse it;
   with a personnummer or samordningsnummer: a person takes over ("has_personnummer").
3. Create a reservnummer only when both searches found nobody, and write it to the durable
   journal the moment it is read from the page.
4. Register it in PMO through the configured transfer, check PMO's format marker and that the
   field holds exactly the number, fill in the rest (postnummer + Tab before the final
   Ort/Land/Kommun/Län), save.
5. Open the saved patient and compare every field.

Idempotency: a rerun first reads the journal. A patient in PMO whose Patient-ID is the
journaled number is our own earlier save (found, not repeated); a journaled number is never
created again. Creating and saving are retried only after ``already_done`` looked whether the
failed attempt had in fact succeeded.

Protected identities (``request.protected``) get the Patient-ID, sex and name only, and always
end with a person ("protected_identity"); the runner makes sure no evidence is kept.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from playwright.sync_api import Locator

from flows.context import RoutineContext
from flows.countries import country_name_sv
from flows.crashpoint import crash_point
from flows.groups import PatientGroup
from flows.identity import InvalidIdentity, parse_patient_id
from flows.matching import MatchOutcome, MatchResult, PersonKey, judge_hits
from flows.model import Sex
from flows.outcome import Candidate, Decision, Outcome, OutcomeKind, reason_sv
from flows.pages.pmo_form import FormValues, SaveRefused
from flows.pages.pmo_search import PmoHit
from flows.pages.rns_search import RnsHit
from flows.request import RegistrationRequest
from flows.steps import StepTracker
from robot.errors import VerificationFailed

JOURNAL_NUMBER = "reservnummer"  # {"value": str, "reused": bool}
JOURNAL_SAVED = "register_pmo"  # {"patient_id": str}


def journal_key(request: RegistrationRequest) -> str:
    """The pseudonymous journal key: the caller's reference if given, else the fingerprint."""
    if request.external_ref:
        return "ref:" + hashlib.sha256(request.external_ref.encode()).hexdigest()
    return "fp:" + request.fingerprint()


@dataclass(frozen=True)
class _Number:
    value: str
    reused: bool
    source: Locator | None  # where the number is on screen, for the copy step


def register(
    request: RegistrationRequest,
    *,
    ctx: RoutineContext,
    steps: StepTracker,
    decisions: Sequence[Decision] = (),
) -> Outcome:
    """Run the whole routine for one request. Business situations come back as an Outcome;
    application errors (after retries) are raised for the runner to turn into "failed"."""
    group = ctx.groups.get(request.group)
    if group is None:
        return _needs_person("request_invalid", "Okänd patientgrupp.")
    key = journal_key(request)
    journal = ctx.journal.steps(key)
    known = journal.get(JOURNAL_NUMBER)
    person = PersonKey(
        family_name=request.family_name, given_names=request.given_names, sex=request.sex
    )
    verdicts: dict[tuple[str, str], str] = {(d.system, d.id_value): d.verdict for d in decisions}

    # 1. PMO --------------------------------------------------------------------------------
    with steps.step("search_pmo"):
        pmo_hits = ctx.retry(
            lambda: ctx.pmo.search.search_by_birth_date(request.birth_date), step="search_pmo"
        )
    crash_point("search_pmo")
    if known is not None and any(h.patient_id == known["value"] for h in pmo_hits):
        # Our own save from an earlier run that did not finish: verify it, do not redo it.
        for skipped in ("search_rns", "create_rns", "register_pmo"):
            steps.skipped(skipped)
        number = _Number(known["value"], bool(known.get("reused")), None)
        return _verify_and_finish(request, group, number, ctx=ctx, steps=steps, key=key)

    decided = [h for h in pmo_hits if verdicts.get(("pmo", h.patient_id)) == "same"]
    if decided:
        return _already_registered(request, group, decided[0], ctx=ctx, steps=steps)
    open_hits = [h for h in pmo_hits if verdicts.get(("pmo", h.patient_id)) != "different"]
    judged = judge_hits(person, [_pmo_key(h) for h in open_hits], config=ctx.match_config)
    if judged.outcome == "same":
        assert judged.same_index is not None
        hit = open_hits[judged.same_index]
        return _already_registered(request, group, hit, ctx=ctx, steps=steps)
    if judged.outcome == "uncertain":
        return _needs_person(
            "uncertain_match_pmo",
            candidates=[
                _pmo_candidate(h, r)
                for h, r in zip(open_hits, judged.results, strict=True)
                if r.outcome is not MatchOutcome.DIFFERENT
            ],
        )

    # 2. Reservnummersystemet -----------------------------------------------------------------
    if known is not None:
        steps.skipped("search_rns")
        steps.skipped("create_rns")
        number = _Number(known["value"], bool(known.get("reused")), None)
    else:
        found = _search_rns(request, person, verdicts, ctx=ctx, steps=steps)
        if isinstance(found, Outcome):
            return found
        rns_hits, reuse = found
        if reuse is not None:
            steps.skipped("create_rns")
            number = _Number(reuse.id_value, True, ctx.rns.search.number_cell(reuse.id_value))
            ctx.journal.record(key, JOURNAL_NUMBER, {"value": number.value, "reused": True})
        else:
            number = _create_rns(request, person, rns_hits, ctx=ctx, steps=steps, key=key)

    # 3. PMO "Registrera" ------------------------------------------------------------------------
    values = _form_values(request, group, ctx=ctx)
    with steps.step("register_pmo"):
        ctx.retry(
            lambda: _register_in_pmo(number, values, ctx=ctx),
            step="register_pmo",
            already_done=lambda: _saved_in_pmo(request, number.value, ctx=ctx),
        )
    crash_point("register_pmo")
    ctx.journal.record(key, JOURNAL_SAVED, {"patient_id": number.value})

    # 4. Verify -------------------------------------------------------------------------------
    return _verify_and_finish(request, group, number, ctx=ctx, steps=steps, key=key)


# Searching ---------------------------------------------------------------------------------


def _search_rns(
    request: RegistrationRequest,
    person: PersonKey,
    verdicts: Mapping[tuple[str, str], str],
    *,
    ctx: RoutineContext,
    steps: StepTracker,
) -> tuple[list[RnsHit], RnsHit | None] | Outcome:
    """Search RNS; the hits and the hit to reuse (or None), or an Outcome for a person."""

    def search() -> list[RnsHit]:
        ctx.rns.reach()
        return ctx.rns.search.search_by_birth_date(request.birth_date)

    with steps.step("search_rns"):
        hits = ctx.retry(search, step="search_rns")
    crash_point("search_rns")
    decided = [h for h in hits if verdicts.get(("rns", h.id_value)) == "same"]
    open_hits = [h for h in hits if verdicts.get(("rns", h.id_value)) != "different"]
    judged = judge_hits(person, [_rns_key(h, ctx) for h in open_hits], config=ctx.match_config)
    same = [
        h for h, r in zip(open_hits, judged.results, strict=True) if r.outcome is MatchOutcome.SAME
    ]
    with_pnr = [h for h in (decided or same) if h.has_personnummer]
    if with_pnr:
        results = {h.id_value: r for h, r in zip(open_hits, judged.results, strict=True)}
        return _needs_person(
            "has_personnummer",
            candidates=[_rns_candidate(h, results.get(h.id_value), ctx) for h in with_pnr],
        )
    if decided:
        return hits, decided[0]
    if judged.outcome == "same":
        assert judged.same_index is not None
        return hits, open_hits[judged.same_index]
    if judged.outcome == "uncertain":
        return _needs_person(
            "uncertain_match_rns",
            candidates=[
                _rns_candidate(h, r, ctx)
                for h, r in zip(open_hits, judged.results, strict=True)
                if r.outcome is not MatchOutcome.DIFFERENT
            ],
        )
    return hits, None


def _create_rns(
    request: RegistrationRequest,
    person: PersonKey,
    hits_before: list[RnsHit],
    *,
    ctx: RoutineContext,
    steps: StepTracker,
    key: str,
) -> _Number:
    """Create a reservnummer and journal it the moment it is read from the page."""
    before = {h.id_value for h in hits_before}

    def create() -> _Number:
        ctx.rns.reach()
        ctx.rns.create.create(
            birth_date=request.birth_date,
            sex=request.sex,
            family_name=request.family_name,
            given_names=request.given_names,
        )
        value = ctx.rns.result.read_number()
        ctx.journal.record(key, JOURNAL_NUMBER, {"value": value, "reused": False})
        return _Number(value, False, ctx.rns.result.number_field)

    def already_created() -> _Number | None:
        # A number for this person that was not there before the first attempt: that attempt
        # reached the server even though its answer was lost.
        ctx.rns.reach()
        hits = ctx.rns.search.search_by_birth_date(request.birth_date)
        new = [h for h in hits if h.id_value not in before and h.id_type == "reservnummer"]
        judged = judge_hits(person, [_rns_key(h, ctx) for h in new], config=ctx.match_config)
        if judged.outcome != "same" or judged.same_index is None:
            return None
        value = new[judged.same_index].id_value
        ctx.journal.record(key, JOURNAL_NUMBER, {"value": value, "reused": False})
        return _Number(value, False, ctx.rns.search.number_cell(value))

    with steps.step("create_rns"):
        number = ctx.retry(create, step="create_rns", already_done=already_created)
    crash_point("create_rns")
    return number


# Registering -------------------------------------------------------------------------------


def _form_values(
    request: RegistrationRequest, group: PatientGroup, *, ctx: RoutineContext
) -> FormValues:
    if request.protected:
        return FormValues(
            sex=request.sex, family_name=request.family_name, given_names=request.given_names
        )
    address = request.address
    return FormValues(
        sex=request.sex,
        family_name=request.family_name,
        given_names=request.given_names,
        street=address.street,
        postal_code=address.postal_code,
        city=address.city,
        country=country_name_sv(address.country, lists=ctx.countries),
        kommun=group.kommun,
        lan=group.lan,
        info=request.info,
    )


def _register_in_pmo(number: _Number, values: FormValues, *, ctx: RoutineContext) -> str:
    """Copy the number, open "Registrera", paste, check, fill in, check again, save."""
    form = ctx.pmo.form
    source = number.source
    if source is not None and not _shows(source, number.value):
        source = None  # the screen moved on (a retry): the transfer puts it on the clipboard
    ctx.transfer.copy(source, number.value)
    form.open_new()
    ctx.transfer.paste(form, number.value)
    form.leave_patient_id()
    check_patient_id(form.marker_shown(), form.patient_id_value(), number.value)
    form.fill(values)
    _check_form_values(values, ctx=ctx)
    check_patient_id(form.marker_shown(), form.patient_id_value(), number.value)
    try:
        form.save()
    except SaveRefused as exc:
        if exc.taken:
            # Already in use: most likely our own earlier attempt; already_done will tell.
            raise VerificationFailed(
                "PMO säger att Patient-ID redan finns.", code="patient_id_taken"
            ) from exc
        raise
    return number.value


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


def _check_form_values(values: FormValues, *, ctx: RoutineContext) -> None:
    """Read the form back before saving; fill again what the page changed (once)."""
    form = ctx.pmo.form
    expected = values.text_fields()
    actual = form.read_values(list(expected))
    wrong = {k: v for k, v in expected.items() if actual.get(k) != v}
    if wrong:
        form.refill(wrong)
        actual = form.read_values(list(wrong))
        still = sorted(k for k, v in wrong.items() if actual.get(k) != v)
        if still:
            raise VerificationFailed(
                f"Formuläret ändrade fälten {', '.join(still)} innan det sparades.",
                code="form_value_mismatch",
            )
    if form.checked_sex() is not values.sex:
        raise VerificationFailed("Fel kön är markerat i formuläret.", code="form_value_mismatch")


def _saved_in_pmo(
    request: RegistrationRequest, patient_id: str, *, ctx: RoutineContext
) -> str | None:
    """The Patient-ID when PMO already has a patient with it (by a birth-date search)."""
    hits = ctx.pmo.search.search_by_birth_date(request.birth_date)
    return patient_id if any(h.patient_id == patient_id for h in hits) else None


def _shows(locator: Locator, value: str) -> bool:
    """True when the element still shows exactly ``value`` (one round trip, never waits)."""
    try:
        shown: list[str] = locator.evaluate_all(
            "els => els.map(e => ('value' in e ? e.value : e.innerText).trim())"
        )
    except Exception:  # the page navigated away or closed
        return False
    return value in shown


# Verifying ---------------------------------------------------------------------------------


def _verify_and_finish(
    request: RegistrationRequest,
    group: PatientGroup,
    number: _Number,
    *,
    ctx: RoutineContext,
    steps: StepTracker,
    key: str,
) -> Outcome:
    with steps.step("verify"):
        ctx.retry(lambda: _verify(request, group, number.value, ctx=ctx), step="verify")
    crash_point("verify")
    ctx.journal.clear(key)
    if request.protected:
        return Outcome(
            kind=OutcomeKind.NEEDS_PERSON,
            patient_id=number.value,
            reservnummer_reused=number.reused,
            reason_code="protected_identity",
            reason_sv=reason_sv("protected_identity"),
        )
    return Outcome(
        kind=OutcomeKind.REGISTERED, patient_id=number.value, reservnummer_reused=number.reused
    )


def expected_fields(
    request: RegistrationRequest, group: PatientGroup, patient_id: str, *, ctx: RoutineContext
) -> dict[str, str]:
    """What PMO's patient page must show after the registration, by field."""
    expected = {
        "patient_id": patient_id,
        "sex": request.sex.label_sv,
        "family_name": request.family_name,
        "given_names": request.given_names,
    }
    if not request.protected:
        values = _form_values(request, group, ctx=ctx)
        expected.update(values.text_fields())
    return expected


def _verify(
    request: RegistrationRequest, group: PatientGroup, patient_id: str, *, ctx: RoutineContext
) -> None:
    """Open the saved patient and compare every field with the request."""
    shown = open_patient(request, patient_id, ctx=ctx)
    expected = expected_fields(request, group, patient_id, ctx=ctx)
    different = sorted(k for k, v in expected.items() if _norm(shown.get(k)) != _norm(v))
    if different:
        labels = ctx.pmo.site.screen("labels").texts
        raise VerificationFailed(
            "Patienten i PMO skiljer sig från ärendet i fälten: "
            + ", ".join(labels.get(k, k) for k in different),
            code="verification_failed",
        )


def open_patient(
    request: RegistrationRequest, patient_id: str, *, ctx: RoutineContext
) -> dict[str, str]:
    """The patient's page values: the page already shown after a save, else via a search."""
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
    hits = pmo.search.search_by_birth_date(request.birth_date)
    if not any(h.patient_id == patient_id for h in hits):
        raise VerificationFailed("Patienten hittas inte i PMO.", code="not_saved")
    pmo.search.open_patient(patient_id)
    return pmo.patient.read()


def _norm(value: str | None) -> str:
    return " ".join((value or "").split())


# Already registered ------------------------------------------------------------------------


def _already_registered(
    request: RegistrationRequest,
    group: PatientGroup,
    hit: PmoHit,
    *,
    ctx: RoutineContext,
    steps: StepTracker,
) -> Outcome:
    """The person is in PMO: report where the Kommun/Län codes differ, change nothing."""
    if request.protected:
        # Never finished by guesswork: the protected-identity routine is for a person.
        return Outcome(
            kind=OutcomeKind.NEEDS_PERSON,
            patient_id=hit.patient_id,
            reason_code="protected_identity",
            reason_sv=reason_sv("protected_identity"),
        )
    with steps.step("verify"):
        shown = ctx.retry(lambda: open_patient(request, hit.patient_id, ctx=ctx), step="verify")
    labels = ctx.pmo.site.screen("labels").texts
    differences = [
        f"{labels[field]}: {shown.get(field) or '(tomt)'} – patientgruppen har {wanted}"
        for field, wanted in (("kommun", group.kommun), ("lan", group.lan))
        if _norm(shown.get(field)) != wanted
    ]
    return Outcome(
        kind=OutcomeKind.ALREADY_REGISTERED,
        patient_id=hit.patient_id,
        reason_code="codes_differ" if differences else None,
        reason_sv=reason_sv("codes_differ") if differences else None,
        code_differences=differences,
    )


# Candidates and keys -----------------------------------------------------------------------


def _pmo_key(hit: PmoHit) -> PersonKey:
    return PersonKey(family_name=hit.family_name, given_names=hit.given_names, sex=hit.sex)


def _rns_sex(hit: RnsHit, ctx: RoutineContext) -> Sex | None:
    for text in (hit.id_value, hit.personnummer):
        if text:
            try:
                sex = parse_patient_id(text, profile=ctx.profile).sex
            except InvalidIdentity:
                continue
            if sex is not None:
                return sex
    return None


def _rns_key(hit: RnsHit, ctx: RoutineContext) -> PersonKey:
    return PersonKey(
        family_name=hit.family_name, given_names=hit.given_names, sex=_rns_sex(hit, ctx)
    )


def _pmo_candidate(hit: PmoHit, result: MatchResult) -> Candidate:
    return Candidate(
        system="pmo",
        id_value=hit.patient_id,
        id_type=_id_type_of(hit.patient_id),
        name=hit.name,
        sex=hit.sex.label_sv if hit.sex else None,
        personnummer=None,
        match=result.outcome.value,
        score=result.score,
    )


def _rns_candidate(hit: RnsHit, result: MatchResult | None, ctx: RoutineContext) -> Candidate:
    sex = _rns_sex(hit, ctx)
    return Candidate(
        system="rns",
        id_value=hit.id_value,
        id_type=hit.id_type,
        name=hit.name,
        sex=sex.label_sv if sex else None,
        personnummer=hit.personnummer,
        match=result.outcome.value if result else MatchOutcome.SAME.value,
        score=result.score if result else 1.0,
    )


def _id_type_of(patient_id: str) -> str:
    if patient_id.isdigit():
        day = int(patient_id[6:8]) if len(patient_id) >= 8 else 0
        return "samordningsnummer" if day > 60 else "personnummer"
    return "reservnummer"


def _needs_person(
    code: str, detail: str | None = None, *, candidates: list[Candidate] | None = None
) -> Outcome:
    return Outcome(
        kind=OutcomeKind.NEEDS_PERSON,
        reason_code=code,
        reason_sv=detail or reason_sv(code),
        candidates=candidates or [],
    )
