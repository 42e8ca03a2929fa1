"""The registration request: who is to be registered, validated before any browser moves.

``parse_request`` is the entry point for every edge (CLI, import file, web form): it returns a
``RegistrationRequest`` or raises ``RequestInvalid`` carrying one ``FieldError`` per bad field,
each with a stable ``code`` for machines and a Swedish ``message_sv`` for staff. Messages never
repeat what was typed (it may be a name).

Choices worth knowing:
- A Swedish postnummer (country ``SE``) is five digits, spaces allowed, stored as ``"NNN NN"``
  (the way the Swedish post writes it; PMO ignores the space). A foreign postcode is kept
  exactly as given (trimmed): a German ``80331`` is not a Swedish postnummer.
- The address follows the group: groups with a Swedish residence address need country ``SE``;
  groups with an address in the country of residence need another country.
- ``country`` is stored as ISO alpha-2; codes and Swedish or English names are accepted.
- Flat address keys (``street``, ``postal_code``, ``city``, ``country``) are accepted when no
  ``address`` mapping is given (import rows are flat).

Long (about 490 lines) because it is one model and its validation: every field's rule, with its
Swedish message and code, in one place, so an entry point cannot validate differently.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Self

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError
from rapidfuzz import fuzz, process

from flows.rules.countries import SWEDEN, CountryLists, country_code
from flows.rules.field_rules import RULE_CODES, FieldRules
from flows.rules.groups import PatientGroup
from flows.rules.identity import InvalidIdentity, parse_personnummer
from flows.rules.model import Sex
from flows.rules.names import normalise_name
from robot.errors import BusinessError

DEFAULT_INFO = "Läggs in manuellt."
EARLIEST_BIRTH_DATE = date(1890, 1, 1)
NAME_MAX = 100
TEXT_MAX = 100
INFO_MAX = 200
POSTCODE_MAX = 20
REF_MAX = 100

_SE_POSTCODE = re.compile(r"[0-9]{5}")
# ÅÅÅÅ-MM-DD or ÅÅÅÅMMDD (both dashes or none).
_BIRTH_DATE = re.compile(r"(?P<y>[0-9]{4})(?P<sep>-?)(?P<m>[0-9]{2})(?P=sep)(?P<d>[0-9]{2})")
_MARKUP = re.compile(r"[<>{}\[\]\\]")
_NAME_PUNCT = frozenset(" -'’ʼ")
_TRUE = frozenset({"1", "true", "ja", "j", "yes", "y", "x", "sant", "on"})
_FALSE = frozenset({"", "0", "false", "nej", "n", "no", "falskt", "off"})
_FLAT_ADDRESS_KEYS = ("street", "postal_code", "city", "country")

# The stable error codes of FieldError.code (our own validators raise these with a Swedish
# message; pydantic's own error types map to field_required or field_invalid).
ERROR_CODES = frozenset(
    {
        "field_required",
        "field_invalid",
        "field_too_long",
        "text_invalid_chars",
        "name_invalid_chars",
        "birth_date_invalid",
        "birth_date_is_personnummer",
        "birth_date_future",
        "birth_date_too_early",
        "sex_invalid",
        "group_unknown",
        "country_unknown",
        "postal_code_invalid",
        "address_country_mismatch",
        "address_required",
        *RULE_CODES,
    }
)
_ADDRESS_REQUIRED = "Adressen måste fyllas i (den behövs inte för skyddade personuppgifter)."
_REQUIRED = ("field_required", "Fältet måste fyllas i.")
_GENERIC = ("field_invalid", "Ogiltigt värde.")


@dataclass(frozen=True)
class FieldError:
    """One problem with one field: ``field`` is a dotted path such as ``address.postal_code``."""

    field: str
    code: str
    message_sv: str


class RequestInvalid(BusinessError):
    """The request cannot be registered as it stands; ``errors`` lists every bad field."""

    default_code = "request_invalid"

    def __init__(self, errors: list[FieldError]) -> None:
        fields = ", ".join(sorted({e.field for e in errors}))
        super().__init__(f"Uppgifterna är ofullständiga eller felaktiga ({fields}).")
        self.errors = errors


def _fail(code: str, message_sv: str) -> PydanticCustomError:
    return PydanticCustomError(code, message_sv)


def _required_text(value: object, *, max_len: int) -> str:
    if value is None:
        raise _fail("field_required", "Fältet måste fyllas i.")
    if not isinstance(value, str):
        raise _fail("field_invalid", "Ogiltigt värde.")
    text = " ".join(unicodedata.normalize("NFC", value).split())
    if not text:
        raise _fail("field_required", "Fältet måste fyllas i.")
    if len(text) > max_len:
        raise _fail("field_too_long", f"Högst {max_len} tecken.")
    if _MARKUP.search(text) or any(unicodedata.category(ch) == "Cc" for ch in text):
        raise _fail("text_invalid_chars", "Otillåtna tecken (till exempel < > { }).")
    return text


class Address(BaseModel):
    """The address entered in PMO: Swedish residence address or one in the residence country."""

    model_config = ConfigDict(frozen=True)

    street: str
    city: str
    country: str  # ISO 3166-1 alpha-2; "SE" for Sweden
    # Declared after country: its rule depends on it. Validated even when left out, so a
    # Swedish address without a postnummer is refused (some countries have no postcodes).
    postal_code: str = Field(default="", validate_default=True)

    @field_validator("street", "city", mode="before")
    @classmethod
    def _text(cls, value: object, info: ValidationInfo) -> str:
        return _by_rule(info, _required_text(value, max_len=TEXT_MAX))

    @field_validator("country", mode="before")
    @classmethod
    def _country(cls, value: object, info: ValidationInfo) -> str:
        text = _required_text(value, max_len=TEXT_MAX)
        code = country_code(text, lists=(info.context or {}).get("countries"))
        if code is None:
            raise _fail("country_unknown", "Okänt land: ange landets namn eller landskod.")
        return code

    @field_validator("postal_code", mode="before")
    @classmethod
    def _postal_code(cls, value: object, info: ValidationInfo) -> str:
        if value is None:
            value = ""
        if isinstance(value, float) and value.is_integer():
            value = int(value)  # a spreadsheet cell may hold the postcode as a number
        if not isinstance(value, str):
            value = str(value)
        text = value.strip()
        country = info.data.get("country")
        if country == SWEDEN:
            digits = text.replace(" ", "")
            if not digits:
                raise _fail("field_required", "Postnummer måste fyllas i för en svensk adress.")
            if not _SE_POSTCODE.fullmatch(digits):
                raise _fail(
                    "postal_code_invalid", "Postnumret ska ha fem siffror, till exempel 802 67."
                )
            return _by_rule(info, f"{digits[:3]} {digits[3:]}")
        if len(text) > POSTCODE_MAX:
            raise _fail("field_too_long", f"Högst {POSTCODE_MAX} tecken.")
        if _MARKUP.search(text):
            raise _fail("text_invalid_chars", "Otillåtna tecken (till exempel < > { }).")
        return _by_rule(info, text)


class RegistrationRequest(BaseModel):
    """A person to register with a reservnummer, with everything PMO's form needs."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    birth_date: date
    sex: Sex
    family_name: str
    given_names: str
    group: str
    # Not asked for a protected identity: the robot does not register it, and it is secret.
    address: Address | None = None
    info: str = DEFAULT_INFO
    protected: bool = False
    external_ref: str | None = None

    def fingerprint(self) -> str:
        """A stable key for this person: sha256 hex of birth date, sex and normalised names.

        Used as the queue and journal key so that the same person entered twice (different
        case, accents, spacing, address or group) maps to the same key. It is derived from
        personal data: store it locally, do not publish it (logs use keyed pseudonyms).
        """
        material = [
            self.birth_date.isoformat(),
            self.sex.value,
            normalise_name(self.family_name),
            normalise_name(self.given_names),
        ]
        return hashlib.sha256(json.dumps(material).encode()).hexdigest()

    @field_validator("birth_date", mode="before")
    @classmethod
    def _birth_date(cls, value: object, info: ValidationInfo) -> date:
        day = _as_date(value)
        today = (info.context or {}).get("today") or date.today()
        if day > today:
            raise _fail("birth_date_future", "Födelsedatumet ligger i framtiden.")
        if day < EARLIEST_BIRTH_DATE:
            raise _fail("birth_date_too_early", "Födelsedatumet är före 1890.")
        return day

    @field_validator("sex", mode="before")
    @classmethod
    def _sex(cls, value: object) -> Sex:
        if isinstance(value, Sex):
            return value
        if value is None or (isinstance(value, str) and not value.strip()):
            raise _fail("field_required", "Välj Man eller Kvinna.")
        try:
            return Sex.from_label(str(value))
        except ValueError:
            raise _fail("sex_invalid", "Kön ska vara Man, Kvinna eller Okänt.") from None

    @field_validator("family_name", "given_names", mode="before")
    @classmethod
    def _name(cls, value: object, info: ValidationInfo) -> str:
        if value is None:
            raise _fail("field_required", "Fältet måste fyllas i.")
        if not isinstance(value, str):
            raise _fail("name_invalid_chars", "Namnet får bara innehålla bokstäver.")
        text = " ".join(unicodedata.normalize("NFC", value).split())
        if not text:
            raise _fail("field_required", "Fältet måste fyllas i.")
        if len(text) > NAME_MAX:
            raise _fail("field_too_long", f"Högst {NAME_MAX} tecken.")
        if not all(_name_char(ch) for ch in text) or not any(ch.isalpha() for ch in text):
            raise _fail(
                "name_invalid_chars",
                "Namnet får bara innehålla bokstäver, mellanslag, bindestreck och apostrof.",
            )
        return _by_rule(info, text)

    @field_validator("group", mode="before")
    @classmethod
    def _group(cls, value: object, info: ValidationInfo) -> str:
        if value is None or (isinstance(value, str) and not value.strip()):
            raise _fail("field_required", "Välj patientgrupp.")
        key = str(value).strip()
        groups: Mapping[str, PatientGroup] | None = (info.context or {}).get("groups")
        if groups is not None and key not in groups:
            raise _fail("group_unknown", _unknown_group_sv(key, groups))
        return key

    @field_validator("info", mode="before")
    @classmethod
    def _info(cls, value: object, info: ValidationInfo) -> str:
        if value is None or (isinstance(value, str) and not value.strip()):
            return DEFAULT_INFO
        return _by_rule(info, _required_text(value, max_len=INFO_MAX))

    @field_validator("protected", mode="before")
    @classmethod
    def _protected(cls, value: object) -> bool:
        if isinstance(value, bool):
            return value
        if value is None:
            return False
        text = str(value).strip().casefold()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
        raise _fail("field_invalid", "Skyddad identitet ska vara ja eller nej.")

    @field_validator("external_ref", mode="before")
    @classmethod
    def _external_ref(cls, value: object) -> str | None:
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        text = _required_text(str(value), max_len=REF_MAX)
        if not text.isprintable():
            raise _fail("text_invalid_chars", "Otillåtna tecken.")
        return text

    @model_validator(mode="after")
    def _address_follows_group(self, info: ValidationInfo) -> Self:
        if self.address is None:
            if not self.protected:
                raise _fail("address_required", _ADDRESS_REQUIRED)
            return self
        groups: Mapping[str, PatientGroup] | None = (info.context or {}).get("groups")
        if groups is not None:
            problem = _address_problem(groups[self.group], self.address.country)
            if problem is not None:
                raise _fail(problem.code, problem.message_sv)
        return self


