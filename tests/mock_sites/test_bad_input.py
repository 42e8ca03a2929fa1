"""Bad input on every form: refused with a Swedish message, stored nowhere, never run as markup."""

from __future__ import annotations

import html
from collections.abc import Iterator

import pytest
from playwright.sync_api import Dialog, Page, expect

from mock_sites.testing import MockSites
from tests.mock_sites.helpers import demo_client, open_as_demo

SCRIPT = "<script>alert('x')</script>"
IMG = '<img src=x onerror="alert(1)">'


@pytest.fixture
def dialogs(page: Page) -> Iterator[list[str]]:
    """Messages of any alert() a page manages to run (there must be none)."""
    seen: list[str] = []

    def on_dialog(dialog: Dialog) -> None:
        seen.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", on_dialog)
    yield seen
    assert seen == []


def _fill_pmo(page: Page, **values: str) -> None:
    labels = {
        "patient_id": "Patient-ID",
        "family": "Efternamn",
        "given": "Förnamn",
        "street": "Utdelningsadress",
        "postal_code": "Postnummer",
        "city": "Ort",
        "kommun": "Kommun",
        "lan": "Län",
        "info": "Info",
    }
    for key, value in values.items():
        page.get_by_role("textbox", name=labels[key]).fill(value)


def test_pmo_empty_required_fields_should_be_listed_and_nothing_stored(
    page: Page, fresh_mock_sites: MockSites, dialogs: list[str]
) -> None:
    before = fresh_mock_sites.records("pmo")
    open_as_demo(page, fresh_mock_sites, "pmo", "/registrera")
    page.get_by_role("button", name="Spara").click()
    alert = page.get_by_role("alert")
    expect(alert.get_by_role("listitem")).to_have_text(
        [
            "Patient-ID måste fyllas i.",
            "Välj kön (Man eller Kvinna).",
            "Efternamn måste fyllas i.",
            "Förnamn måste fyllas i.",
        ]
    )
    expect(page.get_by_role("textbox", name="Efternamn")).to_have_attribute("aria-invalid", "true")
    assert fresh_mock_sites.records("pmo") == before


PMO_VALID = {
    "patient_id": "19612121-01M7",
    "sex": "M",
    "family_name": "Testsson",
    "given_names": "Ada",
}


def test_pmo_script_in_name_should_be_refused_and_shown_as_text(
    page: Page, fresh_mock_sites: MockSites, dialogs: list[str]
) -> None:
    before = fresh_mock_sites.records("pmo")
    open_as_demo(page, fresh_mock_sites, "pmo", "/registrera")
    _fill_pmo(page, patient_id="19612121-01M7", family=SCRIPT, given="Ada", street=IMG)
    page.get_by_role("radio", name="Man").check()
    page.get_by_role("button", name="Spara").click()
    expect(page.get_by_role("alert").get_by_role("listitem")).to_have_text(
        [
            "Efternamn får inte innehålla HTML-kod eller skript.",
            "Utdelningsadress får inte innehålla HTML-kod eller skript.",
        ]
    )
    expect(page.get_by_role("textbox", name="Efternamn")).to_have_value(SCRIPT)
    expect(page.get_by_role("textbox", name="Utdelningsadress")).to_have_value(IMG)
    expect(page.locator("img")).to_have_count(0)
    assert fresh_mock_sites.records("pmo") == before


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("family_name", SCRIPT, "Efternamn får inte innehålla HTML-kod eller skript."),
        ("given_names", "Anna" + "a" * 100, "Förnamn får vara högst 100 tecken."),
        (
            "given_names",
            "Anna3",
            "Förnamn får bara innehålla bokstäver, mellanslag och bindestreck.",
        ),
        ("given_names", "Anna\x00", "Förnamn innehåller otillåtna tecken."),
        ("street", IMG, "Utdelningsadress får inte innehålla HTML-kod eller skript."),
        ("city", "&lt;b&gt;", "Ort får inte innehålla HTML-kod eller skript."),
        ("info", "x" * 201, "Info får vara högst 200 tecken."),
        ("kommun", "8", "Kommun ska vara en kod med två siffror, till exempel 99."),
        ("lan", "9a", "Län ska vara en kod med två siffror, till exempel 99."),
        ("postal_code", "1234567890123", "Postnummer får vara högst 12 tecken."),
        ("sex", "X", "Välj kön (Man eller Kvinna)."),
        ("patient_id", "19612121-01M7" + "1" * 100, "Patient-ID får vara högst 100 tecken."),
    ],
)
def test_pmo_bad_values_should_be_refused_on_the_server(
    fresh_mock_sites: MockSites, field: str, value: str, message: str
) -> None:
    before = fresh_mock_sites.records("pmo")
    with demo_client(fresh_mock_sites, "pmo") as client:
        response = client.post("/registrera", data={**PMO_VALID, field: value})
    assert response.status_code == 422
    assert message in html.unescape(response.text)
    assert "<script>alert" not in response.text and "<img" not in response.text
    assert fresh_mock_sites.records("pmo") == before


