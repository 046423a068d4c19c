"""Lucene's BM25 (what Solr scores with), as a reference to check Solr against.

Lucene ≥ 8 differs from rank_bm25's BM25Okapi in three ways:

- idf = ln(1 + (N − n + 0.5) / (n + 0.5)): never negative, no ε floor;
- no (k1 + 1) factor: score = idf · tf / (tf + k1 · (1 − b + b · dl / avgdl));
- dl is the field length stored lossily in one byte (``SmallFloat.intToByte4``),
  while avgdl is exact (sum of lengths / documents).

Repeating a term in the query adds its score again, as a boost of 2 does.
"""

from __future__ import annotations

import math
from collections import Counter


def int_to_byte4(value: int) -> int:
    """Lucene's SmallFloat.intToByte4: small ints exact, larger ones with 4 significant bits."""
    if value < 0:
        raise ValueError("only non-negative lengths")
    if value < _NUM_FREE_VALUES:
        return value
    return _NUM_FREE_VALUES + _long_to_int4(value - _NUM_FREE_VALUES)


def byte4_to_int(encoded: int) -> int:
    if encoded < _NUM_FREE_VALUES:
        return encoded
    return _NUM_FREE_VALUES + _int4_to_long(encoded - _NUM_FREE_VALUES)


def _long_to_int4(i: int) -> int:
    bits = i.bit_length()
    if bits < 4:
        return i
    shift = bits - 4
    encoded = (i >> shift) & 0x07  # the three bits after the leading one
    return encoded | ((shift + 1) << 3)


def _int4_to_long(i: int) -> int:
    bits = i & 0x07
    shift = (i >> 3) - 1
    if shift == -1:
        return bits
    return (bits | 0x08) << shift


_MAX_INT4 = _long_to_int4(2**31 - 1)
_NUM_FREE_VALUES = 255 - _MAX_INT4


def lucene_scores(token_lists: list[list[str]], query: list[str], k1: float = 1.5, b: float = 0.75) -> list[float]:
    """Every document's score for ``query``, as Lucene's BM25Similarity computes it."""
    n_docs = len(token_lists)
    lengths = [len(tokens) for tokens in token_lists]
    avgdl = sum(lengths) / n_docs if n_docs else 0.0
    frequencies = [Counter(tokens) for tokens in token_lists]
    doc_freq = Counter(term for counts in frequencies for term in counts)
    scores = []
    for counts, length in zip(frequencies, lengths):
        stored_length = byte4_to_int(int_to_byte4(length))
        norm = k1 * (1 - b + b * stored_length / avgdl) if avgdl else k1
        score = 0.0
        for term, boost in Counter(query).items():
            tf = counts.get(term, 0)
            if tf:
                n = doc_freq[term]
                idf = math.log(1 + (n_docs - n + 0.5) / (n + 0.5))
                score += boost * idf * tf / (tf + norm)
        scores.append(score)
    return scores
