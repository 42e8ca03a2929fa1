"""Att hantera at a glance: counts, failed items with their reason and evidence, safely served."""

from __future__ import annotations

import base64
from datetime import date

import httpx
from playwright.sync_api import Page, expect

from apps.backlog.store import Added, ItemStatus, WorkerIdentity
from flows.rules.outcome import Outcome, OutcomeKind
from flows.rules.request import RegistrationRequest
from tests.ui.conftest import UiServer
from tests.ui.helpers import Screens

# A 1x1 PNG, standing in for the robot's screenshot of a failed step.
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)


def test_failed_item_shows_reason_and_evidence_but_nothing_outside_the_evidence_folder(
    app_page: Page, ui_server: UiServer, screens: Screens
) -> None:
    store = ui_server.ui.store
    assert store is not None
    folder = ui_server.settings.evidence_path / date.today().isoformat() / "p_0123456789ab"
    folder.mkdir(parents=True)
    (folder / "screen-0-0.png").write_bytes(PNG)
    request = RegistrationRequest.model_validate(
        {
            "birth_date": "1980-02-03",
            "sex": "K",
            "family_name": "Felfall",
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
    item, added = store.add("status-test-failed", request, source="status.csv:2")
    assert added is Added.ADDED
    worker = WorkerIdentity.current("status-test")
    claimed = store.claim_next(worker)
    assert claimed is not None and claimed.id == item.id
    outcome = Outcome(
        kind=OutcomeKind.FAILED,
        reason_code="retries_exhausted",
        reason_sv="Reservnummersystemet svarade inte.",
        evidence_dir=str(folder),
    )
    store.finish(item.id, outcome, status=ItemStatus.FAILED, attempts=3, worker="status-test")

    page = app_page
    page.get_by_role("link", name="Att hantera").click()
    failed = page.get_by_role("table", name="Ärenden som roboten inte kunde slutföra")
    row = failed.get_by_role("row").filter(has_text="Felfall, Frida")
    expect(row).to_contain_text("Reservnummersystemet svarade inte.")
    expect(row).to_contain_text("retries_exhausted")
    expect(page.locator("#counts tr[data-status=failed] td")).not_to_have_text("0")
    screens.shot(
        page,
        "22-att-hantera-misslyckad",
        "Att hantera: misslyckade ärenden med orsak och länk till felunderlag.",
    )
    row.get_by_role("link", name="Visa felunderlag").click()
    expect(
        page.get_by_role("heading", name="Felunderlag för ett misslyckat ärende")
    ).to_be_visible()
    expect(page.get_by_role("link", name="Skärmbild av PMO (flik 1)")).to_be_visible()
    page.wait_for_function("document.querySelector('figure img')?.naturalWidth === 1")

    # Only files inside the evidence folder are ever served.
    cookie = {c["name"]: c["value"] for c in page.context.cookies()}
    with httpx.Client(trust_env=False, cookies=cookie, timeout=10) as client:
        base = ui_server.base_url + f"bevis/ko/{item.id}/"
        assert client.get(base + "screen-0-0.png").content == PNG
        assert client.get(base + "..%2F..%2F..%2Fqueue.sqlite3").status_code == 404
        assert client.get(base + "%2Fetc%2Fpasswd").status_code == 404
    outside = store.add("status-test-outside", request, source="status.csv:3")[0]
    store.claim_next(worker)
    store.finish(
        outside.id,
        outcome.model_copy(update={"evidence_dir": str(ui_server.settings.data_dir)}),
        status=ItemStatus.FAILED,
        worker="status-test",
    )
    page.goto(ui_server.base_url + f"bevis/ko/{outside.id}")
    expect(page.get_by_text("Inget felunderlag finns kvar")).to_be_visible()
