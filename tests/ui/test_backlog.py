"""Att hantera: a backlog item that needs a person is resolved with the side-by-side view,
and the result is written back to the queue."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from apps.backlog.importer import Importer
from apps.backlog.run import RunOptions, run_backlog
from apps.backlog.store import ItemStatus
from mock_sites.testing import MockSites
from tests.ui.conftest import UiServer
from tests.ui.forms import REGISTERED, expect_outcome, hit_cell, request_cell
from tests.ui.helpers import Screens, find_uncertain_pair

HEADER = "födelsedatum;kön;efternamn;förnamn;patientgrupp;utdelningsadress;postnummer;ort;land"


@pytest.mark.e2e
def test_backlog_item_needing_a_person_is_resolved_and_written_back(
    app_page: Page,
    fresh_mock_sites: MockSites,
    ui_server: UiServer,
    tmp_path_factory: pytest.TempPathFactory,
    screens: Screens,
) -> None:
    store = ui_server.ui.store
    assert store is not None
    pair = find_uncertain_pair(fresh_mock_sites, skip=3)
    person = pair.request
    csv = tmp_path_factory.mktemp("backlog") / "att-registrera.csv"
    csv.write_text(
        f"{HEADER}\n{person.birth_date.isoformat()};{person.sex};{person.family_name};"
        f"{person.given_names};asylsokande;Norra Kungsgatan 3;803 20;Gävle;SE\n",
        encoding="utf-8",
    )
    report = Importer(ui_server.settings, store).import_file(csv)
    assert report.added == 1
    # The real backlog run (a worker process with its own browser) meets the uncertain match.
    summary = run_backlog(ui_server.settings, RunOptions(workers=1, wait_for_retries_s=0))
    assert summary.by_status.get(ItemStatus.NEEDS_PERSON) == 1
    (item,) = [
        i
        for i in store.items(status=ItemStatus.NEEDS_PERSON)
        if i.source and i.source.startswith("att-registrera.csv")
    ]

    page = app_page
    page.get_by_role("link", name="Att hantera").click()
    needs = page.locator("#needs-list")
    expect(needs.get_by_role("heading", name=person.display_name)).to_be_visible()
    expect(page.locator("#counts tr[data-status=needs_person] td")).to_have_text("1")
    expect(page.locator("#last-run")).to_contain_text("Några behöver en person")
    screens.shot(
        page, "20-att-hantera", "Att hantera: ärenden som behöver en person och köns läge."
    )

    needs.get_by_role("link", name=f"Hantera ärendet för {person.display_name}").click()
    expect(hit_cell(page, pair.patient["patient_id"], "name")).to_be_visible()
    expect(request_cell(page, "name")).to_contain_text(person.display_name)
    screens.shot(page, "21-att-hantera-jamfor", "Ett ärende ur kön: samma jämförelse och val.")
    page.get_by_role("button", name="Annan person (fortsätt och skapa)").click()

    expect_outcome(page, REGISTERED)
    patient_id = page.get_by_label("Patient-ID").input_value()
    done = store.get(item.id)
    assert done is not None
    assert done.status is ItemStatus.DONE
    assert done.patient_id == patient_id
    assert any(p["patient_id"] == patient_id for p in fresh_mock_sites.records("pmo")["patients"])
    history = [h.to_status for h in store.history(item.id)]
    assert history[-1] == ItemStatus.DONE
    audit = ui_server.ui.audit
    assert audit is not None
    assert any(
        e.step == "person_decision" and e.result == "different" for e in audit.for_ref(item.ref)
    )

    page.get_by_role("link", name="Tillbaka till Att hantera").click()
    expect(page.get_by_role("heading", name=person.display_name)).to_have_count(0)
    expect(page.locator("#counts tr[data-status=done] td")).not_to_have_text("0")
