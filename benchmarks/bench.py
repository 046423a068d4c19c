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
MB are 10^6 bytes throughout, RSS included. Peak RSS of a build is its
ru_maxrss from wait4 (the largest single process of its tree); a parallel
build's summed tree RSS is sampled at 10 Hz besides. On Linux a child's
ru_maxrss also counts this benchmark's RSS when it spawned the child, so it
is an upper bound once a large size has run here; serving's peak is read
inside the child (VmHWM) instead.

Needs rank_bm25 (a dependency) and bm25s (not one: pip install bm25s).

Modules: bench_fresh (the fresh-process measurements and what the children
run), bench_inprocess (ours, rank_bm25, bm25s, parity), bench_report (the
tables), bench_processes (running and reaping children), bench_common.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import traceback
from pathlib import Path

from bench_common import (
    MB,
    PARITY_QUESTIONS,
    SAMPLED_QUESTIONS,
    SERVING_QUESTIONS,
    attempt,
    log,
    proc_status_mb,
    top_indices,
)
from bench_fresh import (
    child_main,
    measure_build,
    measure_rebuild_cached,
    measure_reindex,
    measure_serving,
    measure_startup,
    measure_workers,
)
from bench_inprocess import (
    check_token_lists,
    chunk_token_lists,
    measure_bm25s,
    measure_ours,
    measure_rank_bm25,
    parity_cases,
)
from bench_processes import retrieval_cli, run_child
from bench_report import machine_info, print_size_table, print_summary


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


def bench_size(n: int, args, questions: list[str], questions_file: Path) -> dict:
    """Every measurement for one corpus size; what fails is recorded, and
    what did not depend on it still runs."""
    result: dict = {"requested_chunks": n, "loadavg_before": os.getloadavg()}
    try:
        corpus = prepare_corpus(n, args)
        result["corpus"] = {"path": str(corpus), "lines": count_lines(corpus), "mb": corpus.stat().st_size / MB}
        index_dir = args.workdir / f"index-{corpus.stem}"
        if args.reuse_index and (index_dir / "CURRENT").exists():
            build = result["build"] = {"skipped": f"--reuse-index: {index_dir} as an earlier run built it"}
        else:
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
    if "skipped" in build:  # --reuse-index: no building at all
        result["rebuild_cached"] = result["workers_1"] = {"skipped": build["skipped"]}
        attempt(result, "startup", measure_startup, index_dir, questions[0])
        attempt(result, "serving", measure_serving, index_dir, questions_file)
        return
    attempt(result, "rebuild_cached", measure_rebuild_cached, corpus, index_dir)
    if build.get("chunks", 0) > args.skip_workers_above:
        result["workers_1"] = {"skipped": f"more than --skip-workers-above {args.skip_workers_above} chunks"}
    else:
        attempt(result, "workers_1", measure_workers, corpus, index_dir, build)
    attempt(result, "startup", measure_startup, index_dir, questions[0])
    attempt(result, "serving", measure_serving, index_dir, questions_file)


def in_process_measurements(result: dict, index_dir: Path, asked: list[str], args) -> None:
    """Ours, rank_bm25 and bm25s in this process, on the same tokens."""
    from retrieval.index.building import open_engine

    engine, report = open_engine(None, index_dir)
    if not report.loaded_from_disk:
        raise RuntimeError("open_engine rebuilt the index instead of loading it")
    attempt(result, "ours", measure_ours, engine, asked)

    tokens = attempt(result, "token_lists", lambda: chunk_token_lists(index_dir))
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
    parser.add_argument("--reuse-index", action="store_true",
                        help="measure on the index an earlier run left in --workdir, without building "
                             "(to re-measure queries and start-up after a change that does not touch indexing)")
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
