"""PMO "Registrera": the Patient-ID marker, the postnummer autofill, saving and duplicates."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from mock_sites.testing import MockSites
from tests.mock_sites.helpers import open_as_demo

ROUTINE_EXAMPLE = "19612121-01M7"
# Skatteverket-style test shape: serial 98x, valid Luhn digit (computed in the test below).
VALID_PNR = "198501149804"


@pytest.fixture
def register_page(page: Page, mock_sites: MockSites) -> Page:
    open_as_demo(page, mock_sites, "pmo", "/sok")
    page.get_by_role("link", name="Registrera").click()
    expect(page.get_by_role("heading", name="Registrera patient")).to_be_visible()
    return page


def test_valid_personnummer_constant_should_pass_luhn() -> None:
    from mock_sites.common.luhn import luhn_valid

    assert luhn_valid(VALID_PNR[2:])


def test_wrong_patient_id_should_show_red_marker_left_of_the_field(register_page: Page) -> None:
    page = register_page
    field = page.get_by_role("textbox", name="Patient-ID")
    field.press_sequentially("1961212")
    marker = page.get_by_role("img", name="Felaktigt format")
    expect(marker).to_be_visible()
    expect(field).to_have_attribute("aria-invalid", "true")
    marker_box, field_box = marker.bounding_box(), field.bounding_box()
    assert marker_box is not None and field_box is not None
    assert marker_box["x"] + marker_box["width"] <= field_box["x"]
    assert (
        abs(marker_box["y"] + marker_box["height"] / 2 - field_box["y"] - field_box["height"] / 2)
        < 10
    )
    assert marker.evaluate("m => getComputedStyle(m).backgroundColor") == "rgb(204, 0, 0)"


def test_routine_example_should_show_no_marker(register_page: Page) -> None:
    page = register_page
    field = page.get_by_role("textbox", name="Patient-ID")
    field.press_sequentially("19612121-01")
    expect(page.get_by_role("img", name="Felaktigt format")).to_be_visible()
    field.press_sequentially("M7")
    expect(page.get_by_role("img", name="Felaktigt format")).to_have_count(0)
    expect(field).to_have_attribute("aria-invalid", "false")
    expect(field).to_have_value(ROUTINE_EXAMPLE)


FORMAT_CASES = [
    (VALID_PNR, False),
    (VALID_PNR[:-1] + str((int(VALID_PNR[-1]) + 1) % 10), True),  # bad check digit
    ("198501749801", False),  # samordningsnummer (day + 60), valid Luhn
    ("19612121-01m7", True),  # lower-case letter
    ("19612121-0117", True),  # no sex letter
    ("19612121-201M7", True),  # the earlier five-character reading
    ("19612121201M7", True),  # the routine's printed rendering is no PMO form
    ("1961212101M7", True),  # pmo_form = "as_shown": Reservnummersystemet's hyphen stays
    ("20240101-99K1", False),  # any reservnummer of the region's shape
    ("20240101-99X1", False),  # X: sex unknown
    ("991981000010", True),  # Region Stockholm's shape is not this region's
    ("", False),  # empty: no marker (the server says it is required)
]


def test_patient_id_format_check_should_follow_luhn_and_region_pattern(
    register_page: Page,
) -> None:
    page = register_page
    field = page.get_by_role("textbox", name="Patient-ID")
    marker = page.get_by_role("img", name="Felaktigt format")
    for value, wrong in FORMAT_CASES:
        field.fill(value)
        expect(marker, value).to_have_count(1 if wrong else 0)
        expect(field, value).to_have_attribute("aria-invalid", "true" if wrong else "false")


def test_marker_should_appear_when_field_loses_focus_after_a_silent_change(
    register_page: Page,
) -> None:
    page = register_page
    field = page.get_by_role("textbox", name="Patient-ID")
    field.focus()
    field.evaluate("(el) => { el.value = '12345'; }")  # no input event, as some pastes do
    expect(page.get_by_role("img", name="Felaktigt format")).to_have_count(0)
    field.press("Tab")
    expect(page.get_by_role("img", name="Felaktigt format")).to_be_visible()


def test_postnummer_then_tab_should_overwrite_ort_kommun_lan_and_land(register_page: Page) -> None:
    page = register_page
    page.get_by_role("textbox", name="Ort").fill("München")
    page.get_by_role("textbox", name="Land").fill("Tyskland")
    page.get_by_role("textbox", name="Kommun").fill("02")
    page.get_by_role("textbox", name="Län").fill("99")
    postnummer = page.get_by_role("textbox", name="Postnummer")
    postnummer.fill("80331")  # a German postcode: the routine's trap
    postnummer.press("Tab")
    expect(page.get_by_role("textbox", name="Ort")).to_have_value("Gävle")
    expect(page.get_by_role("textbox", name="Kommun")).to_have_value("80")
    expect(page.get_by_role("textbox", name="Län")).to_have_value("21")
    expect(page.get_by_role("textbox", name="Land")).to_have_value("Sverige")


def test_postnummer_autofill_should_know_gavleborg_and_other_towns(register_page: Page) -> None:
    page = register_page
    postnummer = page.get_by_role("textbox", name="Postnummer")
    for code, ort, kommun, lan in [
        ("826 37", "Söderhamn", "82", "21"),
        ("818 92", "Valbo", "80", "21"),
        ("11122", "Stockholm", "80", "01"),
        ("753 20", "Uppsala", "80", "03"),
        ("41319", "Göteborg", "80", "14"),
        ("21119", "Malmö", "80", "12"),
    ]:
        postnummer.fill(code)
        postnummer.press("Tab")
        expect(page.get_by_role("textbox", name="Ort")).to_have_value(ort)
        expect(page.get_by_role("textbox", name="Kommun")).to_have_value(kommun)
        expect(page.get_by_role("textbox", name="Län")).to_have_value(lan)
        postnummer.focus()


def test_unknown_postnummer_should_leave_the_fields_alone(register_page: Page) -> None:
    page = register_page
    page.get_by_role("textbox", name="Ort").fill("Paris")
    page.get_by_role("textbox", name="Postnummer").fill("75001")
    page.get_by_role("textbox", name="Postnummer").press("Tab")
    expect(page.get_by_role("textbox", name="Ort")).to_have_value("Paris")
    expect(page.get_by_role("textbox", name="Kommun")).to_have_value("")


def fill_patient(
    page: Page, patient_id: str, *, family: str = "Testsson", given: str = "Ada Maria"
) -> None:
    page.get_by_role("textbox", name="Patient-ID").fill(patient_id)
    page.get_by_role("radio", name="Kvinna").check()
    page.get_by_role("textbox", name="Efternamn").fill(family)
    page.get_by_role("textbox", name="Förnamn").fill(given)
    page.get_by_role("textbox", name="Utdelningsadress").fill("Hauptstraße 1")
    page.get_by_role("textbox", name="Postnummer").fill("80331")
    page.get_by_role("textbox", name="Postnummer").press("Tab")
    page.get_by_role("textbox", name="Ort").fill("München")
    page.get_by_role("textbox", name="Land").fill("Tyskland")
    page.get_by_role("textbox", name="Kommun").fill("02")
    page.get_by_role("textbox", name="Län").fill("99")
    page.get_by_role("textbox", name="Info").fill("Läggs in manuellt")


def test_save_should_store_patient_and_show_it_with_status(
    page: Page, fresh_mock_sites: MockSites
) -> None:
    open_as_demo(page, fresh_mock_sites, "pmo", "/registrera")
    fill_patient(page, ROUTINE_EXAMPLE)
    page.get_by_role("button", name="Spara").click()
    expect(page).to_have_url(f"{fresh_mock_sites.pmo_url}/patient/{ROUTINE_EXAMPLE}?sparad=1")
    expect(page.get_by_role("status")).to_have_text("Patienten är sparad")
    data = page.get_by_label("Patientdata")
    expect(data.locator("dt")).to_have_text(
        [
            "Patient-ID",
            "Kön",
            "Efternamn",
            "Förnamn",
            "Utdelningsadress",
            "Postnummer",
            "Ort",
            "Land",
            "Kommun",
            "Län",
            "Info",
        ]
    )
    expect(data.locator("dd")).to_have_text(
        [
            ROUTINE_EXAMPLE,
            "Kvinna",
            "Testsson",
            "Ada Maria",
            "Hauptstraße 1",
            "80331",
            "München",
            "Tyskland",
            "02",
            "99",
            "Läggs in manuellt",
        ]
    )
    saved = [
        p for p in fresh_mock_sites.records("pmo")["patients"] if p["patient_id"] == ROUTINE_EXAMPLE
    ]
    assert len(saved) == 1
    assert saved[0] | {"created_at": "", "updated_at": ""} == {
        "patient_id": ROUTINE_EXAMPLE,
        "sex": "K",
        "family_name": "Testsson",
        "given_names": "Ada Maria",
        "street": "Hauptstraße 1",
        "postal_code": "80331",
        "city": "München",
        "country": "Tyskland",
        "kommun": "02",
        "lan": "99",
        "info": "Läggs in manuellt",
        "created_at": "",
        "updated_at": "",
        "created_by": "demo",
        "changed_by": "demo",
    }


def test_saving_same_patient_id_twice_should_be_refused(
    page: Page, fresh_mock_sites: MockSites
) -> None:
    open_as_demo(page, fresh_mock_sites, "pmo", "/registrera")
    fill_patient(page, ROUTINE_EXAMPLE)
    page.get_by_role("button", name="Spara").click()
    expect(page.get_by_role("status")).to_have_text("Patienten är sparad")
    page.get_by_role("link", name="Registrera").click()
    fill_patient(page, ROUTINE_EXAMPLE, family="Annan")
    page.get_by_role("button", name="Spara").click()
    expect(page.get_by_role("alert")).to_contain_text("Patient-ID finns redan")
    patients = fresh_mock_sites.records("pmo")["patients"]
    assert [p["family_name"] for p in patients if p["patient_id"] == ROUTINE_EXAMPLE] == [
        "Testsson"
    ]


def test_server_should_refuse_wrong_patient_id_even_when_submitted(
    page: Page, fresh_mock_sites: MockSites
) -> None:
    before = fresh_mock_sites.records("pmo")["patients"]
    open_as_demo(page, fresh_mock_sites, "pmo", "/registrera")
    fill_patient(page, "1961212120M7")
    expect(page.get_by_role("img", name="Felaktigt format")).to_be_visible()
    page.get_by_role("button", name="Spara").click()
    expect(page.get_by_role("alert")).to_contain_text("Patient-ID har fel format")
    expect(page.get_by_role("img", name="Felaktigt format")).to_be_visible()
    expect(page.get_by_role("textbox", name="Efternamn")).to_have_value("Testsson")
    assert fresh_mock_sites.records("pmo")["patients"] == before


def test_andra_patientdata_should_open_filled_form_and_save_new_patient_id(
    page: Page, fresh_mock_sites: MockSites
) -> None:
    patient = next(
        p for p in fresh_mock_sites.records("pmo")["patients"] if len(p["patient_id"]) == 13
    )
    old_id = patient["patient_id"]
    open_as_demo(page, fresh_mock_sites, "pmo", f"/patient/{old_id}")
    page.get_by_role("button", name="Ändra patientdata").click()
    field = page.get_by_role("textbox", name="Patient-ID")
    expect(field).to_have_value(old_id)
    expect(page.get_by_role("textbox", name="Efternamn")).to_have_value(patient["family_name"])
    expect(page.get_by_role("textbox", name="Kommun")).to_have_value(patient["kommun"])
    expect(
        page.get_by_role("radio", name="Man" if patient["sex"] == "M" else "Kvinna")
    ).to_be_checked()
    # Completion: keep the date part, type the four last digits of the personnummer.
    from mock_sites.common.luhn import luhn_check_digit

    serial = "981" if patient["sex"] == "M" else "982"
    new_id = old_id[:8] + serial + str(luhn_check_digit(old_id[2:8] + serial))
    field.fill(old_id[:8])
    field.press_sequentially(new_id[8:])
    expect(page.get_by_role("img", name="Felaktigt format")).to_have_count(0)
    page.get_by_role("button", name="Spara").click()
    expect(page).to_have_url(f"{fresh_mock_sites.pmo_url}/patient/{new_id}?sparad=1")
    expect(page.get_by_role("status")).to_have_text("Patienten är sparad")
    ids = {p["patient_id"]: p for p in fresh_mock_sites.records("pmo")["patients"]}
    assert old_id not in ids
    assert ids[new_id]["family_name"] == patient["family_name"]
    assert ids[new_id]["created_at"] == patient["created_at"]


def test_andra_to_a_patient_id_already_taken_should_be_refused(
    page: Page, fresh_mock_sites: MockSites
) -> None:
    first, second = fresh_mock_sites.records("pmo")["patients"][:2]
    open_as_demo(page, fresh_mock_sites, "pmo", f"/patient/{first['patient_id']}/andra")
    page.get_by_role("textbox", name="Patient-ID").fill(second["patient_id"])
    page.get_by_role("button", name="Spara").click()
    expect(page.get_by_role("alert")).to_contain_text("Patient-ID finns redan")
    after = fresh_mock_sites.records("pmo")["patients"]
    assert after[:2] == [first, second]


def test_unknown_patient_should_give_not_found_page(page: Page, mock_sites: MockSites) -> None:
    open_as_demo(page, mock_sites, "pmo", "/patient/19000101999M1")
    expect(page.get_by_role("heading", name="Patienten finns inte")).to_be_visible()
    expect(page).to_have_title(re.compile("Patienten finns inte"))
