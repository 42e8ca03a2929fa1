"""Evaluate duplicate matching on labelled sets of name pairs.

Run ``python -m qa.eval_matching`` to evaluate every set below, each reported separately
(options: ``--pairs CSV`` for one other set, ``--config DIR``, ``--errors`` to list the
misjudged pairs). A CSV has the columns family_a, given_a, sex_a, family_b, given_b, sex_b,
label (``same`` or ``different``), note, and optionally source; sex is ``M``, ``K`` or empty.

The sets (fictitious names, no pair describes a real person):

- ``own``: ``tests/data/matching_pairs.csv``, written with the rules;
- ``holdout``: ``tests/data/matching_pairs_holdout.csv`` (72 pairs), written after the first
  rules were settled and not used to tune them;
- ``external``: ``tests/data/matching_pairs_external.csv``, written from sources other than the
  rules (romanisation tables: ALA-LC, DIN 31635, UNGEGN for Arabic; the Somali and Kurdish
  Hawar orthographies; Persian; Ethiopic; Ukrainian KMU 2010 against DIN 1460; published
  short-form lists; hard negatives), each pair naming its ``source``; labelled and committed
  before the rules changed.

For each set it prints the confusion table and the three goals: automatic merges of different
people (goal 0), the share of same-person pairs caught as same or uncertain (goal at least
98 %), and the share of same-person pairs left uncertain (goal at most 15 %). The exit status
is 1 when any set would merge different people.
"""

from __future__ import annotations

import argparse
import csv
import sys
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from flows.rules.matching import MatchConfig, MatchOutcome, PersonKey, judge, load_match_config
from flows.rules.model import Sex
from robot.settings import DEFAULT_CONFIG_DIR, PROJECT_ROOT

DEFAULT_PAIRS = PROJECT_ROOT / "tests" / "data" / "matching_pairs.csv"
HOLDOUT_PAIRS = PROJECT_ROOT / "tests" / "data" / "matching_pairs_holdout.csv"
EXTERNAL_PAIRS = PROJECT_ROOT / "tests" / "data" / "matching_pairs_external.csv"
SETS: dict[str, Path] = {
    "own": DEFAULT_PAIRS,
    "holdout": HOLDOUT_PAIRS,
    "external": EXTERNAL_PAIRS,
}
LABELS = ("same", "different")
# The goals every set is held to.
GOAL_MERGES = 0
GOAL_CAUGHT = 0.98
GOAL_UNCERTAIN = 0.15


@dataclass(frozen=True)
class Pair:
    """One labelled pair from the evaluation set."""

    a: PersonKey
    b: PersonKey
    label: str
    note: str


@dataclass(frozen=True)
class Judged:
    pair: Pair
    outcome: MatchOutcome
    reason: str


@dataclass(frozen=True)
class Evaluation:
    """Counts of (label, outcome) over a set of pairs, with the derived figures."""

    judged: list[Judged]

    @property
    def counts(self) -> Counter[tuple[str, MatchOutcome]]:
        return Counter((j.pair.label, j.outcome) for j in self.judged)

    def precision(self, outcome: MatchOutcome) -> float | None:
        """Of the pairs judged ``outcome`` (same/different), the share whose label agrees."""
        label = outcome.value
        judged = sum(n for (_, o), n in self.counts.items() if o is outcome)
        return self.counts[(label, outcome)] / judged if judged else None

    def recall(self, outcome: MatchOutcome) -> float | None:
        """Of the pairs labelled ``outcome`` (same/different), the share judged so."""
        label = outcome.value
        labelled = sum(n for (lab, _), n in self.counts.items() if lab == label)
        return self.counts[(label, outcome)] / labelled if labelled else None

    @property
    def automatic_merges(self) -> int:
        """Different people judged the same person: the error that must never happen."""
        return self.counts[("different", MatchOutcome.SAME)]

    @property
    def caught_share(self) -> float:
        """Of the same-person pairs, the share judged same or uncertain (not different)."""
        labelled = self._labelled("same")
        return 1 - self.missed_duplicates / labelled if labelled else 1.0

    @property
    def uncertain_share(self) -> float:
        """Of the same-person pairs, the share left uncertain (a person looks)."""
        labelled = self._labelled("same")
        return self.counts[("same", MatchOutcome.UNCERTAIN)] / labelled if labelled else 0.0

    def meets_goals(self) -> bool:
        """0 merges, at least 98 % caught, at most 15 % left uncertain."""
        return (
            self.automatic_merges <= GOAL_MERGES
            and self.caught_share >= GOAL_CAUGHT
            and self.uncertain_share <= GOAL_UNCERTAIN
        )

    def _labelled(self, label: str) -> int:
        return sum(n for (lab, _), n in self.counts.items() if lab == label)

    @property
    def missed_duplicates(self) -> int:
        """The same person judged a different person: a duplicate record would follow."""
        return self.counts[("same", MatchOutcome.DIFFERENT)]

    def errors(self) -> list[Judged]:
        """Pairs judged against their label (uncertain is never an error, only a cost)."""
        return [
            j
            for j in self.judged
            if j.outcome is not MatchOutcome.UNCERTAIN and j.outcome.value != j.pair.label
        ]