def test_pmo_edit_should_refuse_bad_values_too(fresh_mock_sites: MockSites) -> None:
    before = fresh_mock_sites.records("pmo")
    patient = before["patients"][0]
    with demo_client(fresh_mock_sites, "pmo") as client:
        response = client.post(
            f"/patient/{patient['patient_id']}/andra",
            data={**patient, "family_name": SCRIPT},
        )
    assert response.status_code == 422
    assert "Efternamn får inte innehålla HTML-kod eller skript." in html.unescape(response.text)
    assert fresh_mock_sites.records("pmo") == before


def test_pmo_search_should_echo_markup_escaped(
    page: Page, mock_sites: MockSites, dialogs: list[str]
) -> None:
    open_as_demo(page, mock_sites, "pmo", "/sok")
    page.goto(mock_sites.pmo_url + "/sok?ar=%3Cb%3E&manad=1&dag=1")
    expect(page.get_by_role("alert")).to_contain_text("Skriv år med fyra siffror")
    expect(page.get_by_role("textbox", name="År")).to_have_value("<b>")
    expect(page.locator("main b")).to_have_count(0)


def test_rns_create_with_script_in_name_should_be_refused_and_shown_as_text(
    page: Page, fresh_mock_sites: MockSites, dialogs: list[str]
) -> None:
    before = fresh_mock_sites.records("rns")
    open_as_demo(page, fresh_mock_sites, "rns", "/skapa")
    page.get_by_role("textbox", name="Födelsedatum").fill("19800101")
    page.get_by_role("radio", name="Man").check()
    page.get_by_role("textbox", name="Efternamn").fill(SCRIPT)
    page.get_by_role("textbox", name="Förnamn").fill("Omar")
    page.get_by_role("button", name="Skapa").click()
    expect(page.get_by_role("alert").get_by_role("listitem")).to_have_text(
        ["Efternamn får inte innehålla HTML-kod eller skript."]
    )
    expect(page.get_by_role("textbox", name="Efternamn")).to_have_value(SCRIPT)
    expect(page.get_by_role("textbox", name="Reservnummer")).to_have_count(0)
    assert fresh_mock_sites.records("rns") == before


@pytest.mark.parametrize(
    ("birth", "family", "given", "message"),
    [
        ("", "Haddad", "Omar", "Födelsedatum måste fyllas i."),
        ("19800101", IMG, "Omar", "Efternamn får inte innehålla HTML-kod eller skript."),
        ("19800101", "Haddad", "O" * 101, "Förnamn får vara högst 100 tecken."),
        ("19800101", "Haddad", "   ", "Förnamn måste fyllas i."),
        ("1980-02-30", "Haddad", "Omar", "Födelsedatum är inte ett giltigt datum. Skriv ÅÅÅÅMMDD."),
        ("1980013", "Haddad", "Omar", "Födelsedatum är inte ett giltigt datum. Skriv ÅÅÅÅMMDD."),
        ("18000101", "Haddad", "Omar", "Födelsedatum är för långt tillbaka i tiden."),
        ("1" * 101, "Haddad", "Omar", "Födelsedatum får vara högst 100 tecken."),
    ],
)
def test_rns_create_should_refuse_bad_input_on_the_server(
    fresh_mock_sites: MockSites, birth: str, family: str, given: str, message: str
) -> None:
    before = fresh_mock_sites.records("rns")
    form = {"fodelsedatum": birth, "sex": "M", "family_name": family, "given_names": given}
    with demo_client(fresh_mock_sites, "rns") as client:
        response = client.post("/skapa", data=form)
    assert response.status_code == 422
    assert message in html.unescape(response.text)
    assert "<img" not in response.text
    assert fresh_mock_sites.records("rns") == before


def test_rns_create_without_sex_should_be_refused(page: Page, fresh_mock_sites: MockSites) -> None:
    before = fresh_mock_sites.records("rns")
    open_as_demo(page, fresh_mock_sites, "rns", "/skapa")
    page.get_by_role("textbox", name="Födelsedatum").fill("19800101")
    page.get_by_role("textbox", name="Efternamn").fill("Haddad")
    page.get_by_role("textbox", name="Förnamn").fill("Omar")
    page.get_by_role("button", name="Skapa").click()
    expect(page.get_by_role("alert")).to_contain_text("Välj kön (Man, Kvinna eller Okänt).")
    assert fresh_mock_sites.records("rns") == before


