"""Every rule of the matcher that can make two spellings one name, each with its example.

A false merge (two people judged the same) is the worst outcome, so each rule that can yield
``SAME`` is named here by an example that needs it: with the rule taken out, the example is no
longer ``SAME``. The mechanisms that went wrong (issue 12) have their counter-examples: a vowel
apart in five letters, names the variant table keeps apart, naming chains in another order.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import pytest

import flows.rules.matching as matching
from flows.rules.matching import (
    MatchConfig,
    MatchOutcome,
    PersonContext,
    PersonKey,
    judge,
    judge_hits,
)
from flows.rules.model import Sex
from flows.rules.names import match_spellings, normalise_name
from flows.rules.region import load_region_profile
from robot.errors import ConfigError
from robot.settings import DEFAULT_CONFIG_DIR

SAME, DIFFERENT, UNCERTAIN = MatchOutcome.SAME, MatchOutcome.DIFFERENT, MatchOutcome.UNCERTAIN
M, K = Sex.MAN, Sex.KVINNA


def outcome(a: str, b: str, config: MatchConfig, *, sex: Sex | None = None) -> MatchOutcome:
    forward = judge(PersonKey.from_display(a, sex), PersonKey.from_display(b), config=config)
    backward = judge(PersonKey.from_display(b), PersonKey.from_display(a, sex), config=config)
    assert forward.outcome is backward.outcome, (a, b)
    return forward.outcome


@contextmanager
def without(table: str, pattern: str) -> Iterator[None]:
    """The matcher with one rule of ``_SPELLING`` or ``_ALTERNATIVES`` taken out."""
    rules = getattr(matching, table)
    kept = tuple(rule for rule in rules if rule[0].pattern != pattern)
    assert len(kept) == len(rules) - 1, f"no rule {pattern!r} in {table}"
    setattr(matching, table, kept)
    _clear()
    try:
        yield
    finally:
        setattr(matching, table, rules)
        _clear()


def _clear() -> None:
    matching._spelling.cache_clear()
    matching._forms.cache_clear()
    matching._gender_pair.cache_clear()


# --- every spelling rule and alternative, with the example that needs it ---------------------

SPELLING_EXAMPLES = {
    r"tsch": ("Tkatschenko, Olena", "Tkachenko, Olena"),  # German (DIN 1460) for Slavic č
    r"sch": ("Schmidt, Anna", "Shmidt, Anna"),
    r"sj": ("Andersson, Sjamil", "Andersson, Shamil"),  # Swedish transliteration of ш
    r"tj": ("Tjernov, Ivan", "Chernov, Ivan"),  # Swedish transliteration of ч
    r"zj": ("Zjukov, Ivan", "Zhukov, Ivan"),
    r"kh": ("Khalili, Omar", "Halili, Omar"),
    r"gh": ("Haile, Ghirmay", "Haile, Girmay"),
    r"ph": ("Nilsson, Philip", "Nilsson, Filip"),
    r"th": ("Nilsson, Thomas", "Nilsson, Tomas"),
    r"dh": ("Kahsay, Gebremedhin", "Kahsay, Gebremedin"),
    r"zh": ("Zhukov, Ivan", "Żukow, Ivan"),
    r"ch": ("Nilsson, Chris", "Nilsson, Kris"),
    r"c": ("Stan, Cristian", "Stan, Kristian"),
    r"q": ("Qasimi, Ali", "Kasimi, Ali"),
    r"x": ("Maximov, Ivan", "Maksimov, Ivan"),
    r"w": ("Kowalenko, Viktor", "Kovalenko, Viktor"),
    r"ou|oo": ("Nouri, Ali", "Nuri, Ali"),
    r"ee": ("Mohammadi, Shireen", "Mohammadi, Shirin"),
    r"ae": ("Esmaeili, Ali", "Esmaili, Ali"),
    r"oe": ("Oezdemir, Ali", "Özdemir, Ali"),
    r"ue": ("Mueller, Anna", "Müller, Anna"),
    r"y": ("Jama, Hamdy", "Jama, Hamdi"),
    r"(?<=[aeiou])j": ("Andersson, Maja", "Andersson, Maia"),
    r"(?<=[aeiou])h$": ("Noori, Hamzah", "Noori, Hamza"),
    r"(.)\1+": ("Jaber, Ghassan", "Jaber, Ghasan"),
}

ALTERNATIVE_EXAMPLES = {
    r"x": ("Xirsi, Ahmed", "Hirsi, Ahmed"),  # Somali x for ḥ
    r"^cabd": ("Cabdulle, Hodan", "Abdulle, Hodan"),  # Somali c for ʿayn in ʿAbd-
    r"^e[vb](?=d)": ("Hawrami, Ebdulla", "Hawrami, Abdulla"),  # Kurdish eb-/ev- for abd-
    r"dh": ("Obaid, Ramadhan", "Obaid, Ramazan"),  # ض written dh or z
    r"(?<=\w{4})eh$": ("Hosseini, Fatemeh", "Hosseini, Fatema"),  # Persian -eh
    r"(?<=w)o": ("Woldemariam, Senait", "Weldemariam, Senait"),  # Ethiopic ä after w
    r"(?<=a)(?:ei|ie|yi|ee|ii)$": ("Rezaei, Zahra", "Rezaie, Zahra"),  # Persian -āʾī
    r"^abd[aeiou]?l(?=[a-z]{3})|^abdi(?=[a-z]{4})": ("Saleh, Abdelaziz", "Saleh, Abdulaziz"),
    r"ou(?=[aei])": ("Abdi, Anouar", "Abdi, Anwar"),  # French ou for w
}


def test_every_spelling_rule_should_be_named_by_an_example() -> None:
    assert set(SPELLING_EXAMPLES) == {p.pattern for p, _ in matching._SPELLING}
    assert set(ALTERNATIVE_EXAMPLES) == {p.pattern for p, _ in matching._ALTERNATIVES}


@pytest.mark.parametrize(
    ("table", "pattern", "pair"),
    [
        *(("_SPELLING", p, pair) for p, pair in SPELLING_EXAMPLES.items()),
        *(("_ALTERNATIVES", p, pair) for p, pair in ALTERNATIVE_EXAMPLES.items()),
    ],
)
def test_spelling_rule_should_be_what_makes_its_example_same(
    match_config: MatchConfig, table: str, pattern: str, pair: tuple[str, str]
) -> None:
    a, b = pair
    assert outcome(a, b, match_config) is SAME
    with without(table, pattern):
        fresh = dataclasses.replace(match_config)  # the table's spelling forms again
        assert outcome(a, b, fresh) is not SAME


DISTINCT_NAMES = Path(__file__).resolve().parents[1] / "data" / "matching_distinct_names.txt"


def test_no_two_distinct_common_names_should_be_one_name(match_config: MatchConfig) -> None:
    # Word by word (the judgement of a whole name needs every word to be the same name):
    # 260 names, 33 670 pairs, each a pair of siblings' given names if they shared a birth date.
    lines = DISTINCT_NAMES.read_text("utf-8").splitlines()
    names = [normalise_name(n) for n in lines if n.strip() and not n.startswith("#")]
    assert len(names) == len(set(names)) >= 250
    same = [
        (a, b)
        for i, a in enumerate(names)
        for b in names[i + 1 :]
        if matching._compare_words(a, b, match_config).level is matching._Level.STRONG
    ]
    assert same == []


# --- vowels -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Hashimi, Omar", "Hashemi, Omar"),  # Arabic i written e, seven letters
        ("Woldemariam, Kiflom", "Woldemariam, Kiflum"),  # u written o, six letters
        ("Haile, Mariamawit", "Haile, Mariamawet"),  # i written e
        ("Haile, Natnael", "Haile, Natanael"),  # Ethiopic sixth-order vowel written or not
        ("Tekle, Filmon", "Tekle, Filimon"),
    ],
)
def test_vowel_rule_should_accept_known_transliterations(
    match_config: MatchConfig, a: str, b: str
) -> None:
    assert outcome(a, b, match_config, sex=M) is SAME


@pytest.mark.parametrize(
    ("a", "b"),
    [
        # Five letters, one vowel apart: other names (issue 12, the vowel_min_length rule).
        ("Nasser, Jamil", "Nasser, Jamal"),
        ("Khalil, Samir", "Khalil, Samar"),
        ("Khalil, Hamid", "Khalil, Hamad"),
        ("Mansour, Karim", "Mansour, Karam"),
        ("Nilsson, Maria", "Nilsson, Marie"),
        ("Nilsson, Elena", "Nilsson, Elina"),
        ("Yilmaz, Selin", "Yilmaz, Selen"),
        # Longer, but vowels that no transliteration confuses: i against a.
        ("Hamdan, Rashid", "Hamdan, Rashad"),
        # A long ī written ee is not the short i that e stands for: Samīr is not Sāmir.
        ("Jaber, Samer", "Jaber, Sameer"),
        # An added vowel in a short name or an -ullah stem: another name.
        ("Hamdan, Salma", "Hamdan, Salima"),
        ("Hashimi, Hamdullah", "Hashimi, Hamidullah"),
    ],
)
def test_vowel_only_difference_should_never_be_same_on_its_own(
    match_config: MatchConfig, a: str, b: str
) -> None:
    assert outcome(a, b, match_config) is UNCERTAIN


def test_variant_table_should_still_make_a_short_vowel_pair_same(
    match_config: MatchConfig,
) -> None:
    # Karim/Kerim are one row of the table: the table says so, not the vowel rule.
    assert outcome("Mansour, Karim", "Mansour, Kerim", match_config) is SAME
    assert outcome("Jama, Omar", "Jama, Umar", match_config) is SAME


# --- the variant table overrules -----------------------------------------------------------


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Farah, Mohamud", "Farah, Mohamed"),  # Somali Mahmud / Muhammad
        ("Warsame, Maxamuud", "Warsame, Maxamed"),
        ("Osman, Mahamud", "Osman, Mahamed"),
        ("Haddad, Jamal", "Haddad, Kamal"),
    ],
)
def test_names_in_different_rows_of_the_table_should_never_be_same(
    match_config: MatchConfig, a: str, b: str
) -> None:
    # Alike as written, a slip is possible: a person looks. Never the same name.
    assert outcome(a, b, match_config, sex=M) is UNCERTAIN


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Jama, Hassan", "Jama, Hussein"),
        ("Jama, Mohamed", "Jama, Mahmoud"),
        ("Osman, Mahmud", "Osman, Muhamad"),  # Muhamad is not listed: spelled like a listed one
        ("Ali, Omar", "Ali, Osman"),
    ],
)
def test_names_in_different_rows_that_do_not_look_alike_should_be_different(
    match_config: MatchConfig, a: str, b: str
) -> None:
    assert outcome(a, b, match_config, sex=M) is DIFFERENT


def test_row_of_should_follow_the_spelling_rules_only_where_one_row_fits(
    match_config: MatchConfig,
) -> None:
    assert match_config.row_of("muhamad") == match_config.row_of("muhammad")
    assert match_config.row_of("xasan") == match_config.row_of("hassan")
    assert match_config.row_of("mahamud") != match_config.row_of("mahamed")
    assert match_config.row_of("andersson") is None


# --- names split differently: naming chains -----------------------------------------------


def test_different_split_in_the_same_order_should_be_same(match_config: MatchConfig) -> None:
    # Both read Abdi Mohamed Hassan (given, father, grandfather).
    assert outcome("Hassan, Abdi Mohamed", "Mohamed Hassan, Abdi", match_config) is SAME
    assert outcome("Osman, Faduma Ali", "Ali Osman, Faduma", match_config) is SAME


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Hassan, Abdi Mohamed", "Abdi, Mohamed Hassan"),  # Mohamed Hassan Abdi: another man
        ("Ali, Mohamed Omar", "Omar, Mohamed Ali"),  # another father
        ("Jama, Faadumo Ali", "Ali, Faadumo Jama"),
    ],
)
def test_same_words_in_another_order_should_be_left_to_a_person(
    match_config: MatchConfig, a: str, b: str
) -> None:
    assert outcome(a, b, match_config) is UNCERTAIN


def test_whole_name_rule_off_should_leave_every_other_split_to_a_person(
    match_config: MatchConfig,
) -> None:
    strict = dataclasses.replace(match_config, whole_name_is_same=False)
    assert outcome("Hassan, Abdi Mohamed", "Mohamed Hassan, Abdi", strict) is UNCERTAIN


# --- the other rules that can say SAME ------------------------------------------------------


@pytest.mark.parametrize(
    ("a", "b", "reason"),
    [
        ("Wójcik, Ștefan", "WOJCIK, stefan", "same_name"),  # case and accents
        ("Hassan, Mohammed", "Hasan, Muhammad", "name_variant"),  # the table
        ("Rahman, Md", "Rahman, Muhammad", "name_variant"),  # an abbreviation (short_forms.toml)
        ("Andersson, Mohammed", "Andresson, Mohammed", "name_variant"),  # two letters swapped
        ("Lewandowski, Krzysztof", "Lewandowski, Krzystof", "name_variant"),  # one dropped
        ("Andersson, Anna Maria", "Andersson, Anna", "extra_name"),  # subset_given_is_same
        ("Garcia Lopez, Maria", "Garcia, Maria", "extra_name"),  # subset_family_is_same
        ("Ali, Mohammed", "Mohammed, Ali", "swapped_names"),
        ("Hassan, Abdul Rahman", "Hassan, Abdulrahman", "same_name"),  # merged words
        ("Al Hassan, Omar", "Hassan, Omar", "same_name"),  # particle
        ("Haddad, ʿAlī", "Haddad, Ali", "same_name"),  # DIN ʿayn sign (names.py)
        ("Ǧabir, Ǧamāl", "Jabir, Jamal", "same_name"),  # DIN ǧ (names.py)
        ("Jaamac, Hodan", "Jama, Hodan", "name_variant"),  # Somali c for ʿayn, long vowels
        ("Warsame, Guuleed", "Warsame, Guled", "name_variant"),  # Somali long vowels
        ("Xasan, Ayaan", "Hassan, Ayaan", "name_variant"),  # Somali x for ḥ
        ("Warsame, Cabdi", "Warsame, Abdi", "name_variant"),  # Somali c for ʿayn
        ("Barzani, Xalid", "Barzani, Khalid", "name_variant"),  # Kurdish x for kh
        ("Bakir, Berîvan", "Bakir, Berivan", "same_name"),  # Kurdish î
        ("Sultan, Nadhim", "Sultan, Nazim", "name_variant"),  # Arabic dh/z
        ("Moradi, Zohreh", "Moradi, Zohra", "name_variant"),  # Persian -eh/-a
    ],
)
def test_rule_that_says_same_should_have_its_example(
    match_config: MatchConfig, a: str, b: str, reason: str
) -> None:
    result = judge(PersonKey.from_display(a), PersonKey.from_display(b), config=match_config)
    assert (result.outcome, result.reason) == (SAME, reason)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Hashimi, Habibullah", "Hashimi, Hasibullah"),  # a changed consonant is no typo
        ("Nilsson, Kristina", "Nilsson, Kristian"),  # nor a swap in the last two letters
        ("Isaksson, Isaac", "Isaksson, Isa"),  # Somali c needs a Somali long vowel
        ("Jaber, Saleh", "Jaber, Salah"),  # the Persian -eh only in longer names
        ("Jaber, Ghassan", "Jaber, Hassan"),
    ],
)
def test_near_spellings_of_other_names_should_not_be_same(
    match_config: MatchConfig, a: str, b: str
) -> None:
    assert outcome(a, b, match_config) is not SAME


def test_short_forms_should_be_left_to_a_person(match_config: MatchConfig) -> None:
    assert outcome("Bondarenko, Aleksandr", "Bondarenko, Sasha", match_config) is UNCERTAIN
    assert outcome("Bondarenko, Oleksandra", "Bondarenko, Sasha", match_config) is UNCERTAIN
    assert outcome("Karlsson, Elisabeth", "Karlsson, Lisa", match_config) is UNCERTAIN
    assert outcome("Berg, Karl", "Berg, Kalle", match_config) is UNCERTAIN


def test_short_form_table_should_refuse_an_abbreviation_for_two_names(tmp_path: Path) -> None:
    for name in ("matching.toml", "short_forms.toml"):
        (tmp_path / name).write_text((DEFAULT_CONFIG_DIR / name).read_text("utf-8"), "utf-8")
    matching.load_match_config(tmp_path)  # the copy as it is loads
    # The last section of the file is [abbreviations]: Md for Mahmud too is refused.
    with (tmp_path / "short_forms.toml").open("a", encoding="utf-8") as fh:
        fh.write('mahmud = ["md"]\n')
    with pytest.raises(ConfigError, match="två namn"):
        matching.load_match_config(tmp_path)


def test_match_spellings_should_read_ayn_signs_and_romanisation_letters() -> None:
    assert match_spellings("Saʿīd ʿAbd al-Raḥmān") == (["said", "abd", "al", "rahman"],)  # DIN
    assert match_spellings("ʻĀʼishah") == (["aishah"],)  # ALA-LC ʻ ʼ
    assert match_spellings("`Umar") == (["umar"],)  # UNGEGN `
    assert match_spellings("Ǧamāl Ḫālid Ṯābit Ḏakwān Ġassān") == (
        ["jamal", "khalid", "thabit", "dhakwan", "ghassan"],
    )
    assert match_spellings("Şêrko Ševčenko") == (["sherko", "shevchenko"], ["serko", "sevcenko"])


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ("Ahmed, Şêrko", "Ahmed, Sherko", SAME),  # ş is sh (Kurdish Hawar, Turkish)
        ("Ahmed, Şêrko", "Ahmed, Serko", SAME),  # or typed without the mark
        ("Ionescu, Ștefan", "Ionescu, Stefan", SAME),
        ("Yilmaz, Sahin", "Yilmaz, Shahin", UNCERTAIN),  # but s is not sh: Sami is not Shami
        ("Qasim, Sadi", "Qasim, Shadi", UNCERTAIN),
    ],
)
def test_letters_worth_two_should_meet_both_spellings_but_s_never_sh(
    match_config: MatchConfig, a: str, b: str, expected: MatchOutcome
) -> None:
    assert outcome(a, b, match_config) is expected


def test_fingerprint_normalisation_should_not_change_with_the_matching_letters() -> None:
    # Journal and queue keys are built from normalise_name: it must stay as it was.
    assert normalise_name("Saʿīd") == "sa id"
    assert normalise_name("Ǧamāl Şahin") == "gamal sahin"


# --- the estimated birth date -----------------------------------------------------------------

HOME = PersonContext(postal_code="802 50", street="Storgatan 1", reference="ÄRENDE-1")


def person(context: PersonContext | None = HOME) -> PersonKey:
    return PersonKey("Hassan", "Abdi", M, context=context)


@pytest.mark.parametrize(
    "other",
    [
        PersonContext(postal_code="811 30"),
        PersonContext(street="Kungsgatan 5"),
        PersonContext(reference="ÄRENDE-2"),
        PersonContext(reservnummer="19900101001M3"),
    ],
)
def test_same_name_on_an_estimated_date_should_be_uncertain_when_another_field_differs(
    match_config: MatchConfig, other: PersonContext
) -> None:
    mine = PersonKey(
        "Hassan", "Abdi", M, context=dataclasses.replace(HOME, reservnummer="19900101002M1")
    )
    hit = PersonKey("Hassan", "Abdi", M, context=other)
    result = judge(mine, hit, config=match_config, estimated_birth_date=True)
    assert (result.outcome, result.reason) == (UNCERTAIN, "estimated_birth_date_other_differs")
    assert "kontrollera" in result.reason_sv
    decision = judge_hits(mine, [hit], config=match_config, estimated_birth_date=True)
    assert decision.outcome == "uncertain"


def test_same_name_birth_date_and_sex_should_be_one_person_otherwise(
    match_config: MatchConfig,
) -> None:
    differs = PersonKey("Hassan", "Abdi", M, context=PersonContext(postal_code="811 30"))
    # Not an estimated date: whatever else differs.
    assert judge(person(), differs, config=match_config).outcome is SAME
    # Estimated, but every field both know agrees (spacing and case aside), or nothing known.
    agrees = PersonKey("Hassan", "Abdi", M, context=PersonContext(postal_code="80250"))
    assert judge(person(), agrees, config=match_config, estimated_birth_date=True).outcome is SAME
    unknown = PersonKey("Hassan", "Abdi", M)
    assert judge(person(), unknown, config=match_config, estimated_birth_date=True).outcome is SAME
    assert judge(person(None), differs, config=match_config, estimated_birth_date=True).outcome is (
        SAME
    )


def test_estimated_date_rule_should_never_turn_different_into_uncertain(
    match_config: MatchConfig,
) -> None:
    other = PersonKey("Hassan", "Omar", M, context=PersonContext(postal_code="811 30"))
    assert judge(person(), other, config=match_config, estimated_birth_date=True).outcome is (
        DIFFERENT
    )


def test_region_profile_should_say_which_birth_dates_are_estimated() -> None:
    profile = load_region_profile(DEFAULT_CONFIG_DIR)
    assert profile.is_estimated_birth_date(date(1990, 1, 1))
    assert not profile.is_estimated_birth_date(date(1990, 1, 2))
    assert not profile.is_estimated_birth_date(date(1990, 7, 1))


def test_region_profile_without_birth_dates_should_take_1_january_as_estimated(
    tmp_path: Path,
) -> None:
    text = (DEFAULT_CONFIG_DIR / "regions" / "gavleborg.toml").read_text("utf-8")
    text = re.sub(r"^\[birth_dates\]$.*?(?=^\[)", "", text, flags=re.DOTALL | re.MULTILINE)
    assert "estimated" not in text and '"01-01"' not in text
    (tmp_path / "regions").mkdir()
    (tmp_path / "regions" / "gavleborg.toml").write_text(text, "utf-8")
    assert load_region_profile(tmp_path).estimated_birth_dates == {"01-01"}
    off = text + "\n[birth_dates]\nestimated = []\n"
    (tmp_path / "regions" / "gavleborg.toml").write_text(off, "utf-8")
    assert load_region_profile(tmp_path).estimated_birth_dates == set()


@pytest.mark.parametrize("bad", ['"13-01"', '"1-1"', '"02-30"', '"0101"'])
def test_region_profile_should_refuse_an_estimated_date_that_is_no_day(
    tmp_path: Path, bad: str
) -> None:
    text = (DEFAULT_CONFIG_DIR / "regions" / "gavleborg.toml").read_text("utf-8")
    text = re.sub(r"estimated = \[[^\]]*\]", f"estimated = [{bad}]", text)
    (tmp_path / "regions").mkdir()
    (tmp_path / "regions" / "gavleborg.toml").write_text(text, "utf-8")
    with pytest.raises(ConfigError):
        load_region_profile(tmp_path)


# --- plausible spellings are never "different" (issue 24, point 3) -------------------------


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Haddad, Mirjam", "Haddad, Mariam"),  # j for the glide i: Mirjam, Miriam, Mariam
        ("Haddad, Mirjam", "Haddad, Maryam"),
        ("Zhuk, Dmytro", "Schuk, Dmitri"),  # German sch for the Slavic zh
        ("Bakri, Jusuf", "Pakri, Jusuf"),  # Persian p for the Arabic b
        ("Tarik, Hiba", "Darik, Hiba"),  # t and d: one Arabic letter, two spellings
    ],
)
def test_plausible_spelling_of_one_name_should_be_left_to_a_person(
    match_config: MatchConfig, a: str, b: str
) -> None:
    assert outcome(a, b, match_config, sex=K) is UNCERTAIN


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Haddad, Lina", "Haddad, Rima"),  # other consonants: sisters
        ("Haddad, Mariam", "Haddad, Leila"),
        ("Haddad, Sara", "Haddad, Nora"),
        ("Mohamed, Amina", "Mohamed, Fatima"),
    ],
)
def test_names_of_other_sounds_should_stay_different(
    match_config: MatchConfig, a: str, b: str
) -> None:
    assert outcome(a, b, match_config, sex=K) is DIFFERENT


def test_sound_key_should_never_make_two_words_the_same_name(match_config: MatchConfig) -> None:
    """The sound key only turns "different" into "uncertain": words it joins stay similar."""
    words = ["mirjam", "mariam", "zhuk", "schuk", "bakr", "pakr", "tarik", "darik", "sami"]
    for x in words:
        for y in words:
            if x != y:
                match = matching._compare_words(x, y, match_config)
                assert match.kind not in {"exact"} and (
                    match.kind != "sounds_alike" or match.level is matching._Level.SIMILAR
                )


def test_variant_of_one_name_with_another_sex_should_be_left_to_a_person(
    match_config: MatchConfig,
) -> None:
    # The names are one name (a spelling variant), the sex differs: entered wrongly as often
    # as another person. Brother and sister (Daniel/Daniela) stay "different".
    same_name = judge(
        PersonKey("Haddad", "Youssef", M), PersonKey("Haddad", "Yusuf", K), config=match_config
    )
    assert same_name.outcome is UNCERTAIN
    assert same_name.reason == "sex_differs_same_name"
    siblings = judge(
        PersonKey("Haddad", "Daniel", M), PersonKey("Haddad", "Daniela", K), config=match_config
    )
    assert siblings.outcome is DIFFERENT
