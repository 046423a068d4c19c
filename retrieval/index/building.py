"""Corpus → search engine, rebuilt only when the corpus or the settings change."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from retrieval.index.analyzer import Analyzer
from retrieval.index.bm25 import ModelBuilder
from retrieval.chunking.chunks import MAX_PARAGRAPH_CHARS, MIN_PARAGRAPH_CHARS, chunk_documents
from retrieval.index.corpus import default_corpus_paths, terms_of
from retrieval.ingest.cache import DocumentCache
from retrieval.ingest.documents import Document, Limits, Problem, list_corpus_files, read_corpus_files
from retrieval.ingest.readers import READERS, reader_version
from retrieval.answer.search import SearchEngine
from retrieval.index.store import (
    file_digest,
    fingerprint,
    load_index,
    read_fingerprint,
    read_meta,
    save_index,
)
from retrieval.index.token_cache import TokenCache
from retrieval.index.tokenizing import stream_tokens

# Reports progress as (stage, done, total).
Progress = Callable[[str, int, int], None]


TOKEN_CACHE = "token-cache"  # beside the builds: it outlives them
DOCUMENT_CACHE = "document-cache"  # what the readers made of each binary file, likewise


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
        # A new reader version or other limits read the same bytes differently.
        "readers": sorted(reader_version(suffix) for suffix in READERS),
        "limits": asdict(Limits.from_env()),
    }


def build_engine(
    documents: list[Document],
    *,
    progress: Callable[[int, int], None] | None = None,
    corpus_dictionary: bool = True,
    workers: int | None = None,
    cache_dir: Path | None = None,
    file_digests: dict[str, str] | None = None,
    **analyzer_options: bool,
) -> tuple[SearchEngine, int]:
    """Chunk, tokenize and index documents in memory; also returns how many
    tokens there were.

    ``corpus_dictionary=False`` and ``analyzer_options`` exist for measuring
    the analyzer's choices (``python -m retrieval eval --analyzer``).
    """
    chunks = chunk_documents(documents)
    terms = terms_of(documents, chunks) if corpus_dictionary else []
    analyzer = Analyzer(terms, **analyzer_options)
    cache = TokenCache(cache_dir, analyzer) if cache_dir is not None else None
    builder = ModelBuilder(len(chunks))
    for index, tokens in stream_tokens(
        analyzer, chunks, workers=workers, cache=cache, file_digests=file_digests, progress=progress
    ):
        builder.add(index, tokens)
    model = builder.build()
    return SearchEngine(chunks, analyzer, model), int(model.doc_len.sum())


def _corpus_present(meta: dict) -> bool:
    """Whether the files a saved index was built from are still there, so
    `ask --index DIR` alone can keep that index fresh."""
    paths = meta.get("corpus") or []
    return bool(paths) and all(Path(p).exists() for p in paths)


@dataclass
class _CorpusState:
    paths: list
    files: list
    problems: list[Problem]
    digests: dict[str, str]
    key: str | None


def _corpus_state(corpus, index_path: Path | None, force: bool) -> _CorpusState:
    """The corpus's files and content hash, as an index of it would record them."""
    meta = read_meta(index_path) if index_path is not None and not corpus else None
    if meta is not None and not force and not _corpus_present(meta):
        # An index whose corpus is not here (moved, or indexed elsewhere):
        # serve it as it is rather than replace it with the bundled corpus.
        return _CorpusState([], [], [], {}, meta.get("fingerprint"))
    paths = list(corpus) if corpus else (meta or {}).get("corpus") or default_corpus_paths()
    files, problems = list_corpus_files(paths)
    known = (meta or read_meta(index_path) or {}) if index_path is not None else {}
    digests = {f.relative: _digest(f, known) for f in files}
    return _CorpusState(paths, files, problems, digests, fingerprint([(f.relative, f.path) for f in files], _settings(), digests))


def _digest(corpus_file, meta: dict) -> str:
    """The file's content hash; reused from the index when its size and
    modification time are what they were then (git's rule), so checking a
    large unchanged corpus does not read it all."""
    stat = corpus_file.path.stat()
    seen = (meta.get("file_stats") or {}).get(corpus_file.relative)
    if seen == [stat.st_size, stat.st_mtime_ns] and corpus_file.relative in (meta.get("files") or {}):
        return meta["files"][corpus_file.relative]
    return file_digest(corpus_file.path)


