"""The registration routine: search PMO, search Reservnummersystemet, create, register, verify.

The flow follows the routine (``../shared/DOMAIN.md``) and adds the safety a robot needs:

1. Search PMO by birth date; judge every hit (``flows.rules.judge``). The same person means
   "already registered" (with any Kommun/Län codes that differ from the group, changing
   nothing); a possible match means a person must decide.
2. Search Reservnummersystemet by birth date. The same person with a reservnummer: reuse it;
   with a personnummer or samordningsnummer: a person takes over ("has_personnummer").
3. Create a reservnummer only when both searches found nobody, and write it to the durable
   journal the moment it is read from the page.
4. Register it in PMO through the configured transfer, check PMO's format marker and that the
   field holds exactly the number, fill in the rest (postnummer + Tab before the final
   Ort/Land/Kommun/Län), save.
5. Open the saved patient and compare every field (``flows.verify``).

Reconcile, never blind retry: a rerun reads the journal, and still searches both systems
before any create or save. A PMO patient holding the journaled number is judged like any hit:
our own spelling and sex mean our own earlier save (verified, not repeated); the same person
in another spelling means somebody else registered them (an old race): already registered. A
journaled number is never created again. A protected person's number is journaled as a keyed
hash only (``flows.journaled``): the rerun finds it again among the hits, and where neither
system lists it a person takes over ("journaled_number_missing"). Creating and saving are
retried only after ``already_done`` looked whether the failed attempt had in fact succeeded.

Protected identities (``request.protected``) get the Patient-ID, sex and name only, and always
end with a person ("protected_identity"); the runner makes sure no evidence is kept. A region
whose profile says ``hand_over`` (``flows.rules.region``) has them handed to a person at once:
nothing is searched, created or saved ("protected_hand_over"). So is a request whose sex is
unknown ("sex_unknown") unless the profile says what PMO's Kön gets (``[sex] unknown_in_pmo``);
then Reservnummersystemet gets "Okänt" (an ``X`` number) and PMO the profile's choice.

The number goes into PMO as the profile keeps it (``RegionProfile.pmo_text``: by default
exactly as Reservnummersystemet shows it, pasted; in the compact form it is typed). Where the
number carries no birth date (SLL), PMO's form gets the birth date too.

A dry run (``dry_run=True``) searches and judges like the real run, then stops before the first
create or save and returns what the real run would end with, marked ``dry_run`` with the
``planned`` action and the codes and address it would write. It never writes the journal.

Long (about 570 lines) because the routine is one ordered chain (search PMO, search RNS, create,
register, verify, with the dry run stopping inside it); judging lives in judge.py and
verification in verify.py.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from flows.context import RoutineContext
from flows.crashpoint import crash_point, pause_point
from flows.journaled import clear_number, number_of, number_record, saved_record
from flows.pages.errors import NamedElement
from flows.pages.pmo_form import SaveRefused
from flows.rules.countries import country_name_sv
from flows.rules.groups import PatientGroup
from flows.rules.judge import (
    RnsJudge,
    Verdicts,
    id_type_of,
    is_exactly,
    judge_pmo,
    judged_others,
    person_key,
    pmo_basis,
)
from flows.rules.matching import PersonKey
from flows.rules.model import Sex
from flows.rules.outcome import (
    Candidate,
    Decision,
    Outcome,
    OutcomeKind,
    PlannedAction,
    needs_person,
    reason_sv,
)
from flows.rules.request import RegistrationRequest, rule_problems
from flows.rules.screens import FormValues, PmoHit, RnsHit
from flows.steps import StepTracker
from flows.transfer import FillTransfer, copy_number, paste_number
from flows.verify import check_patient_id, norm, open_patient, verify_patient
from robot.errors import VerificationFailed

# The data of both: flows.journaled (a protected person's number is kept as a keyed hash).
JOURNAL_NUMBER = "reservnummer"  # {"value": str, "reused": bool} or {"keyed": str, ...}
JOURNAL_SAVED = "register_pmo"  # {"patient_id": str} or {"keyed": str}


def journal_key(request: RegistrationRequest) -> str:
    """The pseudonymous journal key: the caller's reference if given, else the fingerprint."""
    if request.external_ref:
        return "ref:" + hashlib.sha256(request.external_ref.encode()).hexdigest()
    return "fp:" + request.fingerprint()


