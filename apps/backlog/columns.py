"""The columns of a backlog file: Swedish or English headers, and what each holds.

This table is the single source for the importer's header mapping, the shipped templates
(config/templates/) and their documentation. Headers are matched case-, accent- and
space-insensitively, so "Födelsedatum", "fodelsedatum" and "birth date" are the same column.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass


@dataclass(frozen=True)
class Column:
    """One column of a backlog file."""

    key: str  # field name in the request (English)
    sv: str  # Swedish header, as in the template
    required: bool
    description_sv: str
    example: str
    aliases: tuple[str, ...] = ()

    @property
    def en(self) -> str:
        return self.key


COLUMNS: tuple[Column, ...] = (
    Column(
        "birth_date",
        "födelsedatum",
        True,
        "Födelsedatum ÅÅÅÅ-MM-DD (även ÅÅÅÅMMDD). Inget personnummer.",
        "2019-04-12",
        ("fodelsedag", "birthdate", "date_of_birth"),
    ),
    Column("sex", "kön", True, "M eller K (Man/Kvinna går också bra).", "K", ("gender",)),
    Column(
        "family_name",
        "efternamn",
        True,
        "Efternamn, som i personens ID-handling.",
        "Exempelsson",
        ("surname", "last_name"),
    ),
    Column(
        "given_names",
        "förnamn",
        True,
        "Alla förnamn, som i personens ID-handling.",
        "Testa Maria",
        ("first_name", "given_name", "fornamn"),
    ),
    Column(
        "group",
        "patientgrupp",
        True,
        "Patientgruppens nyckel (t.ex. asylsokande, papperslos, ees_med_kort, ees_utan_kort,"
        " konventionsland, utanfor) eller dess namn. Avgör Kommun- och Länskod.",
        "asylsokande",
        ("grupp", "patient_group"),
    ),
    Column(
        "street",
        "utdelningsadress",
        True,
        "Gatuadress: i Sverige för asylsökande/papperslösa, annars i boendelandet.",
        "Testgatan 1",
        ("adress", "gatuadress", "address"),
    ),
    Column(
        "postal_code",
        "postnummer",
        True,
        "Postnummer (svenskt: 5 siffror).",
        "803 20",
        ("postnr", "postcode", "zip"),
    ),
    Column("city", "ort", True, "Ort (postort).", "Gävle", ("postort",)),
    Column(
        "country",
        "land",
        False,
        "Adressens land: landskod (SE, DE, ...) eller landets namn. Tomt = SE för grupper"
        " med svensk adress (asylsökande, papperslösa).",
        "SE",
        ("country_code", "landkod"),
    ),
    Column(
        "info",
        "info",
        False,
        'Fritext till PMO:s Info-fält. Tomt = "Läggs in manuellt."',
        "",
        ("information",),
    ),
    Column(
        "protected",
        "skyddad",
        False,
        "Skyddade personuppgifter: ja/nej. Ja = roboten registrerar bara ID, kön och namn"
        " och lämnar resten till en person.",
        "nej",
        ("skyddad_identitet", "protected_identity"),
    ),
    Column(
        "external_ref",
        "referens",
        False,
        "Er egen referens för raden (t.ex. ärendenummer). Samma referens köas aldrig två"
        " gånger; tomt = en referens räknas fram ur personuppgifterna.",
        "MOTT-2024-001",
        ("ref", "reference", "external_reference"),
    ),
)

BY_KEY = {c.key: c for c in COLUMNS}


def normalise_header(text: str) -> str:
    """Lower case, no accents, words joined by ``_`` ("Födelse-datum " -> "fodelse_datum")."""
    text = text.replace("\ufeff", "").strip().casefold()
    text = "".join(
        ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch)
    )
    return re.sub(r"[^a-z0-9]+", "_", text).strip("_")


_HEADER_INDEX: dict[str, str] = {}
for _col in COLUMNS:
    for _name in (_col.key, _col.sv, *_col.aliases):
        _HEADER_INDEX[normalise_header(_name)] = _col.key


def column_for_header(header: str) -> str | None:
    """The column key a header names, or None for an unknown column."""
    return _HEADER_INDEX.get(normalise_header(header))