def current_index(corpus: Iterable[str | Path] | None, index_dir: str | Path) -> dict | None:
    """The saved index's metadata if it is up to date with ``corpus``: the
    hash check alone, without loading the index."""
    index_path = Path(index_dir)
    meta = read_meta(index_path)
    if meta is None or "n_chunks" not in meta:
        return None
    return meta if _corpus_state(corpus, index_path, False).key == meta.get("fingerprint") else None


def open_engine(
    corpus: Iterable[str | Path] | None = None,
    index_dir: str | Path | None = None,
    *,
    progress: Progress | None = None,
    force: bool = False,
    workers: int | None = None,
) -> tuple[SearchEngine, IndexReport]:
    """An engine over ``corpus`` (default: the bundled seeds).

    With ``index_dir`` the index is saved there and reused while the corpus
    is unchanged (a content hash decides); without it, it lives in memory.
    """
    started = time.perf_counter()
    index_path = Path(index_dir) if index_dir else None
    state = _corpus_state(corpus, index_path, force)
    paths, files, problems, digests, key = state.paths, state.files, state.problems, state.digests, state.key

    if index_path is not None and not force and read_fingerprint(index_path) == key:
        meta, model, chunks = load_index(index_path)
        engine = SearchEngine(chunks, Analyzer.from_config(meta["analyzer"]), model)
        # The files' own problems were found when the index was built; say them again.
        saved_problems = [Problem(**p) for p in meta.get("problems", [])]
        report = IndexReport(
            documents=meta["n_documents"] if "n_documents" in meta else len({c.doc_id for c in chunks}),
            chunks=len(chunks),
            tokens=int(model.doc_len.sum()),
            loaded_from_disk=True,
            problems=problems + saved_problems,
        )
        report.seconds = time.perf_counter() - started
        return engine, report

    step = (lambda stage: lambda done, total: progress(stage, done, total)) if progress else (lambda stage: None)
    limits = Limits.from_env()
    documents_cache = DocumentCache(index_path / DOCUMENT_CACHE, digests, limits) if index_path is not None else None
    loaded = read_corpus_files(files, step("reading files"), limits=limits, cache=documents_cache)
    if documents_cache is not None:
        documents_cache.prune()
    engine, n_tokens = build_engine(
        loaded.documents,
        progress=step("tokenizing"),
        workers=workers,
        cache_dir=index_path / TOKEN_CACHE if index_path is not None else None,
        file_digests=digests,
    )
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
                "files": digests,
                "file_stats": {f.relative: [f.path.stat().st_size, f.path.stat().st_mtime_ns] for f in files},
                "n_chunks": len(engine.chunks),
                "n_tokens": n_tokens,
            },
        )
    report = IndexReport(
        documents=len(loaded.documents),
        chunks=len(engine.chunks),
        tokens=n_tokens,
        problems=problems + loaded.problems,
    )
    report.seconds = time.perf_counter() - started
    return engine, report


def load_token_lists(index_dir: str | Path) -> list[list[str]]:
    """The token lists a saved index was built from, in chunk order (from its
    token cache): what rank_bm25 or bm25s must be given to score the same
    tokens (benchmarks, parity checks)."""
    index_path = Path(index_dir)
    meta, _, chunks = load_index(index_path)
    analyzer = Analyzer.from_config(meta["analyzer"])
    cache = TokenCache(index_path / TOKEN_CACHE, analyzer)
    digests = meta.get("files") or {}
    by_file: dict[str, list[int]] = {}
    for index, chunk in enumerate(chunks):
        by_file.setdefault(chunk.source_path, []).append(index)
    token_lists: list[list[str]] = [[] for _ in chunks]
    for source, indices in by_file.items():
        texts = [chunks[i].text for i in indices]
        cached = cache.lookup(digests[source], texts) if source in digests else None
        for i, tokens in zip(indices, cached if cached is not None else map(analyzer.tokenize, texts)):
            token_lists[i] = tokens
    return token_lists
