"""The printed tables (one per size, then a summary with the ratios) and the
machine description saved with the JSON."""

from __future__ import annotations

import os
import platform
import subprocess

from bench_common import REPO


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


def _ratio_spec(ratio: float | None) -> str:
    return ".0f" if ratio is None or ratio >= 10 else ".2f"  # 0.7×, not 1×


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
        f"{_fmt(serving.get('rss_after_first_question_mb'), '.0f')} MB; at the end "
        f"{_fmt(serving.get('rss_anon_mb'), '.0f')} MB own + {_fmt(serving.get('rss_file_mb'), '.0f')} MB mapped index pages)")
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
    row("rank_bm25 p50 / ours p50", _fmt(r["rank_bm25_over_ours"], _ratio_spec(r["rank_bm25_over_ours"]), "×"))
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
            _fmt(r["rank_bm25_over_ours"], _ratio_spec(r["rank_bm25_over_ours"]), "×") + "  (≥100× at 100k)",
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
