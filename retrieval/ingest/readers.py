"""Which reader reads which file, and the limits every reader works within.

Every reader module has the same entry point::

    read(path: Path, name: str, limits: Limits, progress=None)
        -> tuple[list[Document], list[Problem]]

``name`` is how citations and messages name the file; ``progress(done,
total)`` is called per page (or chapter) where the format has them. A reader
never raises for bad content: it returns what it could read and a Problem
that names the file, the page and what to do.

Binary formats are parsed in a separate process (``retrieval.ingest.isolation``),
so a parser library that hangs or crashes costs one file, not the indexer.
"""

from __future__ import annotations

import importlib
import os
from dataclasses import dataclass, fields
from pathlib import Path

READER_MODULES = {
    ".txt": "retrieval.ingest.text",
    ".md": "retrieval.ingest.text",
    ".markdown": "retrieval.ingest.text",
    ".jsonl": "retrieval.ingest.jsonl",
    ".pdf": "retrieval.ingest.pdf",
    ".docx": "retrieval.ingest.docx",
    ".html": "retrieval.ingest.html",
    ".htm": "retrieval.ingest.html",
    ".xhtml": "retrieval.ingest.html",
    ".epub": "retrieval.ingest.epub",
}
SUPPORTED_SUFFIXES = frozenset(READER_MODULES)
# Parsed out of process: third-party parsers over untrusted binary input.
ISOLATED_SUFFIXES = frozenset({".pdf", ".docx", ".html", ".htm", ".xhtml", ".epub"})


@dataclass(frozen=True)
class Limits:
    """Per-file limits; each can be set by the environment variable named in
    ``ENVIRONMENT`` (and the CLI's options of the same name)."""

    max_file_mb: float = 200.0  # PDF, DOCX, EPUB
    max_html_mb: float = 20.0  # a web page larger than this is not an article
    max_pages: int = 3000
    timeout_seconds: float = 120.0  # parsing one file
    max_unpacked_mb: float = 1000.0  # DOCX/EPUB members once unzipped: zip bombs
    memory_mb: int = 4096  # the parsing process's address space

    @classmethod
    def from_env(cls, environ=None) -> "Limits":
        environ = os.environ if environ is None else environ
        values = {}
        for f in fields(cls):
            raw = environ.get(ENVIRONMENT[f.name], "").strip()
            if not raw:
                continue
            try:
                value = type(getattr(cls, f.name))(raw)
            except ValueError:
                raise ValueError(f"{ENVIRONMENT[f.name]}: not a number: {raw!r}") from None
            if value <= 0:
                raise ValueError(f"{ENVIRONMENT[f.name]}: must be positive, got {raw!r}")
            values[f.name] = value
        return cls(**values)

    def max_bytes(self, suffix: str) -> int | None:
        if suffix in (".html", ".htm", ".xhtml"):
            return int(self.max_html_mb * 1024 * 1024)
        if suffix in ISOLATED_SUFFIXES:
            return int(self.max_file_mb * 1024 * 1024)
        return None  # text and JSONL corpora are read as they are, however large


ENVIRONMENT = {
    "max_file_mb": "RETRIEVAL_MAX_FILE_MB",
    "max_html_mb": "RETRIEVAL_MAX_HTML_MB",
    "max_pages": "RETRIEVAL_MAX_PAGES",
    "timeout_seconds": "RETRIEVAL_PARSE_TIMEOUT",
    "max_unpacked_mb": "RETRIEVAL_MAX_UNPACKED_MB",
    "memory_mb": "RETRIEVAL_PARSE_MEMORY_MB",
}


def reader_for(path: Path):
    """The reader module for ``path`` by its suffix, or None."""
    module = READER_MODULES.get(path.suffix.lower())
    return importlib.import_module(module) if module else None


def reader_version(path: Path) -> str:
    """Changes when the reader would read the same bytes differently (keys the document cache)."""
    reader = reader_for(path)
    return f"{path.suffix.lower()}:{getattr(reader, 'VERSION', 1)}" if reader else ""
