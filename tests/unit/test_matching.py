"""Duplicate matching: same person, different person, or a person must decide."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from flows.rules.matching import (
    REASONS_SV,
    MatchConfig,
    MatchOutcome,
    PersonKey,
    judge,
    judge_hits,
    load_match_config,
)
from flows.rules.model import Sex
from flows.rules.names import name_tokens, normalise_name, split_display_name
from qa.eval_matching import DEFAULT_PAIRS, HOLDOUT_PAIRS, evaluate, main, read_pairs
from robot.errors import ConfigError

SAME, DIFFERENT, UNCERTAIN = MatchOutcome.SAME, MatchOutcome.DIFFERENT, MatchOutcome.UNCERTAIN
M, K = Sex.MAN, Sex.KVINNA


def key(display: str, sex: Sex | None = None) -> PersonKey:
    return PersonKey.from_display(display, sex)


def outcome(a: str, b: str, config: MatchConfig, sa: Sex | None = None, sb: Sex | None = None):
    return judge(key(a, sa), key(b, sb), config=config).outcome


# --- names ----------------------------------------------------------------------------------


def test_normalise_name_should_fold_case_accents_hyphens_and_apostrophes() -> None:
    assert normalise_name("  Al-Hassan  O’Brien ") == "al hassan obrien"
    assert normalise_name("WÓJCIK") == normalise_name("wojcik") == "wojcik"
    assert normalise_name("Ștefan Ørsted Łukasz") == "stefan orsted lukasz"
    assert name_tokens("Anna-Lena  Maria") == ["anna", "lena", "maria"]


def test_split_display_name_should_split_at_the_first_comma() -> None:
    assert split_display_name("Hassan , Abdi Mohamed") == ("Hassan", "Abdi Mohamed")
    assert split_display_name("Hassan") == ("Hassan", "")


# --- single pairs ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Hassan, Mohammed", "Hasan, Muhammad"),
        ("Warsame, Abdi", "Warsame, Abdy"),
        ("Farah, Yusuf", "Farah, Youssef"),
        ("Kovalenko, Olena", "Kovalenko, Elena"),
        ("Shevchenko, Oleksandr", "Ševčenko, Aleksandr"),
        ("Shevchenko, Sergiy", "Sjevtjenko, Sergei"),
        ("Sultani, Ahmad", "Sultani, Ahmed"),
        ("Jama, Hussein", "Jama, Husein"),
        ("Haile, Tesfay", "Haile, Tesfaye"),
        ("Wójcik, Ștefan", "WOJCIK, stefan"),
        ("Hashimi, Tarek", "Hashemi, Tarek"),  # i written e in a long name: not in the table
        ("Andersson, Mohammed", "Andresson, Mohammed"),  # one typo in a long name
        ("Ali, Mohammed", "Mohammed, Ali"),  # swapped
        ("Andersson, Anna Maria", "Andersson, Anna"),  # one given name of two
        ("Hassan, Abdul Rahman", "Hassan, Abdulrahman"),  # merged
        ("Al-Khatib, Omar", "Alkhatib, Omar"),
        ("Al Hassan, Omar", "Hassan, Omar"),  # particle
        ("Hassan, Abdi Mohamed", "Mohamed Hassan, Abdi"),  # split differently
    ],
)
def test_name_variants_of_one_person_should_be_same(
    match_config: MatchConfig, a: str, b: str
) -> None:
    assert outcome(a, b, match_config, M, None) is SAME
    assert outcome(b, a, match_config, None, M) is SAME  # symmetric


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Andersson, Lina", "Andersson, Dina"),  # rhyming twins
        ("Andersson, Daniel", "Andersson, Daniela"),  # sex unknown on both sides
        ("Haddad, Amir", "Haddad, Amin"),
        ("Haddad, Jamal", "Haddad, Kamal"),
        ("Andersson, Anna Maria", "Andersson, Anna Sofia"),
        ("Hassan, Mohammed Ali", "Hassan, Mohammed Omar"),
        ("Hassan, Abdi Mohamed", "Mohamed, Abdi"),  # father's name dropped
        ("Alhassan, Omar", "Hassan, Omar"),
        ("Noori, Hamid", "Noori, Hamed"),  # a vowel apart in five letters: Jamil/Jamal too
    ],
)
def test_names_that_only_look_alike_should_be_left_to_a_person(
    match_config: MatchConfig, a: str, b: str
) -> None:
    assert outcome(a, b, match_config) is UNCERTAIN


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Yilmaz, Hasan", "Yilmaz, Hüseyin"),  # the classic twin names
        ("Jama, Hassan", "Jama, Hussein"),
        ("Jama, Ahmed", "Jama, Hamid"),
        ("Jama, Mohamed", "Jama, Mahmoud"),
        ("Andersson, Erik", "Andersson, Johan"),
        ("Ali, Mohammed", "Hassan, Mohammed"),  # common given name, other family
        ("Hassan, Ali", "Omar, Hassan"),
    ],
)
def test_different_people_should_be_different(match_config: MatchConfig, a: str, b: str) -> None:
    assert outcome(a, b, match_config, M, M) is DIFFERENT


def test_siblings_sharing_family_name_should_never_be_same(match_config: MatchConfig) -> None:
    given = [
        "Ahmad",
        "Mohammed",
        "Omar",
        "Yusuf",
        "Ibrahim",
        "Hassan",
        "Hussein",
        "Amir",
        "Amin",
        "Adam",
        "Adan",
        "Ali",
        "Alia",
        "Lina",
        "Dina",
        "Lena",
        "Sara",
        "Samira",
        "Samina",
        "Amina",
        "Amira",
        "Maria",
        "Mariam",
        "Anna",
        "Hanna",
        "Daniel",
        "Daniela",
        "Jan",
        "Jana",
        "Karim",
        "Karin",
        "Fadi",
        "Hadi",
        "Rami",
        "Sami",
    ]
    for i, a in enumerate(given):
        for b in given[i + 1 :]:
            result = judge(key(f"Haddad, {a}"), key(f"Haddad, {b}"), config=match_config)
            assert result.outcome is not SAME, (a, b)


def test_sex_disagreement_should_make_different_unless_the_names_are_one_name(
    match_config: MatchConfig,
) -> None:
    assert outcome("Nilsson, Kim", "Nilsson, Kim", match_config, M, K) is UNCERTAIN
    # One name in two spellings with another sex: entered wrongly as often as another person.
    assert outcome("Hassan, Mohammed", "Hasan, Muhammad", match_config, M, K) is UNCERTAIN
    assert outcome("Hassan, Daniel", "Hassan, Daniela", match_config, M, K) is DIFFERENT
    assert outcome("Nilsson, Kim", "Nilsson, Kim", match_config, M, None) is SAME


def test_unreadable_name_should_be_uncertain(match_config: MatchConfig) -> None:
    result = judge(PersonKey("Коваленко", "Олена"), key("Kovalenko, Olena"), config=match_config)
    assert result.outcome is UNCERTAIN and result.reason == "name_unreadable"


def test_missing_given_name_should_be_uncertain_not_same(match_config: MatchConfig) -> None:
    result = judge(key("Hassan"), key("Hassan, Omar"), config=match_config)
    assert result.outcome is UNCERTAIN and result.reason == "name_incomplete"


def test_result_should_carry_a_swedish_reason_without_names(match_config: MatchConfig) -> None:
    result = judge(key("Hassan, Mohammed"), key("Hasan, Muhammad"), config=match_config)
    assert result.reason == "name_variant"
    assert result.reason_sv == REASONS_SV["name_variant"]
    assert "Hassan" not in result.reason_sv and "Muhammad" not in result.reason_sv
    assert 0 <= result.score <= 100


def test_variants_are_same_off_should_leave_variants_to_a_person(
    match_config: MatchConfig,
) -> None:
    strict = dataclasses.replace(match_config, variants_are_same=False)
    assert outcome("Hassan, Mohammed", "Hasan, Muhammad", strict) is UNCERTAIN
    assert outcome("Hassan, Mohammed", "HASSAN, mohammed", strict) is SAME


# --- hit lists ------------------------------------------------------------------------------


def test_no_hits_or_only_other_people_should_decide_none(match_config: MatchConfig) -> None:
    person = key("Hassan, Mohammed", M)
    assert judge_hits(person, [], config=match_config).outcome == "none"
    others = [key("Hassan, Omar", M), key("Nilsson, Anna", K)]
    decision = judge_hits(person, others, config=match_config)
    assert decision.outcome == "none" and decision.same_index is None
    assert [r.outcome for r in decision.results] == [DIFFERENT, DIFFERENT]


def test_exactly_one_same_hit_should_decide_same_with_its_index(
    match_config: MatchConfig,
) -> None:
    person = key("Hassan, Mohammed", M)
    hits = [key("Hassan, Omar", M), key("Hasan, Muhammad", M)]
    decision = judge_hits(person, hits, config=match_config)
    assert decision.outcome == "same" and decision.same_index == 1


def test_two_same_hits_should_decide_uncertain(match_config: MatchConfig) -> None:
    person = key("Hassan, Mohammed", M)
    two = [key("Hassan, Mohammed", M), key("Hasan, Muhammad", None)]
    decision = judge_hits(person, two, config=match_config)
    assert [r.outcome for r in decision.results] == [SAME, SAME]
    assert decision.outcome == "uncertain" and decision.same_index is None


def test_one_same_and_one_uncertain_hit_should_decide_uncertain(
    match_config: MatchConfig,
) -> None:
    person = key("Haddad, Amir", M)
    hits = [key("Haddad, Amir", M), key("Haddad, Amin", M)]
    decision = judge_hits(person, hits, config=match_config)
    assert [r.outcome for r in decision.results] == [SAME, UNCERTAIN]
    assert decision.outcome == "uncertain" and decision.same_index is None


# --- configuration --------------------------------------------------------------------------


def test_variant_table_should_not_put_one_spelling_in_two_rows(tmp_path: Path) -> None:
    config = Path(__file__).resolve().parents[2] / "config"
    for name in ("matching.toml", "short_forms.toml"):
        (tmp_path / name).write_text((config / name).read_text("utf-8"), encoding="utf-8")
    load_match_config(tmp_path)  # the copy as it is loads
    with (tmp_path / "matching.toml").open("a", encoding="utf-8") as fh:
        fh.write('hasan2 = ["hasan"]\n')
    with pytest.raises(ConfigError, match="två rader"):
        load_match_config(tmp_path)


def test_missing_short_form_table_should_be_a_config_error(tmp_path: Path) -> None:
    config = Path(__file__).resolve().parents[2] / "config"
    (tmp_path / "matching.toml").write_text((config / "matching.toml").read_text("utf-8"), "utf-8")
    with pytest.raises(ConfigError, match=r"short_forms\.toml"):
        load_match_config(tmp_path)


def test_variant_table_should_keep_different_names_in_different_rows(
    match_config: MatchConfig,
) -> None:
    rows = match_config.variants
    assert rows["hassan"] != rows["hussein"]
    assert rows["mohamed"] != rows["mahmoud"]
    assert rows["said"] != rows["sayed"]
    assert "hamid" not in rows or rows["ahmed"] != rows["hamid"]


# --- the evaluation set ---------------------------------------------------------------------


def test_evaluation_set_should_have_no_automatic_merges_of_different_people(
    match_config: MatchConfig,
) -> None:
    pairs = read_pairs(DEFAULT_PAIRS)
    assert len(pairs) >= 300
    assert {p.label for p in pairs} == {"same", "different"}
    evaluation = evaluate(pairs, config=match_config)
    assert evaluation.automatic_merges == 0
    assert evaluation.missed_duplicates <= 2
    same_recall = evaluation.recall(MatchOutcome.SAME)
    assert same_recall is not None and same_recall >= 0.85


def test_holdout_set_should_have_no_automatic_merges_either(match_config: MatchConfig) -> None:
    # Written after the rules were settled; not used for tuning.
    evaluation = evaluate(read_pairs(HOLDOUT_PAIRS), config=match_config)
    assert len(evaluation.judged) >= 70
    assert evaluation.automatic_merges == 0
    assert evaluation.missed_duplicates <= 2


def test_judgement_should_not_depend_on_which_side_is_the_hit(match_config: MatchConfig) -> None:
    for pair in read_pairs(DEFAULT_PAIRS):
        forward = judge(pair.a, pair.b, config=match_config)
        backward = judge(pair.b, pair.a, config=match_config)
        assert forward.outcome is backward.outcome, pair


def test_evaluation_script_should_print_figures_and_exit_zero(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main([]) == 0
    out = capsys.readouterr().out
    assert "Automatic merges of different people: 0" in out
    assert "precision" in out and "recall" in out
