"""The second stage: the first hits reordered by how well they hold the question.

BM25 decides which chunks are candidates; the first ``depth`` of them
(``search.RERANK_DEPTH``) are then ordered by

    score / best score
    + coverage  × the share of the question's weight the chunk and its citation hold
    + proximity × the share of that weight said within 40 characters
    + phrase    × the longest stretch of the question found verbatim (÷ 10 characters)
    + sentences × the share of the question's character pairs in the best two neighbouring sentences
    + characters × the same for its characters, each weighed by its rarity in the corpus
    + title     × how much of the document's title the question names
    + abbreviations × the share of the question's weight the chunk spells out (国企: 国有企业)
    + synonyms  × the share of the question's weight found only as a synonym (see ``expansion``)
    + numbers   × the share of the question's numbers the chunk holds in any form (九千 for 9000)
    + answer_type × whether the chunk's best sentence holds a number of the asked kind (when, how many)
    + inherited × the share of the question's weight only the chunk's title holds (珍珠港事件 asked, 该事件 written)

(features in ``proximity`` and ``answer_type``). The positional features leave
out the question's asking words (哪一年, 多久, 一座 of 哪一座: ``answer_type``),
and its character pairs are also taken with 的 dropped (发球的权力: 发球权).
The weights of the first five were fitted on CMRC 2018 dev and DRCD dev together by coordinate ascent and checked on
CMRC 2018 trial; abbreviations, neutral on those sets, was set on the
bundled corpus's old question set; numbers, answer_type and inherited were set on the
same dev sets with the others fixed; characters and sentences were set
together on the dev sets and trial, then on the bundled corpus's old set and
tune3 (characters is off when a build has no character counts: ``store``).
The study and its commands are in
docs/retrieval-quality.md. Scores stay BM25Okapi's; only the order of the first ``depth`` hits changes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields, replace
from functools import lru_cache

from retrieval.answer import answer_type, proximity

PHRASE_CHARS = 10


@dataclass(frozen=True)
class Weights:
    """How much each feature counts against the BM25 share (which counts 1)."""

    coverage: float = 0.25
    proximity: float = 1.0
    phrase: float = 0.9
    sentences: float = 0.75
    characters: float = 2.5
    title: float = 0.9
    abbreviations: float = 1.5
    # Counts only with synonym expansion on (``expansion``; off by default).
    synonyms: float = 0.5
    numbers: float = 0.3
    answer_type: float = 0.2
    inherited: float = 0.7

    @classmethod
    def names(cls) -> tuple[str, ...]:
        return tuple(f.name for f in fields(cls))

    def with_changes(self, changes: dict[str, float]) -> "Weights":
        unknown = set(changes) - set(self.names())
        if unknown:
            raise ValueError(f"unknown second-stage feature {sorted(unknown)[0]!r}; choose from {', '.join(self.names())}")
        return replace(self, **changes)

    @property
    def positional(self) -> bool:
        """Whether any feature needs the chunk's text (all but coverage do)."""
        return any(getattr(self, name) for name in self.names() if name != "coverage")


# Coverage alone, as the second stage was before the positional features.
COVERAGE_ONLY = Weights(
    coverage=0.5, proximity=0.0, phrase=0.0, sentences=0.0, characters=0.0, title=0.0, abbreviations=0.0,
    synonyms=0.0, numbers=0.0, answer_type=0.0, inherited=0.0,
)


@dataclass(frozen=True)
class Features:
    coverage: float
    proximity: float = 0.0
    phrase: float = 0.0
    sentences: float = 0.0
    characters: float = 0.0
    title: float = 0.0
    abbreviations: float = 0.0
    synonyms: float = 0.0
    numbers: float = 0.0
    answer_type: float = 0.0
    inherited: float = 0.0

    def value(self, weights: Weights) -> float:
        return (
            weights.coverage * self.coverage
            + weights.proximity * self.proximity
            + weights.phrase * self.phrase
            + weights.sentences * self.sentences
            + weights.characters * self.characters
            + weights.title * self.title
            + weights.abbreviations * self.abbreviations
            + weights.synonyms * self.synonyms
            + weights.numbers * self.numbers
            + weights.answer_type * self.answer_type
            + weights.inherited * self.inherited
        )


