"""Duplicate matching: is a person found by birth date the person we are registering?

A search by birth date returns everybody born that day, so names (and sex, where both are
known) decide. Each hit gets one of three outcomes:

- ``SAME``: the same person; register nothing new, reuse what exists;
- ``DIFFERENT``: another person;
- ``UNCERTAIN``: a person must decide. The robot never guesses.

The rule that matters most is that two different people are never judged ``SAME``: siblings
share a family name and a birth date, and many people born abroad are registered on 1 January.
So ``SAME`` needs every name word to match as the *same name*: equal, in one row of the variant
table, equal after spelling rules and known transliteration patterns (Somali c/x, Kurdish x and
ev-, Arabic dh/z, Persian -eh, ...), a vowel written as transliterations confuse it (i/e, u/o;
never in names shorter than six letters), or one slip of the keyboard in a long word. Words
that merely look alike (Lina/Dina, Amir/Amin, Jamil/Jamal, Daniel/Daniela) or a short form
(Sasha/Aleksandr) make the result ``UNCERTAIN``, and the table overrules every rule: words it
keeps in different rows (Mohamed/Mahmoud) are never one name. A name variant of the same
person must not come out ``DIFFERENT`` either: words whose consonants agree as sounds
(``_sound_key``: Mirjam/Mariam, Zhuk/Schuk) are at least similar, one name in two spellings
with another sex is left to a person, and given and family names are also compared
swapped, merged and split differently (a different split only counts as the same person when
the words also come in the same order: naming chains). On a birth date the region gives as an
estimate, the same name is not enough when other facts disagree (``PersonContext``).

Every rule that can say ``SAME`` has its example in ``tests/unit/test_matching_rules.py``.
This module is long because the rules are one chain of reasoning: words, parts, views.

Thresholds and the variant table are in ``config/matching.toml``; ``python -m
qa.eval_matching`` measures them on a labelled set of pairs.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from enum import IntEnum, StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Literal

from rapidfuzz import fuzz
from rapidfuzz.distance import OSA, Levenshtein

from flows.rules.model import Sex
from flows.rules.names import fold, match_spellings, normalise_name, split_display_name
from robot.errors import ConfigError

_VOWELS = frozenset("aeiou")


class MatchOutcome(StrEnum):
    """The judgement on one hit."""

    SAME = "same"
    DIFFERENT = "different"
    UNCERTAIN = "uncertain"


@dataclass(frozen=True)
class MatchConfig:
    """Thresholds and tables for matching (see ``config/matching.toml`` for their meaning)."""

    similar_ratio: float = 72.0
    vowel_min_length: int = 6
    vowel_two_length: int = 7
    vowel_pairs: tuple[tuple[str, str], ...] = (("e", "i"), ("o", "u"))
    vowel_pairs_long: tuple[tuple[str, str], ...] = ()
    typo_min_length: int = 8
    # Letters transliterations use for one sound (``[tokens] sound_classes``) and the glides
    # they write or leave out (``[tokens] glides``): two words whose consonants agree by
    # these classes are a plausible spelling of one name, never "different" (see
    # ``_sound_key``).
    sound_classes: tuple[str, ...] = ("sz", "kgq", "bp", "fv", "dt")
    glides: str = "jwy"
    gender_endings: tuple[tuple[str, str], ...] = (("", "a"), ("o", "a"), ("", "e"))
    variants_are_same: bool = True
    subset_given_is_same: bool = True
    subset_family_is_same: bool = True
    whole_name_is_same: bool = True
    whole_subset_min_words: int = 2
    particles: frozenset[str] = frozenset()
    # Normalised spelling -> canonical spelling.
    variants: Mapping[str, str] = field(default_factory=dict, repr=False)
    # Short form -> the canonical full names it is short for (config/short_forms.toml).
    short_forms: Mapping[str, frozenset[str]] = field(default_factory=dict, repr=False)
    # Written abbreviation -> the one canonical name it stands for (Md -> muhammad).
    abbreviations: Mapping[str, str] = field(default_factory=dict, repr=False)
    # Spelling-rule form of every table word -> its row, where that form is in one row only.
    _rows_by_form: Mapping[str, frozenset[str]] = field(init=False, repr=False, compare=False)
    _words_by_row: Mapping[str, tuple[str, ...]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        by_form: dict[str, set[str]] = {}
        for word, row in self.variants.items():
            for form in _forms(word):
                by_form.setdefault(form, set()).add(row)
        object.__setattr__(self, "_rows_by_form", {f: frozenset(r) for f, r in by_form.items()})
        words: dict[str, list[str]] = {}
        for word, row in self.variants.items():
            words.setdefault(row, []).append(word)
        object.__setattr__(self, "_words_by_row", {r: tuple(w) for r, w in words.items()})

    def rows_of(self, word: str) -> frozenset[str]:
        """The variant-table rows a word belongs to: its own when listed, else the rows of the
        listed words the spelling rules write like it (Muhamad: Muhammad's row). Two rows
        mean the word is spelled like two different names (Sayid and Said)."""
        row = self.variants.get(word)
        if row is not None:
            return frozenset((row,))
        rows: set[str] = set()
        for form in _forms(word):
            rows |= self._rows_by_form.get(form, frozenset())
        return frozenset(rows)

    def row_of(self, word: str) -> str | None:
        """The one variant-table row of a word, or None (not in the table, or ambiguous)."""
        rows = self.rows_of(word)
        return next(iter(rows)) if len(rows) == 1 else None

    def row_words(self, row: str) -> tuple[str, ...]:
        """Every listed spelling of a row."""
        return self._words_by_row.get(row, (row,))

    def is_short_form(self, a: str, b: str) -> bool:
        """True when one word is a listed short form of the other (Sasha/Aleksandr, Md/Muhammad)."""
        for short, full in ((a, b), (b, a)):
            fulls = self.short_forms.get(short)
            if fulls and (full in fulls or self.row_of(full) in fulls):
                return True
        return False


def load_match_config(config_dir: Path) -> MatchConfig:
    """Load ``config_dir/matching.toml``; raise ``ConfigError`` when it is inconsistent."""
    path = config_dir / "matching.toml"
    try:
        with path.open("rb") as fh:
            data = tomllib.load(fh)
        tokens, rules = data["tokens"], data["rules"]
        variants = _variant_map(data.get("variants", {}))
        short_forms, abbreviations = _short_form_maps(config_dir / "short_forms.toml", variants)
        config = MatchConfig(
            similar_ratio=float(tokens["similar_ratio"]),
            vowel_min_length=int(tokens["vowel_min_length"]),
            vowel_two_length=int(tokens["vowel_two_length"]),
            vowel_pairs=_letter_pairs(tokens["vowel_pairs"]),
            vowel_pairs_long=_letter_pairs(tokens["vowel_pairs_long"]),
            typo_min_length=int(tokens["typo_min_length"]),
            sound_classes=tuple(str(c) for c in tokens.get("sound_classes", ())),
            glides=str(tokens.get("glides", "")),
            gender_endings=tuple((str(a), str(b)) for a, b in tokens["gender_endings"]),
            variants_are_same=bool(rules.get("variants_are_same", True)),
            subset_given_is_same=bool(rules["subset_given_is_same"]),
            subset_family_is_same=bool(rules["subset_family_is_same"]),
            whole_name_is_same=bool(rules["whole_name_is_same"]),
            whole_subset_min_words=int(rules["whole_subset_min_words"]),
            particles=frozenset(normalise_name(str(p)) for p in rules.get("particles", [])),
            variants=variants,
            short_forms=short_forms,
            abbreviations=abbreviations,
        )
    except (FileNotFoundError, tomllib.TOMLDecodeError, KeyError, TypeError, ValueError) as exc:
        raise ConfigError(f"Matchningsinställningarna går inte att läsa: {path}: {exc}") from exc
    if not 0 < config.similar_ratio <= 100:
        raise ConfigError(f"{path.name}: similar_ratio ska ligga mellan 0 och 100")
    return config


def _letter_pairs(rows: object) -> tuple[tuple[str, str], ...]:
    if not isinstance(rows, list):
        raise ValueError("vowel_pairs ska vara en lista av par")
    pairs = tuple((str(a), str(b)) for a, b in rows)
    if any(len(x) != 1 or x not in _VOWELS for pair in pairs for x in pair):
        raise ValueError("vowel_pairs: bara vokalerna a, e, i, o, u")
    return pairs


def _short_form_maps(
    path: Path, variants: Mapping[str, str]
) -> tuple[dict[str, frozenset[str]], dict[str, str]]:
    """``short_forms.toml``: ``[short_forms]`` and ``[abbreviations]``, ``full = ["short", ...]``;
    full names are mapped through the variant table. An abbreviation stands for one name."""
    with path.open("rb") as fh:
        data = tomllib.load(fh)
    shorts: dict[str, set[str]] = {}
    for full, short in _short_rows(data.get("short_forms", {}), variants, "short_forms"):
        shorts.setdefault(short, set()).add(full)
    abbreviations: dict[str, str] = {}
    for full, short in _short_rows(data.get("abbreviations", {}), variants, "abbreviations"):
        if abbreviations.setdefault(short, full) != full:
            raise ValueError(f"abbreviations: {short!r} står för två namn")
    return {s: frozenset(f) for s, f in shorts.items()}, abbreviations


def _short_rows(
    rows: Mapping[str, object], variants: Mapping[str, str], section: str
) -> Iterator[tuple[str, str]]:
    for full, shorts in rows.items():
        if not isinstance(shorts, list):
            raise ValueError(f"{section}.{full} ska vara en lista")
        canon = normalise_name(full)
        canon = variants.get(canon, canon)
        for short in shorts:
            word = normalise_name(str(short))
            if " " in word or not word:
                raise ValueError(f"{section}.{full}: {short!r} är inte ett ord")
            yield canon, word


def _variant_map(rows: Mapping[str, object]) -> dict[str, str]:
    out: dict[str, str] = {}
    for canonical, spellings in rows.items():
        if not isinstance(spellings, list):
            raise ValueError(f"variants.{canonical} ska vara en lista")
        canon = normalise_name(canonical)
        for spelling in [canonical, *spellings]:
            word = normalise_name(str(spelling))
            if " " in word or not word:
                raise ValueError(f"variants.{canonical}: {spelling!r} är inte ett ord")
            if out.get(word, canon) != canon:
                raise ValueError(f"{word!r} står i två rader: {out[word]} och {canon}")
            out[word] = canon
    return out


@dataclass(frozen=True)
class PersonContext:
    """What else is known of a person besides name and sex, for the estimated-date rule.

    Each field is compared only when both sides know it: the postal code and street of the
    address, the reservnummer (RNS number) the person is known to have, and the caller's case
    reference.
    """

    postal_code: str | None = None
    street: str | None = None
    reservnummer: str | None = None
    reference: str | None = None

    def disagrees_with(self, other: PersonContext) -> bool:
        """True when a field known on both sides differs (spacing and case aside)."""
        for mine, theirs in (
            (self.postal_code, other.postal_code),
            (self.street, other.street),
            (self.reservnummer, other.reservnummer),
            (self.reference, other.reference),
        ):
            a, b = _context_value(mine), _context_value(theirs)
            if a and b and a != b:
                return True
        return False


def _context_value(text: str | None) -> str:
    """Letters and digits only, case and accents folded: "802 50" is "80250"."""
    return _NOT_ALNUM.sub("", fold(text)) if text else ""


_NOT_ALNUM = re.compile(r"[^0-9a-z]+")


@dataclass(frozen=True)
class PersonKey:
    """What matching knows of a person: names, where known sex, and other facts (``context``)
    that matter when the birth date is an estimated one."""

    family_name: str
    given_names: str
    sex: Sex | None = None
    context: PersonContext | None = None

    @classmethod
    def from_display(
        cls, name: str, sex: Sex | None = None, *, context: PersonContext | None = None
    ) -> PersonKey:
        """From the sites' ``"Efternamn, Förnamn"``."""
        family, given = split_display_name(name)
        return cls(family_name=family, given_names=given, sex=sex, context=context)


@dataclass(frozen=True)
class MatchResult:
    """The judgement on one hit: ``reason`` is a stable code, ``reason_sv`` says it to staff.

    Neither contains a name, so both can be logged.
    """

    outcome: MatchOutcome
    score: float
    reason: str
    reason_sv: str = ""


@dataclass(frozen=True)
class HitsDecision:
    """The judgement on a whole hit list.

    ``none``: every hit is another person (or there are no hits); ``same``: exactly one hit is
    the person and no hit is uncertain (``same_index`` points at it); ``uncertain``: a person
    must decide (an uncertain hit, or several hits that look like the person).
    """

    outcome: Literal["none", "same", "uncertain"]
    results: list[MatchResult]
    same_index: int | None


REASONS_SV: dict[str, str] = {
    "same_name": "Samma namn.",
    "name_variant": "Samma namn med annan stavning.",
    "extra_name": "Samma namn; det ena har ytterligare ett namn.",
    "swapped_names": "Samma namn med för- och efternamn omkastade.",
    "name_split_differs": "Samma namn, uppdelat annorlunda mellan för- och efternamn.",
    "given_names_differ": "Olika förnamn.",
    "family_names_differ": "Olika efternamn.",
    "sex_differs": "Olika kön.",
    "sex_differs_same_name": "Samma namn men olika kön: kontrollera.",
    "similar_names": "Liknande men inte samma namn: kontrollera.",
    "partly_same_names": "Delvis samma namn: kontrollera.",
    "name_unreadable": "Namnet går inte att jämföra: kontrollera.",
    "name_incomplete": "För- eller efternamn saknas: kontrollera.",
    "estimated_birth_date_other_differs": (
        "Samma namn, men födelsedatumet är troligen uppskattat och andra uppgifter skiljer: "
        "kontrollera."
    ),
}


def judge(
    person: PersonKey,
    candidate: PersonKey,
    *,
    config: MatchConfig,
    estimated_birth_date: bool = False,
) -> MatchResult:
    """Judge whether ``candidate`` (a search hit, same birth date) is ``person``.

    Same name, birth date and sex make one person. ``estimated_birth_date`` (the region
    profile's ``estimated_birth_dates``, e.g. 1 January) says the shared date may be an
    estimate that many people get: then the name alone is not enough, and a ``SAME`` becomes
    ``UNCERTAIN`` when any field of the two ``context`` values disagrees.
    """
    a, b = _Name.of(person, config), _Name.of(candidate, config)
    if not (a.all_words and b.all_words):
        return _result(MatchOutcome.UNCERTAIN, 0.0, "name_unreadable")
    best = max(_views(a, b, config), key=lambda v: (v.outcome_rank, v.score))
    if (
        best.outcome is MatchOutcome.SAME
        and best.reason != "same_name"
        and not config.variants_are_same
    ):
        best = _View(MatchOutcome.UNCERTAIN, best.score, best.reason)
    if person.sex is not None and candidate.sex is not None and person.sex != candidate.sex:
        # The same name, however spelled, with another sex is a sex entered wrongly as often
        # as another person: a person decides. Names that only look alike (Daniel/Daniela)
        # are never the same name, so brother and sister stay "different".
        if a.identical(b) or best.outcome is MatchOutcome.SAME:
            return _result(MatchOutcome.UNCERTAIN, best.score, "sex_differs_same_name")
        return _result(MatchOutcome.DIFFERENT, best.score, "sex_differs")
    if (
        best.outcome is MatchOutcome.SAME
        and estimated_birth_date
        and person.context is not None
        and candidate.context is not None
        and person.context.disagrees_with(candidate.context)
    ):
        return _result(MatchOutcome.UNCERTAIN, best.score, "estimated_birth_date_other_differs")
    return _result(best.outcome, best.score, best.reason)


def judge_hits(
    person: PersonKey,
    hits: Sequence[PersonKey],
    *,
    config: MatchConfig,
    estimated_birth_date: bool = False,
) -> HitsDecision:
    """Judge every hit of a birth-date search and decide for the list as a whole."""
    results = [
        judge(person, hit, config=config, estimated_birth_date=estimated_birth_date) for hit in hits
    ]
    same = [i for i, r in enumerate(results) if r.outcome is MatchOutcome.SAME]
    uncertain = any(r.outcome is MatchOutcome.UNCERTAIN for r in results)
    if not same and not uncertain:
        return HitsDecision("none", results, None)
    if len(same) == 1 and not uncertain:
        return HitsDecision("same", results, same[0])
    return HitsDecision("uncertain", results, None)


def _result(outcome: MatchOutcome, score: float, reason: str) -> MatchResult:
    return MatchResult(outcome, round(score, 1), reason, REASONS_SV[reason])


# --- words -------------------------------------------------------------------------------


class _Level(IntEnum):
    NONE = 0
    SIMILAR = 1
    STRONG = 2


@dataclass(frozen=True)
class _WordMatch:
    level: _Level
    score: float
    # exact, variant, spelling, vowels, typo (STRONG: the same name); gender, short_form,
    # vowels_only, similar (SIMILAR: a person looks); table_differs, none.
    kind: str


# Spelling rules applied in order to every word; each pair (pattern, replacement) maps
# transliteration alternatives onto one form: Shevchenko/Schewtschenko/Ševčenko,
# Christina/Kristina, Youssef/Yusuf, Mueller/Müller, Sergej/Sergey, Fatimah/Fatima.
_SPELLING: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(p), r)
    for p, r in (
        (r"tsch", "ch"),  # German for Slavic č (DIN 1460): Tkatschenko/Tkachenko
        (r"sch", "sh"),
        (r"sj", "sh"),
        (r"tj", "c"),
        (r"zj", "z"),
        (r"kh", "h"),
        (r"gh", "g"),
        (r"ph", "f"),
        (r"th", "t"),
        (r"dh", "d"),
        (r"zh", "z"),
        (r"ch", "c"),
        (r"c", "k"),
        (r"q", "k"),
        (r"x", "ks"),
        (r"w", "v"),
        (r"ou|oo", "u"),
        (r"ee", "i"),
        (r"ae", "a"),
        (r"oe", "o"),
        (r"ue", "u"),
        (r"y", "i"),
        (r"(?<=[aeiou])j", "i"),
        (r"(?<=[aeiou])h$", ""),
        (r"(.)\1+", r"\1"),
    )
)

