"""Corpus → search engine, rebuilt only when the corpus or the settings change."""

from __future__ import annotations

import errno
import os
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from retrieval.index.analyzer import Analyzer
from retrieval.index.bm25 import ModelBuilder
from retrieval.index.char_counts import FILE_NAME as CHAR_COUNTS_FILE
from retrieval.chunking.chunks import MAX_PARAGRAPH_CHARS, MIN_PARAGRAPH_CHARS, chunk_documents
from retrieval.index.corpus import default_corpus_paths, terms_of
from retrieval.ingest.cache import DocumentCache
from retrieval.ingest.documents import Document, Limits, Problem, list_corpus_files, read_corpus_files
from retrieval.ingest.readers import READERS, reader_version
from retrieval.answer.search import SearchEngine
from retrieval.index.lock import ReadOnlyIndex, index_lock, try_index_lock
from retrieval.index.store import (
    IndexLoadError,
    file_digest,
    fingerprint,
    has_index,
    load_index,
    read_corpus_record,
    read_fingerprint,
    read_meta,
    remove_stale_temporaries,
    save_index,
    verify_build,
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
    kept_previous: bool = False  # the build had errors, so the saved index was served instead


def _settings() -> dict:
    analyzer = Analyzer().config
    del analyzer["terms"]  # derived from the corpus, which the fingerprint hashes anyway
    return {
        "max_paragraph_chars": MAX_PARAGRAPH_CHARS,
        "min_paragraph_chars": MIN_PARAGRAPH_CHARS,
        "analyzer": analyzer,
        # A new reader version or other limits read the same bytes differently.
        "readers": sorted(reader_version(suffix) for suffix in READERS),
        # Builds without the character counts the second stage weighs are made again.
        "char_counts": CHAR_COUNTS_FILE,
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
    bm25: dict[str, float] | None = None,
    **analyzer_options: bool,
) -> tuple[SearchEngine, int]:
    """Chunk, tokenize and index documents in memory; also returns how many
    tokens there were.

    ``corpus_dictionary=False`` and ``analyzer_options`` exist for measuring
    the analyzer's choices (``python -m retrieval eval --analyzer``), and
    ``bm25`` (``k1``, ``b``) for measuring BM25's (``eval --k1 --b``).
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
    model = builder.build(**(bm25 or {}))
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
    """The corpus's files and content hash, as an index of it would record them.

    Without ``corpus``, an index folder answers from the corpus it was built
    from, never from another: a damaged index is rebuilt from its own
    corpus, and one that cannot say which corpus that was is an error."""
    meta = read_meta(index_path) if index_path is not None else None
    own = None
    if index_path is not None and not corpus:
        own = (meta or {}).get("corpus") or read_corpus_record(index_path)
        if own is None and has_index(index_path):
            raise IndexLoadError(
                f"{index_path}: the index is damaged and does not record which corpus it was built from; "
                f"rebuild it with: python -m retrieval index --corpus PATH --index {index_path} --force"
            )
        if meta is not None and not force and not _corpus_present(meta):
            # An index whose corpus is not here (moved, or indexed elsewhere):
            # serve it as it is rather than replace it with the bundled corpus.
            return _CorpusState([], [], [], {}, meta.get("fingerprint"))
        if meta is None and own is not None and not all(Path(p).exists() for p in own):
            raise IndexLoadError(
                f"{index_path}: the index is damaged and its corpus ({', '.join(own)}) is gone; "
                f"rebuild it with: python -m retrieval index --corpus PATH --index {index_path} --force"
            )
    paths = list(corpus) if corpus else own or default_corpus_paths()
    files, problems = list_corpus_files(paths)
    known = meta or {}
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
    """The saved index's metadata if it is up to date with ``corpus`` and its
    files are intact (sizes and hashes), without loading it."""
    index_path = Path(index_dir)
    meta = read_meta(index_path)
    if meta is None or "n_chunks" not in meta:
        return None
    if _corpus_state(corpus, index_path, False).key != meta.get("fingerprint"):
        return None
    return meta if verify_build(index_path) is None else None


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
    Refreshes are serialised by the folder's lock; a build with errors never
    replaces a good index unless ``force``; a read-only index is served as
    it is, with a warning that it is stale.
    """
    started = time.perf_counter()
    index_path = Path(index_dir) if index_dir else None
    state = _corpus_state(corpus, index_path, force)
    if index_path is None:
        return _build(state, None, progress, workers, started)
    if not force:
        served, _ = _load_if_current(index_path, state, started)
        if served:
            _clean_up_after_a_killed_build(index_path)
            return served
    try:
        with index_lock(index_path):
            state = _corpus_state(corpus, index_path, force)  # another process may have refreshed it
            damage = None
            if not force:
                served, damage = _load_if_current(index_path, state, started)
                if served:
                    return served
            notes = []
            if remove_stale_temporaries(index_path):
                notes.append(Problem(str(index_path), "removed the folder an interrupted build left behind"))
            if damage:
                notes.append(Problem(str(index_path), f"the saved index was damaged ({damage}); rebuilt from its corpus"))
            engine, report = _build(state, index_path, progress, workers, started, force=force)
            report.problems[:0] = notes
            return engine, report
    except OSError as exc:
        if not _unwritable(exc):
            raise
        served = _load_live(index_path, started)
        if served is None:
            raise
        served[1].problems.append(Problem(
            str(index_path),
            f"cannot be updated ({exc.strerror or exc}); answering from the saved index, which may be out of date",
        ))
        return served


def open_saved_engine(index_dir: str | Path) -> tuple[SearchEngine, IndexReport] | None:
    """The index saved in ``index_dir`` as it is, whatever its corpus now
    holds, or None if there is none that loads. Never waits for the folder's
    lock: this is what a reader serves while a writer rebuilds."""
    return _load_live(Path(index_dir), time.perf_counter())


def _clean_up_after_a_killed_build(index_path: Path) -> None:
    """A ``kill -9`` during a save leaves a large temporary folder; remove it
    at the next start, when no one is building (never wait for that)."""
    if not any(index_path.glob(".tmp-build-*")):
        return
    fd = try_index_lock(index_path)
    if fd is not None:
        try:
            remove_stale_temporaries(index_path)
        finally:
            os.close(fd)


def _unwritable(exc: OSError) -> bool:
    return isinstance(exc, ReadOnlyIndex) or exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM)


