"""Two clerks, one "Att hantera" case: the one who chose second sees it read-only.

Another clerk's app (a ``DecisionClaims`` on the same queue, with its own connection, as an app
at another PC) claims the case between this clerk opening it and choosing. This clerk's choice
is then refused with a page naming who handles it; nothing is started, the case still waits.
"""

from __future__ import annotations

from playwright.sync_api import Page, expect

from apps.backlog.store import ItemStatus, WorkerIdentity
from apps.backlog.store.decision_claims import Claimed, DecisionClaims
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
    store = ui_server.ui.store
    assert store is not None
    item, _ = store.add("claim-ui-test", REQUEST, source="delad.csv:2")
    assert store.claim_next(WorkerIdentity.current("claim-ui")) is not None
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
    store.finish(item.id, outcome, status=ItemStatus.NEEDS_PERSON, worker="claim-ui")

    page = app_page
    page.goto(ui_server.base_url + f"att-hantera/{item.id}")
    cancel = page.get_by_role("button", name="Avbryt")
    expect(cancel).to_be_visible()

    other = DecisionClaims(open_database(ui_server.settings, "queue"), ttl_s=60)
    claim = other.claim(item.id, actor="ui:bertil")
    assert isinstance(claim, Claimed)
    try:
        cancel.click()
        expect(page.locator("#claimed")).to_contain_text("hanteras just nu av bertil")
        expect(page.get_by_role("button", name="Avbryt")).to_have_count(0)
        assert store.get(item.id).status is ItemStatus.NEEDS_PERSON  # type: ignore[union-attr]
        assert item.id not in ui_server.ui.backlog_jobs

        page.goto(ui_server.base_url + f"att-hantera/{item.id}")  # read-only on a fresh look too
        expect(page.locator("#claimed")).to_be_visible()
        different = page.get_by_role("button", name="Annan person (fortsätt och skapa)")
        expect(different).to_have_count(0)
    finally:
        claim.release()
    page.goto(ui_server.base_url + f"att-hantera/{item.id}")
    expect(page.get_by_role("button", name="Avbryt")).to_be_visible()
    expect(page.locator("#claimed")).to_have_count(0)
    # Once the claim is let go, this clerk's choice goes through (and leaves the shared queue
    # as the other tests expect it).
    page.get_by_role("button", name="Avbryt").click()
    expect(page.locator("#claimed")).to_have_count(0)
    assert store.get(item.id).status is ItemStatus.CLOSED  # type: ignore[union-attr]