def parse_request(
    data: Mapping[str, Any],
    *,
    groups: Mapping[str, PatientGroup],
    rules: FieldRules | None = None,
    countries: CountryLists | None = None,
    today: date | None = None,
) -> RegistrationRequest:
    """Validate raw request data (JSON, a form, an import row) into a ``RegistrationRequest``.

    Raises ``RequestInvalid`` listing every field error at once, including the rule that the
    address follows the group. ``rules`` are the systems' field rules (the region profile's
    ``field_rules``): every edge passes them, so nothing is created for a request that PMO or
    Reservnummersystemet would refuse. ``countries`` are the country lists of the edge's
    ``Settings.config_dir`` (every edge passes them; tests may leave them to the shipped
    ones). ``today`` fixes "now" for the future-birth-date check (tests).
    """
    raw = _with_nested_address(data)
    if _is_true(raw.get("protected")) and _blank_address(raw.get("address")):
        del raw["address"]  # an import row's empty address cells: not asked for, not kept
    context = {"groups": groups, "today": today, "rules": rules, "countries": countries}
    try:
        return RegistrationRequest.model_validate(raw, context=context)
    except ValidationError as exc:
        errors = [_field_error(err) for err in exc.errors()]
    if any(e.field == "group" for e in errors):
        # The group decides the address's country (a Swedish residence address is in Sweden):
        # without a valid group, a missing country is not an error of its own.
        errors = [
            e for e in errors if not (e.field == "address.country" and e.code == "field_required")
        ]
    bad = {e.field for e in errors}
    if "address" not in raw and not _is_true(raw.get("protected")) and not bad & {"address"}:
        errors.append(FieldError("address", "address_required", _ADDRESS_REQUIRED))
        bad.add("address")
    if not bad & {"group", "address", "address.country", "request"}:
        # The model-level rule only runs when every field is valid: check it here too so the
        # user gets every error in one go.
        problem = _raw_address_problem(raw, groups, countries)
        if problem is not None:
            errors.append(problem)
    raise RequestInvalid(errors)


