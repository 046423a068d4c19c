"""The embedded backend: the sparse BM25Okapi index in this process."""

from __future__ import annotations

from collections.abc import Collection

import numpy as np

from retrieval.backends import Candidates
from retrieval.index.bm25 import BM25Model


class LocalBackend:
    name = "local"

    def __init__(self, model: BM25Model, libraries: np.ndarray | None = None):
        self.model = model
        self.libraries = libraries  # each chunk's library name, for the filter; None: all one library
        self._positive_idf = model.positive_idf()

    def candidates(self, terms: list[str], counts: list[int], depth: int,
                   libraries: Collection[str] | None = None) -> Candidates:
        from retrieval.answer.search import _top_matching  # the ranking SearchEngine itself uses

        known = [(t, c) for t, c in zip(terms, counts) if t in self.model.vocabulary]
        if not known:
            return Candidates(np.zeros(0, dtype=np.int64), np.zeros(0))
        ids = np.array([self.model.vocabulary[t] for t, _ in known], dtype=np.int64)
        weights = np.array([c for _, c in known], dtype=np.float64)
        rows = self.model.rows(ids)
        # Okapi's idf cannot rank a degenerate corpus (retrieval.index.bm25): the engine ranks by a positive one there.
        scores = self.model.row_scores(rows, ids, weights, self._positive_idf if self.model.degenerate else None)
        if libraries is not None and self.libraries is not None:
            allowed = np.isin(self.libraries, list(libraries))
            scores = np.where(allowed, scores, 0.0)
            rows = rows.multiply(allowed[np.newaxis, :]).tocsr()
            rows.eliminate_zeros()
        top = _top_matching(scores, rows, depth)
        return Candidates(top, scores[top])