# Known transliteration patterns that only some spellings follow, so each gives a word a
# second form instead of rewriting it (a word matches another when any of their forms agree):
_ALTERNATIVES: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(p), r)
    for p, r in (
        # Somali orthography: x for the Arabic ḥ (Xasan/Hassan, Xirsi/Hersi); Kurdish (Hawar)
        # x for kh (Xalid/Khalid).
        (r"x", "h"),
        # Somali c for the Arabic ʿayn, where it is unmistakable: in ʿAbd- (Cabdi/Abdi).
        (r"^cabd", "abd"),
        # Kurdish (Hawar) ev-/eb- for the Arabic ʿabd-: Evdirehman/Abdulrahman, Ebdulla.
        (r"^e[vb](?=d)", "ab"),
        # Arabic ذ ض ظ written dh (Iraqi, Gulf, Somali) or z (Persian, Turkish, Urdu):
        # Kadhim/Kazem, Ramadhan/Ramazan.
        (r"dh", "z"),
        # Persian feminine -eh for -a (Fatemeh/Fatema, Zohreh/Zohra), on names long enough
        # not to be an Arabic -eh (Saleh is not Salah).
        (r"(?<=\w{4})eh$", "a"),
        # Ethiopic ä after w written o or e (Woldemariam/Weldemariam, Hiwot/Hiwet).
        (r"(?<=w)o", "e"),
        # The Arabic article in ʿAbd- names, however written (ALA-LC ʻAbd al-ʻAzīz, Abdel-,
        # Abdal-, Abdol-, Somali Abdi-: Abdelaziz/Abdulaziz). Assimilated (Abdurrahman) it is
        # one dropped consonant: a typo in so long a word.
        (r"^abd[aeiou]?l(?=[a-z]{3})|^abdi(?=[a-z]{4})", "abdul"),
        # French transcription of the Arabic w as ou before a vowel: Anouar/Anwar, Ouassim.
        (r"ou(?=[aei])", "w"),
        # The Persian ending -āʾī of family names: Rezaei, Rezaie, Rezayi, Rezaee, Rezai.
        (r"(?<=a)(?:ei|ie|yi|ee|ii)$", "i"),
    )
)
# Where a word writes long vowels doubled in a way English spelling never does (aa, ii, uu:
# Somali Guuleed, Faadumo), its ee and oo are long e and o too, not English ee = i, oo = u.
_DOUBLED_VOWELS_MARK_LENGTH = re.compile(r"aa|ii|uu")
_DOUBLED_VOWEL = re.compile(r"([aeiou])\1+")
_SOMALI_AYN = re.compile(r"^c(?=[aeiou])|(?<=[aeiou])c(?=[aeiou])|(?<=[^aeiou][aeiou])c$")


