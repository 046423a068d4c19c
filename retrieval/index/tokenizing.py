"""Chunks → token lists, on every core, reusing what an earlier build cached.

jieba is the cost of indexing (about 1 ms per paragraph on one core), so a
large corpus is tokenized by a pool of forked workers that share the parent's
loaded dictionary, and the token lists are kept per source file
(`retrieval.index.token_cache`): adding one file to a large corpus tokenizes only
that file.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
from collections import defaultdict
from collections.abc import Callable

from retrieval.index.analyzer import Analyzer
from retrieval.chunking.chunks import Chunk
from retrieval.index.token_cache import SEPARATOR, TokenCache

# Below this many chunks a pool costs more than it saves.
PARALLEL_FROM = 2000
BATCH = 500

_worker_analyzer: Analyzer | None = None


def default_workers() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def tokenize_chunks(analyzer: Analyzer, chunks: list[Chunk], **options) -> list[list[str]]:
    """Token lists in chunk order (see ``stream_tokens`` for the options)."""
    token_lists: list[list[str]] = [[] for _ in chunks]
    for index, tokens in stream_tokens(analyzer, chunks, **options):
        token_lists[index] = tokens
    return token_lists


def stream_tokens(
    analyzer: Analyzer,
    chunks: list[Chunk],
    *,
    workers: int | None = None,
    cache: TokenCache | None = None,
    file_digests: dict[str, str] | None = None,
    progress: Callable[[int, int], None] | None = None,
):
    """(chunk index, tokens) for every chunk, cached files first; nothing is
    kept, so a large corpus's tokens never sit in memory all at once.
    ``file_digests`` maps a chunk's ``source_path`` to its file's content
    hash, which keys the cache; new tokens are written to it as they come."""
    by_file: dict[str, list[int]] = defaultdict(list)
    for index, chunk in enumerate(chunks):
        by_file[chunk.source_path].append(index)
    digests = (file_digests or {}) if cache else {}

    done = 0
    todo: list[int] = []
    for source, indices in by_file.items():
        digest = digests.get(source)
        cached = cache.open(digest, [chunks[i].text for i in indices]) if digest else None
        if cached is None:
            todo.extend(indices)
            continue
        # Recorded under an older term set but still exact: record it again.
        again = cache.writer(digest, len(indices)) if digest in cache.stale else None
        read = 0
        for index, tokens in zip(indices, cached):
            read += 1
            if again:
                again.write(tokens)
            yield index, tokens
        todo.extend(indices[read:])  # a damaged entry ended early
        done += read
        if progress:
            progress(done, len(chunks))

    writers: dict[str, object] = {}
    texts = [chunks[i].text for i in todo]
    for start, batch in _tokenize(analyzer, texts, workers or default_workers()):
        for offset, tokens in enumerate(batch):
            index = todo[start + offset]
            source = chunks[index].source_path
            if source in digests:
                if source not in writers:
                    writers[source] = cache.writer(digests[source], len(by_file[source]))
                writers[source].write(tokens)
            yield index, tokens
        done += len(batch)
        if progress:
            progress(done, len(chunks))
    if cache:
        cache.prune()


def _tokenize(analyzer: Analyzer, texts: list[str], workers: int):
    """(offset, token lists) per batch, in order."""
    batches = [(start, texts[start : start + BATCH]) for start in range(0, len(texts), BATCH)]
    if workers <= 1 or len(texts) < PARALLEL_FROM or "fork" not in multiprocessing.get_all_start_methods():
        for start, batch in batches:
            yield start, [analyzer.tokenize(text) for text in batch]
        return
    global _worker_analyzer
    analyzer.tokenize("预热")  # load the dictionary once, before the fork shares it
    _worker_analyzer = analyzer
    try:
        with multiprocessing.get_context("fork").Pool(workers, initializer=_ignore_interrupts) as pool:
            for (start, _), joined in zip(batches, pool.imap(_tokenize_batch, [b for _, b in batches])):
                yield start, [line.split(SEPARATOR) if line else [] for line in joined]
    finally:
        _worker_analyzer = None


def _ignore_interrupts() -> None:
    # Ctrl-C reaches the whole process group: the parent stops the pool and
    # says so once, instead of every worker printing a traceback.
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _tokenize_batch(texts: list[str]) -> list[str]:
    # One string per chunk: far cheaper to send back than lists of strings.
    return [SEPARATOR.join(_worker_analyzer.tokenize(text)) for text in texts]
