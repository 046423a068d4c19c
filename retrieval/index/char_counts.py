"""How many chunks hold each character: the rarity the second stage weighs
a question's characters by (``retrieval.answer.second_stage``, feature
*characters*).

Words are matched as jieba cuts them, and it cuts a question and a
paragraph differently more often than one would think, above all in
converted traditional text (策畫 and 計畫人, 得名 and 名稱); their
characters still meet. Counted over the chunks' texts as written, so the
counts do not depend on the analyzer; ``frequencies`` merges the variants
a normal form folds together (臺 and 台).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Iterable
from pathlib import Path

import numpy as np

# A change to what is counted takes a new name: the name is part of the
# build's settings (``retrieval.index.building``), so an older build is
# rebuilt from its corpus rather than read with counts of another kind.
FILE_NAME = "char_counts_v1.npy"


class CharCounts:
    """Code points (ascending) and the number of chunks holding each."""

    def __init__(self, codes: np.ndarray, counts: np.ndarray):
        if codes.shape != counts.shape or codes.ndim != 1:
            raise ValueError("a character count table has one count per code point")
        self.codes = codes
        self.counts = counts

    @classmethod
    def from_texts(cls, texts: Iterable[str]) -> "CharCounts":
        counter: Counter[str] = Counter()
        for text in texts:
            counter.update(set(text))
        codes = np.array(sorted(ord(c) for c in counter), dtype=np.uint32)
        counts = np.array([counter[chr(c)] for c in codes.tolist()], dtype=np.uint32)
        return cls(codes, counts)

    @classmethod
    def load(cls, build: Path) -> "CharCounts | None":
        """The build's table, or None for a build saved without one."""
        path = build / FILE_NAME
        if not path.exists():
            return None
        table = np.load(path, allow_pickle=False)
        if table.ndim != 2 or table.shape[0] != 2:
            raise ValueError(f"{path}: not a character count table (shape {table.shape})")
        return cls(table[0], table[1])

    def save(self, build: Path) -> None:
        np.save(build / FILE_NAME, np.stack([self.codes, self.counts]).astype(np.uint32))

    def frequencies(self, normalize: Callable[[str], str]) -> dict[str, int]:
        """Chunks per character of the normal form. Variants that fold into
        one character add up (a chunk holding both is counted twice, which
        only makes the character look a little commoner than it is)."""
        merged: dict[str, int] = {}
        for code, count in zip(self.codes.tolist(), self.counts.tolist()):
            normal = normalize(chr(code))
            if len(normal) == 1:
                merged[normal] = merged.get(normal, 0) + count
        return merged


def rarity(frequency: int, n_chunks: int) -> float:
    """A character's weight: BM25's idf kept positive (Lucene's form), so
    that a character in most chunks still counts a little and one in none
    counts most."""
    frequency = min(frequency, n_chunks)
    return math.log(1.0 + (n_chunks - frequency + 0.5) / (frequency + 0.5))