@dataclass(frozen=True)
class _Number:
    value: str
    reused: bool
    source: NamedElement | None  # where the number is on screen, for the copy step
    # True when ``source`` was read the moment before (the created number): the first copy
    # needs no look whether the screen still shows it.
    just_read: bool = False


@dataclass
class _Seen:
    """What the searches showed, for the outcome's list of people judged to be others."""

    person: PersonKey | None = None
    verdicts: Verdicts | None = None
    pmo_hits: Sequence[PmoHit] = ()
    rns: RnsJudge | None = None
    rns_hits: Sequence[RnsHit] = ()


def register(
    request: RegistrationRequest,
    *,
    ctx: RoutineContext,
    steps: StepTracker,
    decisions: Sequence[Decision] = (),
    verdicts: Verdicts | None = None,
    before_change: Callable[[], None] = lambda: None,
    dry_run: bool = False,
) -> Outcome:
    """Run the whole routine for one request. Business situations come back as an Outcome;
    application errors (after retries) are raised for the runner to turn into "failed".
    ``dry_run``: search and judge only, and say what the real run would do (module docstring).

    The caller holds the birth date's coordination lease (``Runner``), so nobody else searches
    or creates for this birth date meanwhile; the journal is read under it. ``verdicts`` (a
    person's decisions, stored) replace ``decisions`` when given; ``before_change`` runs
    immediately before every press of RNS "Skapa" and PMO "Spara", every retry included (the
    runner's fence: ``LeaseLost`` unless the lease is still ours for the action's time).

    The outcome lists everybody on the birth date judged to be another person (``others``),
    so a person can see whom the robot told apart, and how.
    """
    seen = _Seen()
    outcome = _register(
        request,
        ctx=ctx,
        steps=steps,
        decisions=decisions,
        verdicts=verdicts,
        before_change=before_change,
        dry_run=dry_run,
        seen=seen,
    )
    if seen.person is None or seen.verdicts is None or request.protected:
        return outcome
    others = judged_others(
        seen.person,
        seen.verdicts,
        pmo_hits=seen.pmo_hits,
        rns=seen.rns,
        rns_hits=seen.rns_hits,
        config=ctx.match_config,
        estimated_birth_date=ctx.profile.is_estimated_birth_date(request.birth_date),
    )
    return outcome.model_copy(update={"others": others}) if others else outcome


