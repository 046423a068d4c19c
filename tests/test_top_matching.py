"""The partial sorts behind ranking must agree with a full sort."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import sparse

from retrieval.answer.search import _present, _top_matching


@st.composite
def query_rows(draw):
    """Query-term rows of a term × chunk matrix, and a ranking that is positive
    exactly on the chunks holding a term (as BM25 with a positive idf is);
    few distinct score values, so that ties at the cut are common."""
    n_chunks = draw(st.integers(1, 60))
    n_rows = draw(st.integers(1, 5))
    dense = np.array(draw(st.lists(st.lists(st.booleans(), min_size=n_chunks, max_size=n_chunks),
                                   min_size=n_rows, max_size=n_rows)))
    rows = sparse.csr_matrix(dense.astype(np.float64))
    levels = draw(st.lists(st.sampled_from([0.5, 1.0, 2.0, 3.5]), min_size=n_chunks, max_size=n_chunks))
    ranking = np.where(dense.any(axis=0), np.array(levels), 0.0)
    depth = draw(st.integers(1, 12))
    return rows, ranking, depth


@settings(max_examples=300, deadline=None)
@given(query_rows())
def test_top_matching_equals_a_full_sort(case):
    rows, ranking, depth = case
    matching = np.flatnonzero(ranking > 0)
    expected = sorted(matching.tolist(), key=lambda i: (-ranking[i], i))[:depth]
    assert _top_matching(ranking, rows, depth).tolist() == expected


@settings(max_examples=200, deadline=None)
@given(query_rows(), st.data())
def test_present_equals_scipy_column_indexing(case, data):
    rows, _, _ = case
    columns = np.array(data.draw(st.lists(st.integers(0, rows.shape[1] - 1), max_size=10)), dtype=np.int64)
    expected = rows[:, columns].toarray() > 0
    assert np.array_equal(_present(rows, columns), expected)


def test_large_pool_branch_keeps_the_whole_tie():
    # 3 rows over 1,000 chunks, more postings than depth × rows: the partition
    # over postings must still return the ten best, ties broken by position.
    rng = np.random.default_rng(7)
    dense = rng.random((3, 1000)) < 0.3
    rows = sparse.csr_matrix(dense.astype(np.float64))
    ranking = np.where(dense.any(axis=0), rng.choice([1.0, 2.0, 3.0], size=1000), 0.0)
    matching = np.flatnonzero(ranking > 0)
    expected = sorted(matching.tolist(), key=lambda i: (-ranking[i], i))[:10]
    assert rows.indices.size > 10 * 3
    assert _top_matching(ranking, rows, 10).tolist() == expected
