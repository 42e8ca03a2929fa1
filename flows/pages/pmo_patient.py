"""PMO's patient page: the saved values under the form's label texts, "Ändra patientdata"."""

from __future__ import annotations

from flows.pages.errors import page_call, shown
from flows.pages.site import SiteUI
from robot.errors import SelectorMissing

# The fields of a PMO patient, in form order (keys of [labels] in the selector file).
PATIENT_FIELDS = (
    "patient_id",
    "sex",
    "family_name",
    "given_names",
    "street",
    "postal_code",
    "city",
    "country",
    "kommun",
    "lan",
    "info",
)


class PmoPatientPage:
    """One patient's page."""

    def __init__(self, site: SiteUI) -> None:
        self.site = site
        self.sel = site.screen("patient")
        self.labels = site.screen("labels").texts

    @page_call
    def read(self) -> dict[str, str]:
        """Every field the page shows, keyed by field name (values as displayed, e.g. "Man")."""
        page = self.site.page
        data = self.sel.loc(page, "data")
        if not shown(data):
            raise SelectorMissing("PMO:s patientsida visar inga patientuppgifter.")
        keys = self.sel.loc(data, "data_keys").all_inner_texts()
        values = self.sel.loc(data, "data_values").all_inner_texts()
        if len(keys) != len(values):
            raise SelectorMissing("PMO:s patientsida: etiketter och värden går inte ihop.")
        on_page = {k.strip(): v.strip() for k, v in zip(keys, values, strict=True)}
        by_label = {label: field for field, label in self.labels.items()}
        return {by_label[label]: value for label, value in on_page.items() if label in by_label}

    @page_call
    def shows_saved(self) -> bool:
        """True when the page carries the "saved" status message of a successful save."""
        status = self.sel.loc(self.site.page, "saved")
        return status.count() > 0 and self.sel.text("saved_text") in status.first.inner_text()

    @page_call
    def start_edit(self) -> None:
        """Press "Ändra patientdata" to open the filled-in form (a link or a form button)."""
        edit = self.sel.loc(self.site.page, "edit")
        if edit.get_attribute("href"):
            self.site.follow(edit)
        else:
            self.site.submit(edit, resumable=True)
