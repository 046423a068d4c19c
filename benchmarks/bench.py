"""Speed, memory and score parity of our BM25 retrieval against rank_bm25 and bm25s.

    .venv/bin/python benchmarks/bench.py --chunks 10000 --chunks 100000 --json bench.json

For each corpus size N this measures:

  build       `python -m retrieval index --force` into an empty folder, in a
              fresh process: wall time, MB/s of corpus file, peak RSS, index
              size on disk. Then `index` without --force on the unchanged
              corpus (a hash check), `index --force` again (its token cache
              warm), and, up to --skip-workers-above chunks, `--workers 1`
              from an empty folder again (the parallel speed-up).
  start-up    a fresh `python -m retrieval ask --index DIR --json Q` from exec to
              exit; and inside a fresh process: imports, open_engine(None, DIR),
              the first ask (+ JSON rendering).
  latency     in this process, the same questions and the same tokens:
                ours       engine.ask(q, top_k=10) + answer_to_json (tokenizing
                           the question, BM25, second stage, snippets, JSON);
                rank_bm25  BM25Okapi.get_scores(tokens) + top 10 by argpartition;
                bm25s      BM25.retrieve([tokens], k=10), one query at a time,
                           and the whole batch in one call.
              The two libraries get pre-tokenized questions: their numbers
              EXCLUDE tokenization, ours includes it (also reported alone).
  parity      for 20 questions, each of our hits' score against
              BM25Okapi.get_scores for that chunk, |Δ| ≤ 1e-9.
  serving     peak RSS of a fresh process that loads the index and answers 200
              questions with JSON rendering.

The corpus is --corpus FILE.jsonl cut to N lines, or a synthetic one made by
benchmarks/synthetic_corpus.py (cached in --workdir); the questions are real
ones from the shared QA sets. Progress goes to stderr, tables to stdout.

Timing is wall-clock on a shared 2-core machine: expect noise of ±10-20 %
(the load average before and after each size is recorded to judge it).
MB are 10^6 bytes throughout, RSS included. Peak RSS of a child is its
ru_maxrss from wait4 (the largest single process of its tree); a parallel
build's summed tree RSS is sampled at 10 Hz besides.

Needs rank_bm25 (a dependency) and bm25s (not one: pip install bm25s).
"""

from __future__ import annotations

import argparse
import concurrent.futures
import hashlib
import json
import multiprocessing
import os
import pickle
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from dataclasses import dataclass
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


# ---------------------------------------------------------------- processes


@dataclass
class ChildRun:
    argv: list[str]
    returncode: int
    wall_s: float
    max_rss_mb: float  # ru_maxrss of this child (the largest single process of its tree)
    tree_rss_mb: float | None  # peak of the summed RSS of the child and its descendants, sampled
    stdout: str
    stderr: str

    def check(self) -> "ChildRun":
        if self.returncode != 0:
            tail = "\n".join(self.stderr.strip().splitlines()[-5:])
            raise RuntimeError(f"{' '.join(self.argv[1:4])}… exited {self.returncode}: {tail}")
        return self


def _child_env() -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    return env


class TreeRssSampler:
    """Peak of the summed RSS of a process and its descendants, polled.

    ru_maxrss (from wait4) is the largest *single* process of a tree; a
    parallel build's footprint is the sum over its workers, which only
    polling can see. Shared (copy-on-write) pages count once per process,
    so this overstates a forked pool a little."""

    def __init__(self, pid: int, interval: float = 0.1):
        self.pid, self.interval, self.peak_kb = pid, interval, 0
        self._stop = threading.Event()
        self._page_kb = os.sysconf("SC_PAGE_SIZE") // 1024
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _tree(self) -> list[int]:
        children: dict[int, list[int]] = {}
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                with open(f"/proc/{entry}/stat", "rb") as handle:
                    stat = handle.read()
            except OSError:
                continue
            ppid = int(stat[stat.rindex(b")") + 2 :].split()[1])
            children.setdefault(ppid, []).append(int(entry))
        tree, todo = [], [self.pid]
        while todo:
            pid = todo.pop()
            tree.append(pid)
            todo.extend(children.get(pid, []))
        return tree

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            total = 0
            for pid in self._tree():
                try:
                    with open(f"/proc/{pid}/statm") as handle:
                        total += int(handle.read().split()[1]) * self._page_kb
                except (OSError, ValueError, IndexError):
                    pass
            self.peak_kb = max(self.peak_kb, total)

    def stop(self) -> float:
        self._stop.set()
        self._thread.join()
        return self.peak_kb / KIB_PER_MB