def _unknown_group_sv(key: str, groups: Mapping[str, PatientGroup]) -> str:
    """ "Okänd patientgrupp", the allowed keys, and the nearest one when one is near."""
    allowed = ", ".join(groups)
    text = f"Okänd patientgrupp: välj en av {allowed}."
    nearest = process.extractOne(
        normalise_name(key), {k: normalise_name(k) for k in groups}, scorer=fuzz.WRatio
    )
    if nearest is not None and nearest[1] >= 70:
        text += f" Menade du {nearest[2]}?"
    return text


def _address_problem(group: PatientGroup, country: str) -> FieldError | None:
    if group.swedish_address and country != SWEDEN:
        return FieldError(
            "address.country",
            "address_country_mismatch",
            f"Gruppen {group.label_sv} registreras med svensk vistelseadress: landet ska vara "
            "Sverige.",
        )
    if not group.swedish_address and country == SWEDEN:
        return FieldError(
            "address.country",
            "address_country_mismatch",
            f"Adress i boendelandet: gruppen {group.label_sv} registreras med adressen i det land "
            "där personen bor, inte en svensk adress.",
        )
    return None


def _raw_address_problem(
    raw: Mapping[str, Any],
    groups: Mapping[str, PatientGroup],
    countries: CountryLists | None = None,
) -> FieldError | None:
    address = raw.get("address")
    group = groups.get(str(raw.get("group", "")).strip())
    if group is None or not isinstance(address, Mapping):
        return None
    country = country_code(str(address.get("country") or ""), lists=countries)
    if country is None:
        return None
    return _address_problem(group, country)


