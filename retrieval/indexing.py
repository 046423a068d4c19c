"""Corpus → search engine, rebuilt only when the corpus or the settings change."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from retrieval.analyzer import Analyzer
from retrieval.bm25 import build_model
from retrieval.chunking import MAX_PARAGRAPH_CHARS, MIN_PARAGRAPH_CHARS, chunk_documents
from retrieval.corpus import default_corpus_paths, terms_of
from retrieval.documents import Document, Problem, list_corpus_files, read_corpus_files
from retrieval.search import SearchEngine
from retrieval.store import (
    fingerprint,
    load_index,
    read_fingerprint,
    read_meta,
    save_index,
)

# Reports progress as (stage, done, total).
Progress = Callable[[str, int, int], None]


@dataclass
class IndexReport:
    documents: int = 0
    chunks: int = 0
    tokens: int = 0
    seconds: float = 0.0
    loaded_from_disk: bool = False
    problems: list[Problem] = field(default_factory=list)


def _settings() -> dict:
    analyzer = Analyzer().config
    del analyzer["terms"]  # derived from the corpus, which the fingerprint hashes anyway
    return {
        "max_paragraph_chars": MAX_PARAGRAPH_CHARS,
        "min_paragraph_chars": MIN_PARAGRAPH_CHARS,
        "analyzer": analyzer,
    }


def build_engine(
    documents: list[Document],
    *,
    progress: Callable[[int, int], None] | None = None,
    corpus_dictionary: bool = True,
    **analyzer_options: bool,
) -> tuple[SearchEngine, list[list[str]]]:
    """Chunk, tokenize and index documents in memory; also returns the tokens.

    ``corpus_dictionary=False`` and ``analyzer_options`` exist for measuring
    the analyzer's choices (``python -m retrieval eval --analyzer``).
    """
    chunks = chunk_documents(documents)
    terms = terms_of(documents, chunks) if corpus_dictionary else []
    analyzer = Analyzer(terms, **analyzer_options)
    token_lists = []
    for done, chunk in enumerate(chunks, start=1):
        token_lists.append(analyzer.tokenize(chunk.text))
        if progress and (done % 500 == 0 or done == len(chunks)):
            progress(done, len(chunks))
    return SearchEngine(chunks, analyzer, build_model(token_lists)), token_lists


def _corpus_present(meta: dict) -> bool:
    """Whether the files a saved index was built from are still there, so
    `ask --index DIR` alone can keep that index fresh."""
    paths = meta.get("corpus") or []
    return bool(paths) and all(Path(p).exists() for p in paths)


def open_engine(
    corpus: Iterable[str | Path] | None = None,
    index_dir: str | Path | None = None,
    *,
    progress: Progress | None = None,
    force: bool = False,
) -> tuple[SearchEngine, IndexReport]:
    """An engine over ``corpus`` (default: the bundled seeds).

    With ``index_dir`` the index is saved there and reused while the corpus
    is unchanged (a content hash decides); without it, it lives in memory.
    """
    started = time.perf_counter()
    index_path = Path(index_dir) if index_dir else None
    meta = read_meta(index_path) if index_path is not None and not corpus else None
    if meta is not None and not force and not _corpus_present(meta):
        # An index whose corpus is not here (moved, or indexed elsewhere):
        # serve it as it is rather than replace it with the bundled corpus.
        files, problems, key = [], [], meta.get("fingerprint")
        paths = []
    else:
        paths = list(corpus) if corpus else (meta or {}).get("corpus") or default_corpus_paths()
        files, problems = list_corpus_files(paths)
        key = fingerprint([(f.relative, f.path) for f in files], _settings())

    if index_path is not None and not force and read_fingerprint(index_path) == key:
        meta, model, chunks = load_index(index_path)
        engine = SearchEngine(chunks, Analyzer.from_config(meta["analyzer"]), model)
        # The files' own problems were found when the index was built; say them again.
        saved_problems = [Problem(**p) for p in meta.get("problems", [])]
        report = IndexReport(
            documents=meta.get("n_documents", len({c.doc_id for c in chunks})),
            chunks=len(chunks),
            tokens=int(model.doc_len.sum()),
            loaded_from_disk=True,
            problems=problems + saved_problems,
        )
        report.seconds = time.perf_counter() - started
        return engine, report

    step = (lambda stage: lambda done, total: progress(stage, done, total)) if progress else (lambda stage: None)
    loaded = read_corpus_files(files, step("reading files"))
    engine, token_lists = build_engine(loaded.documents, progress=step("tokenizing"))
    if index_path is not None:
        save_index(
            index_path,
            fingerprint=key,
            model=engine.model,
            chunks=engine.chunks,
            analyzer=engine.analyzer.config,
            extra={
                "problems": [asdict(p) for p in loaded.problems],
                "n_documents": len(loaded.documents),
                "corpus": [str(Path(p).resolve()) for p in paths],
            },
        )
    report = IndexReport(
        documents=len(loaded.documents),
        chunks=len(engine.chunks),
        tokens=sum(map(len, token_lists)),
        problems=problems + loaded.problems,
    )
    report.seconds = time.perf_counter() - started
    return engine, report