def run_child(argv: list[str], *, sample_tree: bool = False, timeout: float = 3600) -> ChildRun:
    """Run ``argv`` in a fresh process and reap it with os.wait4, which gives
    that child's own rusage (RUSAGE_CHILDREN would be a max over every child
    this benchmark ever ran)."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        proc = subprocess.Popen(argv, cwd=REPO, env=_child_env(), stdin=subprocess.DEVNULL, stdout=out, stderr=err)
        sampler = TreeRssSampler(proc.pid) if sample_tree else None
        killer = threading.Timer(timeout, proc.kill)
        killer.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        finally:
            killer.cancel()
        wall = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)  # reaped here, so Popen must not wait again
        tree = sampler.stop() if sampler else None
        out.seek(0)
        err.seek(0)
        return ChildRun(
            argv=argv,
            returncode=proc.returncode,
            wall_s=wall,
            max_rss_mb=usage.ru_maxrss / KIB_PER_MB,  # KiB on Linux
            tree_rss_mb=tree,
            stdout=out.read().decode("utf-8", "replace"),
            stderr=err.read().decode("utf-8", "replace"),
        )


def retrieval_cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "retrieval", *args]


def bench_child(*args: str) -> list[str]:
    """This file in child mode (see ``child_main``)."""
    return [sys.executable, str(Path(__file__).resolve()), "_child", *args]


def proc_status_mb(field: str) -> float:
    """VmRSS / VmHWM of this process in MB (no psutil needed)."""
    with open("/proc/self/status") as handle:
        for line in handle:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / KIB_PER_MB
    return float("nan")


# ---------------------------------------------------------------- inputs


def prepare_corpus(n: int, args) -> Path:
    """The corpus file for size ``n``: --corpus cut to n lines, or a cached synthetic one."""
    workdir: Path = args.workdir
    if args.corpus:
        target = workdir / f"{args.corpus.stem}-{n}.jsonl"
        if not target.exists() or target.stat().st_mtime < args.corpus.stat().st_mtime:
            tmp = target.with_name(f".{target.name}.tmp")
            written = 0
            with args.corpus.open("rb") as source, tmp.open("wb") as out:
                for line in source:
                    if written == n:
                        break
                    if line.strip():
                        out.write(line if line.endswith(b"\n") else line + b"\n")
                        written += 1
            os.replace(tmp, target)
            if written < n:
                log(f"warning: {args.corpus} has only {written} lines, fewer than {n}")
        return target
    import synthetic_corpus

    target = workdir / f"synthetic-{n}-seed{args.seed}.jsonl"
    if not target.exists():
        log(f"generating {n} synthetic chunks → {target}")
        synthetic_corpus.write_corpus(target, n, args.seed)
    return target


def load_questions(args) -> list[str]:
    """Real questions from the shared QA sets (or --questions-file); enough
    for the latency run and the serving run."""
    wanted = max(args.queries, SERVING_QUESTIONS)
    if args.questions_file:
        lines = [q.strip() for q in args.questions_file.read_text(encoding="utf-8").splitlines() if q.strip()]
        return lines[:wanted]
    import synthetic_corpus

    return synthetic_corpus.questions(wanted)


def count_lines(path: Path) -> int:
    with path.open("rb") as handle:
        return sum(1 for line in handle if line.strip())


def dir_size_mb(path: Path) -> float:
    """Bytes on disk (allocated blocks), like du."""
    total = 0
    for root, _, files in os.walk(path):
        for name in files:
            try:
                total += os.lstat(os.path.join(root, name)).st_blocks * 512
            except OSError:
                pass
    return total / MB


def live_build_digest(index_dir: Path) -> str:
    """One hash of every file of the live build, to tell whether two builds
    (e.g. --workers 1 and the default) wrote the same index."""
    build = index_dir / (index_dir / "CURRENT").read_text().strip()
    digest = hashlib.sha256()
    for path in sorted(build.rglob("*")):
        if path.is_file():
            digest.update(path.relative_to(build).as_posix().encode() + b"\0")
            digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()[:16]


# ---------------------------------------------------------------- build


# "index built: …", and for an unchanged corpus "index unchanged: …" (or,
# from older CLIs that loaded the index to count it, "unchanged, loaded").
_INDEX_LINE = re.compile(r"index (built|unchanged(?:, loaded)?): (\d+) documents, (\d+) chunks, (\d+) tokens, ([\d.]+) s")


def _index_run(corpus: Path, index_dir: Path, *extra: str) -> dict:
    run = run_child(retrieval_cli("index", "--corpus", str(corpus), "--index", str(index_dir), *extra),
                    sample_tree=True).check()
    match = _INDEX_LINE.search(run.stdout)
    if not match:
        raise RuntimeError(f"unexpected output of index: {run.stdout.strip()[:200]!r}")
    size = corpus.stat().st_size
    return {
        "how": match.group(1),
        "documents": int(match.group(2)),
        "chunks": int(match.group(3)),
        "tokens": int(match.group(4)),
        "reported_s": float(match.group(5)),  # open_engine's own time, without interpreter start-up and imports
        "wall_s": run.wall_s,
        "mb_per_s": size / MB / run.wall_s,
        "peak_rss_mb": run.max_rss_mb,
        "tree_peak_rss_mb": run.tree_rss_mb,
    }


def fresh_index_dir(index_dir: Path) -> None:
    """Remove the index folder: `index --force` reuses the token cache kept
    beside the builds (DIR/token-cache), so only an empty folder measures a
    build from scratch."""
    shutil.rmtree(index_dir, ignore_errors=True)


def measure_build(corpus: Path, index_dir: Path) -> dict:
    """A build from scratch (empty index folder) in a fresh process."""
    fresh_index_dir(index_dir)
    result = _index_run(corpus, index_dir, "--force")
    result["corpus_mb"] = corpus.stat().st_size / MB
    # The live build is what serving needs; the token cache (if any) only
    # speeds up later rebuilds, so it is reported apart.
    result["index_dir_mb"] = dir_size_mb(index_dir)
    result["index_mb"] = dir_size_mb(index_dir / (index_dir / "CURRENT").read_text().strip())
    result["token_cache_mb"] = dir_size_mb(index_dir / "token-cache")
    result["digest"] = live_build_digest(index_dir)
    return result


def measure_reindex(corpus: Path, index_dir: Path) -> dict:
    """`index` again on the unchanged corpus: should find the fingerprint
    unchanged and not rebuild: the corpus hash check (plus interpreter
    start-up and imports)."""
    result = _index_run(corpus, index_dir)
    if not result["how"].startswith("unchanged"):
        raise RuntimeError(f"second index run rebuilt instead of reusing the index ({result['how']})")
    return result


def measure_rebuild_cached(corpus: Path, index_dir: Path) -> dict:
    """`index --force` over an index whose token cache is warm: what a
    rebuild costs when jieba need not run again (BM25 matrix, save)."""
    result = _index_run(corpus, index_dir, "--force")
    result["digest"] = live_build_digest(index_dir)
    return result


def cli_has_workers() -> bool:
    run = run_child(retrieval_cli("index", "--help")).check()
    return "--workers" in run.stdout


def measure_workers(corpus: Path, index_dir: Path, default_build: dict) -> dict:
    """--workers 1 against the default build: the parallel speed-up (the
    ratio of the default's throughput to one worker's), and whether both
    wrote the same index. From scratch too, so that no cached token helps."""
    fresh_index_dir(index_dir)
    single = _index_run(corpus, index_dir, "--force", "--workers", "1")
    single["digest"] = live_build_digest(index_dir)
    single["speedup"] = default_build["mb_per_s"] and default_build["mb_per_s"] / single["mb_per_s"]
    single["same_index_as_default"] = single["digest"] == default_build.get("digest")
    return single


# ---------------------------------------------------------------- start-up and serving (fresh processes)


def measure_startup(index_dir: Path, question: str) -> dict:
    """Start-up as a user meets it: the CLI from exec to exit; and, inside a
    fresh process, where the time goes (imports, open_engine, first ask)."""
    cli_runs = [run_child(retrieval_cli("ask", "--index", str(index_dir), "--json", question)).check()
                for _ in range(STARTUP_RUNS)]
    for run in cli_runs:
        json.loads(run.stdout.splitlines()[0])  # it answered with JSON
    inner = [json.loads(run_child(bench_child("startup", str(index_dir), question)).check().stdout)
             for _ in range(STARTUP_RUNS)]
    median = lambda key: statistics.median(r[key] for r in inner)  # noqa: E731
    return {
        "cli_ask_s": statistics.median(r.wall_s for r in cli_runs),
        "cli_ask_min_s": min(r.wall_s for r in cli_runs),
        "cli_ask_peak_rss_mb": max(r.max_rss_mb for r in cli_runs),
        "import_s": median("import_s"),
        "open_engine_s": median("open_engine_s"),
        "load_index_s": median("load_index_s"),
        "first_ask_s": median("first_ask_s"),
        "second_ask_s": median("second_ask_s"),
        "runs": STARTUP_RUNS,
    }


def measure_serving(index_dir: Path, questions_file: Path) -> dict:
    """Peak RSS of a process that loads the index and answers 200 questions."""
    run = run_child(bench_child("serve", str(index_dir), str(questions_file), str(SERVING_QUESTIONS))).check()
    inner = json.loads(run.stdout)
    return {**inner, "peak_rss_mb": run.max_rss_mb, "wall_s": run.wall_s}


def child_main(argv: list[str]) -> int:
    """What the fresh processes run; prints one JSON object."""
    mode, index_dir = argv[0], Path(argv[1])
    started = time.perf_counter()
    from retrieval.indexing import open_engine
    from retrieval.render import answer_to_json
    from retrieval.store import load_index

    imported = time.perf_counter()
    engine, report = open_engine(None, index_dir)
    opened = time.perf_counter()
    if not report.loaded_from_disk:
        raise SystemExit(f"open_engine rebuilt the index instead of loading {index_dir}")
    if mode == "startup":
        question = argv[2]
        answer_to_json(engine.ask(question, top_k=5))  # the CLI's default top-k
        first = time.perf_counter()
        answer_to_json(engine.ask(question, top_k=5))
        second = time.perf_counter()
        # load_index alone, again (page cache and Python warm): open_engine
        # minus this is roughly the corpus hash check that keeps it fresh.
        load_index(index_dir)
        loaded = time.perf_counter()
        print(json.dumps({
            "import_s": imported - started,
            "open_engine_s": opened - imported,
            "first_ask_s": first - opened,
            "second_ask_s": second - first,
            "load_index_s": loaded - second,
        }))
    elif mode == "serve":
        questions = Path(argv[2]).read_text(encoding="utf-8").splitlines()[: int(argv[3])]
        rss_loaded = proc_status_mb("VmRSS")
        rss_first = None
        for question in questions:
            answer_to_json(engine.ask(question, top_k=TOP_K))
            rss_first = rss_first or proc_status_mb("VmRSS")  # jieba's dictionary loads on the first question
        print(json.dumps({
            "questions": len(questions),
            "rss_after_load_mb": rss_loaded,
            "rss_after_first_question_mb": rss_first,
            "rss_after_questions_mb": proc_status_mb("VmRSS"),
            "vm_hwm_mb": proc_status_mb("VmHWM"),
            "open_engine_s": opened - imported,
            "answer_s": time.perf_counter() - opened,
        }))
    else:
        raise SystemExit(f"unknown child mode {mode}")
    return 0


# ---------------------------------------------------------------- tokens


_TOKENIZE: dict = {}  # set before forking a pool; read by the workers


def _tokenize_range(bounds: tuple[int, int]) -> list[list[str]]:
    analyzer, chunks = _TOKENIZE["analyzer"], _TOKENIZE["chunks"]
    return [analyzer.tokenize(chunks[i].text) for i in range(*bounds)]


def chunk_token_lists(engine, index_dir: Path, workdir: Path) -> tuple[list[list[str]], str]:
    """The tokens our index was built from, in chunk order, so that the
    baselines score exactly what ours scores. From the index's own token
    cache when retrieval offers it; else re-tokenized with the index's
    analyzer (slow: about a millisecond a chunk, so forked over the cores
    and cached in the workdir by index fingerprint)."""
    from retrieval import indexing
    from retrieval.store import read_fingerprint

    if hasattr(indexing, "load_token_lists"):
        return shared_strings(indexing.load_token_lists(index_dir)), "retrieval.indexing.load_token_lists"
    cache = workdir / f"tokens-{read_fingerprint(index_dir)}.pickle"
    if cache.exists():
        with cache.open("rb") as handle:
            return shared_strings(pickle.load(handle)), f"re-tokenized with the index's analyzer (cached: {cache.name})"
    engine.analyzer.tokenize("预热")  # load jieba's dictionary once, before the fork
    _TOKENIZE.update(analyzer=engine.analyzer, chunks=engine.chunks)
    step = 1000
    ranges = [(i, min(i + step, len(engine.chunks))) for i in range(0, len(engine.chunks), step)]
    try:
        with multiprocessing.get_context("fork").Pool(os.cpu_count() or 1) as pool:
            token_lists = [tokens for part in pool.map(_tokenize_range, ranges) for tokens in part]
    finally:
        _TOKENIZE.clear()
    tmp = cache.with_name(f".{cache.name}.tmp")
    with tmp.open("wb") as handle:
        pickle.dump(token_lists, handle, protocol=pickle.HIGHEST_PROTOCOL)
    os.replace(tmp, cache)
    return shared_strings(token_lists), "re-tokenized with the index's analyzer (Analyzer.from_config(meta['analyzer']))"


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


# ---------------------------------------------------------------- latency (this process)


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


def measure_ours(engine, questions: list[str]) -> dict:
    """End to end as the CLI and the bot use it: ask (which tokenizes) and
    render every hit's snippet to JSON. Tokenization alone is timed too,
    since the baselines are given tokens."""
    from retrieval.render import answer_to_json

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


# ---------------------------------------------------------------- one size


def bench_size(n: int, args, questions: list[str], questions_file: Path) -> dict:
    """Every measurement for one corpus size; what fails is recorded, and
    what did not depend on it still runs."""
    result: dict = {"requested_chunks": n, "loadavg_before": os.getloadavg()}
    try:
        corpus = prepare_corpus(n, args)
        result["corpus"] = {"path": str(corpus), "lines": count_lines(corpus), "mb": corpus.stat().st_size / MB}
        index_dir = args.workdir / f"index-{corpus.stem}"
        build = attempt(result, "build", measure_build, corpus, index_dir)
        if "error" not in build:  # nothing else can run without an index
            fresh_process_measurements(result, corpus, index_dir, build, questions, questions_file, args)
            in_process_measurements(result, index_dir, questions[: args.queries], args)
    except Exception as exc:  # noqa: BLE001 - keep what was measured, and the other sizes
        traceback.print_exc(file=sys.stderr)
        result["error"] = f"{type(exc).__name__}: {exc}"
    result["loadavg_after"] = os.getloadavg()
    result["bench_process_peak_rss_mb"] = proc_status_mb("VmHWM")  # cumulative over the sizes run so far
    return result


def fresh_process_measurements(result, corpus, index_dir, build, questions, questions_file, args) -> None:
    attempt(result, "reindex_unchanged", measure_reindex, corpus, index_dir)
    attempt(result, "rebuild_cached", measure_rebuild_cached, corpus, index_dir)
    if build.get("chunks", 0) > args.skip_workers_above:
        result["workers_1"] = {"skipped": f"more than --skip-workers-above {args.skip_workers_above} chunks"}
    elif cli_has_workers():
        attempt(result, "workers_1", measure_workers, corpus, index_dir, build)
    else:
        result["workers_1"] = {"skipped": "`index --help` has no --workers option"}
    attempt(result, "startup", measure_startup, index_dir, questions[0])
    attempt(result, "serving", measure_serving, index_dir, questions_file)


def in_process_measurements(result: dict, index_dir: Path, asked: list[str], args) -> None:
    """Ours, rank_bm25 and bm25s in this process, on the same tokens."""
    from retrieval.indexing import open_engine

    engine, report = open_engine(None, index_dir)
    if not report.loaded_from_disk:
        raise RuntimeError("open_engine rebuilt the index instead of loading it")
    attempt(result, "ours", measure_ours, engine, asked)

    tokens = attempt(result, "token_lists", lambda: chunk_token_lists(engine, index_dir, args.workdir))
    if isinstance(tokens, dict):  # failed: the baselines have nothing to index
        return
    token_lists, source = tokens
    result["token_lists"] = {"source": source}
    if "error" in attempt(result, "token_check", check_token_lists, engine, token_lists):
        return  # other tokens than ours: every comparison would be void

    # What ours scores for a question is analyzer.tokenize(question); the
    # baselines get exactly that, already made.
    query_tokens = [engine.analyzer.tokenize(q) for q in asked]
    cases = attempt(result, "parity_cases", parity_cases, engine, asked[:PARITY_QUESTIONS])
    if isinstance(cases, list):
        result["query_tokens_match_ask"] = all(c["same_tokens_as_tokenize"] for c in cases)
        result["parity_cases"] = {"questions": len(cases)}  # the cases themselves stay out of the JSON
    else:
        cases = []

    n_chunks = len(token_lists)
    sampled = n_chunks > args.skip_rank_bm25_above
    n_latency = SAMPLED_QUESTIONS if sampled else len(query_tokens)
    rank = attempt(result, "rank_bm25", measure_rank_bm25, engine, token_lists, query_tokens, cases, n_latency)
    if sampled and "error" not in rank:
        rank["note"] = (f"{n_chunks} chunks > --skip-rank-bm25-above {args.skip_rank_bm25_above}: "
                        f"{SAMPLED_QUESTIONS} questions only")

    okapi_tops = [top_indices(engine.model.scores(t)) for t in query_tokens]  # plain BM25 ranking, no second stage
    attempt(result, "bm25s", measure_bm25s, token_lists, query_tokens, okapi_tops)


# ---------------------------------------------------------------- report


def _get(d: dict, *path, default=None):
    for key in path:
        if not isinstance(d, dict) or key not in d:
            return default
        d = d[key]
    return d


def _fmt(value, spec: str = ".2f", suffix: str = "") -> str:
    if value is None:
        return "—"
    if isinstance(value, str):
        return value
    return f"{value:{spec}}{suffix}"


def _error(result: dict, name: str) -> str | None:
    value = result.get(name)
    if isinstance(value, dict) and "error" in value:
        return f"FAILED: {value['error'][:70]}"
    if isinstance(value, dict) and "skipped" in value:
        return f"skipped: {value['skipped']}"
    return None


def ratios(result: dict) -> dict:
    ours = _get(result, "ours", "end_to_end", "p50_ms")
    rank = _get(result, "rank_bm25", "latency", "p50_ms")
    bm25s_p50 = _get(result, "bm25s", "latency", "p50_ms")
    return {
        "rank_bm25_over_ours": rank / ours if rank and ours else None,
        "ours_over_bm25s": ours / bm25s_p50 if ours and bm25s_p50 else None,
    }


def parity_text(result: dict) -> str:
    rank = result.get("rank_bm25") or {}
    if "parity_pass" not in rank:
        return _error(result, "rank_bm25") or "n/a (rank_bm25 not built)"
    verdict = "PASS" if rank["parity_pass"] else "FAIL"
    return (f"{verdict}  max |Δ| hits {rank['parity_max_hit_diff']:.1e}, "
            f"all chunks {rank['parity_max_vector_diff']:.1e} ({len(rank['parity'])} questions)")


def print_size_table(result: dict) -> None:
    n = result["requested_chunks"]
    build = result.get("build") or {}
    rows: list[tuple[str, str]] = []

    def row(label: str, value: str) -> None:
        rows.append((label, value))

    corpus = result.get("corpus", {})
    row("corpus", f"{corpus.get('lines')} lines, {_fmt(corpus.get('mb'), '.1f')} MB  ({corpus.get('path')})")
    if _error(result, "build"):
        row("index build", _error(result, "build"))
    else:
        row("index build (--force)", f"{build['wall_s']:.1f} s wall ({build['reported_s']:.1f} s in open_engine), "
            f"{build['mb_per_s']:.2f} MB/s, peak RSS {build['peak_rss_mb']:.0f} MB")
        row("index", f"{build['chunks']} chunks, {build['tokens']} tokens; on disk {build['index_mb']:.1f} MB "
            f"live build + {build['token_cache_mb']:.1f} MB token cache = {build['index_dir_mb']:.1f} MB")
    workers = result.get("workers_1") or {}
    row("build --workers 1", _error(result, "workers_1") or (
        f"{workers['wall_s']:.1f} s, {workers['mb_per_s']:.2f} MB/s → default is {workers['speedup']:.2f}× "
        f"(same index: {'yes' if workers['same_index_as_default'] else 'NO'}; default tree RSS "
        f"{_fmt(build.get('tree_peak_rss_mb'), '.0f')} MB)"))
    cached = result.get("rebuild_cached") or {}
    row("rebuild --force, tokens cached", _error(result, "rebuild_cached") or (
        f"{cached['wall_s']:.1f} s wall, {cached['mb_per_s']:.2f} MB/s "
        f"(same index: {'yes' if cached['digest'] == build.get('digest') else 'NO'})"))
    reindex = result.get("reindex_unchanged") or {}
    row("re-index, unchanged", _error(result, "reindex_unchanged") or
        f"{reindex['wall_s']:.2f} s wall ({reindex['reported_s']:.2f} s reported by the CLI: {reindex['how']})")
    start = result.get("startup") or {}
    row("start-up: CLI ask --json", _error(result, "startup") or
        f"{start['cli_ask_s']:.2f} s exec→exit (median of {start['runs']}, min {start['cli_ask_min_s']:.2f})")
    if not _error(result, "startup"):
        row("start-up: in process", f"imports {start['import_s']:.2f} s, open_engine {start['open_engine_s']:.2f} s "
            f"(load_index alone {start['load_index_s']:.2f} s), first ask {start['first_ask_s'] * 1000:.0f} ms, "
            f"second {start['second_ask_s'] * 1000:.0f} ms")
    serving = result.get("serving") or {}
    row("peak RSS serving", _error(result, "serving") or
        f"{serving['peak_rss_mb']:.0f} MB after {serving['questions']} questions "
        f"(RSS after load {serving['rss_after_load_mb']:.0f} MB, after the first question "
        f"{_fmt(serving.get('rss_after_first_question_mb'), '.0f')} MB)")
    ours = result.get("ours") or {}
    if _error(result, "ours"):
        row("ours", _error(result, "ours"))
    else:
        for key, label in (("end_to_end", "ours: ask + JSON"), ("ask_only", "ours: ask only"),
                           ("tokenize_only", "ours: tokenize only")):
            lat = ours[key]
            row(label, f"p50 {lat['p50_ms']:.2f} ms, p90 {lat['p90_ms']:.2f}, p99 {lat['p99_ms']:.2f}, "
                f"max {lat['max_ms']:.1f}  (n={lat['n']})")
        row("ours: answer statuses", ", ".join(f"{k} {v}" for k, v in sorted(ours["statuses"].items())))
        row("ours: slowest question", f"{ours['slowest']['ms']:.1f} ms  {ours['slowest']['question']}")
    rank = result.get("rank_bm25") or {}
    row("rank_bm25 (pre-tokenized)", _error(result, "rank_bm25") or (
        f"p50 {rank['latency']['p50_ms']:.1f} ms, p99 {rank['latency']['p99_ms']:.1f}  (n={rank['latency']['n']}); "
        f"build {rank['build_s']:.1f} s, +{rank['build_rss_mb']:.0f} MB" + (f"; {rank['note']}" if rank.get("note") else "")))
    b = result.get("bm25s") or {}
    row("bm25s (pre-tokenized)", _error(result, "bm25s") or (
        f"p50 {b['latency']['p50_ms']:.2f} ms, p99 {b['latency']['p99_ms']:.2f}  (n={b['latency']['n']}); "
        f"batch {b['batch_ms_per_query']:.2f} ms/query; build {b['build_s']:.1f} s, +{b['build_rss_mb']:.0f} MB"))
    if b.get("top10_overlap_with_okapi") is not None:
        row("bm25s top-10 vs Okapi", f"{b['top10_overlap_with_okapi']:.1%} overlap ({b['variant']})")
    if b.get("messages"):
        row("bm25s said", "; ".join(f"{m} (×{c})" for m, c in b["messages"].items())[:300])
    r = ratios(result)
    row("rank_bm25 p50 / ours p50", _fmt(r["rank_bm25_over_ours"], ".0f", "×"))
    row("ours p50 / bm25s p50", _fmt(r["ours_over_bm25s"], ".2f"))
    row("parity vs rank_bm25", parity_text(result))
    if "query_tokens_match_ask" in result:
        row("query tokens = ask's tokens", "yes" if result["query_tokens_match_ask"] else "NO")
    if "token_lists" in result:
        row("chunk tokens from", result["token_lists"]["source"])
    before, after = result.get("loadavg_before"), result.get("loadavg_after")
    row("this benchmark's own peak RSS", _fmt(result.get("bench_process_peak_rss_mb"), ".0f", " MB (so far)"))
    row("load average (1 min) before/after", f"{before[0]:.2f} / {after[0]:.2f}" if before and after else "—")

    if result.get("error"):
        row("ABORTED", f"{result['error']} (the rows above it were measured)")
    width = max(len(label) for label, _ in rows)
    print(f"\n== {n} chunks ==")
    for label, value in rows:
        print(f"  {label:<{width}}  {value}")


def print_summary(results: list[dict]) -> None:
    def column(result: dict) -> list[str]:
        r = ratios(result)
        build = result.get("build") or {}
        rank = result.get("rank_bm25") or {}
        return [
            _fmt(_get(result, "build", "chunks"), "d"),
            _fmt(_get(result, "corpus", "mb"), ".1f"),
            _fmt(_get(result, "ours", "end_to_end", "p50_ms"), ".2f"),
            _fmt(_get(result, "ours", "end_to_end", "p99_ms"), ".2f"),
            _fmt(_get(result, "bm25s", "latency", "p50_ms"), ".2f"),
            _fmt(_get(result, "rank_bm25", "latency", "p50_ms"), ".1f") + ("*" if rank.get("sampled") else ""),
            _fmt(r["rank_bm25_over_ours"], ".0f", "×") + "  (≥100× at 100k)",
            _fmt(r["ours_over_bm25s"], ".2f") + "  (≤1.0)",
            (("PASS" if rank["parity_pass"] else "FAIL") if "parity_pass" in rank else "n/a"),
            _fmt(build.get("mb_per_s"), ".2f"),
            _fmt(_get(result, "workers_1", "speedup"), ".2f", "×"),
            _fmt(_get(result, "rebuild_cached", "wall_s"), ".1f"),
            _fmt(_get(result, "reindex_unchanged", "wall_s"), ".2f"),
            _fmt(_get(result, "startup", "cli_ask_s"), ".2f"),
            _fmt(_get(result, "startup", "open_engine_s"), ".2f"),
            _fmt(_get(result, "startup", "first_ask_s") and result["startup"]["first_ask_s"] * 1000, ".0f"),
            _fmt(build.get("peak_rss_mb"), ".0f"),
            _fmt(_get(result, "serving", "peak_rss_mb"), ".0f"),
            _fmt(build.get("index_mb"), ".1f"),
            _fmt(build.get("index_dir_mb"), ".1f"),
        ]

    labels = [
        "chunks indexed", "corpus MB", "ours p50 ms (ask+JSON)", "ours p99 ms", "bm25s p50 ms",
        "rank_bm25 p50 ms", "rank_bm25 p50 / ours p50", "ours p50 / bm25s p50", "parity vs rank_bm25",
        "build MB/s", "parallel speed-up", "rebuild --force, cached tokens s", "re-index unchanged s", "start-up: CLI ask s",
        "start-up: open_engine s", "start-up: first ask ms", "peak RSS build MB", "peak RSS serving MB",
        "index size MB (live build)", "index folder MB (+token cache)",
    ]
    columns = [column(r) for r in results]
    heads = [f"{r['requested_chunks']:,}" for r in results]
    width = max(map(len, labels))
    widths = [max(len(h), *(len(c[i]) for i in range(len(labels)))) for h, c in zip(heads, columns)]
    print("\n== summary ==")
    print(f"  {'':<{width}}  " + "  ".join(f"{h:>{w}}" for h, w in zip(heads, widths)))
    for i, label in enumerate(labels):
        print(f"  {label:<{width}}  " + "  ".join(f"{c[i]:>{w}}" for c, w in zip(columns, widths)))
    print("  ours includes tokenizing the question, rank_bm25 and bm25s are given tokens;"
          " * = rank_bm25 on a sample of questions. Wall-clock on a shared 2-core machine: ±10-20 % noise.")


def machine_info() -> dict:
    def version(name: str) -> str | None:
        try:
            from importlib.metadata import version as v

            return v(name)
        except Exception:  # noqa: BLE001
            return None

    def git(*args: str) -> str:
        try:
            return subprocess.run(["git", *args], cwd=REPO, capture_output=True, text=True, timeout=10).stdout.strip()
        except Exception:  # noqa: BLE001
            return ""

    return {
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "platform": platform.platform(),
        "commit": git("rev-parse", "--short", "HEAD"),
        # Others edit retrieval/ while benchmarks run: say what was measured.
        "uncommitted_retrieval_files": git("status", "--short", "--", "retrieval").splitlines(),
        "versions": {p: version(p) for p in ("numpy", "scipy", "jieba", "rank-bm25", "bm25s")},
    }


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["_child"]:
        return child_main(argv[1:])
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--chunks", type=int, action="append", metavar="N",
                        help="corpus size in JSONL lines; repeat for several (default 10000)")
    parser.add_argument("--corpus", type=Path, metavar="FILE.jsonl",
                        help='a real corpus ({"id","title","text"} per line), cut to N lines')
    parser.add_argument("--queries", type=int, default=300, help="questions for the latency runs (default 300)")
    parser.add_argument("--questions-file", type=Path, help="questions, one per line, instead of the shared QA sets")
    parser.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()) / "bench",
                        help="generated corpora, indexes and token caches (default /tmp/bench)")
    parser.add_argument("--seed", type=int, default=13, help="synthetic corpus seed")
    parser.add_argument("--skip-rank-bm25-above", type=int, default=200_000, metavar="N",
                        help=f"above N chunks, time rank_bm25 on {SAMPLED_QUESTIONS} questions only (default 200000)")
    parser.add_argument("--skip-workers-above", type=int, default=200_000, metavar="N",
                        help="above N chunks, skip the --workers 1 build (the parallel speed-up; "
                             "a 1M build takes half an hour on one core) (default 200000)")
    parser.add_argument("--json", type=Path, metavar="OUT", help="write every number here")
    args = parser.parse_args(argv)
    sizes = args.chunks or [10_000]
    args.workdir.mkdir(parents=True, exist_ok=True)
    if args.corpus and not args.corpus.exists():
        parser.error(f"{args.corpus} does not exist")

    info = machine_info()
    if info["uncommitted_retrieval_files"]:
        log(f"note: retrieval/ has uncommitted changes, measured as they are: {info['uncommitted_retrieval_files']}")
    questions = load_questions(args)
    questions_file = args.workdir / "questions.txt"
    questions_file.write_text("\n".join(questions) + "\n", encoding="utf-8")
    log(f"{len(questions)} questions; sizes {sizes}; workdir {args.workdir}")

    # One throw-away run first: it compiles any changed .py (others edit
    # retrieval/ while this runs) and brings jieba's dictionary cache into
    # the page cache, so that the first measured child is not the slow one.
    warm = run_child(retrieval_cli("tokenize", "预热"))
    if warm.returncode != 0:
        log(f"warning: `python -m retrieval tokenize` failed: {warm.stderr.strip()[-300:]}")

    results = []
    for n in sizes:
        log(f"=== {n} chunks ===")
        try:
            result = bench_size(n, args, questions, questions_file)
        except Exception as exc:  # noqa: BLE001 - keep the other sizes
            traceback.print_exc(file=sys.stderr)
            result = {"requested_chunks": n, "error": f"{type(exc).__name__}: {exc}"}
        results.append(result)
        print_size_table(result)
        sys.stdout.flush()
    print_summary(results)
    if args.json:
        args.json.write_text(json.dumps({"machine": info, "results": results}, indent=1, default=str) + "\n",
                             encoding="utf-8")
        log(f"numbers → {args.json}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