def _apply_spelling(word: str) -> str:
    for pattern, replacement in _SPELLING:
        word = pattern.sub(replacement, word)
    return word


@lru_cache(maxsize=65536)
def _spelling(word: str) -> str:
    """The word's main form after the spelling rules."""
    return _apply_spelling(word)


@lru_cache(maxsize=65536)
def _forms(word: str) -> frozenset[str]:
    """The main form and the forms the alternative patterns give (each, and all together)."""
    written = {word}
    if _DOUBLED_VOWELS_MARK_LENGTH.search(word):
        # Somali spelling: long vowels doubled, and c for ʿayn next to a vowel (Caasha/Asha,
        # Ismaaciil/Ismail, Jaamac/Jama; not Isaac, whose c ends a doubled vowel).
        written.add(_SOMALI_AYN.sub("", word))
        written |= {_DOUBLED_VOWEL.sub(r"\1", w) for w in written}
    for pattern, replacement in _ALTERNATIVES:
        written |= {pattern.sub(replacement, w) for w in written}
    return frozenset(_apply_spelling(w) for w in written if w)


def _consonants(word: str) -> str:
    return "".join(ch for ch in word if ch not in _VOWELS)


@lru_cache(maxsize=65536)
def _gender_pair(a: str, b: str, endings: tuple[tuple[str, str], ...]) -> bool:
    for x, y in endings:
        for p, q in ((a, b), (b, a)):
            if p.endswith(x) and q.endswith(y):
                stem_p, stem_q = p[: len(p) - len(x)], q[: len(q) - len(y)]
                if stem_p == stem_q and len(stem_p) >= 2:
                    return True
    return False