def _register(
    request: RegistrationRequest,
    *,
    ctx: RoutineContext,
    steps: StepTracker,
    decisions: Sequence[Decision],
    verdicts: Verdicts | None,
    before_change: Callable[[], None],
    dry_run: bool,
    seen: _Seen,
) -> Outcome:
    group = ctx.groups.get(request.group)
    if group is None:
        return needs_person("request_invalid", "Okänd patientgrupp.")
    refused = rule_problems(request, ctx.profile.field_rules)
    if refused:
        # Checked before anything is created: PMO or RNS would refuse these values.
        detail = " ".join(e.message_sv for e in refused)
        return needs_person("field_rules", f"{reason_sv('field_rules')} {detail}")
    if request.protected and ctx.profile.hands_over_protected:
        # The region uses no reservnummer for protected identities: nothing to search or make.
        return needs_person("protected_hand_over")
    if request.sex is Sex.OKANT and not ctx.profile.registers_unknown_sex:
        # No X number unless the profile says what PMO's sex field gets (the routine knows
        # only Man/Kvinna): nothing is searched or created.
        return needs_person("sex_unknown")
    key = journal_key(request)
    known = ctx.journal.steps(key).get(JOURNAL_NUMBER)
    # The journaled number: in clear, or (a protected person's, keyed) once a search shows it.
    number_known = clear_number(known)
    person = person_key(request, reservnummer=number_known)
    estimated = ctx.profile.is_estimated_birth_date(request.birth_date)
    if verdicts is None:
        verdicts = Verdicts.of(decisions)
    seen.person, seen.verdicts = person, verdicts

    # 1. PMO --------------------------------------------------------------------------------
    with steps.step("search_pmo"):
        # Only waiting overlaps: RNS's search loads while PMO's is answered and read; its hits
        # are judged only after PMO's, as the routine says.
        ctx.rns.search.start_search(request.birth_date)
        pmo_hits = ctx.retry(
            lambda: ctx.pmo.search.search_by_birth_date(request.birth_date), step="search_pmo"
        )
    crash_point("search_pmo")
    seen.pmo_hits = pmo_hits
    if known is not None and number_known is None:
        number_known = number_of(known, [h.patient_id for h in pmo_hits], journal=ctx.journal)
        person = person_key(request, reservnummer=number_known)
        seen.person = person
    found = judge_pmo(
        person,
        pmo_hits,
        verdicts,
        config=ctx.match_config,
        estimated_birth_date=estimated,
        profile=ctx.profile,
    )
    if isinstance(found, Outcome):
        return _with_records(request, found, ctx=ctx)
    if found is not None:
        mine = number_known is not None and found.patient_id == _pmo_text(number_known, ctx=ctx)
        if known is not None and number_known is not None and mine and is_exactly(request, found):
            # Our own save from an earlier run that did not finish: verify it, do not redo it.
            for skipped in ("search_rns", "create_rns", "register_pmo"):
                steps.skipped(skipped)
            number = _Number(number_known, bool(known.get("reused")), None)
            if dry_run:
                # Reading the saved patient changes nothing: check it as the real run would.
                _verify(request, group, number, ctx=ctx, steps=steps)
                return _would(request, "verify_saved", number, group, ctx=ctx)
            return _verify_and_finish(request, group, number, ctx=ctx, steps=steps, key=key)
        # Somebody registered the person (perhaps under our journaled number, in a race).
        basis = pmo_basis(
            person,
            found,
            verdicts,
            config=ctx.match_config,
            estimated_birth_date=estimated,
            profile=ctx.profile,
        )
        outcome = _already_registered(request, group, found, basis, ctx=ctx, steps=steps)
        if not dry_run:
            ctx.journal.clear(key)
        return outcome

    # 2. Reservnummersystemet (searched again on a rerun too: reconcile, never assume) -------
    rns_hits = _search_rns(request, ctx=ctx, steps=steps)
    if known is not None and number_known is None:
        number_known = number_of(known, [h.id_value for h in rns_hits], journal=ctx.journal)
        person = person_key(request, reservnummer=number_known)
        seen.person = person
    rns = RnsJudge.build(
        person,
        verdicts,
        pmo_hits=pmo_hits,
        config=ctx.match_config,
        profile=ctx.profile,
        estimated_birth_date=estimated,
    )
    seen.rns = rns
    reuse = rns.judge(rns_hits)
    if isinstance(reuse, Outcome):
        return reuse
    seen.rns_hits = rns_hits
    if reuse is None and known is not None and number_known is None:
        # A protected person's number was journaled (keyed) and neither system lists it: a
        # person looks; a second number is never created.
        return needs_person("journaled_number_missing")
    if dry_run:
        return _plan(request, group, reuse, known, number_known, ctx=ctx)
    if reuse is not None:
        steps.skipped("create_rns")
        journaled = number_known is not None and reuse.id_value == number_known
        reused = bool(known.get("reused")) if known is not None and journaled else True
        number = _Number(reuse.id_value, reused, ctx.rns.search.number_cell(reuse.id_value))
        if known is None or number_known != number.value:
            ctx.journal.record(
                key,
                JOURNAL_NUMBER,
                number_record(request, number.value, reused=True, journal=ctx.journal),
            )
    elif known is not None and number_known is not None:
        # Journaled but not listed as the person's: never create a second one.
        steps.skipped("create_rns")
        number = _Number(number_known, bool(known.get("reused")), None)
    else:
        # PMO's empty form, loaded while RNS's form is: checked before anything is created, so
        # a drifted or unavailable form never leaves a number without a patient (issue 25).
        ctx.pmo.form.start_opening_new()
        ready_keys = list(form_values(request, group, ctx=ctx).text_fields())
        ctx.retry(lambda: ctx.pmo.form.check_ready(ready_keys), step="create_rns")
        number = _create_rns(
            request, rns, rns_hits, ctx=ctx, steps=steps, key=key, before_create=before_change
        )

    # 3. PMO "Registrera" ------------------------------------------------------------------------
    values = form_values(request, group, ctx=ctx)
    attempts = 0

    def register_once() -> str:
        nonlocal attempts
        attempts += 1
        # A retry finds the screen moved on, perhaps: only the first copy trusts just_read.
        current = number if attempts == 1 else replace(number, just_read=False)
        return _register_in_pmo(current, values, ctx=ctx, before_save=before_change)

    with steps.step("register_pmo"):
        ctx.retry(
            register_once,
            step="register_pmo",
            already_done=lambda: _saved_in_pmo(request, _pmo_text(number.value, ctx=ctx), ctx=ctx),
        )
    crash_point("register_pmo")
    saved = saved_record(request, _pmo_text(number.value, ctx=ctx), journal=ctx.journal)
    ctx.journal.record(key, JOURNAL_SAVED, saved)

    # 4. Verify -------------------------------------------------------------------------------
    return _verify_and_finish(request, group, number, ctx=ctx, steps=steps, key=key)


