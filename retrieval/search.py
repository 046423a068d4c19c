"""Question → ranked, cited hits, and whether the corpus answers at all."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import cached_property, lru_cache, partial

import numpy as np

from retrieval import relevance
from retrieval.analyzer import Analyzer, is_word_pair
from retrieval.bm25 import BM25Model, build_model
from retrieval.chunking import Chunk
from retrieval.snippets import Snippet, best_snippet, whole_passage

DEFAULT_TOP_K = 5
MAX_QUESTION_CHARS = 500
# Second stage: the first RERANK_DEPTH hits are reordered by their BM25 score
# (as a share of the best) plus COVERAGE_WEIGHT × the share of the question
# they cover, citation included. BM25 alone rewards repeating one question
# word; coverage rewards holding all of them. Chosen on CMRC 2018 dev and
# DRCD dev (docs/retrieval-quality.md); the reported score stays Okapi's.
RERANK_DEPTH = 5
COVERAGE_WEIGHT = 0.5


@dataclass(frozen=True)
class Hit:
    rank: int
    score: float  # rank_bm25 BM25Okapi score of this chunk for the question
    chunk: Chunk
    coverage: float  # share of the question's weight found in this chunk or its citation
    _make_snippet: Callable[[], Snippet] = field(repr=False, compare=False)
    _make_passage: Callable[[], Snippet] | None = field(default=None, repr=False, compare=False)

    @cached_property
    def snippet(self) -> Snippet:
        """Made on first use: most callers show only the first few hits."""
        return self._make_snippet()

    @cached_property
    def passage(self) -> Snippet:
        """The whole chunk, the question's words marked."""
        if self._make_passage is None:
            return Snippet(self.chunk.text)
        return self._make_passage()

    @property
    def citation(self) -> str:
        return self.chunk.citation


@dataclass(frozen=True)
class Answer:
    question: str
    answered: bool
    hits: list[Hit] = field(default_factory=list)
    # "answered"; "empty" (nothing to search for); or why it was declined:
    # "no_match", "low_coverage", "no_number"
    status: str = "answered"
    tokens: list[str] = field(default_factory=list)  # what BM25 scored
    words: list[str] = field(default_factory=list)  # the question's words as written
    truncated: bool = False  # the question was cut to MAX_QUESTION_CHARS
    unknown: list[str] = field(default_factory=list)  # question words no document uses
    suggestions: list[str] = field(default_factory=list)  # terms to try instead