class QuestionFeatures:
    """What the features need of one question, computed once for all its candidates.

    ``normalize`` is the analyzer's normal form; ``weights`` the question's
    words and their weights (``relevance.term_weights``); ``synonyms`` maps
    a word to document words that may stand for it (``expansion``);
    ``char_rarity`` weighs a character of the normal form by how few chunks
    hold it (``retrieval.index.char_counts``; without it, *characters* is 0).
    """

    def __init__(
        self,
        question: str,
        weights: dict[str, float],
        normalize: Callable[[str], str],
        synonyms: dict[str, tuple[str, ...]] | None = None,
        normalize_text: Callable[[str], str] | None = None,
        char_rarity: Callable[[str], float] | None = None,
    ):
        self.normalize = normalize
        # The candidates' texts may be normalised by a caller that keeps the
        # result (search.SearchEngine: the snippets reuse it); the same form.
        self.normalize_text = normalize_text or normalize
        self.question = normalize(question)
        every = {w: v for w, v in weights.items() if w}
        # The positional features leave out the asking words (哪一年, 多久);
        # so does coverage, here, for the words a candidate has of them.
        self.weights = answer_type.without_asking(every, self.question)
        self.total = sum(self.weights.values())
        self._every_total = sum(every.values())
        self._asking = {w: v for w, v in every.items() if w not in self.weights}
        content, unlinked = answer_type.pair_sources(self.question)
        self.pairs = proximity.question_pairs(content) | proximity.question_pairs(unlinked)
        self.chars = {c: char_rarity(c) for c in proximity.question_chars(content)} if char_rarity else {}
        self._chars_total = sum(self.chars.values())
        self.numbers = answer_type.QuestionNumbers(self.question)
        self.wanted = answer_type.asked_numbers(self.question)
        self.synonyms = {w: s for w, s in (synonyms or {}).items() if s and w in self.weights}
        self._titles: dict[str, float] = {}

    def _title_share(self, title: str) -> float:
        share = self._titles.get(title)
        if share is None:
            share = self._titles[title] = proximity.title_share(_normal_title(self.normalize, title), self.question)
        return share

    def of(self, text: str, title: str, coverage: float, weights: Weights) -> Features:
        """The features of one candidate (only those with a weight are computed)."""
        normal = self.normalize_text(text)
        ends = proximity.sentence_ends(normal)
        if self._asking and self.total > 0:
            asked = sum(v for w, v in self._asking.items() if w in normal)
            coverage = max(0.0, (coverage * self._every_total - asked) / self.total)
        return Features(
            coverage=coverage,
            proximity=proximity.window_share(normal, self.weights, self.total) if weights.proximity else 0.0,
            phrase=proximity.longest_run(self.question, normal) / PHRASE_CHARS if weights.phrase else 0.0,
            sentences=proximity.sentence_pair_share(self.pairs, normal, ends) if weights.sentences else 0.0,
            characters=(
                proximity.sentence_char_share(self.chars, self._chars_total, normal, ends)
                if weights.characters and self.chars else 0.0
            ),
            title=self._title_share(title) if weights.title else 0.0,
            abbreviations=proximity.spelled_out_share(normal, self.weights, self.total) if weights.abbreviations else 0.0,
            synonyms=self._synonym_share(normal) if weights.synonyms and self.synonyms else 0.0,
            numbers=self.numbers.share(normal) if weights.numbers and self.numbers else 0.0,
            answer_type=(
                answer_type.best_sentence_typed(
                    normal, self.weights, self.wanted, self.question, ends
                ) if weights.answer_type and self.wanted is not None else 0.0
            ),
            inherited=self._inherited_share(normal, title) if weights.inherited else 0.0,
        )

    def _inherited_share(self, normal: str, title: str) -> float:
        """A paragraph is about its document's subject without naming it; its
        siblings that do name it would otherwise win on BM25 alone."""
        if self.total <= 0:
            return 0.0
        title = _normal_title(self.normalize, title)
        return sum(v for w, v in self.weights.items() if w in title and w not in normal) / self.total

    def _synonym_share(self, normal: str) -> float:
        """The share of the question's weight the chunk holds only through a
        synonym: 老百姓 asked, 群众 written."""
        if self.total <= 0:
            return 0.0
        found = sum(
            self.weights[word]
            for word, alternatives in self.synonyms.items()
            if word not in normal and any(a in normal for a in alternatives)
        )
        return found / self.total


@lru_cache(maxsize=8192)
def _normal_title(normalize: Callable[[str], str], title: str) -> str:
    """Titles repeat across questions (every paragraph of a document has its
    document's), so their normal form is kept."""
    return normalize(title)


def keys(
    candidates: Sequence[tuple[float, float, str, str]],
    question: QuestionFeatures | None,
    weights: Weights,
) -> list[float]:
    """The second stage's value of each of ``candidates`` — (ranking score,
    coverage, text, title), best BM25 first: its BM25 share plus its
    weighted features."""
    if not candidates:
        return []
    best = float(candidates[0][0]) or 1.0
    values = []
    for score, coverage, text, title in candidates:
        if question is not None and weights.positional:
            features = question.of(text, title, coverage, weights)
        else:
            features = Features(coverage=coverage)
        values.append(float(score) / best + features.value(weights))
    return values


def order(
    candidates: Sequence[tuple[float, float, str, str]],
    question: QuestionFeatures | None,
    weights: Weights,
) -> list[int]:
    """``candidates`` (see ``keys``) as indices, best first; ties keep BM25's order."""
    values = keys(candidates, question, weights)
    return sorted(range(len(values)), key=lambda i: (-values[i], i))
