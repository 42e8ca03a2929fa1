"""The matching evaluation, set by set, held to the goals (qa/eval_matching.py).

Goals on every set: no automatic merge of different people, at least 98 % of the same-person
pairs caught (same or uncertain), at most 15 % of them left uncertain.
"""

from __future__ import annotations

import csv

import pytest

from flows.rules.matching import MatchConfig, judge
from qa.eval_matching import GOAL_CAUGHT, GOAL_UNCERTAIN, SETS, evaluate, main, read_pairs


@pytest.mark.parametrize("name", sorted(SETS))
def test_every_set_should_merge_nobody_and_catch_the_same_persons(
    match_config: MatchConfig, name: str
) -> None:
    pairs = read_pairs(SETS[name])
    assert {p.label for p in pairs} == {"same", "different"}
    evaluation = evaluate(pairs, config=match_config)
    assert evaluation.automatic_merges == 0, [
        (j.pair.a, j.pair.b) for j in evaluation.errors() if j.pair.label == "different"
    ]
    assert evaluation.caught_share >= GOAL_CAUGHT
    # A plausible variant is left to a person, never judged another person (issue 24).
    assert evaluation.missed_duplicates == 0, [
        (j.pair.a, j.pair.b) for j in evaluation.errors() if j.pair.label == "same"
    ]


@pytest.mark.parametrize(
    "name",
    [
        "own",
        "holdout",
        pytest.param(
            "external",
            marks=pytest.mark.xfail(
                strict=True,
                reason="known gap: about 18 % of the external set's same-person pairs are left "
                "uncertain (five-letter names a vowel apart, short forms, Kurdish e for a, "
                "sounds alike): safe, but more than the goal",
            ),
        ),
    ],
)
def test_every_set_should_leave_few_same_persons_uncertain(
    match_config: MatchConfig, name: str
) -> None:
    evaluation = evaluate(read_pairs(SETS[name]), config=match_config)
    assert evaluation.uncertain_share <= GOAL_UNCERTAIN


def test_external_set_should_name_a_source_for_every_pair() -> None:
    with SETS["external"].open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) >= 250
    assert all(row["source"].strip() for row in rows)


@pytest.mark.parametrize("name", sorted(SETS))
def test_judgement_should_not_depend_on_which_side_is_the_hit(
    match_config: MatchConfig, name: str
) -> None:
    for pair in read_pairs(SETS[name]):
        forward = judge(pair.a, pair.b, config=match_config)
        backward = judge(pair.b, pair.a, config=match_config)
        assert forward.outcome is backward.outcome, pair


def test_evaluation_should_report_every_set_with_the_goals(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main([]) == 0
    out = capsys.readouterr().out
    for name in SETS:
        assert f"from {name} (" in out
    assert out.count("Automatic merges of different people: 0") == len(SETS)
    assert "Same-person pairs caught" in out and "left uncertain" in out
