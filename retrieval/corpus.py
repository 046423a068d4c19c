"""Where the bundled corpus lives, and what it contributes to the default analyzer."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

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
    from retrieval.analyzer import corpus_terms
    from retrieval.chunking import chunk_documents
    from retrieval.documents import load_corpus

    loaded = load_corpus(default_corpus_paths())
    return tuple(corpus_terms(texts_for_terms(loaded.documents, chunk_documents(loaded.documents))))


def texts_for_terms(documents, chunks) -> list[str]:
    """Everything coined terms are looked for in: titles, headings, paragraphs."""
    texts = [doc.title for doc in documents]
    texts.extend({chunk.section for chunk in chunks if chunk.section})
    texts.extend(chunk.text for chunk in chunks)
    return texts