def _load_if_current(index_path: Path, state: _CorpusState, started: float):
    """(engine, report) when the live build is of this corpus and loads;
    else (None, what was wrong with it or None)."""
    for _attempt in range(3):  # CURRENT may switch while we open the files it names
        if read_fingerprint(index_path) != state.key:
            return None, None
        try:
            engine, report = _load_live(index_path, started, strict=True)
        except IndexLoadError as exc:
            if read_fingerprint(index_path) == state.key:
                return None, str(exc)
            continue
        report.problems[:0] = state.problems
        return (engine, report), None
    return None, None


def _load_live(index_path: Path, started: float, *, strict: bool = False):
    try:
        meta, model, chunks = load_index(index_path)
    except IndexLoadError:
        if strict:
            raise
        return None
    engine = SearchEngine(chunks, Analyzer.from_config(meta["analyzer"]), model)
    # The files' own problems were found when the index was built; say them again.
    report = IndexReport(
        documents=meta["n_documents"] if "n_documents" in meta else len({c.doc_id for c in chunks}),
        chunks=len(chunks),
        tokens=int(model.doc_len.sum()),
        loaded_from_disk=True,
        problems=[Problem(**p) for p in meta.get("problems", [])],
    )
    report.seconds = time.perf_counter() - started
    return engine, report


