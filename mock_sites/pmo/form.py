"""Server-side validation of PMO's patient form (Registrera and Ändra patientdata).

Names, address and Info follow the region profile's field rules (``rules``, see
``mock_sites/common/validation.py``); the Patient-ID follows the region's format rule.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from typing import Any

from mock_sites.common.validation import (
    MAX_INFO_LENGTH,
    FieldRule,
    FormErrors,
    choice_field,
    name_field,
    text_field,
)
from mock_sites.pmo.layouts import PmoLabels
from mock_sites.pmo.patient_id import PatientIdRule

FIELDS = (
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
_CODE_RE = re.compile(r"[0-9]{2}")


def _birth_date(errors: FormErrors, text: str, *, needed: bool) -> str:
    """Födelsedatum as ÅÅÅÅMMDD (a real date, not in the future), or "" when not needed."""
    value = text.strip().replace("-", "")
    if not value and not needed:
        return ""
    try:
        day = date(int(value[:4]), int(value[4:6]), int(value[6:8]))
    except ValueError:
        day = None
    if len(value) != 8 or not value.isdigit() or day is None or day > date.today():
        errors.add("birth_date", "Ange födelsedatum som ÅÅÅÅMMDD.", "birth_date_format")
        return text.strip()
    return value


def _raw(form: Mapping[str, Any], name: str) -> str:
    value = form.get(name)
    return value if isinstance(value, str) else ""


def parse_patient_form(
    form: Mapping[str, Any],
    *,
    rule: PatientIdRule,
    labels: PmoLabels,
    rules: Mapping[str, FieldRule] | None = None,
) -> tuple[dict[str, str], FormErrors]:
    """The cleaned values of the form and the errors found (Swedish, per field).

    Where the region's reservnummer carries no birth date (SLL), the form has "Födelsedatum"
    (ÅÅÅÅMMDD), required with such a number: PMO searches patients by it.
    """
    rules = rules or {}
    errors = FormErrors()
    values: dict[str, str] = {}
    pid = text_field(
        errors, "patient_id", labels.patient_id, _raw(form, "patient_id"), required=True
    )
    if pid and "patient_id" not in errors.by_field and not rule.is_valid(pid):
        errors.add(
            "patient_id",
            f"{labels.patient_id} har fel format. Ange ett personnummer eller "
            "samordningsnummer med 12 siffror, eller ett reservnummer i regionens format, "
            "exakt som Reservnummersystemet visar det.",
            "patient_id_format",
        )
    values["patient_id"] = pid
    if not rule.has_birth_date:
        values["birth_date"] = _birth_date(
            errors, _raw(form, "birth_date"), needed=(bool(pid) and rule.is_reservnummer(pid))
        )
    values["sex"] = choice_field(
        errors, "sex", "kön (Man eller Kvinna)", _raw(form, "sex"), ("M", "K")
    )
    values["family_name"] = name_field(
        errors, "family_name", "Efternamn", _raw(form, "family_name"), rules.get("family_name")
    )
    values["given_names"] = name_field(
        errors, "given_names", "Förnamn", _raw(form, "given_names"), rules.get("given_names")
    )
    values["street"] = text_field(
        errors, "street", labels.street, _raw(form, "street"), rule=rules.get("street")
    )
    values["postal_code"] = text_field(
        errors,
        "postal_code",
        "Postnummer",
        _raw(form, "postal_code"),
        max_length=12,
        rule=rules.get("postal_code"),
    )
    values["city"] = text_field(
        errors, "city", labels.city, _raw(form, "city"), rule=rules.get("city")
    )
    values["country"] = text_field(errors, "country", "Land", _raw(form, "country"))
    for name, label in (("kommun", "Kommun"), ("lan", "Län")):
        code = text_field(errors, name, label, _raw(form, name), max_length=2)
        if code and name not in errors.by_field and not _CODE_RE.fullmatch(code):
            errors.add(
                name, f"{label} ska vara en kod med två siffror, till exempel 99.", "code_format"
            )
        values[name] = code
    values["info"] = text_field(
        errors,
        "info",
        "Info",
        _raw(form, "info"),
        max_length=MAX_INFO_LENGTH,
        multiline=True,
        rule=rules.get("info"),
    )
    return values, errors
