"""Duplicate matching: is a person found by birth date the person we are registering?

A search by birth date returns everybody born that day, so names (and sex, where both are
known) decide. Each hit gets one of three outcomes:

- ``SAME``: the same person; register nothing new, reuse what exists;
- ``DIFFERENT``: another person;
- ``UNCERTAIN``: a person must decide. The robot never guesses.

The rule that matters most is that two different people are never judged ``SAME``: siblings
share a family name and a birth date, and many people born abroad are registered on 1 January.
So ``SAME`` needs every name word to match as the *same name* (equal, a listed variant, a
spelling rule, a vowel-only transliteration difference, or one typo in a long word), while
words that merely look alike (Lina/Dina, Amir/Amin, Daniel/Daniela) make the result
``UNCERTAIN``. A name variant of the same person must not come out ``DIFFERENT`` either, so
given and family names are also compared swapped, merged and split differently.

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

from flows.model import Sex
from flows.names import name_tokens, normalise_name, split_display_name
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
    vowel_min_length: int = 5
    vowel_two_length: int = 7
    typo_min_length: int = 8
    gender_endings: tuple[tuple[str, str], ...] = (("", "a"), ("o", "a"), ("", "e"))
    variants_are_same: bool = True
    subset_given_is_same: bool = True
    subset_family_is_same: bool = True
    whole_name_is_same: bool = True
    whole_subset_min_words: int = 2
    particles: frozenset[str] = frozenset()
    # Normalised spelling -> canonical spelling.
    variants: Mapping[str, str] = field(default_factory=dict)


def load_match_config(config_dir: Path) -> MatchConfig:
    """Load ``config_dir/matching.toml``; raise ``ConfigError`` when it is inconsistent."""
    path = config_dir / "matching.toml"
    try:
        with path.open("rb") as fh:
            data = tomllib.load(fh)
        tokens, rules = data["tokens"], data["rules"]
        config = MatchConfig(
            similar_ratio=float(tokens["similar_ratio"]),
            vowel_min_length=int(tokens["vowel_min_length"]),
            vowel_two_length=int(tokens["vowel_two_length"]),
            typo_min_length=int(tokens["typo_min_length"]),
            gender_endings=tuple((str(a), str(b)) for a, b in tokens["gender_endings"]),
            variants_are_same=bool(rules.get("variants_are_same", True)),
            subset_given_is_same=bool(rules["subset_given_is_same"]),
            subset_family_is_same=bool(rules["subset_family_is_same"]),
            whole_name_is_same=bool(rules["whole_name_is_same"]),
            whole_subset_min_words=int(rules["whole_subset_min_words"]),
            particles=frozenset(normalise_name(str(p)) for p in rules.get("particles", [])),
            variants=_variant_map(data.get("variants", {})),
        )
    except (FileNotFoundError, tomllib.TOMLDecodeError, KeyError, TypeError, ValueError) as exc:
        raise ConfigError(f"Matchningsinställningarna går inte att läsa: {path}: {exc}") from exc
    if not 0 < config.similar_ratio <= 100:
        raise ConfigError(f"{path.name}: similar_ratio ska ligga mellan 0 och 100")
    return config


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
class PersonKey:
    """What matching knows of a person: names and, where known, sex."""

    family_name: str
    given_names: str
    sex: Sex | None = None

    @classmethod
    def from_display(cls, name: str, sex: Sex | None = None) -> PersonKey:
        """From the sites' ``"Efternamn, Förnamn"``."""
        family, given = split_display_name(name)
        return cls(family_name=family, given_names=given, sex=sex)


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
}


def judge(person: PersonKey, candidate: PersonKey, *, config: MatchConfig) -> MatchResult:
    """Judge whether ``candidate`` (a search hit, same birth date) is ``person``."""
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
        if a.identical(b):
            return _result(MatchOutcome.UNCERTAIN, best.score, "sex_differs_same_name")
        return _result(MatchOutcome.DIFFERENT, best.score, "sex_differs")
    return _result(best.outcome, best.score, best.reason)


def judge_hits(
    person: PersonKey, hits: Sequence[PersonKey], *, config: MatchConfig
) -> HitsDecision:
    """Judge every hit of a birth-date search and decide for the list as a whole."""
    results = [judge(person, hit, config=config) for hit in hits]
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
    kind: str  # exact, variant, spelling, vowels, typo, gender, similar, none