def _compare_words(a: str, b: str, config: MatchConfig) -> _WordMatch:
    if a == b:
        return _WordMatch(_Level.STRONG, 100.0, "exact")
    rows_a, rows_b = config.rows_of(a), config.rows_of(b)
    if rows_a and rows_b:
        if rows_a == rows_b and len(rows_a) == 1:
            return _WordMatch(_Level.STRONG, 100.0, "variant")
        if rows_a & rows_b:
            # One of them is spelled like two names of the table (Saciid: Said or Sayid).
            return _WordMatch(_Level.SIMILAR, fuzz.ratio(a, b), "ambiguous")
        # The table keeps them apart (Mohamed/Mahmoud, Hassan/Hussein): no spelling rule may
        # make them one name. Alike as written (Jamal/Kamal), a slip is still possible.
        ratio = fuzz.ratio(a, b)
        level = _Level.SIMILAR if ratio >= config.similar_ratio else _Level.NONE
        return _WordMatch(level, ratio, "table_differs")
    if _gender_pair(a, b, config.gender_endings):
        # Daniel/Daniela, Yasmin/Yasmina: another person's name. Never the same name, whatever
        # spelling of the table's row the other word may resemble.
        return _WordMatch(_Level.SIMILAR, fuzz.ratio(a, b), "gender")
    if len(rows_a) > 1 or len(rows_b) > 1:
        match = _compare_forms(a, b, config)
        if match.level is _Level.STRONG:
            return _WordMatch(_Level.SIMILAR, match.score, "ambiguous")
        return match
    row_a, row_b = config.row_of(a), config.row_of(b)
    for short, full in ((a, row_b or b), (b, row_a or a)):
        if config.abbreviations.get(short) == full:
            # Md, Mohd: written abbreviations of one name only, never a name of their own.
            return _WordMatch(_Level.STRONG, 100.0, "abbreviation")
    if config.is_short_form(a, b):
        return _WordMatch(_Level.SIMILAR, fuzz.ratio(a, b), "short_form")
    # Compare as written and as the table's canonical form: Mehmet meets Mehmed directly
    # even when only one of them is in the table.
    # Compare as written and as the table's canonical form: Mehmet meets Mehmed directly
    # even when only one of them is in the table.
    ca, cb = row_a or a, row_b or b
    pairs = {(a, b), (ca, cb), (a, cb), (ca, b)}
    # The word outside the table may be the same name as any spelling of the other's row
    # (Evdirehman meets Abdulrahman through Abdirahman).
    if row_a is not None:
        pairs |= {(x, b) for x in config.row_words(row_a)}
    if row_b is not None:
        pairs |= {(a, y) for y in config.row_words(row_b)}
    return max((_compare_forms(x, y, config) for x, y in pairs), key=lambda m: (m.level, m.score))


