"""The postnummer table behind PMO's autofill: first three digits -> Ort, Kommun, Län, Land.

A small hand-kept table: every Gävleborg prefix plus a few large Swedish towns (codes checked
against SCB's municipality codes). The autofill does not know foreign postcodes, so a German
"80331" fills in Gävle: the trap the routine describes, kept on purpose.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Locality:
    """What the autofill writes: Ort, the two-digit Kommun and Län codes, and Land."""

    ort: str
    kommun: str
    lan: str
    land: str = "Sverige"


def _span(first: int, last: int, ort: str, code: str) -> dict[str, Locality]:
    return {str(p): Locality(ort, code[2:], code[:2]) for p in range(first, last + 1)}


POSTNUMMER: dict[str, Locality] = {
    # Gävleborgs län (21).
    **_span(800, 808, "Gävle", "2180"),
    **_span(818, 818, "Valbo", "2180"),
    **_span(811, 811, "Sandviken", "2181"),
    **_span(812, 812, "Storvik", "2181"),
    **_span(813, 813, "Hofors", "2104"),
    **_span(816, 816, "Ockelbo", "2101"),
    **_span(821, 821, "Bollnäs", "2183"),
    **_span(822, 822, "Alfta", "2121"),
    **_span(823, 823, "Kilafors", "2183"),
    **_span(824, 824, "Hudiksvall", "2184"),
    **_span(825, 825, "Iggesund", "2184"),
    **_span(826, 826, "Söderhamn", "2182"),
    **_span(827, 827, "Ljusdal", "2161"),
    **_span(828, 828, "Edsbyn", "2121"),
    **_span(829, 829, "Bergsjö", "2132"),
    # A few other Swedish towns.
    **_span(111, 118, "Stockholm", "0180"),
    **_span(751, 754, "Uppsala", "0380"),
    **_span(411, 418, "Göteborg", "1480"),
    **_span(211, 217, "Malmö", "1280"),
    **_span(581, 583, "Linköping", "0580"),
    **_span(701, 703, "Örebro", "1880"),
    **_span(722, 724, "Västerås", "1980"),
    **_span(852, 853, "Sundsvall", "2281"),
    **_span(901, 904, "Umeå", "2480"),
}

GAVLEBORG_PREFIXES = tuple(p for p, loc in POSTNUMMER.items() if loc.lan == "21")


def lookup(postnummer: str) -> Locality | None:
    """The locality for a postnummer by its first three digits (spaces ignored), if known."""
    match = re.match(r"[0-9]{3}", re.sub(r"\s", "", postnummer))
    return POSTNUMMER.get(match.group(0)) if match else None


def table_for_page() -> dict[str, dict[str, str]]:
    """The table as the page's JavaScript reads it."""
    return {
        prefix: {"ort": loc.ort, "kommun": loc.kommun, "lan": loc.lan, "land": loc.land}
        for prefix, loc in POSTNUMMER.items()
    }
