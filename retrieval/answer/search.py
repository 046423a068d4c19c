"""Question → ranked, cited hits, and whether the corpus answers at all."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import cached_property, lru_cache, partial

import numpy as np

from retrieval.answer import expansion, near_miss, relevance, second_stage
from retrieval.answer.catalog import Catalog
from retrieval.index.analyzer import Analyzer, is_word_pair, normalize
# The analyzer's own normal form, in its two steps (see SearchEngine._normal_form).
from retrieval.index.analyzer import _converter, _fold
from retrieval.index.bm25 import BM25Model, build_model
from retrieval.index.char_counts import CharCounts, rarity
from retrieval.chunking.chunks import Chunk
from retrieval.answer.snippets import Snippet, best_snippet, whole_passage

DEFAULT_TOP_K = 5
MAX_QUESTION_CHARS = 500
# Second stage: the first RERANK_DEPTH hits are reordered by their BM25 score
# (as a share of the best) plus COVERAGE_WEIGHT × the share of the question
# they cover, citation included, plus where the question's words stand in
# them (retrieval.answer.second_stage). BM25 alone rewards repeating one
# question word; coverage rewards holding all of them, the positional
# features holding them together. Chosen on CMRC 2018 dev and DRCD dev
# (docs/retrieval-quality.md); the reported score stays Okapi's.
RERANK_DEPTH = 10
BYLINE_LOOKUP_MAX_CHUNKS = 200_000
# What a question asks of an author whose name is all it shares with the text.
_ABOUT_PERSON = re.compile(r"职务|职位|职称|头衔|身份|单位|任职|工作|是谁|简介|介绍|背景|机构|部门|who\b", re.I)
_ABOUT_WRITING = re.compile(r"文章|写了|写的|写过|讲了|讲的|讲什么|观点|主要内容|说了什么|谈了|论述|wrote|article", re.I)
_WORDS = re.compile(r"\w")
COVERAGE_WEIGHT = second_stage.Weights().coverage


@dataclass(frozen=True)
class Hit:
    rank: int
    score: float  # rank_bm25 BM25Okapi score of this chunk for the question
    chunk: Chunk
    coverage: float  # share of the question's weight found in this chunk or its citation
    _make_snippet: Callable[[], Snippet] = field(repr=False, compare=False)
    _make_passage: Callable[[], Snippet] | None = field(default=None, repr=False, compare=False)
    # The query terms (word pairs too) this chunk or its citation holds: the evidence (relevance.judge).
    found: frozenset[str] = field(default=frozenset(), repr=False, compare=False)

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
    # "no_match", "low_coverage", "weak_match", "no_number", "weak_evidence",
    # "unknown_place", "author_only" (see retrieval.answer.relevance.assess_answer)
    status: str = "answered"
    tokens: list[str] = field(default_factory=list)  # what BM25 scored
    words: list[str] = field(default_factory=list)  # the question's words as written
    truncated: bool = False  # the question was cut to MAX_QUESTION_CHARS
    unknown: list[str] = field(default_factory=list)  # question words no document uses
    suggestions: list[str] = field(default_factory=list)  # terms to try instead
    near_misses: list[str] = field(default_factory=list)  # corpus terms one edit away from the question's
    claim: object | None = None  # "author_only": what the documents do say (claims.AuthorClaim)
    matched_word: str = ""  # "weak_match": the one general word the best chunk shares with the question


def _top_matching(ranking: np.ndarray, rows, depth: int) -> np.ndarray:
    """The ``depth`` best chunks that contain a query term, best first, ties
    by position. A partial sort: sorting every matching chunk costs more
    than the rest of a query on a large corpus. Every matching chunk scores
    above 0 (the idf used for ranking is positive), every other exactly 0."""
    matching = rows.indices  # every chunk with a query term, once per term it has
    # A chunk is there at most once per row, so the best depth × rows
    # postings hold at least ``depth`` distinct chunks.
    enough = depth * rows.shape[0]
    if matching.size <= enough:
        candidates = np.unique(matching)
    elif matching.size < ranking.size:
        # Usually far fewer postings than chunks: partition those.
        scores = ranking[matching]
        cut = scores[np.argpartition(-scores, enough - 1)[:enough]].min()
        candidates = np.unique(matching[scores >= cut])  # the whole tie at the cut, if there is one
    else:
        cut = ranking[np.argpartition(-ranking, depth - 1)[:depth]].min()
        candidates = np.flatnonzero(ranking >= cut) if cut > 0 else np.unique(matching)
    order = np.lexsort((candidates, -ranking[candidates]))
    return candidates[order][:depth]


def _present(rows, columns: np.ndarray) -> np.ndarray:
    """rows[:, columns] > 0 as a dense bool array: a binary search per row
    in its sorted postings, where scipy's column indexing walks them all."""
    if not rows.has_sorted_indices:
        rows.sort_indices()
    present = np.zeros((rows.shape[0], columns.size), dtype=bool)
    for row in range(rows.shape[0]):
        postings = rows.indices[rows.indptr[row]:rows.indptr[row + 1]]
        if postings.size:
            at = np.minimum(np.searchsorted(postings, columns), postings.size - 1)
            present[row] = postings[at] == columns
    return present


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
        second_stage_weights: second_stage.Weights | None = None,
    ):
        if len(chunks) != model.n_docs:
            raise ValueError(f"{len(chunks)} chunks but the model has {model.n_docs}")
        self.chunks = chunks
        self.analyzer = analyzer
        self.model = model
        self._positive_idf = model.positive_idf()
        self._citation_terms = lru_cache(maxsize=4096)(self._tokenize_citation)
        # Each citation field is tokenized once: a title serves its (title,
        # author, section) triples and the snippet's topic terms alike.
        self._field_terms = lru_cache(maxsize=65536)(self._tokenize_field)
        # The normal form of a candidate's text, made once: the second stage
        # needs it for its ten candidates, then the snippet and the number
        # test of each hit shown (every hit in `ask --json`) need it again.
        self._normal_forms = lru_cache(maxsize=256)(self._normal_form)
        self.rerank = rerank
        self.rerank_depth = rerank_depth
        self.coverage_weight = coverage_weight
        self.second_stage_weights = second_stage_weights or second_stage.Weights()
        self.expansion = expansion.load_expansion()  # synonyms for the second stage; off unless configured
        # Another search backend (SolrCloud) finds and scores the candidates;
        # everything after that stays here. None: the sparse index above.
        self.backend = None
        self.libraries: frozenset[str] | None = None  # the backend's library filter

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
        coverage_terms = [t for t in tokens if not is_word_pair(t)]
        # The decision weighs the best hit against the next ones
        # (relevance.EVIDENCE_HITS), so as many are ranked whatever top_k is;
        # the second stage orders RERANK_DEPTH of them anyway.
        top_k = max(1, top_k)
        hits = self._rank(question, tokens, coverage_terms, max(top_k, relevance.EVIDENCE_HITS))
        from_metadata = not hits
        if from_metadata:
            hits = self._byline_hits(question, coverage_terms, top_k)
        if not hits:
            return self._declined(Answer(question, False, status="no_match", tokens=tokens, words=words, truncated=truncated))
        verdict = relevance.assess_answer(self, question, tokens, words, hits, from_metadata=from_metadata)
        answer = Answer(
            question, verdict.answered, verdict.hits[:top_k], status=verdict.status, tokens=tokens, words=words,
            truncated=truncated, claim=verdict.claim, matched_word=verdict.matched_word,
        )
        return answer if answer.answered else self._declined(answer)

    def _declined(self, answer: Answer) -> Answer:
        """A not-found reply's hints: the question's words the corpus truly
        never uses, near misses it does use, terms to try. Only declined
        questions pay for them."""
        unknown, near_misses = near_miss.explain(self, answer.question, answer.words)
        return replace(answer, unknown=unknown, near_misses=near_misses, suggestions=self.suggestions())

    def _rank(self, question: str, tokens: list[str], coverage_terms: list[str], top_k: int) -> list[Hit]:
        terms, ids, counts = self.model.query_terms(tokens)
        if not terms:
            return []
        rows = self.model.rows(ids)  # query terms × chunks

        depth = max(top_k, self.rerank_depth) if self.rerank else top_k
        top, reported, ranking = self._candidates(rows, terms, ids, counts, depth)

        weights = relevance.term_weights(coverage_terms, self.model.vocabulary, self._positive_idf, self.model.n_docs)
        snippet_weights = {**weights, **self._pair_weights(tokens)}
        present = _present(rows, top)
        wants_number = relevance.number_test(question)
        hits = []
        for column, index in enumerate(top.tolist()):
            chunk = self.chunks[index]
            found = {terms[r] for r in np.flatnonzero(present[:, column])}
            found |= self._citation_terms(chunk.title, chunk.author, chunk.section) & weights.keys()
            hits.append(Hit(
                rank=column + 1,
                score=float(reported[column]),
                chunk=chunk,
                coverage=relevance.coverage(weights, found),
                found=frozenset(found),
                _make_snippet=partial(
                    best_snippet, self.analyzer, chunk.text, snippet_weights,
                    self._citation_terms(chunk.title, "", ""), wants_number,
                    normalize_with_origin=self._normalize_with_origin,
                ),
                _make_passage=partial(whole_passage, self.analyzer, chunk.text, weights,
                                      normalize_with_origin=self._normalize_with_origin),
            ))
        if self.rerank:
            hits = self._reranked(hits, ranking, question, weights)
        return hits[:top_k]

    def _candidates(self, rows, terms: list[str], ids: np.ndarray, counts: np.ndarray, depth: int):
        """The ``depth`` best chunks (positions), the score each reports, and
        the score each is ranked by: from the search backend when there is
        one (``retrieval.backends``), else from the sparse index here."""
        if self.backend is not None:
            found = self.backend.candidates(terms, counts.tolist(), depth, self.libraries)
            # Ranked by the backend's (Lucene's) score; the score each hit
            # reports, which the decline decision weighs, stays Okapi's, so the
            # decision is the same whichever engine found the candidates.
            top = found.ordinals
            okapi = np.asarray(rows[:, top].T @ (self.model.idf[ids] * counts)).ravel() if top.size else np.zeros(0)
            return top, okapi, found.scores
        okapi = self.model.row_scores(rows, ids, counts)
        # On a degenerate corpus Okapi's idf is ≤ 0 and cannot tell a matching
        # chunk from one that does not match; rank by a positive idf instead
        # and still report Okapi's score.
        ranking = self.model.row_scores(rows, ids, counts, self._positive_idf) if self.model.degenerate else okapi
        top = _top_matching(ranking, rows, depth)
        return top, okapi[top], ranking[top]

    def _reranked(self, hits: list[Hit], ranking_scores: np.ndarray, question: str = "", weights=None) -> list[Hit]:
        depth = min(self.rerank_depth, len(hits))
        head = second_stage.order(
            [(ranking_scores[i], hits[i].coverage, hits[i].chunk.text, hits[i].chunk.title) for i in range(depth)],
            second_stage.QuestionFeatures(
                question, weights or {}, self.analyzer.normalize,
                self.expansion.for_question(weights or {}, self.model.vocabulary) if self.expansion else None,
                normalize_text=self._normalize_text,
                char_rarity=self._char_rarity,
            ),
            replace(self.second_stage_weights, coverage=self.coverage_weight),
        )
        order = head + list(range(len(head), len(hits)))
        return [replace(hits[i], rank=rank) for rank, i in enumerate(order, start=1)]

    def _byline_hits(self, question: str, terms: list[str], top_k: int) -> list[Hit]:
        """When no paragraph has any of the question's words, its words may
        still be an author's name, a title or a column, which live in the
        metadata. A question about the person ("刘嗣方是什么职务？") gets their
        byline paragraph ("（作者系……）") if there is one, one about what they wrote, or the
        bare name, gets the article's first paragraph; anything else about
        them ("……是哪里人？") is not in the documents. Such hits score 0, as
        BM25Okapi scores a paragraph without the question's words."""
        if len(self.chunks) > BYLINE_LOOKUP_MAX_CHUNKS:
            return []  # it reads every chunk's metadata: fine for a library, not for an archive
        weights = relevance.term_weights(terms, self.model.vocabulary, self._positive_idf, self.model.n_docs)
        plain = normalize(question)
        hits: list[Hit] = []
        for document, named in self.catalog.naming(weights.keys()).items():
            rest = plain
            for term in sorted(named, key=len, reverse=True):
                rest = rest.replace(term, "")
            if _ABOUT_PERSON.search(rest):
                # Without a byline, the article itself is what the documents say of them.
                chunk = self.catalog.byline(document) or self.catalog.first_chunk(document)
            elif _ABOUT_WRITING.search(rest) or not _WORDS.search(rest):
                chunk = self.catalog.first_chunk(document)
            else:
                continue
            hits.append(Hit(
                rank=len(hits) + 1,
                score=0.0,
                chunk=chunk,
                coverage=relevance.coverage(weights, named),
                _make_snippet=partial(best_snippet, self.analyzer, chunk.text, weights),
                _make_passage=partial(whole_passage, self.analyzer, chunk.text, weights),
            ))
            if len(hits) == top_k:
                break  # the rest would not be shown, and finding a byline reads a document's chunks
        return hits

    @cached_property
    def catalog(self) -> Catalog:
        """Made on the first question that needs it: most never do."""
        return Catalog(self.chunks, self._citation_terms)

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

    @cached_property
    def _char_rarity(self) -> Callable[[str], float] | None:
        """A character's weight by how few chunks hold it: from the counts
        saved with the index, or counted here for chunks built in memory.
        None for a build saved before the counts were, which is rebuilt
        when its corpus is at hand (the counts are part of the settings'
        fingerprint) and otherwise served without that feature: counting
        its chunk file on a question would take seconds at 100,000 chunks."""
        counts = getattr(self.chunks, "char_counts", None)
        if counts is None and isinstance(self.chunks, list):
            counts = CharCounts.from_texts(chunk.text for chunk in self.chunks)
        if counts is None:
            return None
        frequencies = counts.frequencies(self.analyzer.normalize)
        n_chunks = self.model.n_docs
        return lambda char: rarity(frequencies.get(char, 0), n_chunks)

    def _pair_weights(self, tokens: list[str]) -> dict[str, float]:
        """Word pairs the corpus has, weighed by idf: they point at the sentence
        that says the question's words together."""
        vocabulary = self.model.vocabulary
        return {
            t: float(self._positive_idf[vocabulary[t]])
            for t in dict.fromkeys(tokens)
            if is_word_pair(t) and t in vocabulary
        }

    def _normal_form(self, text: str) -> tuple[str, bool]:
        """``analyzer.normalize(text)``, and whether it is also exactly what
        ``analyzer.normalize_with_origin`` gives, character for character:
        when folding and conversion keep every character in place and the
        text has no whitespace but plain spaces (which that one maps to " "
        first). Nearly every paragraph is such a text."""
        folded = _fold(text)
        normal = _converter().convert(folded) if self.analyzer.t2s else folded
        return normal, len(folded) == len(text) == len(normal) and text.isprintable()

    def _normalize_text(self, text: str) -> str:
        return self._normal_forms(text)[0]

    def _normalize_with_origin(self, text: str):
        normal, in_place = self._normal_forms(text)
        if in_place:
            return normal, range(len(text))
        return self.analyzer.normalize_with_origin(text)

    def _tokenize_citation(self, title: str, author: str, section: str) -> frozenset[str]:
        # The same tokens as tokenizing f"{title}\n{author}\n{section}": a line
        # break ends jieba's blocks and word pairs alike.
        return self._field_terms(title) | self._field_terms(author) | self._field_terms(section)

    def _tokenize_field(self, text: str) -> frozenset[str]:
        return frozenset(self.analyzer.tokenize(text)) if text else frozenset()
