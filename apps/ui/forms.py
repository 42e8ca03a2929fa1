"""The web forms: what the clerk typed, turned into the domain's inputs, and errors back.

"Registrera ny patient" collects what the person shows; the group is suggested by
``flows.rules.suggest.suggest_group`` and can be changed; validation is the domain's
``parse_request`` (every field error at once, in Swedish). "Komplettera personnummer" checks the
two numbers' formats and the mandatory identity check box before anything runs.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from flows.rules.countries import CountryLists, countries_sv
from flows.rules.groups import PatientGroup
from flows.rules.suggest import GroupSuggestion, Shows, suggest_group
from flows.rules.vocabulary import PROTECTED_SV

SWEDEN = "SE"
AUTO_GROUP = "auto"
STATELESS = "-"  # the citizenship option "Statslös eller okänt"
STATELESS_LABEL = "Statslös eller okänt"
DEFAULT_INFO = "Läggs in manuellt."

SHOWS_OPTIONS: list[tuple[str, str]] = [
    (Shows.LMA_KORT.value, "LMA-kort"),
    (Shows.EU_KORT.value, "EU-kort eller intyg"),
    (Shows.INGET.value, "Inget"),
]

REGISTER_FIELDS = (
    "birth_date",
    "sex",
    "family_name",
    "given_names",
    "protected",
    "citizenship",
    "shows",
    "group",
    "residence_country",
    "street",
    "postal_code",
    "city",
    "info",
)

# Field labels as the clerk sees them (for the error summary).
LABELS_SV: dict[str, str] = {
    "birth_date": "Födelsedatum",
    "sex": "Kön",
    "family_name": "Efternamn",
    "given_names": "Förnamn",
    "protected": PROTECTED_SV,
    "citizenship": "Medborgarskap",
    "shows": "Vad visar personen?",
    "group": "Patientgrupp",
    "residence_country": "Boendeland",
    "street": "Utdelningsadress",
    "postal_code": "Postnummer",
    "city": "Ort",
    "info": "Info",
    "patient_id": "Patient-ID",
    "personnummer": "Personnummer",
    "identity_checked": "Kontroll",
}

# Where a domain error's field lands in the form (the request nests the address).
DOMAIN_FIELD_TO_FORM: dict[str, str] = {
    "address": "street",
    "address.street": "street",
    "address.postal_code": "postal_code",
    "address.city": "city",
    "address.country": "residence_country",
    "country": "residence_country",
}


@dataclass(frozen=True)
class ErrorItem:
    """One line of the error summary, linking to its field."""

    field: str
    label: str
    message: str

    @property
    def anchor(self) -> str:
        return f"field-{self.field}"


def error_list(errors: Mapping[str, str]) -> list[ErrorItem]:
    """The error summary, in the order the fields appear on the page."""
    order = {name: i for i, name in enumerate((*REGISTER_FIELDS, *LABELS_SV))}
    return [
        ErrorItem(name, LABELS_SV.get(name, name), message)
        for name, message in sorted(errors.items(), key=lambda kv: order.get(kv[0], 999))
    ]


def form_values(form: Mapping[str, Any], names: tuple[str, ...]) -> dict[str, str]:
    """The submitted values, stripped; absent fields as empty strings."""
    out: dict[str, str] = {}
    for name in names:
        value = form.get(name)
        out[name] = value.strip() if isinstance(value, str) else ""
    return out


def default_register_values() -> dict[str, str]:
    return {"group": AUTO_GROUP, "info": DEFAULT_INFO}


@dataclass
class GroupChoice:
    """The suggestion for the entered facts and the group that will actually be used."""

    suggestion: GroupSuggestion | None
    effective: PatientGroup | None
    groups: Mapping[str, PatientGroup] = field(default_factory=dict)

    @property
    def suggested(self) -> PatientGroup | None:
        key = self.suggestion.group_key if self.suggestion else None
        return self.groups.get(key) if key else None

    @property
    def reason_sv(self) -> str:
        if self.suggestion is None:
            return "Välj medborgarskap och vad personen visar, så föreslås en patientgrupp."
        return self.suggestion.reason_sv

    @property
    def address_mode(self) -> str:
        return self.effective.address if self.effective else "swedish"

    @property
    def auto_label(self) -> str:
        """The text of the group list's first option, which stands for the suggestion."""
        return auto_label(self.suggested, self.suggestion)


def auto_label(group: PatientGroup | None, suggestion: GroupSuggestion | None) -> str:
    if group is None:
        return "Inget förslag – välj patientgrupp"
    if suggestion is not None and suggestion.needs_person:
        return f"Förslag att kontrollera: {group.label_sv}"
    return f"Föreslagen: {group.label_sv}"


