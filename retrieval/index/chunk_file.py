"""The saved chunks, read on demand.

`chunks.jsonl` holds one chunk per line and `chunk_offsets.npy` where each
line starts. A query needs a handful of chunks, so parsing all of them at
start-up (17 s for a million) is replaced by parsing the ones asked for.
"""

from __future__ import annotations

import json
import mmap
import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from retrieval.chunking.chunks import Chunk

# A JSON string as json.dumps writes it: quotes and backslashes escaped.
# Possessive, unrolled: a third of the time of (?:[^"\\]|\\.)*.
_STRING = rb'"[^"\\]*+(?:\\.[^"\\]*+)*+"'
# The first fields of a saved chunk, in the order store.py writes them (the
# dataclass's); a line that does not start so is parsed whole instead.
_LEADING = re.compile(rb'\{"chunk_id": ' + _STRING + rb', "doc_id": (' + _STRING + rb'), "title": (' + _STRING
                      + rb'), "author": (' + _STRING + rb')')
_PUBLICATION_KEY = b'"publication": '
_STRING_AT = re.compile(_STRING)


def _string(literal: bytes) -> str:
    return json.loads(literal) if b"\\" in literal else literal[1:-1].decode("utf-8")


def line_offsets(lines: list[bytes]) -> np.ndarray:
    offsets = np.zeros(len(lines) + 1, dtype=np.int64)
    np.cumsum([len(line) for line in lines], out=offsets[1:])
    return offsets


class ChunkFile(Sequence):
    """A read-only list of Chunks backed by a memory-mapped JSONL file."""

    def __init__(self, path: Path, offsets: np.ndarray, pairs=None, char_counts=None):
        # The file's character pairs (retrieval.index.char_pairs) and how many
        # chunks hold each character (retrieval.index.char_counts), or None
        # for a build saved without them.
        self.pairs = pairs
        self.char_counts = char_counts
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

    def citation_fields(self):
        """(doc_id, title, author, publication) of every chunk, in order,
        read from the lines without parsing them: a fifth of the time, for
        the catalog of a whole library (retrieval.answer.catalog). A quote
        inside a string is escaped, so the key found last in a line is the
        key itself."""
        data = self._map
        offsets = self._offsets.tolist()
        for index in range(len(offsets) - 1):
            start, end = offsets[index], offsets[index + 1]
            lead = _LEADING.match(data, start, end)
            key = data.rfind(_PUBLICATION_KEY, start, end) if lead else -1
            publication = _STRING_AT.match(data, key + len(_PUBLICATION_KEY), end) if key != -1 else None
            if publication is None:
                chunk = self[index]
                yield chunk.doc_id, chunk.title, chunk.author, chunk.publication
                continue
            doc_id, title, author = lead.groups()
            yield _string(doc_id), _string(title), _string(author), _string(publication.group())

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