def _compare_forms(a: str, b: str, config: MatchConfig) -> _WordMatch:
    sa, sb = _spelling(a), _spelling(b)
    ratio = max(fuzz.ratio(a, b), fuzz.ratio(sa, sb))
    if _gender_pair(a, b, config.gender_endings):
        # Daniel/Daniela: another person's name, or a dropped letter. Never the same name.
        return _WordMatch(_Level.SIMILAR, ratio, "gender")
    forms_a, forms_b = _forms(a), _forms(b)
    if forms_a & forms_b:
        return _WordMatch(_Level.STRONG, max(ratio, 98.0), "spelling")
    if _gender_pair(sa, sb, config.gender_endings):
        return _WordMatch(_Level.SIMILAR, ratio, "gender")
    vowels = max(
        (_vowel_difference(x, y, a, b, config) for x in forms_a for y in forms_b),
        default=_Level.NONE,
    )
    if vowels is _Level.STRONG:
        return _WordMatch(_Level.STRONG, ratio, "vowels")
    if _typo(sa, sb, config):
        return _WordMatch(_Level.STRONG, ratio, "typo")
    if vowels is _Level.SIMILAR:
        # Jamil/Jamal, Samir/Samar, Salma/Salima: same consonants, different names.
        return _WordMatch(_Level.SIMILAR, ratio, "vowels_only")
    if ratio >= config.similar_ratio:
        return _WordMatch(_Level.SIMILAR, ratio, "similar")
    if any(
        _sound_key(x, config) == _sound_key(y, config) and Levenshtein.distance(x, y) <= 2
        for x in forms_a
        for y in forms_b
    ):
        # Mirjam/Mariam, Zhuk/Schuk: too unlike as letters for "similar", yet the same
        # consonants once vowels and glides are set aside, which is where transliterations
        # disagree, and at most two letters apart (Ahmed/Hamid, the same consonants built
        # otherwise, are two names). Never the same name by this alone; never "different".
        return _WordMatch(_Level.SIMILAR, ratio, "sounds_alike")
    return _WordMatch(_Level.NONE, ratio, "none")


