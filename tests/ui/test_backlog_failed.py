"""Att hantera's failed items (#24 point 6): they never run again by themselves, and the page
says so and offers what a person can do: "Försök igen" (back to the queue with a fresh count,
as `reservrobot backlog retry`) and "Klar – registrerad för hand" (closed by a person). Both
are in the audit log with the clerk; a page seen before another clerk acted closes nothing.
Real Chromium against the app and its real queue store."""

from __future__ import annotations

import secrets

from playwright.sync_api import Locator, Page, expect

from apps.backlog.store import Added, ItemStatus, QueueItem, QueueStore, WorkerIdentity
from flows.rules.outcome import Outcome, OutcomeKind
from flows.rules.request import RegistrationRequest
from tests.ui.conftest import UiServer
from tests.ui.helpers import Screens

FAILED_TABLE = "Ärenden som roboten inte kunde slutföra"


def _failed_item(store: QueueStore, family: str) -> QueueItem:
    request = RegistrationRequest.model_validate(
        {
            "birth_date": "1979-05-06",
            "sex": "K",
            "family_name": family,
            "given_names": "Frida",
            "group": "asylsokande",
            "address": {
                "street": "Gatan 1",
                "postal_code": "803 20",
                "city": "Gävle",
                "country": "SE",
            },
        }
    )
    item, added = store.add(f"failed-{secrets.token_hex(4)}", request, source="fel.csv:2")
    assert added is Added.ADDED
    worker = WorkerIdentity.current("failed-test")
    claimed = store.claim_next(worker)
    assert claimed is not None and claimed.id == item.id
    outcome = Outcome(
        kind=OutcomeKind.FAILED,
        reason_code="retries_exhausted",
        reason_sv="Reservnummersystemet svarade inte.",
    )
    store.finish(item.id, outcome, status=ItemStatus.FAILED, attempts=3, worker="failed-test")
    return item


def _row(page: Page, family: str) -> Locator:
    table = page.get_by_role("table", name=FAILED_TABLE)
    return table.get_by_role("row").filter(has_text=f"{family}, Frida")


def _status(store: QueueStore, item: QueueItem) -> ItemStatus:
    now = store.get(item.id)
    assert now is not None
    return now.status


def test_failed_items_are_sent_back_or_closed_by_hand_and_the_words_say_so(
    app_page: Page, ui_server: UiServer, screens: Screens
) -> None:
    store, audit = ui_server.ui.store, ui_server.ui.audit
    assert store is not None and audit is not None
    again = _failed_item(store, "Igenfall")
    by_hand = _failed_item(store, "Handfall")
    stale = _failed_item(store, "Sentfall")

    page = app_page
    page.get_by_role("link", name="Att hantera").click()
    expect(page.locator("section[aria-labelledby=failed-title] p.hint")).to_contain_text(
        "körs inte igen av sig själva"
    )
    expect(page.get_by_text("reservrobot backlog retry")).to_have_count(0)
    screens.shot(page, "33-att-hantera-misslyckade-val", "Misslyckade ärenden: Försök igen, Klar.")

    _row(page, "Igenfall").get_by_role("button", name="Försök igen").click()
    expect(page.locator("#done-note")).to_contain_text("ligger i kön igen med nya försök")
    expect(_row(page, "Igenfall")).to_have_count(0)
    back = store.get(again.id)
    assert back is not None and back.status is ItemStatus.PENDING and back.attempts == 0

    _row(page, "Handfall").get_by_role("button", name="Klar – registrerad för hand").click()
    expect(page.locator("#done-note")).to_contain_text("stängt som registrerat för hand")
    closed = store.get(by_hand.id)
    assert closed is not None and closed.status is ItemStatus.CLOSED
    assert closed.reason_code == "handled_by_person"

    # Another clerk sends the third one back while this page still shows it as failed.
    expect(_row(page, "Sentfall")).to_have_count(1)
    assert store.retry_failed(actor="ui:annan", item_ids=[stale.id]) == [stale.id]
    _row(page, "Sentfall").get_by_role("button", name="Klar – registrerad för hand").click()
    expect(page.locator("#done-note")).to_contain_text("redan ändrats av någon annan")
    assert _status(store, stale) is ItemStatus.PENDING

    entries = audit.for_ref(again.ref) + audit.for_ref(by_hand.ref)
    assert ("ui:testkanslist", "retry", "requeued") in [
        (e.actor, e.step, e.result) for e in entries
    ]
    assert ("ui:testkanslist", "handled_by_person") in [(e.actor, e.result) for e in entries]
    assert not [e for e in audit.for_ref(stale.ref) if e.result == "handled_by_person"]
    # Leave nothing pending for the tests that claim the next item.
    for item in (again, stale):
        store.close_by_person(item.id, reason_code="test", reason_sv="Test.", actor="test")


def test_a_protected_identity_registered_by_the_robot_is_closed_as_rest_done_by_hand(
    app_page: Page, ui_server: UiServer, screens: Screens
) -> None:
    store, audit = ui_server.ui.store, ui_server.ui.audit
    assert store is not None and audit is not None
    request = RegistrationRequest.model_validate(
        {
            "birth_date": "1979-05-07",
            "sex": "M",
            "family_name": "Skyddsfall",
            "given_names": "Sune",
            "group": "asylsokande",
            "protected": True,
        }
    )
    item, added = store.add(f"protected-{secrets.token_hex(4)}", request, source="s.csv:2")
    assert added is Added.ADDED
    claimed = store.claim_next(WorkerIdentity.current("protected-test"))
    assert claimed is not None and claimed.id == item.id
    outcome = Outcome(
        kind=OutcomeKind.NEEDS_PERSON,
        reason_code="protected_identity",
        reason_sv="Skyddade personuppgifter: Patient-ID, kön och namn är registrerade.",
        patient_id="19790507-01M3",
    )
    store.finish(item.id, outcome, status=ItemStatus.NEEDS_PERSON, worker="protected-test")

    page = app_page
    page.goto(ui_server.base_url + f"att-hantera/{item.id}")
    expect(page.get_by_role("button", name="Avbryt ärendet")).to_have_count(0)
    screens.shot(page, "34-skyddad-resten-for-hand", "Skyddad identitet: Klart – resten för hand.")
    page.get_by_role("button", name="Klart – resten är gjort för hand").click()
    expect(page.locator("#done-note")).to_contain_text("resten är gjort för hand")
    closed = store.get(item.id)
    assert closed is not None and closed.status is ItemStatus.CLOSED
    assert closed.reason_code == "handled_by_person"
    assert [
        (e.actor, e.result) for e in audit.for_ref(item.ref) if e.step == "person_decision"
    ] == [("ui:testkanslist", "handled_by_person")]