class SearchEngine:
    """Ranks chunks for a question; built in memory or loaded from an index folder."""

    def __init__(
        self,
        chunks: list[Chunk],
        analyzer: Analyzer,
        model: BM25Model,
        *,
        rerank: bool = True,
        rerank_depth: int = RERANK_DEPTH,
        coverage_weight: float = COVERAGE_WEIGHT,
    ):
        if len(chunks) != model.n_docs:
            raise ValueError(f"{len(chunks)} chunks but the model has {model.n_docs}")
        self.chunks = chunks
        self.analyzer = analyzer
        self.model = model
        self._positive_idf = model.positive_idf()
        self._citation_terms = lru_cache(maxsize=4096)(self._tokenize_citation)
        self.rerank = rerank
        self.rerank_depth = rerank_depth
        self.coverage_weight = coverage_weight

    @classmethod
    def build(cls, chunks: list[Chunk], analyzer: Analyzer) -> "SearchEngine":
        return cls(chunks, analyzer, build_model([analyzer.tokenize(c.text) for c in chunks]))

    def ask(self, question: str, top_k: int = DEFAULT_TOP_K) -> Answer:
        question = question or ""
        truncated = len(question) > MAX_QUESTION_CHARS
        question = question[:MAX_QUESTION_CHARS]
        tokens, words = self.analyzer.analyze(question)
        if not tokens:
            return Answer(question, False, status="empty", truncated=truncated, suggestions=self.suggestions())

        # BM25 scores every token. Coverage goes by words and their sub-words
        # (基层干部 is half-covered by a corpus that has 基层 and 干部: users
        # paraphrase that way), hints go by the words as written.
        unknown = [t for t in dict.fromkeys(words) if t not in self.model.vocabulary]
        hits = self._rank(question, tokens, [t for t in tokens if not is_word_pair(t)], max(1, top_k))
        if not hits:
            return Answer(
                question, False, status="no_match", tokens=tokens, words=words,
                truncated=truncated, unknown=unknown, suggestions=self.suggestions(),
            )
        best = hits[0]
        decision = relevance.decide(
            question,
            best.coverage,
            best.snippet.text,
            best.snippet.highlights,
            relevance.unknown_places(words, self.model.vocabulary),
        )
        return Answer(
            question, decision.answered, hits,
            status=decision.reason, tokens=tokens, words=words, truncated=truncated, unknown=unknown,
            suggestions=[] if decision.answered else self.suggestions(),
        )

    def _rank(self, question: str, tokens: list[str], coverage_terms: list[str], top_k: int) -> list[Hit]:
        terms, ids, _ = self.model.query_terms(tokens)
        if not terms:
            return []
        rows = self.model.weights[ids]  # query terms × chunks
        candidates = np.unique(rows.indices)  # chunks that contain a query term

        okapi = self.model.scores(tokens)
        # On a degenerate corpus Okapi's idf is ≤ 0 and cannot tell a matching
        # chunk from one that does not match; rank by a positive idf instead
        # and still report Okapi's score.
        ranking = self.model.scores(tokens, self._positive_idf) if self.model.degenerate else okapi
        depth = max(top_k, self.rerank_depth) if self.rerank else top_k
        top = candidates[np.lexsort((candidates, -ranking[candidates]))][:depth]

        weights = relevance.term_weights(coverage_terms, self.model.vocabulary, self._positive_idf, self.model.n_docs)
        snippet_weights = {**weights, **self._pair_weights(tokens)}
        present = rows[:, top].toarray() > 0
        wants_number = relevance.number_test(question)
        hits = []
        for column, index in enumerate(top.tolist()):
            chunk = self.chunks[index]
            found = {terms[r] for r in np.flatnonzero(present[:, column])}
            found |= self._citation_terms(chunk.title, chunk.author, chunk.section) & weights.keys()
            hits.append(Hit(
                rank=column + 1,
                score=float(okapi[index]),
                chunk=chunk,
                coverage=relevance.coverage(weights, found),
                _make_snippet=partial(
                    best_snippet, self.analyzer, chunk.text, snippet_weights,
                    self._citation_terms(chunk.title, "", ""), wants_number,
                ),
                _make_passage=partial(whole_passage, self.analyzer, chunk.text, weights),
            ))
        if self.rerank:
            hits = self._reranked(hits, ranking[top])
        return hits[:top_k]

    def _reranked(self, hits: list[Hit], ranking_scores: np.ndarray) -> list[Hit]:
        best = float(ranking_scores[0]) or 1.0
        head = sorted(
            range(min(self.rerank_depth, len(hits))),
            key=lambda i: (-(float(ranking_scores[i]) / best + self.coverage_weight * hits[i].coverage), i),
        )
        order = head + list(range(len(head), len(hits)))
        return [replace(hits[i], rank=rank) for rank, i in enumerate(order, start=1)]

    def suggestions(self, n: int = 2) -> list[str]:
        """Terms worth trying: the corpus's own coinages (not in jieba's
        dictionary), those in most chunks first."""
        return self._ranked_coinages[:n]

    @cached_property
    def _ranked_coinages(self) -> list[str]:
        # Fixed for an index, so ranked once rather than on every refusal.
        vocabulary = self.model.vocabulary
        coined = [t for t in self.analyzer.terms if t in vocabulary and not self.analyzer.is_common_word(t)]
        coined.sort(key=lambda t: (-int(self.model.doc_freq[vocabulary[t]]), -len(t), t))
        return coined

    def _pair_weights(self, tokens: list[str]) -> dict[str, float]:
        """Word pairs the corpus has, weighed by idf: they point at the sentence
        that says the question's words together."""
        vocabulary = self.model.vocabulary
        return {
            t: float(self._positive_idf[vocabulary[t]])
            for t in dict.fromkeys(tokens)
            if is_word_pair(t) and t in vocabulary
        }

    def _tokenize_citation(self, title: str, author: str, section: str) -> frozenset[str]:
        return frozenset(self.analyzer.tokenize(f"{title}\n{author}\n{section}"))
