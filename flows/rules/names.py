"""Name normalisation for comparing people and for stable fingerprints.

Case, accents and diacritics, hyphens, apostrophes and spacing are all ways of writing the same
name: ``Wójcik``, ``WOJCIK`` and ``wojcik`` must compare equal, as must ``Al-Hassan`` and
``al hassan``. Letters that Unicode does not decompose (ø, æ, ł, ß, ı, ...) are mapped by hand.
"""

from __future__ import annotations

import re
import unicodedata

# Letters without a Unicode decomposition to a base letter.
_SPECIAL = str.maketrans(
    {
        "ø": "o",
        "æ": "ae",
        "œ": "oe",
        "ß": "ss",
        "ł": "l",
        "đ": "d",
        "ð": "d",
        "þ": "th",
        "ı": "i",
        "ħ": "h",
        "ŀ": "l",
        "ŧ": "t",
    }
)
# Apostrophes vanish (O'Brien -> obrien); they are not word breaks.
_APOSTROPHES = re.compile(r"['’ʼʻ‘`´]")
_NON_LETTERS = re.compile(r"[^a-z]+")


def fold(text: str) -> str:
    """Lower-case, with accents and diacritics removed; other characters are kept."""
    folded = unicodedata.normalize("NFKC", text).casefold().translate(_SPECIAL)
    decomposed = unicodedata.normalize("NFKD", folded)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def normalise_name(text: str) -> str:
    """A name reduced to lower-case ASCII words separated by single spaces.

    ``"  Al-Hassan  O’Brien "`` -> ``"al hassan obrien"``. Hyphens and other separators become
    spaces; apostrophes are dropped. Letters of other scripts (e.g. Cyrillic) are not
    transliterated: they are dropped, which makes such a name compare as empty; staff enter
    names in Latin letters as in the person's document.
    """
    text = _APOSTROPHES.sub("", fold(text))
    return _NON_LETTERS.sub(" ", text).strip()


# For matching only (``match_spellings``), never for fingerprints, which must stay stable
# across versions: letters that romanisation tables write with one sign where other spellings
# write two letters, and the signs for the Arabic ʿayn and hamza, which are not word breaks.
# DIN 31635: ǧ = j, ḫ = kh, ḏ = dh, ṯ = th, ġ = gh, ʿ ʾ (ALA-LC's ʻ ʼ are apostrophes already).
_ROMANISATION = str.maketrans(
    {"ʿ": "", "ʾ": "", "ǧ": "j", "ḫ": "kh", "ḏ": "dh", "ṯ": "th", "ġ": "gh"}
)
# Letters worth two in Turkish, Kurdish, Romanian, Czech and ISO 9 (ş ș š = sh, č = ch,
# ž = zh), which are just as often typed without the mark (Şahin as Sahin).
_DIGRAPH_LETTERS = str.maketrans(
    {"ş": "sh", "ș": "sh", "ţ": "ts", "ț": "ts", "š": "sh", "č": "ch", "ž": "zh"}
)


def match_spellings(text: str) -> tuple[list[str], ...]:
    """The words of a name as matching compares them: with the romanisation signs read,
    and both with ş, š, č, ž as the two letters they stand for and with the mark dropped
    (``"Şêrko Saʿīd"`` -> ``(["sherko", "said"], ["serko", "said"])``). One reading when the
    name has no such letter."""
    base = unicodedata.normalize("NFKC", text).casefold().translate(_ROMANISATION)
    letters, plain = name_tokens(base.translate(_DIGRAPH_LETTERS)), name_tokens(base)
    return (letters,) if letters == plain else (letters, plain)


def name_tokens(text: str) -> list[str]:
    """The words of a normalised name: ``"Anna-Lena Maria"`` -> ``["anna", "lena", "maria"]``."""
    return normalise_name(text).split()


def split_display_name(text: str) -> tuple[str, str]:
    """Split the sites' ``"Efternamn, Förnamn"`` into ``(family, given)``.

    Only the first comma separates; without a comma the whole text is the family name.
    """
    family, sep, given = text.partition(",")
    if not sep:
        return " ".join(text.split()), ""
    return " ".join(family.split()), " ".join(given.split())
