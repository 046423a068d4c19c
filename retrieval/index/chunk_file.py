"""The saved chunks, read on demand.

`chunks.jsonl` holds one chunk per line and `chunk_offsets.npy` where each
line starts. A query needs a handful of chunks, so parsing all of them at
start-up (17 s for a million) is replaced by parsing the ones asked for.
"""

from __future__ import annotations

import json
import mmap
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from retrieval.chunking.chunks import Chunk


def line_offsets(lines: list[bytes]) -> np.ndarray:
    offsets = np.zeros(len(lines) + 1, dtype=np.int64)
    np.cumsum([len(line) for line in lines], out=offsets[1:])
    return offsets


class ChunkFile(Sequence):
    """A read-only list of Chunks backed by a memory-mapped JSONL file."""

    def __init__(self, path: Path, offsets: np.ndarray):
        # A plain view of the (possibly memory-mapped) offsets: np.memmap's
        # own indexing is a Python method, ten microseconds a call.
        self._offsets = offsets.view(np.ndarray)
        with open(path, "rb") as handle:
            size = handle.seek(0, 2)
            self._map = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) if size else b""
        if int(offsets[-1]) != len(self._map):
            raise ValueError(f"{path}: {len(self._map)} bytes, the offsets say {int(offsets[-1])}")

    def __len__(self) -> int:
        return len(self._offsets) - 1

    @property
    def data(self):
        """The file's bytes, mapped: every chunk's text and citation fields
        as JSON lines (UTF-8, not escaped), for searching the whole corpus
        without parsing it (retrieval.answer.near_miss)."""
        return self._map

    def __getitem__(self, index):
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError(index)
        start, end = int(self._offsets[index]), int(self._offsets[index + 1])
        return Chunk(**json.loads(self._map[start:end]))

    def __eq__(self, other) -> bool:
        if not isinstance(other, Sequence) or isinstance(other, (str, bytes)):
            return NotImplemented
        return len(self) == len(other) and all(a == b for a, b in zip(self, other))

    __hash__ = None  # mutable-list semantics, like the list it stands for