def _sound_key(form: str, config: MatchConfig) -> str:
    """A word's consonants as sounds: vowels and glides (j, w, y: written or left out as
    transliterations please) dropped, each consonant replaced by its class in
    ``config.sound_classes`` (s/z, k/g/q, b/p, f/v, d/t), repeats merged. ``form`` is a word
    after the spelling rules (``_forms``), which fold kh, zh and ch; sh counts as s here."""
    key: list[str] = []
    for ch in form.replace("sh", "s"):  # sh is the one digraph the spelling rules leave
        if ch in _VOWELS or ch in config.glides:
            continue
        sound = next((c[0] for c in config.sound_classes if ch in c), ch)
        if not key or key[-1] != sound:
            key.append(sound)
    return "".join(key)


def _vowel_difference(a: str, b: str, raw_a: str, raw_b: str, config: MatchConfig) -> _Level:
    """Same consonants, vowels written differently: STRONG when every difference is a known
    transliteration of one vowel, SIMILAR when the vowels differ otherwise, NONE when the
    consonants differ.

    Arabic, Persian, Turkish and Ethiopic names written in Latin letters disagree on vowels in
    known ways: the Arabic i written e (Tarek/Tarik, Hashimi/Hashemi) and u written o
    (Yunus/Yonus), and in long names also a written e (Abdirahman/Abdirehman). Other vowel
    differences make other names (Jamil/Jamal, Samir/Samar: i against a; Maria/Marie), and so
    do inserted vowels (Salma/Salima, Hamdullah/Hamidullah). Short names are too close to tell:
    below ``vowel_min_length`` letters no vowel difference is the same name.
    """
    if _consonants(a) != _consonants(b) or a == b or Levenshtein.distance(a, b) > 2:
        return _Level.NONE  # Ahmed/Hamid: the same consonants, built otherwise
    # In a compound with -ullah (Hamidullah, Habibullah) the name is the first part: its
    # length decides, as if it stood alone (Hamdullah/Hamidullah: Hamd/Hamid).
    stem_a, stem_b = _THEOPHORIC.sub("", a), _THEOPHORIC.sub("", b)
    stems = (stem_a, stem_b) if stem_a != a and stem_b != b else (a, b)
    shorter = min(len(stems[0]), len(stems[1]))
    if shorter < config.vowel_min_length:
        return _Level.SIMILAR
    if len(a) != len(b):
        return _Level.STRONG if _epenthetic_vowel(a, b) else _Level.SIMILAR
    if a[0] != b[0] and not (a[0] in _VOWELS and b[0] in _VOWELS):
        return _Level.SIMILAR
    pairs = {frozenset(p) for p in config.vowel_pairs}
    allowed = 1
    if shorter >= config.vowel_two_length:
        pairs |= {frozenset(p) for p in config.vowel_pairs_long}
        allowed = 2
    changes = {(x, y) for x, y in zip(a, b, strict=True) if x != y}
    differences = [frozenset(c) for c in changes]
    if sum(x != y for x, y in zip(a, b, strict=True)) > allowed:
        return _Level.SIMILAR
    if not all(d in pairs for d in differences) or len(set(differences)) < len(differences):
        # Kerstin/Kirsten: e for i and i for e. A transliteration writes one vowel one way.
        return _Level.SIMILAR
    # A long ī written ee (Sameer) is not the short i that e stands for (Samer): Samīr and
    # Sāmir are two names.
    if "ee" in raw_a or "ee" in raw_b:
        return _Level.SIMILAR
    return _Level.STRONG


