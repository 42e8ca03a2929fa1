"""PMO's patient form: "Registrera" (new patient) and "Ändra patientdata" (the same form, filled).

The order of filling follows the routine: Patient-ID first, then Man/Kvinna and names, then the
postnummer followed by Tab (PMO's autofill overwrites Ort, Kommun, Län and Land), and only after
that the final Ort, Land, Kommun and Län, so the autofill cannot win.
"""

from __future__ import annotations

from typing import Any

from playwright.sync_api import Locator, expect

from flows.pages.errors import page_call, shown
from flows.pages.keyboard import tick
from flows.pages.responses import FormRefused, read_form_messages
from flows.pages.site import SiteUI
from flows.rules.model import Sex
from flows.rules.screens import FormReading, FormValues
from robot.errors import SelectorMissing, SiteError

# An element's identity within the form, and what it shows (run in the page, one round trip
# for every element of the form the robot reads).
_SIGNATURE_JS = """e => [e.tagName, e.id, e.getAttribute("name") || "",
  e.getAttribute("type") || "", e.getAttribute("value") || "",
  e.getAttribute("aria-label") || ""].join("|")"""
_READ_JS = f"""els => els.map(e => {{
  const r = e.getBoundingClientRect();
  const style = getComputedStyle(e);
  return {{
    sig: ({_SIGNATURE_JS})(e),
    value: "value" in e ? String(e.value) : "",
    checked: !!e.checked,
    invalid: e.getAttribute("aria-invalid") === "true",
    visible: r.width > 0 && r.height > 0 && style.visibility !== "hidden",
  }};
}})"""
_READ_KEYS = ("patient_id", "marker", "man", "kvinna")


class SaveRefused(SiteError):
    """PMO refused the Patient-ID on saving; ``taken`` when it is already in use.

    An application error: the number came from Reservnummersystemet through the transfer, so
    a refusal of it is the robot's problem (retried), unlike a refusal of the person's data
    (``FormRefused``, a person looks).
    """

    default_code = "pmo_save_refused"

    def __init__(self, message: str, *, taken: bool) -> None:
        super().__init__(message, code="patient_id_taken" if taken else "pmo_save_refused")
        self.taken = taken


