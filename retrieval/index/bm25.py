"""BM25 scoring on a term-major sparse matrix.

The scores are rank_bm25's ``BM25Okapi`` with its defaults, to the last few
bits: idf = ln(N − n + ½) − ln(n + ½), with negative values replaced by
ε · mean(idf). What changes is the cost: a question touches only the
postings of its own terms (a term-major sparse matrix) and never loops over
chunks in Python.

The matrix holds term frequencies in the smallest integer type that fits
(one byte for nearly every corpus), and a question's rows are turned into
saturation weights when it is asked: on a million chunks the postings are
0.5 GB on disk instead of 1.2 GB as precomputed float64 weights, and that
is what the pages of a long-serving process's memory map add up to.
"""

from __future__ import annotations

import itertools
from array import array
from collections import Counter
from dataclasses import dataclass
from functools import cached_property

import numpy as np
from scipy import sparse

K1 = 1.5
B = 0.75
EPSILON = 0.25


@dataclass
class BM25Model:
    vocabulary: dict[str, int]
    tf: sparse.csr_matrix  # terms × chunks: how often each term occurs in each chunk
    doc_freq: np.ndarray  # chunks containing each term
    doc_len: np.ndarray
    idf: np.ndarray  # rank_bm25's idf, negatives floored at ε·mean
    k1: float = K1
    b: float = B
    epsilon: float = EPSILON

    @property
    def n_docs(self) -> int:
        return int(self.doc_len.shape[0])

    @cached_property
    def length_norm(self) -> np.ndarray:
        """k1·(1−b+b·dl/avgdl) per chunk: the saturation's length part."""
        avgdl = float(self.doc_len.sum()) / self.n_docs if self.n_docs else 0.0
        return self.k1 * (1 - self.b + self.b * np.asarray(self.doc_len) / avgdl)

    def rows(self, ids: np.ndarray) -> sparse.csr_matrix:
        """The weights tf·(k1+1) / (tf + k1·(1−b+b·dl/avgdl)) of terms ``ids``
        in every chunk holding them: query terms × chunks."""
        tf = self.tf[ids]
        freq = tf.data.astype(np.float64)
        weights = freq * (self.k1 + 1) / (freq + self.length_norm[tf.indices])
        return sparse.csr_matrix((weights, tf.indices, tf.indptr), shape=tf.shape)

    @cached_property
    def average_idf(self) -> float:
        raw = _raw_idf(self.n_docs, self.doc_freq)
        return float(raw.mean()) if raw.size else 0.0

    @cached_property
    def degenerate(self) -> bool:
        """Okapi's idf cannot rank here: every idf is zero or negative.

        That happens on a corpus of one or two chunks, or when nearly every
        term is in most chunks; then a chunk that matches can score no
        higher than one that does not.
        """
        return self.n_docs <= 2 or self.average_idf <= 0

    def positive_idf(self) -> np.ndarray:
        """An idf that is positive for any corpus size (Lucene's form)."""
        return np.log1p((self.n_docs - self.doc_freq + 0.5) / (self.doc_freq + 0.5))

    def query_terms(self, tokens: list[str]) -> tuple[list[str], np.ndarray, np.ndarray]:
        """Known query terms: (terms, their ids, how often each occurs in the query)."""
        counts = Counter(t for t in tokens if t in self.vocabulary)
        terms = list(counts)
        ids = np.fromiter((self.vocabulary[t] for t in terms), dtype=np.int64, count=len(terms))
        return terms, ids, np.fromiter(counts.values(), dtype=np.float64, count=len(terms))

    def scores(self, tokens: list[str], idf: np.ndarray | None = None) -> np.ndarray:
        """One score per chunk; ``BM25Okapi.get_scores`` unless ``idf`` is given."""
        _, ids, counts = self.query_terms(tokens)
        if ids.size == 0:
            return np.zeros(self.n_docs)
        return self.row_scores(self.rows(ids), ids, counts, idf)

    def row_scores(self, rows: sparse.csr_matrix, ids: np.ndarray, counts: np.ndarray, idf: np.ndarray | None = None):
        """``scores`` for query rows already taken by ``rows``."""
        idf = self.idf if idf is None else idf
        return np.asarray(rows.T @ (idf[ids] * counts)).ravel()



def build_model(token_lists: list[list[str]], *, k1: float = K1, b: float = B, epsilon: float = EPSILON) -> BM25Model:
    builder = ModelBuilder(len(token_lists))
    for doc, tokens in enumerate(token_lists):
        builder.add(doc, tokens)
    return builder.build(k1=k1, b=b, epsilon=epsilon)


class ModelBuilder:
    """Chunks' tokens in, in any order, kept only as 32-bit ids: the token
    strings of a large corpus would not fit in memory all at once."""

    def __init__(self, n_docs: int):
        self.vocabulary = _Vocabulary()
        self.term_ids = array("i")
        self.doc_ids = array("i")
        self.doc_len = np.zeros(n_docs, dtype=np.int64)

    def add(self, doc: int, tokens: list[str]) -> None:
        # Ids in order of first appearance, looked up in C: only a new term
        # calls back into Python.
        self.doc_len[doc] = len(tokens)
        self.term_ids.extend(map(self.vocabulary.__getitem__, tokens))
        self.doc_ids.extend(itertools.repeat(doc, len(tokens)))

    def build(self, *, k1: float = K1, b: float = B, epsilon: float = EPSILON) -> BM25Model:
        term_ids = np.frombuffer(self.term_ids, dtype=f"i{self.term_ids.itemsize}") if self.term_ids else np.zeros(0, np.int32)
        doc_ids = np.frombuffer(self.doc_ids, dtype=f"i{self.doc_ids.itemsize}") if self.doc_ids else np.zeros(0, np.int32)
        vocabulary = dict(self.vocabulary)
        tf = sparse.coo_matrix(
            (np.ones(len(term_ids), dtype=np.int32), (term_ids, doc_ids)),
            shape=(len(vocabulary), len(self.doc_len)),
        ).tocsr()  # duplicates summed: term frequencies
        tf.sum_duplicates()
        tf.data = tf.data.astype(np.min_scalar_type(int(tf.data.max()) if tf.nnz else 0))
        n_docs = len(self.doc_len)
        doc_freq = np.diff(tf.indptr).astype(np.int64)
        return BM25Model(
            vocabulary=vocabulary,
            tf=tf,
            doc_freq=doc_freq,
            doc_len=self.doc_len,
            idf=okapi_idf(n_docs, doc_freq, epsilon),
            k1=k1,
            b=b,
            epsilon=epsilon,
        )


class _Vocabulary(dict):
    def __missing__(self, term: str) -> int:
        term_id = self[term] = len(self)
        return term_id


def _raw_idf(n_docs: int, doc_freq: np.ndarray) -> np.ndarray:
    return np.log(n_docs - doc_freq + 0.5) - np.log(doc_freq + 0.5)


def okapi_idf(n_docs: int, doc_freq: np.ndarray, epsilon: float = EPSILON) -> np.ndarray:
    idf = _raw_idf(n_docs, doc_freq)
    if idf.size:
        floor = epsilon * idf.mean()
        idf = np.where(idf < 0, floor, idf)
    return idf
