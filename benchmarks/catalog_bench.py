"""What a question no paragraph matches costs on a large saved library: the
catalog (``retrieval.answer.catalog``) against parsing every chunk, as the
metadata lookup did before it.

    python benchmarks/catalog_bench.py INDEX_DIR [--rounds 3]

For each way, in one run: the one-time cost (building the lookup on the
first such question) in CPU seconds, the cost of each later lookup for the
words of 50 titles of the library (both must find the same documents),
and the memory the lookup keeps (tracemalloc, measured apart as it slows
everything). Prints ratios (parse-every-chunk ÷ catalog).
"""

from __future__ import annotations

import argparse
import gc
import sys
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from retrieval.answer.catalog import Catalog  # noqa: E402
from retrieval.index.building import open_engine  # noqa: E402


def parse_every_chunk(engine):
    """The lookup as it was: every chunk parsed and kept, grouped by document."""
    by_document = {}
    for chunk in engine.chunks:
        by_document.setdefault(chunk.doc_id, []).append(chunk)
    return by_document


def lookup_by_scan(engine, by_document, terms):
    return [d for d, chunks in by_document.items()
            if engine._citation_terms(chunks[0].title, chunks[0].author, chunks[0].publication) & terms]


def timed(build):
    gc.collect()
    started = time.process_time()
    built = build()
    return built, time.process_time() - started


def memory_kept(build) -> int:
    """Bytes allocated by ``build`` and still held (tracemalloc slows it, so timed apart)."""
    gc.collect()
    tracemalloc.start()
    built = build()
    kept = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    del built  # held until measured
    return kept


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("index", type=Path)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    engine, _ = open_engine(None, args.index)
    titles = sorted({engine.chunks[i].title for i in range(0, len(engine.chunks), max(1, len(engine.chunks) // 50))})
    queries = [frozenset(engine._citation_terms(t, "", "")) for t in titles]
    def fresh(build):
        def run():
            engine._citation_terms.cache_clear()  # as on a new engine: nothing tokenized yet
            engine._field_terms.cache_clear()
            return build()
        return run

    scan_way = fresh(lambda: parse_every_chunk(engine))
    catalog_way = fresh(lambda: Catalog(engine.chunks, engine._citation_terms))
    rows = []
    for _ in range(args.rounds):
        scan, scan_build = timed(scan_way)
        catalog, catalog_build = timed(catalog_way)
        started = time.process_time()
        found_by_scan = [lookup_by_scan(engine, scan, q) for q in queries]
        scan_lookup = (time.process_time() - started) / len(queries)
        started = time.process_time()
        found = [[catalog.entries[n].doc_id for n in catalog.naming(q)] for q in queries]
        catalog_lookup = (time.process_time() - started) / len(queries)
        assert found == found_by_scan, "the catalog must find the documents the scan finds"
        rows.append((scan_build, catalog_build, scan_lookup, catalog_lookup))
        del scan, catalog
    sm, cm = memory_kept(scan_way), memory_kept(catalog_way)
    print(f"{len(engine.chunks)} chunks, {len(found)} lookups a round, {args.rounds} rounds (minimum of each)")
    sb, cb, sl, cl = (min(r[i] for r in rows) for i in range(4))
    print(f"first question: parse every chunk {sb:.2f} s, catalog {cb:.2f} s  (÷ {sb / cb:.1f})")
    print(f"memory kept:    parse every chunk {sm / 2**20:.0f} MB, catalog {cm / 2**20:.0f} MB  (÷ {sm / cm:.1f})")
    print(f"each lookup:    scan {1000 * sl:.2f} ms, catalog {1000 * cl:.3f} ms  (÷ {sl / cl:.0f})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