class PmoPatientForm:
    """The patient form, new or for a change."""

    def __init__(self, site: SiteUI) -> None:
        self.site = site
        self.sel = site.screen("form")
        # key -> the identity of its element in the form (see ``read_form``).
        self._signatures: dict[str, str] = {}
        # The address of the empty form ``check_ready`` checked, until ``open_new`` takes it.
        self._checked_empty: str | None = None

    # Opening -------------------------------------------------------------------------------

    @page_call
    def open_new(self) -> None:
        """Choose "Registrera" in the navigation: an empty form (the one ``check_ready``
        just checked, when nothing else happened in PMO since)."""
        checked, self._checked_empty = self._checked_empty, None
        if (
            checked is not None
            and self.site.page.url == checked
            and self.patient_id_field.is_visible()
            and not self.patient_id_field.input_value()
        ):
            return
        self.site.click_nav("register")
        if not shown(self.patient_id_field):
            raise SelectorMissing("PMO:s registreringsformulär visas inte.")
        try:  # shown: editable a moment later at most (a form's script may enable it)
            expect(self.patient_id_field).to_be_editable()
        except AssertionError as exc:
            raise SelectorMissing("PMO:s registreringsformulär går inte att fylla i.") from exc

    @page_call
    def check_ready(self, keys: list[str]) -> None:
        """Before anything is created elsewhere: the empty form shows every field the routine
        fills (``keys``), the Patient-ID, Man/Kvinna and its save button, else
        ``SelectorMissing`` naming what is missing, while nothing exists yet. The form stays
        open for the registration (``open_new`` takes it as it is)."""
        self.open_new()
        self.read_form(keys)  # one round trip once the form is learned; names a missing field
        save = self.sel.loc(self.site.page, "save")
        if save.count() != 1 or not save.is_enabled():
            raise SelectorMissing("PMO:s registreringsformulär saknar knappen Spara.")
        self._checked_empty = self.site.page.url

    @page_call
    def start_opening_new(self) -> None:
        """Start loading an empty "Registrera" form and return at once (``open_new`` then
        only waits for it): PMO's page loads while the robot works in the other system."""
        self.site.start_nav("register")

    # The Patient-ID field ---------------------------------------------------------------------

    @property
    def patient_id_field(self) -> Locator:
        """The Patient-ID textbox (a locator: nothing is read)."""
        return self.sel.loc(self.site.page, "patient_id")

    @page_call
    def patient_id_value(self) -> str:
        return self.patient_id_field.input_value()

    @page_call
    def marker_shown(self) -> bool:
        """True when PMO marks the Patient-ID as wrongly formatted (red marker or aria-invalid)."""
        if self.patient_id_field.get_attribute("aria-invalid") == "true":
            return True
        return self.sel.loc(self.site.page, "marker").is_visible()

    @page_call
    def leave_patient_id(self) -> None:
        """Tab out of the Patient-ID field, so PMO checks the format on blur too."""
        self.patient_id_field.press("Tab")

    @page_call
    def clear_patient_id(self) -> None:
        """Empty the Patient-ID field (before pasting a new one, as Ctrl+A then paste would)."""
        self.patient_id_field.fill("")

    @page_call
    def replace_reserve_part(self, old_part: str, new_part: str) -> None:
        """In the Patient-ID field, delete ``old_part`` at its end (End, then Backspace once
        per character) and type ``new_part``, as a person changes a reservnummer into a
        personnummer: the date before it is kept as it is."""
        field = self.patient_id_field
        field.focus()
        field.press("End")
        for _ in old_part:
            field.press("Backspace")
        field.press_sequentially(new_part)

    # The other fields -------------------------------------------------------------------------

    @page_call
    def fill(self, values: FormValues) -> None:
        """Tick Man/Kvinna and fill the text fields, the postnummer followed by Tab first."""
        page = self.site.page
        tick(self.sel.loc(page, "man" if values.sex is Sex.MAN else "kvinna"))
        if values.birth_date is not None:  # only where the number carries no birth date
            self.sel.loc(page, "birth_date").fill(values.birth_date)
        fields = values.text_fields()
        for key in ("family_name", "given_names", "street"):
            if key in fields:
                self.sel.loc(page, key).fill(fields[key])
        if "postal_code" in fields:
            postal = self.sel.loc(page, "postal_code")
            postal.fill(fields["postal_code"])
            postal.press("Tab")  # PMO's autofill runs now and overwrites Ort/Kommun/Län/Land
        for key in ("city", "country", "kommun", "lan", "info"):
            if key in fields:
                self.sel.loc(page, key).fill(fields[key])

    @page_call
    def read_values(self, keys: list[str]) -> dict[str, str]:
        """The current contents of the given text fields."""
        page = self.site.page
        return {key: self.sel.loc(page, key).input_value() for key in keys}

    @page_call
    def read_form(self, keys: list[str]) -> FormReading:
        """The text fields ``keys``, the ticked sex, the Patient-ID and whether PMO marks it,
        read in one round trip.

        Every element is found by its own selector once per form (``_learn``: which element in
        the page each key is); later reads take all of them in one ``evaluate_all`` over the
        union of the selectors and tell them apart by that identity. Anything unexpected (an
        element not seen before, a key matching none or two) reads them one by one instead.
        """
        wanted = [*_READ_KEYS, *keys]
        union = self.sel.loc(self.site.page, wanted[0])
        for key in wanted[1:]:
            union = union.or_(self.sel.loc(self.site.page, key))
        shown: list[dict[str, Any]] = union.evaluate_all(_READ_JS)
        by_sig = {item["sig"]: item for item in shown}
        keys_by_sig = {sig: key for key, sig in self._signatures.items() if key in wanted}
        known = len(by_sig) == len(shown) and all(sig in keys_by_sig for sig in by_sig)
        found = {keys_by_sig[sig]: item for sig, item in by_sig.items()} if known else {}
        if not known or any(key not in found for key in wanted if key != "marker"):
            return self._read_one_by_one(keys)
        marker = "marker" in found and bool(found["marker"]["visible"])
        man, kvinna = bool(found["man"]["checked"]), bool(found["kvinna"]["checked"])
        return FormReading(
            values={key: str(found[key]["value"]) for key in keys},
            sex=Sex.MAN if man else Sex.KVINNA if kvinna else None,
            patient_id=str(found["patient_id"]["value"]),
            marker=marker or bool(found["patient_id"]["invalid"]),
        )

    def _read_one_by_one(self, keys: list[str]) -> FormReading:
        """``read_form`` by one round trip per element; learns each element for next time."""
        reading = FormReading(
            values=self.read_values(keys),
            sex=self.checked_sex(),
            patient_id=self.patient_id_value(),
            marker=self.marker_shown(),
        )
        page = self.site.page
        for key in [*_READ_KEYS, *keys]:
            sigs: list[str] = self.sel.loc(page, key).evaluate_all(
                f"els => els.map({_SIGNATURE_JS})"
            )
            if len(sigs) == 1:
                self._signatures[key] = sigs[0]
            else:
                self._signatures.pop(key, None)
        return reading

    @page_call
    def checked_sex(self) -> Sex | None:
        page = self.site.page
        if self.sel.loc(page, "man").is_checked():
            return Sex.MAN
        if self.sel.loc(page, "kvinna").is_checked():
            return Sex.KVINNA
        return None

    @page_call
    def refill(self, values: dict[str, str]) -> None:
        """Fill the given text fields again (after something on the page changed them)."""
        page = self.site.page
        for key, value in values.items():
            self.sel.loc(page, key).fill(value)

    # Saving ---------------------------------------------------------------------------------

    @page_call
    def save(self) -> None:
        """Press "Spara" and wait for the patient page.

        When PMO shows validation messages instead: ``FormRefused`` (a business error with the
        page's code) for any field but the Patient-ID, ``SaveRefused`` for the Patient-ID alone.
        """
        page = self.site.page
        self.site.submit(
            self.sel.loc(page, "save"),
            resumable=False,
            method=self.sel.texts.get("save_method", ""),
        )
        patient = self.site.screen("patient").loc(page, "data")
        error = self.sel.loc(page, "error")
        if not shown(patient.or_(error).first):
            raise SelectorMissing("PMO visade varken patienten eller ett felmeddelande.")
        if patient.count():
            return
        messages = read_form_messages(error)
        data = [m for m in messages if m.field and m.field != "patient_id"]
        if data:
            raise FormRefused("pmo", data)
        message = " ".join(m.text for m in messages).strip()
        taken = self.sel.text("taken_text") in message
        if not taken and not any(m.field == "patient_id" for m in messages):
            raise FormRefused("pmo", messages)  # a refusal the page does not say more about
        raise SaveRefused(f"PMO sparade inte patienten: {message[:200]}", taken=taken)
