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

# suffix → (module, version). The version changes when that reader would
# read the same bytes differently: it keys the document cache and the
# index's settings, so old results are not reused. Kept here rather than in
# the modules so that checking an index imports no parser library.
READERS = {
    ".txt": ("retrieval.ingest.text", 1),
    ".md": ("retrieval.ingest.text", 1),
    ".markdown": ("retrieval.ingest.text", 1),
    ".jsonl": ("retrieval.ingest.jsonl", 1),
    ".pdf": ("retrieval.ingest.pdf", 1),
    ".docx": ("retrieval.ingest.docx", 1),
    ".doc": ("retrieval.ingest.docx", 1),  # to say "save it as .docx", not "unsupported"
    ".html": ("retrieval.ingest.html", 1),
    ".htm": ("retrieval.ingest.html", 1),
    ".xhtml": ("retrieval.ingest.html", 1),
    ".epub": ("retrieval.ingest.epub", 1),
}
SUPPORTED_SUFFIXES = frozenset(READERS)
# Parsed out of process: third-party parsers over untrusted binary input.
ISOLATED_SUFFIXES = frozenset({".pdf", ".docx", ".doc", ".html", ".htm", ".xhtml", ".epub"})


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
    entry = READERS.get(path.suffix.lower())
    return importlib.import_module(entry[0]) if entry else None


def reader_version(suffix: str) -> str:
    entry = READERS.get(suffix.lower())
    return f"{suffix.lower()}:{entry[1]}" if entry else ""
