"""Where the bundled corpus lives, and what it contributes to the default analyzer."""

from __future__ import annotations

import os
import re
from functools import lru_cache
from pathlib import Path

from retrieval.analyzer import corpus_terms

CORPUS_ENV = "RETRIEVAL_CORPUS"


def bundled_corpus_dir() -> Path:
    """``seeds/`` next to the package (a source checkout or editable install)."""
    return Path(__file__).resolve().parent.parent / "seeds"


def default_corpus_paths() -> list[Path]:
    """``$RETRIEVAL_CORPUS`` (``os.pathsep``-separated) or the bundled seeds."""
    configured = os.environ.get(CORPUS_ENV, "").strip()
    if configured:
        return [Path(p) for p in configured.split(os.pathsep) if p.strip()]
    return [bundled_corpus_dir()]


@lru_cache(maxsize=1)
def default_corpus_terms() -> tuple[str, ...]:
    from retrieval.chunking import chunk_documents
    from retrieval.documents import load_corpus

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
