"""Chunks → token lists, on every core, reusing what an earlier build cached.

jieba is the cost of indexing (about 1 ms per paragraph on one core), so a
large corpus is tokenized by a pool of forked workers that share the parent's
loaded dictionary, and the token lists are kept per source file
(`retrieval.token_cache`): adding one file to a large corpus tokenizes only
that file.
"""

from __future__ import annotations

import multiprocessing
import os
from collections import defaultdict
from collections.abc import Callable

from retrieval.analyzer import Analyzer
from retrieval.chunking import Chunk
from retrieval.token_cache import SEPARATOR, TokenCache

# Below this many chunks a pool costs more than it saves.
PARALLEL_FROM = 2000
BATCH = 500

_worker_analyzer: Analyzer | None = None


def default_workers() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def tokenize_chunks(
    analyzer: Analyzer,
    chunks: list[Chunk],
    *,
    workers: int | None = None,
    cache: TokenCache | None = None,
    file_digests: dict[str, str] | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> list[list[str]]:
    """Token lists in chunk order; ``file_digests`` maps a chunk's
    ``source_path`` to its file's content hash, which keys the cache."""
    token_lists: list[list[str] | None] = [None] * len(chunks)
    by_file: dict[str, list[int]] = defaultdict(list)
    for index, chunk in enumerate(chunks):
        by_file[chunk.source_path].append(index)

    todo: list[int] = []
    fresh: set[str] = set()  # files tokenized now, or cached under an older term set
    for source, indices in by_file.items():
        digest = (file_digests or {}).get(source)
        cached = cache.lookup(digest, [chunks[i].text for i in indices]) if cache and digest else None
        if cached is None:
            todo.extend(indices)
            fresh.add(source)
        else:
            for i, tokens in zip(indices, cached):
                token_lists[i] = tokens
    done = len(chunks) - len(todo)
    if progress and done:
        progress(done, len(chunks))

    texts = [chunks[i].text for i in todo]
    for start, batch in _tokenize(analyzer, texts, workers or default_workers()):
        for offset, tokens in enumerate(batch):
            token_lists[todo[start + offset]] = tokens
        done += len(batch)
        if progress:
            progress(done, len(chunks))

    if cache and file_digests:
        for source, indices in by_file.items():
            digest = file_digests.get(source)
            if digest and (source in fresh or digest in cache.stale):
                cache.store(digest, [token_lists[i] for i in indices])
        cache.prune()
    return token_lists  # type: ignore[return-value]


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
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            for (start, _), joined in zip(batches, pool.imap(_tokenize_batch, [b for _, b in batches])):
                yield start, [line.split(SEPARATOR) if line else [] for line in joined]
    finally:
        _worker_analyzer = None


def _tokenize_batch(texts: list[str]) -> list[str]:
    # One string per chunk: far cheaper to send back than lists of strings.
    return [SEPARATOR.join(_worker_analyzer.tokenize(text)) for text in texts]
