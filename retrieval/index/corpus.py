"""Where the bundled corpus lives, and the default analyzer built from its coined terms.

The default analyzer lives here rather than in ``analyzer`` so that the
analyzer never imports the corpus readers (the old import circle)."""

from __future__ import annotations

import os
import re
import threading
from functools import lru_cache
from pathlib import Path

from retrieval.chunking.chunks import chunk_documents
from retrieval.index.analyzer import Analyzer, corpus_terms
from retrieval.ingest.documents import load_corpus

CORPUS_ENV = "RETRIEVAL_CORPUS"


def bundled_corpus_dir() -> Path:
    """``seeds/`` next to the package (a source checkout or editable install)."""
    return Path(__file__).resolve().parents[2] / "seeds"


def default_corpus_paths() -> list[Path]:
    """``$RETRIEVAL_CORPUS`` (``os.pathsep``-separated) or the bundled seeds."""
    configured = os.environ.get(CORPUS_ENV, "").strip()
    if configured:
        return [Path(p) for p in configured.split(os.pathsep) if p.strip()]
    return [bundled_corpus_dir()]


@lru_cache(maxsize=1)
def default_corpus_terms() -> tuple[str, ...]:
    loaded = load_corpus(default_corpus_paths())
    return tuple(terms_of(loaded.documents, chunk_documents(loaded.documents)))


def terms_of(documents, chunks) -> list[str]:
    """The coined terms of a corpus: quoted in its titles, headings and
    paragraphs, or standing alone as a short heading or an author's name
    (so that a question naming 刘嗣方 keeps the name whole, as the
    citation does)."""
    texts = [doc.title for doc in documents] + [chunk.text for chunk in chunks]
    headings = {chunk.section for chunk in chunks if chunk.section}
    headings |= {name for doc in documents for name in re.split(r"[、，,;；/\s]+", doc.author) if name}
    return corpus_terms(texts, sorted(headings))


_default_lock = threading.Lock()
_default: Analyzer | None = None


def default_analyzer() -> Analyzer:
    """The analyzer of the default corpus (its coined terms included)."""
    global _default
    with _default_lock:
        if _default is None:
            _default = Analyzer(default_corpus_terms())
        return _default


def tokenize(text: str) -> list[str]:
    """Tokens of ``text`` as the default corpus's index sees them."""
    return default_analyzer().tokenize(text)
