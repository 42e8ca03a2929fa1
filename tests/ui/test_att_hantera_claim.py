"""Two clerks, one "Att hantera" case: the one who chose second sees it read-only.

Another clerk's app (a ``DecisionClaims`` on the same queue, with its own connection, as an app
at another PC) claims the case between this clerk opening it and choosing. This clerk's choice
is then refused with a page naming who handles it; nothing is started, the case still waits.
"""

from __future__ import annotations

from playwright.sync_api import Page, expect

from apps.backlog.store import ItemStatus, WorkerIdentity
from apps.backlog.store.decision_claims import Claimed, DecisionClaims
from apps.ui.jobs import Job, JobKind
from flows.rules.outcome import Candidate, Outcome, OutcomeKind
from flows.rules.request import RegistrationRequest
from robot.db import open_database
from tests.ui.conftest import UiServer

REQUEST = RegistrationRequest.model_validate(
    {
        "birth_date": "1981-03-04",
        "sex": "K",
        "family_name": "Delad",
        "given_names": "Dora",
        "group": "asylsokande",
        "address": {"street": "Gatan 2", "postal_code": "803 20", "city": "Gävle", "country": "SE"},
    }
)


def test_a_case_another_clerk_claimed_is_read_only_and_a_late_choice_is_refused(
    app_page: Page, ui_server: UiServer
) -> None:
    item_id, _ = _needs_person_item(ui_server, "claim-ui-test")
    store = ui_server.ui.store
    assert store is not None

    page = app_page
    page.goto(ui_server.base_url + f"att-hantera/{item_id}")
    cancel = page.get_by_role("button", name="Avbryt")
    expect(cancel).to_be_visible()

    other = DecisionClaims(open_database(ui_server.settings, "queue"), ttl_s=60)
    claim = other.claim(item_id, actor="ui:bertil")
    assert isinstance(claim, Claimed)
    try:
        cancel.click()
        expect(page.locator("#claimed")).to_contain_text("hanteras just nu av bertil")
        expect(page.get_by_role("button", name="Avbryt")).to_have_count(0)
        assert store.get(item_id).status is ItemStatus.NEEDS_PERSON  # type: ignore[union-attr]
        assert item_id not in ui_server.ui.backlog_jobs

        page.goto(ui_server.base_url + f"att-hantera/{item_id}")  # read-only on a fresh look too
        expect(page.locator("#claimed")).to_be_visible()
        different = page.get_by_role("button", name="Annan person (fortsätt och skapa)")
        expect(different).to_have_count(0)
    finally:
        claim.release()
    page.goto(ui_server.base_url + f"att-hantera/{item_id}")
    expect(page.get_by_role("button", name="Avbryt")).to_be_visible()
    expect(page.locator("#claimed")).to_have_count(0)
    # Once the claim is let go, this clerk's choice goes through (and leaves the shared queue
    # as the other tests expect it).
    page.get_by_role("button", name="Avbryt").click()
    expect(page.locator("#claimed")).to_have_count(0)
    assert store.get(item_id).status is ItemStatus.CLOSED  # type: ignore[union-attr]


def _needs_person_item(ui_server: UiServer, ref: str) -> tuple[int, Outcome]:
    store = ui_server.ui.store
    assert store is not None
    item, _ = store.add(ref, REQUEST, source=f"{ref}.csv:2")
    assert store.claim_next(WorkerIdentity.current(ref)) is not None
    candidate = Candidate(
        system="pmo",
        id_value="19810304-02K9",
        id_type="Reservnummer",
        name="Delad, Dorah",
        sex="K",
        match="possible",
        score=0.8,
    )
    outcome = Outcome(
        kind=OutcomeKind.NEEDS_PERSON,
        reason_code="uncertain_match_pmo",
        reason_sv="Osäker träff.",
        candidates=[candidate],
    )
    store.finish(item.id, outcome, status=ItemStatus.NEEDS_PERSON, worker=ref)
    return item.id, outcome


def test_a_follow_up_choice_on_the_job_page_claims_the_case_in_the_store_first(
    app_page: Page, ui_server: UiServer
) -> None:
    """The robot resolved a case and stopped for a person again: the choice on the job page
    is a decision on the queue's case like one in Att hantera, so another clerk holding the
    case blocks it (and no follow-up job starts)."""
    item_id, outcome = _needs_person_item(ui_server, "claim-job-test")
    store = ui_server.ui.store
    assert store is not None
    job = Job(
        kind=JobKind.BACKLOG,
        work=lambda runner, on_step, should_stop: outcome,
        request=REQUEST,
        backlog_item_id=item_id,
        ref="claim-job-test",
    )
    ui_server.ui.jobs.submit(job)
    page = app_page
    page.goto(ui_server.base_url + f"jobb/{job.id}")
    cancel = page.get_by_role("button", name="Avbryt", exact=True)
    expect(cancel).to_be_visible()

    other = DecisionClaims(open_database(ui_server.settings, "queue"), ttl_s=60)
    claim = other.claim(item_id, actor="ui:bertil")
    assert isinstance(claim, Claimed)
    try:
        cancel.click()
        expect(page.locator("#claimed")).to_contain_text("hanteras just nu av bertil")
        assert job.follow_up is None
        assert store.get(item_id).status is ItemStatus.NEEDS_PERSON  # type: ignore[union-attr]
    finally:
        claim.release()
    page.goto(ui_server.base_url + f"jobb/{job.id}")
    page.get_by_role("button", name="Avbryt", exact=True).click()
    expect(page.get_by_role("heading", level=1)).not_to_have_text("")
    assert store.get(item_id).status is ItemStatus.CLOSED  # type: ignore[union-attr]
    # The claim was let go with the case: another clerk could take it now.
    assert other.holder(item_id) is None


def test_a_failed_case_another_clerk_holds_is_left_alone_and_the_page_says_why(
    app_page: Page, ui_server: UiServer
) -> None:
    store = ui_server.ui.store
    assert store is not None
    failing = REQUEST.model_copy(update={"given_names": "Felicia"})
    item, _ = store.add("claim-failed-test", failing, source="fel.csv:2")
    assert store.claim_next(WorkerIdentity.current("claim-failed")) is not None
    failed = Outcome(kind=OutcomeKind.FAILED, reason_code="site_error", reason_sv="Tekniskt fel.")
    store.finish(item.id, failed, status=ItemStatus.FAILED, worker="claim-failed")
    page = app_page
    page.goto(ui_server.base_url + "att-hantera")
    row = page.get_by_role("row").filter(has_text="Delad, Felicia")
    again = row.get_by_role("button", name="Försök igen")
    expect(again).to_be_visible()

    other = DecisionClaims(open_database(ui_server.settings, "queue"), ttl_s=60)
    claim = other.claim(item.id, actor="ui:bertil")
    assert isinstance(claim, Claimed)
    try:
        again.click()
        expect(page.locator("main")).to_contain_text("En annan handläggare hanterar ärendet")
        assert store.get(item.id).status is ItemStatus.FAILED  # type: ignore[union-attr]
    finally:
        claim.release()
    page.get_by_role("row").filter(has_text="Delad, Felicia").get_by_role(
        "button", name="Klar – registrerad för hand"
    ).click()
    expect(page.locator("main")).not_to_contain_text("En annan handläggare hanterar ärendet")
    assert store.get(item.id).status is ItemStatus.CLOSED  # type: ignore[union-attr]
