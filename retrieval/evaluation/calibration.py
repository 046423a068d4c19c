"""Measuring the "not found" decision on questions with and without an answer.

Answerable: a QA set's own questions against its own paragraphs.
Unanswerable, three kinds:

* removed: the same questions with their own paragraph taken out of the
  ranking (the best *other* paragraph is what the user would be shown);
* crossed: one set's questions against the other set's paragraphs;
* off-topic: everyday questions (weather, stocks, greetings …) against the
  bundled corpus, a corpus as small as a user's three files.

For each question we keep the best hit's coverage, its combined evidence
(relevance.Evidence.support) and whether a rule (an unknown place, one
general word carrying the match, a missing number) rules it out; the
thresholds are then swept without asking again.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path

from retrieval.answer import relevance
from retrieval.evaluation.squad import Dataset
from retrieval.index.building import build_engine, open_engine
from retrieval.answer.search import SearchEngine

THRESHOLDS = (0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6)
SUPPORT_THRESHOLDS = (0.0, 1.4, 1.6, 1.8, 2.0, 2.1, 2.2, 2.3, 2.4, 2.45, 2.5, 2.6)


def _support_grid() -> list[float]:
    """SUPPORT_THRESHOLDS and the current default, so the sweep shows the default's row."""
    return sorted(set(SUPPORT_THRESHOLDS) | {relevance.MIN_SUPPORT})
KEEP_ANSWERED = 0.97
# Rules that decline whatever the thresholds.
_ALWAYS = ("empty", "no_match", "unknown_place", "author_only")


@dataclass(frozen=True)
class Assessment:
    coverage: float
    # "empty", "no_match", "unknown_place", "weak_match", "no_number", "author_only" or None
    ruled_out: str | None
    support: float = float("inf")  # relevance.Evidence.support(); inf when not measured
    # What the rule takes off the evidence (relevance.RULE_PENALTY); inf: it
    # declines whatever the evidence (and always without evidence: a hit
    # found in the metadata).
    penalty: float = float("inf")

    def declined(self, threshold: float, min_support: float | None = None) -> bool:
        """At coverage ``threshold`` and evidence ``min_support`` (default relevance.MIN_SUPPORT)."""
        if self.ruled_out in _ALWAYS:
            return True
        support = relevance.MIN_SUPPORT if min_support is None else min_support
        if self.coverage < threshold:
            return True
        if self.ruled_out is None:
            return self.support < support
        return self.penalty == float("inf") or self.support - self.penalty < support


def assess(engine: SearchEngine, question: str, exclude_doc: str | None = None) -> Assessment:
    """The decision ask() would make, on the best hit that is not in ``exclude_doc``."""
    answer = engine.ask(question, top_k=5)
    if answer.status == "empty":
        return Assessment(0.0, "empty")
    hits = [hit for hit in answer.hits if hit.chunk.doc_id != exclude_doc]
    if not hits:
        return Assessment(0.0, "no_match")
    if exclude_doc is None and answer.status == "author_only":
        return Assessment(hits[0].coverage, "author_only")
    from_metadata = not hits[0].found
    if from_metadata:  # found in the metadata: coverage and the number test, as before
        best = hits[0]
        places = relevance.unknown_places(answer.words, engine.model.vocabulary, answer.tokens)
        return Assessment(best.coverage, relevance.rule_out(question, best.snippet.text, best.snippet.highlights, places))
    places = relevance.unknown_places(answer.words, engine.model.vocabulary, answer.tokens)
    evidence, rule, _, penalty = relevance.examine(
        question, relevance.query_terms(engine, answer.tokens), hits, places,
        is_common_word=engine.analyzer.is_common_word, degenerate=engine.model.degenerate,
    )
    return Assessment(evidence.coverage, rule, evidence.support(), penalty)


