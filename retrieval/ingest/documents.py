"""Files → documents: the one call every caller uses, whatever the format.

A corpus is any mix of files and folders (``retrieval.ingest.files``); each
file goes to the reader for its format (``retrieval.ingest.readers``). A file
that cannot be read becomes a :class:`Problem` naming the file (and line or
page) and the rest of the corpus is still read.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path

from retrieval.ingest.files import IGNORE_FILE, list_corpus_files
from retrieval.ingest.isolation import IsolatedReaders
from retrieval.ingest.jsonl import parse_jsonl
from retrieval.ingest.model import Block, CorpusFile, Document, LoadResult, Problem
from retrieval.ingest.readers import ISOLATED_SUFFIXES, SUPPORTED_SUFFIXES, Limits, reader_for
from retrieval.ingest.text import FrontMatterError, parse_text_document, split_lines

__all__ = [
    "IGNORE_FILE", "SUPPORTED_SUFFIXES", "Block", "CorpusFile", "Document", "FrontMatterError", "Limits",
    "LoadResult", "Problem", "list_corpus_files", "load_corpus", "parse_jsonl", "parse_text_document",
    "read_corpus_files", "read_file", "split_lines",
]


def load_corpus(paths: Iterable[str | Path], *, limits: Limits | None = None) -> LoadResult:
    files, problems = list_corpus_files(paths)
    result = read_corpus_files(files, limits=limits)
    result.problems[:0] = problems
    return result


def read_corpus_files(
    files: list[CorpusFile],
    progress=None,
    *,
    limits: Limits | None = None,
    cache=None,
    page_progress=None,
) -> LoadResult:
    """Read listed files into documents; ``progress(done, total)`` after each
    file, ``page_progress(corpus_file, page, pages)`` within a long one.
    ``cache`` (a ``DocumentCache``) returns what an earlier run read from the
    same bytes, so an unchanged PDF is not parsed again."""
    limits = limits or Limits.from_env()
    results: dict[int, tuple[list[Document], list[Problem]]] = {}
    pending: list[int] = []
    for index, corpus_file in enumerate(files):
        cached = cache.lookup(corpus_file) if cache is not None else None
        if cached is not None:
            results[index] = cached
        elif corpus_file.path.suffix.lower() in ISOLATED_SUFFIXES:
            pending.append(index)
        else:
            results[index] = read_file(corpus_file, limits)
        if progress and index not in pending:
            progress(len(results), len(files))
    if pending:
        with IsolatedReaders(limits) as readers:
            for index, outcome in readers.read_all([files[i] for i in pending], page_progress):
                results[pending[index]] = outcome
                if cache is not None:
                    cache.store(files[pending[index]], *outcome)
                if progress:
                    progress(len(results), len(files))

    documents: list[Document] = []
    problems: list[Problem] = []
    first_use: dict[str, str] = {}  # id → where it was first used
    for index in range(len(files)):
        docs, file_problems = results[index]
        problems.extend(file_problems)
        for doc in docs:
            doc_id = _unique_id(doc.doc_id, first_use)
            if doc_id != doc.doc_id:
                problems.append(Problem(
                    doc.source_path,
                    f"document id {doc.doc_id!r} is already used ({first_use[doc.doc_id]}); "
                    f"this one is indexed as {doc_id!r}",
                    doc.jsonl_line,
                ))
                doc = replace(doc, doc_id=doc_id)
            first_use[doc_id] = f"{doc.source_path}:{doc.jsonl_line}" if doc.jsonl_line else doc.source_path
            documents.append(doc)
    return LoadResult(documents, problems, [f.path for f in files])


def _unique_id(doc_id: str, seen) -> str:
    candidate, n = doc_id, 2
    while candidate in seen:
        candidate, n = f"{doc_id}~{n}", n + 1
    return candidate


def read_file(corpus_file: CorpusFile, limits: Limits | None = None) -> tuple[list[Document], list[Problem]]:
    """Read one file in this process; never raises for bad content."""
    reader = reader_for(corpus_file.path)
    if reader is None:
        return [], [Problem(corpus_file.relative, "unsupported format")]
    return reader.read(corpus_file.path, corpus_file.relative, limits or Limits.from_env())
