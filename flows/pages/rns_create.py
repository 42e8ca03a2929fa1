"""Reservnummersystemet "Skapa reservnummer": the form and the result with the new number."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from playwright.sync_api import Locator

from flows.pages.errors import NamedElement, page_call, shown
from flows.pages.keyboard import tick
from flows.pages.responses import FormRefused, read_form_messages
from flows.pages.site import SiteUI
from flows.rules.model import Sex
from robot.errors import SelectorMissing

# The radio button per sex (selector keys of [create]); "okant" only for a request whose sex is
# unknown, where the region profile allows it (flows/register.py).
_SEX_KEYS = {Sex.MAN: "man", Sex.KVINNA: "kvinna", Sex.OKANT: "okant"}


class RnsCreatePage:
    """The create form (Födelsedatum, Man/Kvinna, Efternamn, Förnamn, Skapa)."""

    def __init__(self, site: SiteUI) -> None:
        self.site = site
        self.sel = site.screen("create")

    @page_call
    def create(
        self,
        *,
        birth_date: date,
        sex: Sex,
        family_name: str,
        given_names: str,
        before_submit: Callable[[], None] = lambda: None,
    ) -> None:
        """Open the form, fill it in and press Skapa; lands on the result screen.

        ``before_submit`` runs right before the press (the flow's fence: it may raise, and
        then nothing is created).
        """
        self.site.click_nav("create")
        page = self.site.page
        self.sel.loc(page, "birth_date").fill(birth_date.strftime("%Y%m%d"))
        tick(self.sel.loc(page, _SEX_KEYS[sex]))
        self.sel.loc(page, "family_name").fill(family_name)
        self.sel.loc(page, "given_names").fill(given_names)
        # A post: after a lost session the number may or may not exist; the flow checks.
        method = self.sel.texts.get("submit_method", "")
        before_submit()
        self.site.submit(self.sel.loc(page, "submit"), resumable=False, method=method)


class RnsResultPage:
    """The screen after "Skapa": the new number in a read-only textbox "Reservnummer"."""

    def __init__(self, site: SiteUI) -> None:
        self.site = site
        self.sel = site.screen("result")
        self.create_sel = site.screen("create")

    @property
    def number_field(self) -> Locator:
        """The read-only textbox with the new number (a locator: nothing is read)."""
        return self.sel.loc(self.site.page, "number")

    @page_call
    def number_to_copy(self) -> NamedElement:
        """The textbox with the new number, for the copy step."""
        return NamedElement(self.number_field, self.sel.where("number"))

    @page_call
    def read_number(self) -> str:
        """The created number as shown.

        ``FormRefused`` (a business error with the page's code) when the site showed its
        validation messages instead: the person's data, not the site, is the problem.
        """
        page = self.site.page
        field = self.number_field
        error = self.create_sel.loc(page, "error")
        if not shown(field.or_(error).first):
            raise SelectorMissing("Reservnummersystemet visar inget nytt reservnummer.")
        if not field.count():
            raise FormRefused("rns", read_form_messages(error))
        return self.number_field.input_value().strip()  # the number field in hand again