def _with_nested_address(data: Mapping[str, Any]) -> dict[str, Any]:
    raw = dict(data)
    if "address" not in raw and any(k in raw for k in _FLAT_ADDRESS_KEYS):
        raw["address"] = {k: raw.pop(k) for k in _FLAT_ADDRESS_KEYS if k in raw}
    return raw


def _blank_address(address: object) -> bool:
    return isinstance(address, Mapping) and not any(
        str(v).strip() for k, v in address.items() if k != "country" and v is not None
    )


def _is_true(value: object) -> bool:
    return value is True or (isinstance(value, str) and value.strip().casefold() in _TRUE)


def _field_error(err: Mapping[str, Any]) -> FieldError:
    field = ".".join(str(part) for part in err["loc"]) or "request"
    kind = str(err["type"])
    if kind in ERROR_CODES:
        code, message = kind, str(err["msg"])
    elif kind == "missing":
        code, message = _REQUIRED
    else:
        code, message = _GENERIC
    if field == "request" and code == "address_country_mismatch":
        field = "address.country"
    if field == "request" and code == "address_required":
        field = "address"
    return FieldError(field, code, message)


def _as_date(value: object) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if value is None or (isinstance(value, str) and not value.strip()):
        raise _fail("field_required", "Ange födelsedatum.")
    # Exactly the documented forms. strptime is not used: it takes "1990115" for 1990-11-05
    # and "199011" for 1990-01-01 (its fields have no fixed width).
    found = _BIRTH_DATE.fullmatch(str(value).strip())
    if found is None and _is_identity_number(str(value)):
        raise _fail(
            "birth_date_is_personnummer",
            "Det här är ett personnummer eller samordningsnummer, inte ett födelsedatum. En "
            "person med personnummer ska inte ha reservnummer: sök på numret i PMO och "
            "registrera personen med det.",
        )
    if found is None:
        raise _fail(
            "birth_date_invalid",
            "Skriv födelsedatumet som ÅÅÅÅ-MM-DD eller ÅÅÅÅMMDD, till exempel 1990-01-15.",
        )
    try:
        return date(int(found["y"]), int(found["m"]), int(found["d"]))
    except ValueError:
        raise _fail("birth_date_invalid", "Datumet finns inte.") from None