def read_pairs(path: Path) -> list[Pair]:
    """Read a labelled CSV; raise ``ValueError`` on an unknown label or sex."""
    pairs = []
    with path.open(newline="", encoding="utf-8") as fh:
        for line, row in enumerate(csv.DictReader(fh), start=2):
            if row["label"] not in LABELS:
                raise ValueError(f"{path}:{line}: label must be same or different")
            pairs.append(
                Pair(
                    a=PersonKey(row["family_a"], row["given_a"], _sex(row["sex_a"])),
                    b=PersonKey(row["family_b"], row["given_b"], _sex(row["sex_b"])),
                    label=row["label"],
                    note=row.get("note", ""),
                )
            )
    return pairs


def evaluate(pairs: Sequence[Pair], *, config: MatchConfig) -> Evaluation:
    """Judge every pair with the given configuration."""
    judged = []
    for pair in pairs:
        result = judge(pair.a, pair.b, config=config)
        judged.append(Judged(pair, result.outcome, result.reason))
    return Evaluation(judged)


def report(evaluation: Evaluation, *, source: str, show_errors: bool = False) -> str:
    """The printed report."""
    counts = evaluation.counts
    outcomes = (MatchOutcome.SAME, MatchOutcome.UNCERTAIN, MatchOutcome.DIFFERENT)
    per_label = {lab: sum(counts[(lab, o)] for o in outcomes) for lab in LABELS}
    lines = [
        f"Matching evaluation: {len(evaluation.judged)} pairs "
        f"({per_label['same']} same, {per_label['different']} different) from {source}",
        "",
        f"{'':18}{'judged same':>14}{'uncertain':>12}{'different':>12}",
    ]
    for lab in LABELS:
        cells = "".join(
            f"{counts[(lab, o)]:>{w}}" for o, w in zip(outcomes, (14, 12, 12), strict=True)
        )
        lines.append(f"{'label ' + lab:18}{cells}")
    lines += ["", f"{'outcome':12}{'precision':>10}{'recall':>9}"]
    for outcome in (MatchOutcome.SAME, MatchOutcome.DIFFERENT):
        lines.append(
            f"{outcome.value:12}{_pct(evaluation.precision(outcome)):>10}"
            f"{_pct(evaluation.recall(outcome)):>9}"
        )
    total = len(evaluation.judged) or 1
    uncertain = sum(counts[(lab, MatchOutcome.UNCERTAIN)] for lab in LABELS)
    lines.append(
        f"{'uncertain':12}{'-':>10}{'-':>9}   {uncertain} pairs ({uncertain / total:.1%}) "
        f"left to a person: {counts[('same', MatchOutcome.UNCERTAIN)]} same, "
        f"{counts[('different', MatchOutcome.UNCERTAIN)]} different"
    )
    lines += [
        "",
        f"Automatic merges of different people: {evaluation.automatic_merges} (must be 0)",
        f"Same person judged different:         {evaluation.missed_duplicates} "
        "(should be 0 or near)",
        f"Same-person pairs caught (same or uncertain): {evaluation.caught_share:.1%} "
        f"(goal >= {GOAL_CAUGHT:.0%})",
        f"Same-person pairs left uncertain:             {evaluation.uncertain_share:.1%} "
        f"(goal <= {GOAL_UNCERTAIN:.0%})",
        f"Goals met: {'yes' if evaluation.meets_goals() else 'NO'}",
    ]
    notes = Counter((j.pair.note, j.outcome.value) for j in evaluation.judged if j.pair.note)
    lines += ["", "By category (note -> outcome counts):"]
    for note in sorted({n for n, _ in notes}):
        parts = ", ".join(
            f"{o} {notes[(note, o)]}"
            for o in ("same", "uncertain", "different")
            if notes[(note, o)]
        )
        lines.append(f"  {note:40} {parts}")
    if show_errors:
        lines += ["", "Misjudged pairs:"]
        for j in evaluation.errors():
            p = j.pair
            lines.append(
                f"  {p.label:9} judged {j.outcome.value:9} ({j.reason}): "
                f"{p.a.family_name}, {p.a.given_names} [{p.a.sex or '?'}] | "
                f"{p.b.family_name}, {p.b.given_names} [{p.b.sex or '?'}]  ({p.note})"
            )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m qa.eval_matching", description=__doc__)
    parser.add_argument("--pairs", type=Path, help="evaluate this set only")
    parser.add_argument("--config", type=Path, default=DEFAULT_CONFIG_DIR)
    parser.add_argument("--errors", action="store_true", help="list the misjudged pairs")
    args = parser.parse_args(argv)
    config = load_match_config(args.config)
    sets = {args.pairs.stem: args.pairs} if args.pairs else SETS
    merges = 0
    summary = []
    for name, path in sets.items():
        evaluation = evaluate(read_pairs(path), config=config)
        print(report(evaluation, source=f"{name} ({path})", show_errors=args.errors))
        print()
        merges += evaluation.automatic_merges
        summary.append(
            f"  {name:26}{len(evaluation.judged):>6}{evaluation.automatic_merges:>8}"
            f"{evaluation.caught_share:>9.1%}{evaluation.uncertain_share:>11.1%}"
            f"   {'yes' if evaluation.meets_goals() else 'NO'}"
        )
    print(f"  {'set':26}{'pairs':>6}{'merges':>8}{'caught':>9}{'uncertain':>11}   goals met")
    print("\n".join(summary))
    return 1 if merges else 0


def _sex(text: str) -> Sex | None:
    return Sex.from_label(text) if text.strip() else None


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value:.1%}"


if __name__ == "__main__":
    sys.exit(main())