_THEOPHORIC = re.compile(r"(?<=..)(?:ul|ol|al)?lah?i?$")


def _epenthetic_vowel(a: str, b: str) -> bool:
    """One vowel written between two consonants in one word, not in the other, away from the
    word's ends: the Ethiopic sixth-order vowel, written or not (Filmon/Filimon,
    Natnael/Natanael, Kibrom/Kiberom)."""
    longer, other = (a, b) if len(a) > len(b) else (b, a)
    if len(longer) != len(other) + 1:
        return False
    i = _first_difference(longer, other)
    return (
        longer[:i] + longer[i + 1 :] == other
        and 2 <= i < len(other) - 1
        and longer[i] in _VOWELS
        and longer[i - 1] not in _VOWELS
        and longer[i + 1] not in _VOWELS
    )


def _typo(a: str, b: str, config: MatchConfig) -> bool:
    """One slip of the keyboard in a long word (Andersson/Andresson, Krzysztof/Krzystof).

    Not one that makes another name: a changed consonant (Habibullah/Hasibullah), a vowel
    added or dropped (Hamidullah/Hamdullah), or a change in the last two letters, which carry
    a name's sex (Kristina/Kristian).
    """
    shorter = min(len(a), len(b))
    if shorter < config.typo_min_length or a[0] != b[0] or OSA.distance(a, b) != 1:
        return False
    if len(a) == len(b):
        diff = [i for i, (x, y) in enumerate(zip(a, b, strict=True)) if x != y]
        transposed = len(diff) == 2 and diff[1] == diff[0] + 1
        return transposed and diff[1] < shorter - 2
    longer = a if len(a) > len(b) else b
    other = b if longer is a else a
    i = _first_difference(longer, other)
    return longer[i] not in _VOWELS and i < shorter - 2


def _first_difference(longer: str, other: str) -> int:
    """Where ``other`` (one letter shorter) first departs from ``longer``."""
    return next(
        (k for k, (x, y) in enumerate(zip(longer, other, strict=False)) if x != y), len(other)
    )


# --- parts (family name, given names) ------------------------------------------------------


class _Fit(IntEnum):
    NONE = 0  # no word matches
    EMPTY = 1  # one side has no words: nothing to compare
    CONFLICT = 2  # some words are the same name, others clearly differ
    SIMILAR = 3  # every word of the shorter side matches, some only look alike
    SUBSET = 4  # every word of the shorter side is the same name; the other has more
    FULL = 5  # every word on both sides is the same name


@dataclass(frozen=True)
class _PartFit:
    fit: _Fit
    score: float
    kinds: frozenset[str]
    strong: int


def _fit_words(a: Sequence[str], b: Sequence[str], config: MatchConfig) -> _PartFit:
    if not a or not b:
        return _PartFit(_Fit.EMPTY, 0.0, frozenset(), 0)
    pairs = sorted(
        ((_compare_words(x, y, config), i, j) for i, x in enumerate(a) for j, y in enumerate(b)),
        key=lambda t: (t[0].level, t[0].score),
        reverse=True,
    )
    used_a: set[int] = set()
    used_b: set[int] = set()
    matched: list[_WordMatch] = []
    for match, i, j in pairs:
        if match.level is _Level.NONE or i in used_a or j in used_b:
            continue
        used_a.add(i)
        used_b.add(j)
        matched.append(match)
    strong = sum(m.level is _Level.STRONG for m in matched)
    shorter, longer = min(len(a), len(b)), max(len(a), len(b))
    score = sum(m.score for m in matched) / longer
    kinds = frozenset(m.kind for m in matched)
    if strong == len(a) == len(b):
        fit = _Fit.FULL
    elif strong == shorter:
        fit = _Fit.SUBSET
    elif len(matched) == shorter:
        fit = _Fit.SIMILAR
    elif strong:
        fit = _Fit.CONFLICT
    else:
        fit = _Fit.NONE
    return _PartFit(fit, score, kinds, strong)


def _spellings_of_part(words: Sequence[str]) -> Iterator[list[str]]:
    """The part as written, and with each pair of neighbouring words merged (Abdul Rahman)."""
    yield list(words)
    for i in range(len(words) - 1):
        yield [*words[:i], words[i] + words[i + 1], *words[i + 2 :]]
    if len(words) > 2:
        yield ["".join(words)]


_Forms = tuple[tuple[str, ...], ...]


def _fit_part(a: _Forms, b: _Forms, config: MatchConfig) -> _PartFit:
    """The best fit over the ways each part can be written (see ``_Name``)."""
    fits = (
        _fit_words(x, y, config)
        for form_a in a
        for form_b in b
        for x in _spellings_of_part(form_a)
        for y in _spellings_of_part(form_b)
    )
    return max(fits, key=lambda f: (f.fit, f.score))


