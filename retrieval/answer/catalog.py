"""The library's catalog: each document's citation fields, and where its chunks are.

A question none of whose words any paragraph holds may still name an
author, a title or a publication, which live only in the citation fields
(``SearchEngine._byline_hits``; ``claims`` for questions about an author).
The catalog finds the documents such words name through an index of their
citation terms, made once per engine, so the question costs the documents
it names rather than a pass over the library, each of whose titles had
to be tokenized again once there were more than a cache holds. It keeps
positions and citation fields, not chunks: an index on disk parses a
chunk only when it is asked for (``retrieval.index.chunk_file``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import NamedTuple

from retrieval.chunking.chunks import Chunk

# A paragraph that says who the author is: （作者系……）, （作者单位：……）.
BYLINE = re.compile(r"^[（(]?\s*作者(?:系|为|是|单位|简介|：|:)")


class Entry(NamedTuple):
    """One document: its first chunk's citation fields, and its chunks' positions."""

    doc_id: str
    title: str
    author: str
    publication: str
    positions: tuple[int, ...]


class Catalog:
    """``terms_of(title, author, publication)`` gives the terms a question
    meets a document's citation by (the analyzer's tokens)."""

    def __init__(self, chunks: Sequence[Chunk], terms_of: Callable[[str, str, str], frozenset[str]]):
        self._chunks = chunks
        self.entries = _entries(chunks)
        # Documents that share their citation (a series, the parts of a
        # book) are tokenized once.
        by_citation: dict[tuple[str, str, str], list[int]] = {}
        for number, entry in enumerate(self.entries):
            by_citation.setdefault((entry.title, entry.author, entry.publication), []).append(number)
        self._sharing = list(by_citation.values())  # the documents of each distinct citation
        self._by_term: dict[str, list[int]] = {}  # term → the citations (in _sharing) that hold it
        for group, citation in enumerate(by_citation):
            for term in terms_of(*citation):
                self._by_term.setdefault(term, []).append(group)

    def naming(self, terms: Iterable[str]) -> dict[int, frozenset[str]]:
        """The documents whose citation holds any of ``terms``, in the
        library's order, each with the terms it holds."""
        named: dict[int, set[str]] = {}
        for term in set(terms):
            for group in self._by_term.get(term, ()):
                named.setdefault(group, set()).add(term)
        return dict(sorted(
            (number, frozenset(held)) for group, held in named.items() for number in self._sharing[group]
        ))

    def by_author(self, has_author: Callable[[str], bool]) -> list[int]:
        """The documents whose author field ``has_author`` accepts."""
        return [number for number, entry in enumerate(self.entries) if has_author(entry.author)]

    def first_chunk(self, number: int) -> Chunk:
        return self._chunks[self.entries[number].positions[0]]

    def byline(self, number: int) -> Chunk | None:
        """The document's last byline paragraph, if it has one (bylines close an article)."""
        for position in reversed(self.entries[number].positions):
            chunk = self._chunks[position]
            if BYLINE.search(chunk.text):
                return chunk
        return None


def _entries(chunks: Sequence[Chunk]) -> list[Entry]:
    citation_fields = getattr(chunks, "citation_fields", None)
    fields: Iterator[tuple[str, str, str, str]] = (
        citation_fields() if citation_fields is not None
        else ((c.doc_id, c.title, c.author, c.publication) for c in chunks)
    )
    heads: dict[str, tuple[str, str, str]] = {}
    positions: dict[str, list[int]] = {}
    for position, (doc_id, title, author, publication) in enumerate(fields):
        if doc_id not in heads:
            heads[doc_id] = (title, author, publication)
            positions[doc_id] = []
        positions[doc_id].append(position)
    return [Entry(doc_id, title, author, publication, tuple(positions[doc_id]))
            for doc_id, (title, author, publication) in heads.items()]