@dataclass
class Calibration:
    answerable: dict[str, list[Assessment]]
    unanswerable: dict[str, list[Assessment]]

    def table(self) -> str:
        """The coverage sweep (evidence at relevance.MIN_SUPPORT), then the
        evidence sweep (coverage at relevance.MIN_COVERAGE)."""
        coverage = self._table("coverage threshold", [(t, None) for t in THRESHOLDS])
        if all(a.support == float("inf") for group in self.answerable.values() for a in group):
            return coverage
        support = self._table("evidence threshold", [(relevance.MIN_COVERAGE, s) for s in _support_grid()], by_support=True)
        best = self.best_support()
        return (f"{coverage}\n\n{support}\n\nhighest evidence threshold answering ≥{KEEP_ANSWERED:.0%} "
                f"of every answerable set: {best:.2f} (current default {relevance.MIN_SUPPORT:.2f})")

    def _table(self, name: str, settings: list[tuple[float, float | None]], by_support: bool = False) -> str:
        header = [name, *(f"answered: {n}" for n in self.answerable),
                  *(f"declined: {n}" for n in self.unanswerable), "decline precision", "decline recall"]
        lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        for threshold, support in settings:
            answered = [_share(a, threshold, declined=False, min_support=support) for a in self.answerable.values()]
            declined = [_share(u, threshold, declined=True, min_support=support) for u in self.unanswerable.values()]
            precision, recall = self.decline_precision_recall(threshold, support)
            shown = support if by_support else threshold
            cells = [f"{shown:.2f}", *(f"{x:.3f}" for x in answered + declined), f"{precision:.3f}", f"{recall:.3f}"]
            lines.append("| " + " | ".join(cells) + " |")
        return "\n".join(lines)

    def decline_precision_recall(self, threshold: float, min_support: float | None = None) -> tuple[float, float]:
        """Declining as the positive class, every kind weighed by its own size."""
        wrongly = sum(a.declined(threshold, min_support) for group in self.answerable.values() for a in group)
        rightly = sum(u.declined(threshold, min_support) for group in self.unanswerable.values() for u in group)
        total_unanswerable = sum(len(group) for group in self.unanswerable.values())
        precision = rightly / (rightly + wrongly) if rightly + wrongly else 1.0
        return precision, rightly / max(1, total_unanswerable)

    def best_threshold(self) -> float:
        """The highest coverage threshold that still answers KEEP_ANSWERED of every answerable set."""
        fine = [t for t in THRESHOLDS
                if all(_share(a, t, declined=False) >= KEEP_ANSWERED for a in self.answerable.values())]
        return max(fine) if fine else min(THRESHOLDS)

    def best_support(self) -> float:
        """The highest evidence threshold that still answers KEEP_ANSWERED of every answerable set."""
        fine = [s for s in _support_grid()
                if all(_share(a, relevance.MIN_COVERAGE, declined=False, min_support=s) >= KEEP_ANSWERED
                       for a in self.answerable.values())]
        return max(fine) if fine else min(_support_grid())


def _share(group: list[Assessment], threshold: float, *, declined: bool, min_support: float | None = None) -> float:
    if not group:
        return 0.0
    return sum(a.declined(threshold, min_support) == declined for a in group) / len(group)


def calibrate(
    first: Dataset,
    second: Dataset,
    offtopic: list[str],
    *,
    sample: int = 1000,
    seed: int = 0,
) -> Calibration:
    rng = random.Random(seed)
    engines = {}
    answerable: dict[str, list[Assessment]] = {}
    unanswerable: dict[str, list[Assessment]] = {}
    for dataset in (first, second):
        engines[dataset.name], _ = build_engine(dataset.documents)
    for dataset, other in ((first, second), (second, first)):
        questions = rng.sample(dataset.questions, min(sample, len(dataset.questions)))
        engine = engines[dataset.name]
        answerable[dataset.name] = [assess(engine, q.text) for q in questions]
        unanswerable[f"{dataset.name} removed"] = [assess(engine, q.text, q.paragraph_id) for q in questions]
        unanswerable[f"{dataset.name} on {other.name}"] = [assess(engines[other.name], q.text) for q in questions]
    bundled, _ = open_engine()
    unanswerable["off-topic on bundled"] = [assess(bundled, q) for q in offtopic]
    return Calibration(answerable, unanswerable)


def read_questions(path: str | Path) -> list[str]:
    lines = Path(path).read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]