def _is_identity_number(text: str) -> bool:
    """True when ``text`` is a valid personnummer or samordningsnummer (Luhn and all)."""
    try:
        parse_personnummer(text)
    except InvalidIdentity:
        return False
    return True


def parse_birth_date(value: object) -> date:
    """A birth date written ÅÅÅÅ-MM-DD or ÅÅÅÅMMDD (or a ``date``); nothing else is guessed.

    Raises ``RequestInvalid`` with one ``birth_date`` error (Swedish) for anything else: the
    one parser behind every entry point (``parse_request`` uses it too).
    """
    try:
        return _as_date(value)
    except PydanticCustomError as exc:
        raise RequestInvalid([FieldError("birth_date", exc.type, exc.message())]) from None


def rule_problems(request: RegistrationRequest, rules: FieldRules) -> list[FieldError]:
    """Every value of ``request`` that the systems' field rules refuse (empty: all fine).

    The edges check the rules when they parse a request; the flow checks again before it
    creates anything, so a request that reached it another way (a queue item imported before
    a rule changed, a test or bench request) never leaves a reservnummer without a patient.
    """
    values = {
        "family_name": request.family_name,
        "given_names": request.given_names,
        "info": request.info,
    }
    if request.address is not None and not request.protected:
        values.update(
            street=request.address.street,
            postal_code=request.address.postal_code,
            city=request.address.city,
        )
    errors = []
    for name, value in values.items():
        problem = rules.problem(name, value)
        if problem is not None:
            errors.append(FieldError(name, problem.code, problem.message_sv))
    return errors


def _by_rule(info: ValidationInfo, text: str) -> str:
    """``text`` when the systems' rule for this field takes it (context ``rules``)."""
    rules: FieldRules | None = (info.context or {}).get("rules")
    problem = rules.problem(info.field_name or "", text) if rules is not None else None
    if problem is not None:
        raise _fail(problem.code, problem.message_sv)
    return text


def _name_char(ch: str) -> bool:
    return ch in _NAME_PUNCT or unicodedata.category(ch)[0] in ("L", "M")