# Spelling rules applied in order; each pair (pattern, replacement) maps transliteration
# alternatives onto one form: Shevchenko/Ševčenko, Christina/Kristina, Youssef/Yusuf,
# Mueller/Müller, Sergej/Sergey, Fatimah/Fatima.
_SPELLING: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(p), r)
    for p, r in (
        (r"sch", "sh"),
        (r"sj", "s"),
        (r"tj", "c"),
        (r"zj", "z"),
        (r"kh", "h"),
        (r"gh", "g"),
        (r"ph", "f"),
        (r"th", "t"),
        (r"dh", "d"),
        (r"zh", "z"),
        (r"sh", "s"),
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


@lru_cache(maxsize=65536)
def _spelling(word: str) -> str:
    for pattern, replacement in _SPELLING:
        word = pattern.sub(replacement, word)
    return word


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
    ca, cb = config.variants.get(a, a), config.variants.get(b, b)
    if ca == cb:
        return _WordMatch(_Level.STRONG, 100.0, "variant")
    # Compare as written and as the table's canonical forms: Mehmet meets Mehmed directly
    # even when only one of them is in the table.
    forms = {(a, b), (ca, cb), (a, cb), (ca, b)}
    return max((_compare_forms(x, y, config) for x, y in forms), key=lambda m: (m.level, m.score))


def _compare_forms(a: str, b: str, config: MatchConfig) -> _WordMatch:
    sa, sb = _spelling(a), _spelling(b)
    ratio = max(fuzz.ratio(a, b), fuzz.ratio(sa, sb))
    if _gender_pair(a, b, config.gender_endings) or _gender_pair(sa, sb, config.gender_endings):
        # Daniel/Daniela: another person's name, or a dropped letter. Never the same name.
        return _WordMatch(_Level.SIMILAR, ratio, "gender")
    if sa == sb:
        return _WordMatch(_Level.STRONG, 98.0, "spelling")
    shorter = min(len(sa), len(sb))
    if _vowel_variant(sa, sb, shorter, config):
        return _WordMatch(_Level.STRONG, ratio, "vowels")
    if shorter >= config.typo_min_length and sa[0] == sb[0] and OSA.distance(sa, sb) == 1:
        return _WordMatch(_Level.STRONG, ratio, "typo")
    if ratio >= config.similar_ratio:
        return _WordMatch(_Level.SIMILAR, ratio, "similar")
    return _WordMatch(_Level.NONE, ratio, "none")


def _vowel_variant(a: str, b: str, shorter: int, config: MatchConfig) -> bool:
    """Tarek/Tarik, Olena/Elena: same consonants, a vowel or two written differently."""
    if shorter < config.vowel_min_length or _consonants(a) != _consonants(b):
        return False
    if a[0] != b[0] and not (a[0] in _VOWELS and b[0] in _VOWELS):
        return False
    allowed = 2 if shorter >= config.vowel_two_length else 1
    return Levenshtein.distance(a, b) <= allowed


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
    """A name as words. A family name has two forms: without particles (Al Hassan -> Hassan)
    and as written, so that Al-Hassan also meets Alhassan."""

    family: tuple[str, ...]
    family_forms: _Forms
    given: tuple[str, ...]

    @classmethod
    def of(cls, key: PersonKey, config: MatchConfig) -> _Name:
        raw = tuple(name_tokens(key.family_name))
        family = tuple(w for w in raw if w not in config.particles) or raw
        forms = (family,) if family == raw else (family, raw)
        return cls(family=family, family_forms=forms, given=tuple(name_tokens(key.given_names)))

    @property
    def given_forms(self) -> _Forms:
        return (self.given,)

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
    """All words together, whatever the split between family and given names."""
    whole = _fit_words(a.all_words, b.all_words, config)
    if whole.fit is _Fit.FULL and config.whole_name_is_same:
        return _View(MatchOutcome.SAME, whole.score, "name_split_differs")
    if whole.fit in (_Fit.FULL, _Fit.SUBSET) and whole.strong >= config.whole_subset_min_words:
        return _View(MatchOutcome.UNCERTAIN, whole.score, "name_split_differs")
    return _View(MatchOutcome.DIFFERENT, whole.score, "given_names_differ")