@dataclass(frozen=True)
class _Name:
    """A name as words. A family name has forms without particles (Al Hassan -> Hassan) and
    as written, so that Al-Hassan also meets Alhassan; each part also has its reading with
    ş, č (...) dropped to s, c where that differs (``flows.rules.names.match_spellings``)."""

    family: tuple[str, ...]
    family_forms: _Forms
    given: tuple[str, ...]
    given_forms: _Forms

    @classmethod
    def of(cls, key: PersonKey, config: MatchConfig) -> _Name:
        family_forms: list[tuple[str, ...]] = []
        for reading in match_spellings(key.family_name):
            raw = tuple(reading)
            family = tuple(w for w in raw if w not in config.particles) or raw
            family_forms += [f for f in (family, raw) if f not in family_forms]
        given_forms = tuple(tuple(r) for r in match_spellings(key.given_names))
        return cls(
            family=family_forms[0],
            family_forms=tuple(family_forms),
            given=given_forms[0],
            given_forms=given_forms,
        )

    @property
    def all_words(self) -> tuple[str, ...]:
        return self.given + self.family

    def identical(self, other: _Name) -> bool:
        """Equal after normalisation, as written or with the parts swapped."""
        mine = (self.family, self.given)
        return mine in ((other.family, other.given), (other.given, other.family))


# --- views: the ways two names can line up -------------------------------------------------


@dataclass(frozen=True)
class _View:
    outcome: MatchOutcome
    score: float
    reason: str

    @property
    def outcome_rank(self) -> int:
        return {MatchOutcome.DIFFERENT: 0, MatchOutcome.UNCERTAIN: 1, MatchOutcome.SAME: 2}[
            self.outcome
        ]


def _views(a: _Name, b: _Name, config: MatchConfig) -> Iterator[_View]:
    yield _parts_view(a.given_forms, a.family_forms, b.given_forms, b.family_forms, config)
    yield _parts_view(
        a.given_forms, a.family_forms, b.family_forms, b.given_forms, config, swapped=True
    )
    yield _whole_view(a, b, config)


def _parts_view(
    given_a: _Forms,
    family_a: _Forms,
    given_b: _Forms,
    family_b: _Forms,
    config: MatchConfig,
    *,
    swapped: bool = False,
) -> _View:
    g = _fit_part(given_a, given_b, config)
    f = _fit_part(family_a, family_b, config)
    score = (g.score + f.score) / 2
    same = (g.fit is _Fit.FULL and f.fit is _Fit.FULL) or (
        (g.fit is _Fit.FULL and f.fit is _Fit.SUBSET and config.subset_family_is_same)
        or (g.fit is _Fit.SUBSET and f.fit is _Fit.FULL and config.subset_given_is_same)
    )
    if same:
        if swapped:
            reason = "swapped_names"
        elif _Fit.SUBSET in (g.fit, f.fit):
            reason = "extra_name"
        elif g.kinds | f.kinds == {"exact"}:
            reason = "same_name"
        else:
            reason = "name_variant"
        return _View(MatchOutcome.SAME, score, reason)
    if g.fit is _Fit.NONE:
        return _View(MatchOutcome.DIFFERENT, score, "given_names_differ")
    if _Fit.EMPTY in (g.fit, f.fit):
        return _View(MatchOutcome.UNCERTAIN, score, "name_incomplete")
    if f.fit is _Fit.NONE:
        return _View(MatchOutcome.DIFFERENT, score, "family_names_differ")
    if _Fit.CONFLICT in (g.fit, f.fit) or _Fit.SUBSET in (g.fit, f.fit):
        return _View(MatchOutcome.UNCERTAIN, score, "partly_same_names")
    return _View(MatchOutcome.UNCERTAIN, score, "similar_names")


def _whole_view(a: _Name, b: _Name, config: MatchConfig) -> _View:
    """All words together, whatever the split between family and given names.

    In naming chains (Somali, Arabic, Eritrean: given name, father's, grandfather's) the
    split is often made differently, but the same words in another order can be another
    person: Abdi Mohamed Hassan is not Mohamed Hassan Abdi. So a different split is the same
    person only when the words also come in the same order; otherwise a person decides.
    """
    whole = _fit_words(a.all_words, b.all_words, config)
    if whole.fit is _Fit.FULL and config.whole_name_is_same and _same_order(a, b, config):
        return _View(MatchOutcome.SAME, whole.score, "name_split_differs")
    if whole.fit is _Fit.FULL or (
        whole.fit is _Fit.SUBSET and whole.strong >= config.whole_subset_min_words
    ):
        return _View(MatchOutcome.UNCERTAIN, whole.score, "name_split_differs")
    return _View(MatchOutcome.DIFFERENT, whole.score, "given_names_differ")


def _same_order(a: _Name, b: _Name, config: MatchConfig) -> bool:
    """True when, read in one direction (given names then family, or family then given), the
    two names are the same words in the same order."""
    for order_a, order_b in (
        (a.given + a.family, b.given + b.family),
        (a.family + a.given, b.family + b.given),
    ):
        if len(order_a) == len(order_b) and all(
            _compare_words(x, y, config).level is _Level.STRONG
            for x, y in zip(order_a, order_b, strict=True)
        ):
            return True
    return False