# Dry run -----------------------------------------------------------------------------------


def _plan(
    request: RegistrationRequest,
    group: PatientGroup,
    reuse: RnsHit | None,
    known: dict[str, object] | None,
    number_known: str | None,
    *,
    ctx: RoutineContext,
) -> Outcome:
    """What the real run would do after both searches found nobody to stop for (the same
    choices as ``register`` below, made without creating or saving anything). ``known`` is
    the journaled number's record, ``number_known`` that number (found again, if keyed)."""
    if reuse is not None:
        journaled = number_known is not None and reuse.id_value == number_known
        reused = bool(known.get("reused")) if known is not None and journaled else True
        number = _Number(reuse.id_value, reused, None)
        return _would(request, "reuse_reservnummer", number, group, ctx=ctx)
    if known is not None and number_known is not None:
        number = _Number(number_known, bool(known.get("reused")), None)
        return _would(request, "register_journaled", number, group, ctx=ctx)
    return _would(request, "register_new", None, group, ctx=ctx)


def _would(
    request: RegistrationRequest,
    planned: PlannedAction,
    number: _Number | None,
    group: PatientGroup,
    *,
    ctx: RoutineContext,
) -> Outcome:
    """The outcome the real run would end with after registering (or verifying) ``number``
    (None: a new reservnummer, not known yet), marked as a dry run."""
    values = form_values(request, group, ctx=ctx).text_fields()
    address = {k: v for k, v in values.items() if k not in ("family_name", "given_names")}
    if request.protected:
        outcome = Outcome(
            kind=OutcomeKind.NEEDS_PERSON,
            reason_code="protected_identity",
            reason_sv=reason_sv("protected_identity"),
        )
    else:
        outcome = Outcome(kind=OutcomeKind.REGISTERED)
    outcome.patient_id = _pmo_text(number.value, ctx=ctx) if number else None
    outcome.reservnummer_reused = number.reused if number else False
    outcome.dry_run = True
    outcome.planned = planned
    outcome.planned_values = address
    return outcome


# Searching ---------------------------------------------------------------------------------


def _search_rns(
    request: RegistrationRequest, *, ctx: RoutineContext, steps: StepTracker
) -> list[RnsHit]:
    """Search RNS by birth date (the hits are judged by the caller)."""

    def search() -> list[RnsHit]:
        ctx.rns.reach()
        return ctx.rns.search.search_by_birth_date(request.birth_date)

    with steps.step("search_rns"):
        hits = ctx.retry(search, step="search_rns")
    crash_point("search_rns")
    return hits


def _create_rns(
    request: RegistrationRequest,
    rns: RnsJudge,
    hits_before: list[RnsHit],
    *,
    ctx: RoutineContext,
    steps: StepTracker,
    key: str,
    before_create: Callable[[], None],
) -> _Number:
    """Create a reservnummer and journal it the moment it is read from the page.

    ``before_create`` (the fence) runs right before every press of "Skapa".
    """
    before = {h.id_value for h in hits_before}

    def create() -> _Number:
        ctx.rns.reach()
        pause_point("create_rns")
        ctx.rns.create.create(
            birth_date=request.birth_date,
            sex=request.sex,
            family_name=request.family_name,
            given_names=request.given_names,
            before_submit=before_create,
        )
        value = ctx.rns.result.read_number()
        record = number_record(request, value, reused=False, journal=ctx.journal)
        ctx.journal.record(key, JOURNAL_NUMBER, record)
        return _Number(value, False, ctx.rns.result.number_to_copy(), just_read=True)

    def already_created() -> _Number | None:
        # A number for this person that was not there before the first attempt: that attempt
        # reached the server even though its answer was lost.
        ctx.rns.reach()
        hit = rns.new_number(ctx.rns.search.search_by_birth_date(request.birth_date), before=before)
        if hit is None:
            return None
        record = number_record(request, hit.id_value, reused=False, journal=ctx.journal)
        ctx.journal.record(key, JOURNAL_NUMBER, record)
        return _Number(hit.id_value, False, ctx.rns.search.number_cell(hit.id_value))

    with steps.step("create_rns"):
        number = ctx.retry(create, step="create_rns", already_done=already_created)
    crash_point("create_rns")
    return number


