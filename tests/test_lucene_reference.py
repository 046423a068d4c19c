"""The reference Lucene BM25 the Solr backend is checked against: its length
encoding and its formula, on hand-checkable cases."""

from __future__ import annotations

import math

from hypothesis import given
from hypothesis import strategies as st

from retrieval.backends.lucene import byte4_to_int, int_to_byte4, lucene_scores


def test_short_lengths_are_exact_and_the_byte_is_one_byte():
    for length in range(0, 24):
        assert byte4_to_int(int_to_byte4(length)) == length
    assert int_to_byte4(2**31 - 1) == 255


@given(st.integers(min_value=0, max_value=2**31 - 1))
def test_long_lengths_keep_four_significant_bits(length):
    decoded = byte4_to_int(int_to_byte4(length))
    assert decoded <= length
    assert length - decoded <= max(0, length - 24) / 8 + 1  # under 1/8 below, never above
    assert 0 <= int_to_byte4(length) <= 255


@given(st.integers(min_value=0, max_value=10**6), st.integers(min_value=0, max_value=10**6))
def test_the_encoding_keeps_order(a, b):
    if a <= b:
        assert int_to_byte4(a) <= int_to_byte4(b)


def test_the_formula_has_lucenes_idf_and_no_k1_plus_one():
    docs = [["甲", "乙"], ["甲"], ["丙", "丁", "戊"]]
    scores = lucene_scores(docs, ["甲"])
    n, df, avgdl = 3, 2, 2.0
    idf = math.log(1 + (n - df + 0.5) / (df + 0.5))
    assert math.isclose(scores[0], idf * 1 / (1 + 1.5 * (0.25 + 0.75 * 2 / avgdl)))
    assert math.isclose(scores[1], idf * 1 / (1 + 1.5 * (0.25 + 0.75 * 1 / avgdl)))
    assert scores[2] == 0.0
    # A term in every document still scores above zero (Okapi's idf would be negative).
    assert all(s > 0 for s in lucene_scores([["甲"], ["甲", "乙"]], ["甲"]))


def test_a_repeated_query_term_counts_twice():
    docs = [["甲", "乙"], ["乙"]]
    once, twice = lucene_scores(docs, ["甲"]), lucene_scores(docs, ["甲", "甲"])
    assert math.isclose(twice[0], 2 * once[0])
