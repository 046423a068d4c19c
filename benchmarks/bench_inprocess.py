"""Measurements in the benchmark's own process, on the same tokens: ours end
to end, rank_bm25 (in a forked worker) with the score parity check, and
bm25s."""

from __future__ import annotations

import concurrent.futures
import multiprocessing
import time
from pathlib import Path

import numpy as np
from bench_common import (
    PARITY_TOLERANCE,
    TOP_K,
    WARMUP,
    latency_summary,
    proc_status_mb,
    top_indices,
)


def chunk_token_lists(index_dir: Path) -> tuple[list[list[str]], str]:
    """The tokens our index was built from, in chunk order (from its token
    cache), so that the baselines score exactly what ours scores."""
    from retrieval.index.building import load_token_lists

    return shared_strings(load_token_lists(index_dir)), "retrieval.index.building.load_token_lists"


def shared_strings(token_lists: list[list[str]]) -> list[list[str]]:
    """One str object per distinct token. Token lists read back from a file
    hold a new str per occurrence: about 80 bytes × every token of the
    corpus (a gigabyte at 100k chunks), which this process, the forked
    rank_bm25 worker and bm25s would all carry."""
    canonical: dict[str, str] = {}
    intern = canonical.setdefault
    for tokens in token_lists:
        tokens[:] = [intern(t, t) for t in tokens]
    return token_lists


def check_token_lists(engine, token_lists: list[list[str]]) -> dict:
    """The re-made tokens must be the index's: same chunk count, same length
    per chunk, same vocabulary. Otherwise every comparison below is void."""
    model = engine.model
    lengths = np.fromiter(map(len, token_lists), dtype=np.int64, count=len(token_lists))
    same_lengths = len(token_lists) == model.n_docs and np.array_equal(lengths, np.asarray(model.doc_len))
    vocabulary = set().union(*token_lists) if token_lists else set()
    same_vocabulary = vocabulary == model.vocabulary.keys()
    if not (same_lengths and same_vocabulary):
        raise RuntimeError(f"token lists do not match the index (lengths {same_lengths}, vocabulary {same_vocabulary})")
    return {"chunks": len(token_lists), "tokens": int(lengths.sum()), "terms": len(vocabulary)}


def measure_ours(engine, questions: list[str]) -> dict:
    """End to end as the CLI and the bot use it: ask (which tokenizes) and
    render every hit's snippet to JSON. Tokenization alone is timed too,
    since the baselines are given tokens."""
    from retrieval.present.render import answer_to_json

    for question in questions[:WARMUP]:
        answer_to_json(engine.ask(question, top_k=TOP_K))
    ask, end_to_end, statuses = [], [], {}
    slowest = (0.0, "")
    for question in questions:
        started = time.perf_counter()
        answer = engine.ask(question, top_k=TOP_K)
        asked = time.perf_counter()
        answer_to_json(answer)
        end_to_end.append(time.perf_counter() - started)
        ask.append(asked - started)
        # One-time costs (a lazily loaded dictionary) show up as one slow
        # question, not in p50/p99: name it so it can be looked into.
        slowest = max(slowest, (end_to_end[-1], question))
        statuses[answer.status] = statuses.get(answer.status, 0) + 1
    tokenize = []
    for question in questions:
        started = time.perf_counter()
        engine.analyzer.analyze(question)
        tokenize.append(time.perf_counter() - started)
    return {
        "end_to_end": latency_summary(end_to_end),
        "ask_only": latency_summary(ask),
        "tokenize_only": latency_summary(tokenize),
        "statuses": statuses,
        "slowest": {"ms": slowest[0] * 1000, "question": slowest[1]},
    }


_RANK_BM25: dict = {}  # set before forking the rank_bm25 worker


def _rank_bm25_worker() -> dict:
    """In a forked process: rank_bm25 needs gigabytes at scale, and if the
    kernel kills it for that, only this worker dies."""
    from rank_bm25 import BM25Okapi

    state = _RANK_BM25
    rss_before = proc_status_mb("VmRSS")
    started = time.perf_counter()
    okapi = BM25Okapi(state["token_lists"])
    build_s = time.perf_counter() - started
    rss_built = proc_status_mb("VmRSS")

    queries = state["query_tokens"][: state["n_latency"]]
    for tokens in queries[:2]:
        top_indices(okapi.get_scores(tokens))
    latencies = []
    for tokens in queries:
        started = time.perf_counter()
        top_indices(okapi.get_scores(tokens))
        latencies.append(time.perf_counter() - started)

    # Parity: rank_bm25's score of each chunk we returned, for the scores we
    # reported; and over every chunk, our BM25 vector against theirs.
    model = state["model"]
    parity = []
    for case in state["parity_cases"]:
        theirs = okapi.get_scores(case["tokens"])
        ours_all = model.scores(case["tokens"])
        hit_diffs = [abs(score - float(theirs[index])) for index, score in case["hits"]]
        parity.append({
            "question": case["question"],
            "hits": len(case["hits"]),
            "max_hit_diff": max(hit_diffs, default=0.0),
            "max_vector_diff": float(np.max(np.abs(ours_all - theirs))) if theirs.size else 0.0,
            "top10_same_as_plain_bm25": bool(np.array_equal(top_indices(theirs), top_indices(ours_all))),
        })
    return {
        "build_s": build_s,
        "build_rss_mb": rss_built - rss_before,
        "latency": latency_summary(latencies),
        "parity": parity,
    }