def _build(state: _CorpusState, index_path: Path | None, progress, workers, started: float, *, force: bool = False):
    step = (lambda stage: lambda done, total: progress(stage, done, total)) if progress else (lambda stage: None)
    limits = Limits.from_env()
    documents_cache = DocumentCache(index_path / DOCUMENT_CACHE, state.digests, limits) if index_path is not None else None
    loaded = read_corpus_files(state.files, step("reading files"), limits=limits, cache=documents_cache)
    problems = state.problems + loaded.problems
    if index_path is not None and not force:
        kept = _keep_previous(index_path, state, loaded, problems, started)
        if kept is not None:
            return kept
    engine, n_tokens = build_engine(
        loaded.documents,
        progress=step("tokenizing"),
        workers=workers,
        cache_dir=index_path / TOKEN_CACHE if index_path is not None else None,
        file_digests=state.digests,
    )
    if index_path is not None and engine.chunks:
        save_index(
            index_path,
            fingerprint=state.key,
            model=engine.model,
            chunks=engine.chunks,
            analyzer=engine.analyzer.config,
            extra={
                "problems": [asdict(p) for p in loaded.problems],
                "n_documents": len(loaded.documents),
                "corpus": [str(Path(p).resolve()) for p in state.paths],
                "files": state.digests,
                "file_stats": {f.relative: [f.path.stat().st_size, f.path.stat().st_mtime_ns] for f in state.files},
                "n_chunks": len(engine.chunks),
                "n_tokens": n_tokens,
            },
        )
        if documents_cache is not None:
            documents_cache.prune()
    report = IndexReport(documents=len(loaded.documents), chunks=len(engine.chunks), tokens=n_tokens, problems=problems)
    report.seconds = time.perf_counter() - started
    return engine, report


def _keep_previous(index_path: Path, state: _CorpusState, loaded, problems: list[Problem], started: float):
    """A build that lost what the saved index had (no documents at all, or a
    file it indexed that now fails to read) must not replace it: serve the
    saved index and say why it was kept."""
    previous = read_meta(index_path)
    if previous is None or not previous.get("n_chunks"):
        return None
    indexed_before = set(previous.get("files") or {})
    read_now = {doc.source_path for doc in loaded.documents}
    lost = sorted(name for name in indexed_before & set(state.digests) if name not in read_now)
    if loaded.documents and not lost:
        return None
    served = _load_live(index_path, started)
    if served is None:
        return None
    why = f"{len(lost)} file(s) it had can no longer be read ({', '.join(lost[:3])})" if lost else "the corpus gave no readable documents"
    served[1].problems[:0] = problems
    served[1].problems.append(Problem(
        str(index_path),
        f"not updated: {why}; the saved index ({previous.get('n_documents', '?')} documents) is kept. "
        "Fix the files, or rebuild with --force to replace it",
    ))
    served[1].kept_previous = True
    return served


def load_token_lists(index_dir: str | Path) -> list[list[str]]:
    """The token lists a saved index was built from, in chunk order (from its
    token cache): what rank_bm25 or bm25s must be given to score the same
    tokens (benchmarks, parity checks). All in memory: for sending a large
    index somewhere, `token_reader` streams them file by file."""
    _, chunks = _chunks_of(index_dir)
    tokens_of = token_reader(index_dir)
    by_file: dict[str, list[int]] = {}
    for index, chunk in enumerate(chunks):
        by_file.setdefault(chunk.source_path, []).append(index)
    token_lists: list[list[str]] = [[] for _ in chunks]
    for source, indices in by_file.items():
        for i, tokens in zip(indices, tokens_of(source, [chunks[i].text for i in indices])):
            token_lists[i] = tokens
    return token_lists


def token_reader(index_dir: str | Path):
    """``tokens_of(source_path, texts)``: an iterator over the token lists of
    one file's chunks, read from the index's token cache as they are used
    (tokenized again where the cache has no valid entry)."""
    index_path = Path(index_dir)
    meta = read_meta(index_path) or {}
    analyzer = Analyzer.from_config(meta["analyzer"]) if "analyzer" in meta else _chunks_of(index_path)[0]
    cache = TokenCache(index_path / TOKEN_CACHE, analyzer)
    digests = meta.get("files") or {}

    def tokens_of(source: str, texts: list[str]):
        lines = cache.open(digests[source], texts) if source in digests else None
        read = 0
        for tokens in lines or ():
            read += 1
            yield tokens
        for text in texts[read:]:  # no entry, or a damaged one that ended early
            yield analyzer.tokenize(text)

    return tokens_of


def _chunks_of(index_dir: str | Path):
    meta, _, chunks = load_index(Path(index_dir))
    return Analyzer.from_config(meta["analyzer"]), chunks
