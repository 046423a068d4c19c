"""Which pairs of neighbouring characters a saved chunk file holds, as a
bit set of their hashes: a question word with a pair the set lacks is
certainly nowhere in the file.

The not-found reply lists a question's words the corpus never uses, and
proving a word absent meant reading the whole file for it (about 60 ms a
spelling at 100,000 chunks). Most words checked are two characters, whose
one pair decides it; longer words and the set's false positives (a few
percent) still read the file. A set never says absent for what is there.

Each character also sets the bit of (character, NO_NEXT), so that words of
one character are filtered the same way.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import numpy as np

# The hashing is part of the file's meaning: a change to it takes a new
# name, so that an older build's set is ignored rather than misread.
FILE_NAME = "char_pairs_v1.npy"
NO_NEXT = 0x110000  # past the last code point: never a real neighbour
# Odd multipliers (golden ratio, murmur3's finaliser): the top bits of a
# product mix every bit of the key.
_FIRST = np.uint32(0x9E3779B1)
_SECOND = np.uint32(0x85EBCA6B)
_NO_NEXT = np.uint32(NO_NEXT)
_MIN_BITS_LOG2 = 16
_MAX_BITS_LOG2 = 27  # 16 MB on disk; false positives stay rare up to a few million pairs
_BLOCK_BYTES = 8 << 20


class CharPairs:
    """A read-only bit set over character-pair hashes (numpy, may be mapped)."""

    def __init__(self, packed: np.ndarray):
        bits = len(packed) * 8
        if bits < 1 << _MIN_BITS_LOG2 or bits & (bits - 1):
            raise ValueError(f"a pair set has a power-of-two size of at least 2**{_MIN_BITS_LOG2} bits, not {bits}")
        self._packed = packed.view(np.ndarray)
        self._shift = np.uint32(32 - bits.bit_length() + 1)

    @classmethod
    def from_lines(cls, lines: Iterable[bytes], total_bytes: int) -> "CharPairs":
        """The set of UTF-8 ``lines`` (all of them ``total_bytes`` long),
        hashed a block at a time so that memory stays bounded."""
        # Two to four bits per byte of text: on CMRC and DRCD (3.7 MB) a
        # tenth of that left 13% of the bits set, this leaves under 4%.
        bits_log2 = min(_MAX_BITS_LOG2, max(_MIN_BITS_LOG2, (2 * total_bytes).bit_length()))
        present = np.zeros(1 << bits_log2, dtype=bool)
        shift = np.uint32(32 - bits_log2)
        block: list[bytes] = []
        size = 0
        for line in lines:
            block.append(line)
            size += len(line)
            if size >= _BLOCK_BYTES:
                _mark(present, b"".join(block), shift)
                block, size = [], 0
        if block:
            _mark(present, b"".join(block), shift)
        return cls(np.packbits(present))

    @classmethod
    def load(cls, build: Path) -> "CharPairs | None":
        """The build's set, or None for a build saved without one."""
        path = build / FILE_NAME
        if not path.exists():
            return None
        return cls(np.load(path, mmap_mode="r", allow_pickle=False))

    def save(self, build: Path) -> None:
        np.save(build / FILE_NAME, self._packed)

    def may_contain(self, text: str) -> bool:
        """False only when ``text`` is certainly not in the file."""
        if not text:
            return True
        slots = np.concatenate(_slots(np.frombuffer(text.encode("utf-32-le"), dtype="<u4").astype(np.uint32), self._shift))
        held = (self._packed[slots >> 3] >> (7 - (slots & 7)).astype(np.uint8)) & 1
        return bool(held.all())


def _slots(characters: np.ndarray, shift: np.uint32) -> tuple[np.ndarray, np.ndarray]:
    """The bits of every (character, next character) and every (character,
    NO_NEXT): multiply-shift hashing in 32 bits (half the work of 64)."""
    mixed = characters * _FIRST
    pairs = ((mixed[:-1] ^ characters[1:]) * _SECOND) >> shift
    alone = ((mixed ^ _NO_NEXT) * _SECOND) >> shift
    return pairs, alone


def _mark(present: np.ndarray, block: bytes, shift: np.uint32) -> None:
    characters = np.frombuffer(block.decode("utf-8", errors="replace").encode("utf-32-le"), dtype="<u4")
    for slots in _slots(characters.astype(np.uint32), shift):
        present[slots] = True