def measure_rank_bm25(engine, token_lists, query_tokens, parity_cases, n_latency: int) -> dict:
    _RANK_BM25.update(token_lists=token_lists, query_tokens=query_tokens, parity_cases=parity_cases,
                      model=engine.model, n_latency=n_latency)
    try:
        with concurrent.futures.ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("fork")) as pool:
            result = pool.submit(_rank_bm25_worker).result()
    finally:
        _RANK_BM25.clear()
    result["sampled"] = n_latency < len(query_tokens)
    if not result["parity"]:
        return result  # no parity questions to check (their answers failed): neither PASS nor FAIL
    diffs = [case["max_hit_diff"] for case in result["parity"]]
    result["parity_max_hit_diff"] = max(diffs, default=0.0)
    result["parity_max_vector_diff"] = max((c["max_vector_diff"] for c in result["parity"]), default=0.0)
    result["parity_pass"] = result["parity_max_hit_diff"] <= PARITY_TOLERANCE
    return result


def parity_cases(engine, questions: list[str]) -> list[dict]:
    """Our answers to the parity questions: the tokens we scored, and each
    hit as (chunk position, reported score)."""
    # engine.chunks may be read on demand (a new Chunk per access), so a hit
    # is found by its identity fields, not by object identity.
    key = lambda chunk: (chunk.source_path, chunk.chunk_id)  # noqa: E731
    position = {key(chunk): i for i, chunk in enumerate(engine.chunks)}
    cases = []
    for question in questions:
        answer = engine.ask(question, top_k=TOP_K)
        cases.append({
            "question": question,
            "tokens": answer.tokens,
            "same_tokens_as_tokenize": answer.tokens == engine.analyzer.tokenize(question) or not answer.tokens,
            "hits": [(position[key(hit.chunk)], hit.score) for hit in answer.hits],
        })
    return cases


class _LogCollector:
    """bm25s reports through `logging` and `warnings`; keep what it says."""

    def __init__(self):
        import logging

        self.messages: dict[str, int] = {}
        self._handler = logging.Handler(level=logging.INFO)
        self._handler.emit = lambda record: self._add(f"{record.levelname}: {record.getMessage()}")
        self._logger = logging.getLogger("bm25s")

    def _add(self, message: str) -> None:
        self.messages[message[:200]] = self.messages.get(message[:200], 0) + 1

    def __enter__(self):
        import warnings

        self._logger.addHandler(self._handler)
        self._old_level = self._logger.level
        self._logger.setLevel("INFO")
        self._warnings = warnings.catch_warnings(record=True)
        self._caught = self._warnings.__enter__()
        warnings.simplefilter("always")
        return self

    def __exit__(self, *exc):
        self._warnings.__exit__(*exc)
        for warning in self._caught:
            self._add(f"{warning.category.__name__}: {warning.message}")
        self._logger.removeHandler(self._handler)
        self._logger.setLevel(self._old_level)


def measure_bm25s(token_lists, query_tokens, okapi_tops: list[np.ndarray]) -> dict:
    """bm25s on the same tokens. Variant: tf part 'atire' = (k1+1)·tf/(tf+k1·(1−b+b·dl/avgdl)),
    exactly Okapi's; idf 'robertson' = ln((N−n+½)/(n+½)) clamped at 0, where
    Okapi floors negatives at ε·mean(idf) instead. So scores equal Okapi's
    (in float32) except for terms in more than half the chunks; k1=1.5, b=0.75."""
    import bm25s

    with _LogCollector() as said:
        retriever = bm25s.BM25(k1=1.5, b=0.75, method="atire", idf_method="robertson")
        rss_before = proc_status_mb("VmRSS")
        started = time.perf_counter()
        retriever.index(token_lists, show_progress=False)
        build_s = time.perf_counter() - started
        rss_built = proc_status_mb("VmRSS")
        k = min(TOP_K, len(token_lists))

        for tokens in query_tokens[:WARMUP]:
            retriever.retrieve([tokens], k=k, show_progress=False)
        latencies, overlaps = [], []
        for tokens, okapi_top in zip(query_tokens, okapi_tops):
            started = time.perf_counter()
            documents, _ = retriever.retrieve([tokens], k=k, show_progress=False)
            latencies.append(time.perf_counter() - started)
            overlaps.append(len(set(documents[0].tolist()) & set(okapi_top.tolist())) / k)

        started = time.perf_counter()
        retriever.retrieve(query_tokens, k=k, show_progress=False)
        batch_s = time.perf_counter() - started
    return {
        "variant": "method=atire, idf_method=robertson, k1=1.5, b=0.75, backend=numpy",
        "version": bm25s.__version__,
        "build_s": build_s,
        "build_rss_mb": rss_built - rss_before,
        "latency": latency_summary(latencies),
        "batch_ms_per_query": batch_s * 1000 / max(1, len(query_tokens)),
        "top10_overlap_with_okapi": float(np.mean(overlaps)) if overlaps else None,
        "messages": said.messages,
    }
