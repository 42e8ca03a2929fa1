"""Patient-group suggestion: which of the routine's groups fits, and why, in Swedish.

A helper for staff, never the last word: the suggestion comes from three facts (citizenship,
country of residence, what the person shows) and says when a person must decide. The order of
the rules follows who pays for the care:

1. An LMA card (asylum seeker's card) -> Asylsökande.
2. Lives in Sweden (or residence unknown) without an LMA card -> a person decides between an
   asylum seeker without the card and an undocumented person; an EU card with residence
   unknown -> EES/EU med kort.
3. Lives in a Nordic country -> the Nordic convention: identity document and home address
   suffice (EES/EU med kort/intyg, Nordisk konvention).
4. Shows an EU card (or certificate, or a UK GHIC) from the EEA, Switzerland or the UK ->
   EES/EU med kort/intyg. A card with residence elsewhere needs a person.
5. Lives in the EEA or Switzerland without a card -> EES/EU utan EU-kort/intyg.
6. Citizen of a convention country -> Medborgare från konventionsland (a person checks when
   living elsewhere, or when the convention covers only part of the country, e.g. Québec).
7. Otherwise -> Utanför EU/EES, konvention eller nordiskt land.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from flows.rules.countries import SWEDEN, CountryLists, country_code, country_name_sv


class Shows(StrEnum):
    """What the person shows at the desk."""

    LMA_KORT = "lma_kort"
    EU_KORT = "eu_kort"
    INGET = "inget"

    @property
    def label_sv(self) -> str:
        return {
            Shows.LMA_KORT: "LMA-kort",
            Shows.EU_KORT: "EU-kort eller intyg",
            Shows.INGET: "Inget",
        }[self]


@dataclass(frozen=True)
class GroupSuggestion:
    """A suggested group key (or None), the reason in Swedish, and whether a person decides.

    With ``needs_person`` the group, if any, is only the most likely one: staff must check it.
    """

    group_key: str | None
    reason_sv: str
    needs_person: bool


def suggest_group(
    *,
    citizenship: str,
    residence_country: str | None,
    shows: Shows,
    countries: CountryLists,
) -> GroupSuggestion:
    """Suggest the patient group from citizenship, residence and what the person shows.

    Countries are ISO alpha-2 codes (names are accepted too); an empty citizenship means
    stateless or unknown; ``residence_country=None`` means not known.
    """
    citizen = _code(citizenship, countries)
    residence = _code(residence_country or "", countries)
    if residence_country and residence is None:
        return GroupSuggestion(None, "Okänt boendeland: kontrollera landet.", True)
    if citizenship.strip() and citizen is None:
        return GroupSuggestion(None, "Okänt medborgarskap: kontrollera landet.", True)

    if shows is Shows.LMA_KORT:
        if residence not in (None, SWEDEN):
            return GroupSuggestion(
                "asylsokande",
                "LMA-kort men bosatt utomlands: kontrollera uppgifterna.",
                True,
            )
        return GroupSuggestion("asylsokande", "Personen visar LMA-kort: asylsökande.", False)

    if residence in (None, SWEDEN):
        return _living_in_sweden_or_unknown(citizen, residence, shows, countries)

    name = country_name_sv(residence, lists=countries)
    if residence in countries.nordic:
        return GroupSuggestion(
            "ees_med_kort",
            f"Bosatt i {name}: nordiska konventionen, id-handling och hemadress räcker.",
            False,
        )
    if shows is Shows.EU_KORT:
        if countries.eu_card_valid(residence):
            card = "brittiskt GHIC-kort" if residence in countries.ghic else "EU-kort eller intyg"
            return GroupSuggestion("ees_med_kort", f"Bosatt i {name} och visar {card}.", False)
        fallback = _outside_eea(citizen, residence, countries)
        return GroupSuggestion(
            fallback.group_key,
            f"Visar EU-kort men bor i {name}, utanför EU/EES: kontrollera kortet. "
            + fallback.reason_sv,
            True,
        )
    if countries.eea_like(residence):
        return GroupSuggestion(
            "ees_utan_kort", f"Bosatt i {name} (EU/EES/Schweiz) utan EU-kort eller intyg.", False
        )
    return _outside_eea(citizen, residence, countries)


def _living_in_sweden_or_unknown(
    citizen: str | None, residence: str | None, shows: Shows, countries: CountryLists
) -> GroupSuggestion:
    if (
        residence is None
        and shows is Shows.EU_KORT
        and citizen
        and countries.eu_card_valid(citizen)
    ):
        return GroupSuggestion(
            "ees_med_kort",
            "Visar EU-kort eller intyg: ange adressen i landet som utfärdat kortet.",
            False,
        )
    if residence is None:
        return GroupSuggestion(
            None, "Boendeland saknas: ange var personen bor för att kunna föreslå grupp.", True
        )
    if shows is Shows.EU_KORT:
        return GroupSuggestion(
            None,
            "EU-kort men bosatt i Sverige: en person med svenskt EU-kort har personnummer. "
            "Kontrollera uppgifterna.",
            True,
        )
    return GroupSuggestion(
        None,
        "Bor i Sverige utan LMA-kort: asylsökande som saknar kortet, eller gömd/papperslös? "
        "En person måste avgöra.",
        True,
    )


def _outside_eea(citizen: str | None, residence: str, countries: CountryLists) -> GroupSuggestion:
    name = country_name_sv(residence, lists=countries)
    if citizen and citizen in countries.convention:
        citizen_name = country_name_sv(citizen, lists=countries)
        note = countries.convention_notes.get(citizen)
        checks = []
        if note:
            checks.append(note)
        if citizen != residence:
            checks.append(f"Personen bor i {name}: kontrollera att konventionen gäller.")
        reason = f"Medborgare i konventionslandet {citizen_name}."
        return GroupSuggestion("konventionsland", " ".join([reason, *checks]), bool(checks))
    if residence in countries.ghic:
        return GroupSuggestion("utanfor", f"Bosatt i {name} utan GHIC-kort: utanför EU/EES.", False)
    return GroupSuggestion(
        "utanfor",
        f"Bosatt i {name}, utanför EU/EES och Norden, och inte medborgare i ett konventionsland.",
        False,
    )


def _code(text: str, countries: CountryLists) -> str | None:
    return country_code(text, lists=countries) if text.strip() else None