# Registering -------------------------------------------------------------------------------


def form_values(
    request: RegistrationRequest, group: PatientGroup, *, ctx: RoutineContext
) -> FormValues:
    """What goes into PMO's form besides the Patient-ID (protected: sex and name only)."""
    sex = pmo_sex(request, ctx=ctx)
    born = None if ctx.profile.number_has_birth_date else f"{request.birth_date:%Y%m%d}"
    if request.protected:
        return FormValues(
            sex=sex,
            family_name=request.family_name,
            given_names=request.given_names,
            birth_date=born,
        )
    address = request.address
    assert address is not None  # required unless protected (flows.rules.request)
    return FormValues(
        sex=sex,
        family_name=request.family_name,
        given_names=request.given_names,
        street=address.street,
        postal_code=address.postal_code,
        city=address.city,
        country=country_name_sv(address.country, lists=ctx.countries),
        kommun=group.kommun,
        lan=group.lan,
        info=request.info,
        birth_date=born,
    )


def pmo_sex(request: RegistrationRequest, *, ctx: RoutineContext) -> Sex:
    """The sex PMO's form gets: the request's, or for an unknown sex the profile's choice
    (``register`` hands such a request to a person before when the profile has none)."""
    if request.sex is not Sex.OKANT:
        return request.sex
    sex = ctx.profile.pmo_sex_for_unknown
    assert sex is not None  # register() stops before, flows.rules.region
    return sex


def _pmo_text(number: str, *, ctx: RoutineContext) -> str:
    """The number as PMO's Patient-ID holds it (the profile's ``pmo_form``)."""
    return ctx.profile.pmo_text(number)


def _register_in_pmo(
    number: _Number,
    values: FormValues,
    *,
    ctx: RoutineContext,
    before_save: Callable[[], None],
) -> str:
    """Copy the number, open "Registrera", paste, check, fill in, check again, fence, save.

    Where the profile keeps PMO's Patient-ID in another form than Reservnummersystemet shows
    (``pmo_form = "compact"``), pasting would carry the wrong form: the PMO form is typed.
    """
    form = ctx.pmo.form
    pmo_id = _pmo_text(number.value, ctx=ctx)
    transfer = ctx.transfer if pmo_id == number.value else FillTransfer()
    # A source no longer showing the number (a retry): the transfer puts it on the clipboard.
    copy_number(transfer, number.source, number.value, fresh=number.just_read)
    form.open_new()
    paste_number(transfer, form, pmo_id)
    form.leave_patient_id()
    pasted = form.read_form([])  # the Patient-ID and its marker, one round trip
    check_patient_id(pasted.marker, pasted.patient_id, pmo_id)
    form.fill(values)
    _check_form_values(values, pmo_id, ctx=ctx)
    pause_point("register_pmo")
    before_save()
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


def _check_form_values(values: FormValues, number: str, *, ctx: RoutineContext) -> None:
    """Read the whole form back before saving, in one round trip (every field, the ticked
    sex, the Patient-ID and its marker); fill again what the page changed (once)."""
    form = ctx.pmo.form
    expected = values.text_fields()
    reading = form.read_form(list(expected))
    wrong = {k: v for k, v in expected.items() if reading.values.get(k) != v}
    if wrong:
        form.refill(wrong)
        reading = form.read_form(list(expected))
        still = sorted(k for k, v in wrong.items() if reading.values.get(k) != v)
        if still:
            raise VerificationFailed(
                f"Formuläret ändrade fälten {', '.join(still)} innan det sparades.",
                code="form_value_mismatch",
            )
    if reading.sex is not values.sex:
        raise VerificationFailed("Fel kön är markerat i formuläret.", code="form_value_mismatch")
    check_patient_id(reading.marker, reading.patient_id, number)


def _saved_in_pmo(
    request: RegistrationRequest, patient_id: str, *, ctx: RoutineContext
) -> str | None:
    """The Patient-ID when PMO already has a patient with it (by a birth-date search)."""
    hits = ctx.pmo.search.search_by_birth_date(request.birth_date)
    return patient_id if any(h.patient_id == patient_id for h in hits) else None


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
    _verify(request, group, number, ctx=ctx, steps=steps)
    crash_point("verify")
    ctx.journal.clear(key)
    pmo_id = _pmo_text(number.value, ctx=ctx)
    if request.protected:
        return Outcome(
            kind=OutcomeKind.NEEDS_PERSON,
            patient_id=pmo_id,
            reservnummer_reused=number.reused,
            reason_code="protected_identity",
            reason_sv=reason_sv("protected_identity"),
        )
    return Outcome(
        kind=OutcomeKind.REGISTERED, patient_id=pmo_id, reservnummer_reused=number.reused
    )