def test_rns_search_name_with_markup_should_be_refused_and_escaped(
    page: Page, mock_sites: MockSites, dialogs: list[str]
) -> None:
    open_as_demo(page, mock_sites, "rns", "/sok")
    page.get_by_role("textbox", name="Födelsedatum").fill("19800101")
    page.get_by_role("textbox", name="Namn").fill(IMG)
    page.get_by_role("button", name="Sök").click()
    expect(page.get_by_role("alert")).to_contain_text("Namn får inte innehålla HTML-kod")
    expect(page.get_by_role("textbox", name="Namn")).to_have_value(IMG)
    expect(page.locator("img")).to_have_count(0)


def test_login_should_echo_username_escaped(
    page: Page, mock_sites: MockSites, dialogs: list[str]
) -> None:
    page.goto(mock_sites.plexus_url + "/login")
    page.get_by_role("textbox", name="Användarnamn").fill(SCRIPT)
    page.get_by_role("textbox", name="Lösenord").fill("x")
    page.get_by_role("button", name="Logga in").click()
    expect(page.get_by_role("alert")).to_have_text("Fel användarnamn eller lösenord. Försök igen.")
    expect(page.get_by_role("textbox", name="Användarnamn")).to_have_value(SCRIPT)


def test_plexus_should_refuse_an_unknown_system(page: Page, fresh_mock_sites: MockSites) -> None:
    open_as_demo(page, fresh_mock_sites, "plexus", "/it-system")
    response = page.request.post(
        fresh_mock_sites.plexus_url + "/it-system/lagg-till", form={"system": SCRIPT}
    )
    assert response.status == 400
    assert "Okänt system" in response.text()
    assert SCRIPT not in response.text()
    favourites = fresh_mock_sites.records("plexus")["favourites"]
    assert len([f for f in favourites if f["username"] == "demo"]) == 2


# The region profile's field rules (config/regions/gavleborg.toml, [fields.*]): the same table
# the robot checks before it creates anything. Each refusal carries its code on the page.
@pytest.mark.parametrize(
    ("field", "value", "code", "message"),
    [
        (
            "street",
            "Storgatan 1 & 3",
            "field_chars_refused",
            "Utdelningsadress får inte innehålla tecknet ”&”.",
        ),
        ("postal_code", "SW1A 1AA-1234", "field_too_long", "Postnummer får vara högst 12 tecken."),
        (
            "given_names",
            "Aq\u0303il",
            "field_mark_uncomposed",
            "Förnamn innehåller ett accenttecken som inte hör till någon bokstav.",
        ),
        (
            "family_name",
            "St. John",
            "field_chars_refused",
            "Efternamn får inte innehålla tecknet ”.”.",
        ),
        ("city", "Gävle/Valbo", "field_chars_refused", "Ort får inte innehålla tecknet ”/”."),
        ("info", "Tolk & kurator", "field_chars_refused", "Info får inte innehålla tecknet ”&”."),
    ],
)
def test_pmo_should_refuse_what_the_field_rules_refuse_with_a_code(
    fresh_mock_sites: MockSites, field: str, value: str, code: str, message: str
) -> None:
    before = fresh_mock_sites.records("pmo")
    with demo_client(fresh_mock_sites, "pmo") as client:
        response = client.post("/registrera", data={**PMO_VALID, field: value})
    assert response.status_code == 422
    assert f'<li data-field="{field}" data-code="{code}">{message}</li>' in html.unescape(
        response.text
    )
    assert fresh_mock_sites.records("pmo") == before


def test_pmo_should_take_composed_letters_and_the_allowed_punctuation(
    fresh_mock_sites: MockSites,
) -> None:
    data = {
        **PMO_VALID,
        "family_name": "Nguye\u0302\u0303n-O’Brien",  # composes into ễ
        "street": "ul. Marszałkowska 10/2, lgh: 3",
        "postal_code": "00-950",
        "city": "Warszawa",
    }
    with demo_client(fresh_mock_sites, "pmo") as client:
        response = client.post("/registrera", data=data)
    assert response.status_code == 303, html.unescape(response.text)[-2000:]
    [saved] = [
        p for p in fresh_mock_sites.records("pmo")["patients"] if p["patient_id"] == "19612121-01M7"
    ]
    assert saved["family_name"] == "Nguyễn-O’Brien"


@pytest.mark.parametrize(
    ("field", "value", "code"),
    [
        ("given_names", "Aq\u0303il", "field_mark_uncomposed"),
        ("family_name", "St. John", "field_chars_refused"),
    ],
)
def test_rns_create_should_refuse_what_the_field_rules_refuse_with_a_code(
    fresh_mock_sites: MockSites, field: str, value: str, code: str
) -> None:
    before = fresh_mock_sites.records("rns")
    form = {"fodelsedatum": "19800101", "sex": "M", "family_name": "Haddad", "given_names": "Omar"}
    with demo_client(fresh_mock_sites, "rns") as client:
        response = client.post("/skapa", data={**form, field: value})
    assert response.status_code == 422
    assert f'data-field="{field}" data-code="{code}"' in response.text
    assert fresh_mock_sites.records("rns") == before
