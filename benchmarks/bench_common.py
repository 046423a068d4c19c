"""Shared by the benchmark's modules: sizes and counts, logging, latency
summaries, and the step runner that records a failure and goes on."""

from __future__ import annotations

import sys
import time
import traceback
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path[:0] = [str(HERE), str(REPO)]  # synthetic_corpus, and retrieval from this checkout

TOP_K = 10
WARMUP = 5
PARITY_QUESTIONS = 20
PARITY_TOLERANCE = 1e-9
SERVING_QUESTIONS = 200
STARTUP_RUNS = 3  # fresh processes per start-up measurement; the median is reported
SAMPLED_QUESTIONS = 20  # rank_bm25 above --skip-rank-bm25-above
MB = 1e6  # every size below, files and RSS alike, is in 10^6 bytes
KIB_PER_MB = MB / 1024  # ru_maxrss and /proc report KiB


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def attempt(results: dict, name: str, function, *args, **kwargs):
    """Run one measurement; a failure is recorded under ``name`` and the run
    goes on, so one broken system does not cost the numbers of the others."""
    log(f"{name} …")
    started = time.perf_counter()
    try:
        value = function(*args, **kwargs)
    except BaseException as exc:  # noqa: BLE001 - a benchmark reports, it does not crash
        if isinstance(exc, KeyboardInterrupt):
            raise
        detail = "".join(traceback.format_exception_only(type(exc), exc)).strip()
        log(f"{name} FAILED: {detail}")
        traceback.print_exc(file=sys.stderr)
        value = {"error": detail}
    results[name] = value
    log(f"{name} done in {time.perf_counter() - started:.1f} s")
    return value


def proc_status_mb(field: str) -> float:
    """VmRSS / VmHWM of this process in MB (no psutil needed)."""
    with open("/proc/self/status") as handle:
        for line in handle:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / KIB_PER_MB
    return float("nan")


def latency_summary(seconds: list[float]) -> dict:
    ms = np.asarray(seconds) * 1000
    return {
        "n": int(ms.size),
        "p50_ms": float(np.percentile(ms, 50)),
        "p90_ms": float(np.percentile(ms, 90)),
        "p99_ms": float(np.percentile(ms, 99)),
        "mean_ms": float(ms.mean()),
        "max_ms": float(ms.max()),
    }


def top_indices(scores: np.ndarray, k: int = TOP_K) -> np.ndarray:
    """The k best, best first: a partial sort, as a caller of a library would write it."""
    k = min(k, scores.shape[0])
    top = np.argpartition(-scores, k - 1)[:k]
    return top[np.argsort(-scores[top], kind="stable")]
