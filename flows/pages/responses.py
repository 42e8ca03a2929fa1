"""Judging what a site answered: a server error page is a site error (retried); a form's own
validation messages are a refusal of the data (a person looks, never retried).
"""

from __future__ import annotations

from dataclasses import dataclass

from playwright.sync_api import Locator, Response

from flows.rules.vocabulary import system_sv
from robot.errors import BusinessError, SiteError

# Every message of a form's error summary in one round trip. A site that marks its messages
# with data-field/data-code (the mock does) gives them; otherwise the summary's text, uncoded.
_MESSAGES_JS = """el => {
  const coded = Array.from(el.querySelectorAll("[data-code]"));
  if (!coded.length) return [{field: "", code: "", text: el.innerText.trim()}];
  return coded.map(m => ({
    field: m.dataset.field || "", code: m.dataset.code, text: m.innerText.trim()
  }));
}"""


def site_name(site: str) -> str:
    """The name staff know a site by (for messages; the one table is ``flows.rules.vocabulary``)."""
    return system_sv(site)


def check_response(response: Response | None, *, site: str) -> None:
    """Raise SiteError when the site answered a navigation with a server error."""
    if response is not None and response.status >= 500:
        raise SiteError(
            f"{site_name(site)} svarade med tekniskt fel (HTTP {response.status}).",
            code="site_error",
        )


@dataclass(frozen=True)
class PageMessage:
    """One validation message a form showed: its field, its code (empty if unknown), its text."""

    field: str
    code: str
    text: str


def read_form_messages(summary: Locator) -> list[PageMessage]:
    """The messages of a form's error summary (the first one on the page)."""
    raw: list[dict[str, str]] = summary.first.evaluate(_MESSAGES_JS)
    return [PageMessage(m["field"], m["code"], m["text"]) for m in raw]


class FormRefused(BusinessError):
    """A system's form refused the data it was given, with its own validation message.

    ``code`` is the page's message code (``field_chars_refused``, ``field_too_long`` ...) or
    ``form_refused`` when the page gives none. Retrying the same data cannot help, so a person
    corrects the request; the message quotes the page (which names fields, not values).
    """

    default_code = "form_refused"

    def __init__(self, site: str, messages: list[PageMessage]) -> None:
        shown = " ".join(m.text for m in messages if m.text)[:300]
        super().__init__(
            f"{site_name(site)} tog inte emot uppgifterna: {shown} Rätta uppgifterna i ärendet "
            "och registrera igen.",
            code=next((m.code for m in messages if m.code), None),
        )
        self.site = site
        self.messages = messages
