"""Measurements in fresh processes: index build (and the parallel speed-up,
the cached rebuild, the unchanged re-index), start-up, and serving memory.
``child_main`` is what the start-up and serving children run."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import statistics
import time
from pathlib import Path

from bench_common import MB, SERVING_QUESTIONS, STARTUP_RUNS, TOP_K, proc_status_mb
from bench_processes import bench_child, retrieval_cli, run_child


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


# "index built: …"; for an unchanged corpus "index unchanged: …" (the hash
# check alone) or, when the index was loaded rather than checked, "unchanged, loaded".
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
    # The child's own high-water mark, read inside it: ru_maxrss from wait4
    # also counts this benchmark's RSS at the moment it spawned the child
    # (Linux carries it across exec), gigabytes after a large size's run.
    return {**inner, "peak_rss_mb": inner["vm_hwm_mb"], "ru_maxrss_mb": run.max_rss_mb, "wall_s": run.wall_s}


def child_main(argv: list[str]) -> int:
    """What the fresh processes run; prints one JSON object."""
    mode, index_dir = argv[0], Path(argv[1])
    started = time.perf_counter()
    from retrieval.index.building import open_engine
    from retrieval.present.render import answer_to_json
    from retrieval.index.store import load_index

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
            # RSS = the process's own memory (anonymous) + the pages of the
            # memory-mapped index it has touched (file-backed: page cache the
            # kernel can reclaim, but counted in RSS).
            "rss_anon_mb": proc_status_mb("RssAnon"),
            "rss_file_mb": proc_status_mb("RssFile"),
            "vm_hwm_mb": proc_status_mb("VmHWM"),
            "open_engine_s": opened - imported,
            "answer_s": time.perf_counter() - opened,
        }))
    else:
        raise SystemExit(f"unknown child mode {mode}")
    return 0