def _verify(
    request: RegistrationRequest,
    group: PatientGroup,
    number: _Number,
    *,
    ctx: RoutineContext,
    steps: StepTracker,
) -> None:
    """Open the saved patient and compare every field (raises ``VerificationFailed``)."""
    pmo_id = _pmo_text(number.value, ctx=ctx)
    expected = expected_fields(request, group, pmo_id, ctx=ctx)
    with steps.step("verify"):
        ctx.retry(
            lambda: verify_patient(request.birth_date, pmo_id, expected, ctx=ctx),
            step="verify",
        )


def expected_fields(
    request: RegistrationRequest, group: PatientGroup, patient_id: str, *, ctx: RoutineContext
) -> dict[str, str]:
    """What PMO's patient page must show after the registration, by field."""
    expected = {
        "patient_id": patient_id,
        "sex": pmo_sex(request, ctx=ctx).label_sv,
        "family_name": request.family_name,
        "given_names": request.given_names,
    }
    if not request.protected:
        expected.update(form_values(request, group, ctx=ctx).text_fields())
    return expected


# Already registered ------------------------------------------------------------------------


def _with_records(
    request: RegistrationRequest, outcome: Outcome, *, ctx: RoutineContext
) -> Outcome:
    """The PMO candidates a person must compare, with what their patient pages say (address,
    Kommun/Län): the search list alone shows name and sex, too little to compare."""
    candidates = []
    for candidate in outcome.candidates:
        if candidate.system == "pmo":
            number = candidate.id_value

            def read(number: str = number) -> dict[str, str]:
                return open_patient(request.birth_date, number, ctx=ctx)

            shown = ctx.retry(read, step="search_pmo")
            candidate = candidate.model_copy(update=_record_fields(shown))
        candidates.append(candidate)
    return outcome.model_copy(update={"candidates": candidates})


def _record_fields(shown: dict[str, str]) -> dict[str, str | None]:
    """A PMO patient page's address (one line) and codes, as ``Candidate`` holds them."""
    place = " ".join(p for p in (shown.get("postal_code"), shown.get("city")) if p)
    address = ", ".join(p for p in (shown.get("street"), place, shown.get("country")) if p)
    return {
        "address": address or None,
        "kommun": shown.get("kommun") or None,
        "lan": shown.get("lan") or None,
    }


def _already_registered(
    request: RegistrationRequest,
    group: PatientGroup,
    hit: PmoHit,
    basis: tuple[str, str],
    *,
    ctx: RoutineContext,
    steps: StepTracker,
) -> Outcome:
    """The person is in PMO: report the patient as PMO has them, why the robot judged them the
    person (``basis``), and where the Kommun/Län codes differ; change nothing."""
    if request.protected:
        # Never finished by guesswork: the protected-identity routine is for a person.
        return Outcome(
            kind=OutcomeKind.NEEDS_PERSON,
            patient_id=hit.patient_id,
            reason_code="protected_identity",
            reason_sv=reason_sv("protected_identity"),
        )
    with steps.step("verify"):
        shown = ctx.retry(
            lambda: open_patient(request.birth_date, hit.patient_id, ctx=ctx), step="verify"
        )
    labels = ctx.pmo.site.screen("labels").texts
    differences = [
        f"{labels[field]}: {shown.get(field) or '(tomt)'} – patientgruppen har {wanted}"
        for field, wanted in (("kommun", group.kommun), ("lan", group.lan))
        if norm(shown.get(field)) != wanted
    ]
    record = Candidate(
        system="pmo",
        id_value=hit.patient_id,
        id_type=id_type_of(hit.patient_id),
        name=hit.name,
        sex=hit.sex.label_sv if hit.sex else shown.get("sex"),
        match="same",
        score=100.0,
        match_reason=basis[0],
        match_reason_sv=basis[1],
        **_record_fields(shown),
    )
    return Outcome(
        kind=OutcomeKind.ALREADY_REGISTERED,
        patient_id=hit.patient_id,
        reason_code="codes_differ" if differences else None,
        reason_sv=reason_sv("codes_differ") if differences else None,
        code_differences=differences,
        pmo_record=record,
    )