def shows_value(text: str) -> Shows | None:
    try:
        return Shows(text)
    except ValueError:
        return None


def suggest(
    values: Mapping[str, str], *, groups: Mapping[str, PatientGroup], countries: CountryLists
) -> GroupChoice:
    """Suggest a group from citizenship, residence country and what the person shows."""
    chosen_citizenship = values.get("citizenship", "")
    citizenship = "" if chosen_citizenship == STATELESS else chosen_citizenship.upper()
    shows = shows_value(values.get("shows", ""))
    suggestion: GroupSuggestion | None = None
    if chosen_citizenship and shows is not None:
        suggestion = suggest_group(
            citizenship=citizenship,
            residence_country=(values.get("residence_country") or "").upper() or None,
            shows=shows,
            countries=countries,
        )
    chosen = values.get("group", AUTO_GROUP) or AUTO_GROUP
    auto_key = suggestion.group_key if suggestion else None
    key = auto_key if chosen == AUTO_GROUP else chosen
    return GroupChoice(suggestion, groups.get(key) if key else None, groups)


def request_data(values: Mapping[str, str], choice: GroupChoice) -> dict[str, Any]:
    """The input for ``parse_request`` built from the form (country follows the group)."""
    group = choice.effective
    protected = values.get("protected") == "1"
    data: dict[str, Any] = {
        "birth_date": values.get("birth_date", ""),
        "sex": values.get("sex", ""),
        "family_name": values.get("family_name", ""),
        "given_names": values.get("given_names", ""),
        "group": group.key if group else "",
        "info": values.get("info", "") or DEFAULT_INFO,
        "protected": protected,
    }
    if not protected:
        # A protected person's address is secret and not registered: never sent on.
        data["address"] = {
            "street": values.get("street", ""),
            "postal_code": values.get("postal_code", ""),
            "city": values.get("city", ""),
            "country": address_country(values, choice),
        }
    return data


def form_checks(values: Mapping[str, str], choice: GroupChoice) -> dict[str, str]:
    """Errors the form itself must report (the domain cannot know what the page asked)."""
    errors: dict[str, str] = {}
    if not values.get("citizenship"):
        errors["citizenship"] = f"Välj medborgarskap (eller {STATELESS_LABEL})."
    if shows_value(values.get("shows", "")) is None:
        errors["shows"] = "Välj vad personen visar: LMA-kort, EU-kort eller intyg, eller inget."
    automatic = (values.get("group") or AUTO_GROUP) == AUTO_GROUP
    if choice.effective is None:
        if choice.suggestion is not None:
            errors["group"] = f"{choice.suggestion.reason_sv} Välj en patientgrupp i listan."
        else:
            errors["group"] = "Välj en patientgrupp, eller fyll i medborgarskap och handlingar."
    elif automatic and choice.suggestion is not None and choice.suggestion.needs_person:
        errors["group"] = (
            f"Förslaget behöver kontrolleras: {choice.suggestion.reason_sv} "
            "Välj patientgrupp i listan."
        )
    if (
        choice.effective is not None
        and not choice.effective.swedish_address
        and not values.get("residence_country")
        and values.get("protected") != "1"
    ):
        errors["residence_country"] = (
            "Välj boendeland: patientgruppen ska ha adressen i landet där personen bor."
        )
    return errors


def map_domain_field(name: str) -> str:
    """The form field where a domain ``FieldError`` is shown."""
    if name in DOMAIN_FIELD_TO_FORM:
        return DOMAIN_FIELD_TO_FORM[name]
    tail = name.rsplit(".", 1)[-1]
    return tail if tail in LABELS_SV else DOMAIN_FIELD_TO_FORM.get(tail, tail)


def group_json(groups: Mapping[str, PatientGroup]) -> str:
    """The group table for the page's script, safe inside a ``<script>`` element."""
    data = {
        key: {"label_sv": g.label_sv, "address": g.address, "note_sv": g.note_sv}
        for key, g in groups.items()
    }
    text = json.dumps(data, ensure_ascii=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def country_options(countries: CountryLists) -> list[tuple[str, str]]:
    """All countries with Swedish names, in Swedish alphabetical order."""
    return countries_sv(lists=countries)


def citizenship_options(countries: Sequence[tuple[str, str]]) -> list[tuple[str, str]]:
    """The countries, after the choice for a stateless person or an unknown citizenship."""
    return [(STATELESS, STATELESS_LABEL), *countries]


def address_country(values: Mapping[str, str], choice: GroupChoice) -> str:
    """The address's country code: Sweden, or the residence country for groups living abroad."""
    if choice.effective is None or choice.effective.swedish_address:
        return SWEDEN
    return values.get("residence_country", "").upper()
