"""The SolrCloud backend beside the local one, in one run: parity and speed.

    .venv/bin/python benchmarks/solr_backend.py --parity            # CMRC dev, DRCD test, 100k synthetic
    .venv/bin/python benchmarks/solr_backend.py --speed 100000 1000000

Starts its own two-node SolrCloud on 127.0.0.1 (solr/launcher), or uses
``--solr-url`` (comma-separated nodes) if given.

Parity, per set (a 2-shard × 2-replica collection, ExactStatsCache):
* Hit@1 with each backend (the whole `ask`: second stage, decision);
* top-10 overlap: |local ∩ solr| / |local| of the first 10 chunks answered;
* top-1 agreement.

Speed, per corpus size (synthetic, benchmarks/synthetic_corpus.py):
* indexing throughput into a 2-shard collection (chunks/s sent and
  committed; the local build is timed beside it);
* query latency p50/p99 of the whole `ask` with snippets, 300 questions,
  local against Solr;
* the JVM's resident memory (both nodes and ZooKeeper are one process).

Wall times on a shared 2-core machine where Solr, ZooKeeper and Python
share the cores: the point is that Solr stays interactive, not that it is
faster than an index in the same process.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from retrieval.backends.configure import attach  # noqa: E402
from retrieval.backends.solr import SolrBackend  # noqa: E402
from retrieval.backends.solr_admin import setup_collection  # noqa: E402
from retrieval.backends.solr_indexing import send_index  # noqa: E402
from retrieval.evaluation.squad import evaluate, load_squad  # noqa: E402
from retrieval.index.building import build_engine  # noqa: E402

DATA = ROOT.parent / "shared" / "eval" / "data"
SETS = {
    "CMRC 2018 dev": DATA / "cmrc2018" / "squad-style-data" / "cmrc2018_dev.json",
    "DRCD test": DATA / "drcd" / "DRCD_test.json",
}


def fresh_collection(nodes: list[str], name: str) -> SolrBackend:
    setup_collection(nodes[0], name, shards=2, replicas=2, progress=lambda line: None)
    backend = SolrBackend(nodes, name, timeout=30)
    backend.request("update", {"commit": "true"}, json_body={"delete": {"query": "*:*"}}, method="POST")
    return backend


def send(backend: SolrBackend, engine) -> float:
    with tempfile.TemporaryDirectory() as record:
        started = time.perf_counter()
        send_index(backend, engine.chunks, lambda source, texts: map(engine.analyzer.tokenize, texts), {}, Path(record))
        return time.perf_counter() - started


def top_ids(engine, question: str, k: int = 10) -> list[str]:
    return [hit.chunk.chunk_id for hit in engine.ask(question, top_k=k).hits]


def overlap(engine, backend, questions: list[str]) -> tuple[float, float]:
    shares, agree = [], 0
    for question in questions:
        engine.backend = None
        local = top_ids(engine, question)
        attach(engine, backend)
        remote = top_ids(engine, question)
        if local:
            shares.append(len(set(local) & set(remote)) / len(local))
            agree += bool(remote) and remote[0] == local[0]
    engine.backend = None
    return statistics.mean(shares), agree / max(1, len(shares))


def parity(nodes: list[str], synthetic: int, sets: dict = SETS) -> None:
    print(f"{'set':<22}{'chunks':>8}{'Hit@1 local':>13}{'Hit@1 solr':>12}{'Δ points':>10}{'top-10 overlap':>16}{'top-1 same':>12}")
    for name, path in sets.items():
        dataset = load_squad(path)
        engine, _ = build_engine(dataset.documents)
        backend = fresh_collection(nodes, "parity")
        send(backend, engine)
        local = evaluate(dataset, engine=engine)
        attach(engine, backend)
        remote = evaluate(dataset, engine=engine)
        shared, same = overlap(engine, backend, [q.text for q in dataset.questions])
        print(f"{name:<22}{len(engine.chunks):>8}{local.hit_at_1:>13.4f}{remote.hit_at_1:>12.4f}"
              f"{100 * (remote.hit_at_1 - local.hit_at_1):>+10.2f}{shared:>16.4f}{same:>12.4f}")
    if synthetic:
        engine, backend = synthetic_engine(nodes, synthetic, "parity")
        from synthetic_corpus import questions

        shared, same = overlap(engine, backend, questions(1000))
        print(f"{f'synthetic {synthetic:,}':<22}{len(engine.chunks):>8}{'—':>13}{'—':>12}{'—':>10}{shared:>16.4f}{same:>12.4f}")


def synthetic_engine(nodes, n: int, collection: str, workdir: Path | None = None):
    """The synthetic corpus indexed as an operator would: on disk, memory-mapped
    (at 1M chunks an in-memory build plus every token list would not fit
    beside Solr), then sent to Solr from the index's token cache."""
    from synthetic_corpus import write_corpus

    from retrieval.index.building import open_engine, token_reader
    from retrieval.index.store import read_meta

    folder = Path(workdir or tempfile.mkdtemp(prefix="solr-bench-"))
    path = write_corpus(folder / f"corpus-{n}.jsonl", n)
    started = time.perf_counter()
    engine, _ = open_engine([path], folder / f"index-{n}")
    local_seconds = time.perf_counter() - started
    backend = fresh_collection(nodes, collection)
    digests = (read_meta(folder / f"index-{n}") or {}).get("files") or {}
    with tempfile.TemporaryDirectory() as record:
        started = time.perf_counter()
        send_index(backend, engine.chunks, token_reader(folder / f"index-{n}"), digests, Path(record))
        seconds = time.perf_counter() - started
    print(f"# {n:,} chunks: local index built in {local_seconds:.1f} s ({n / local_seconds:,.0f} chunks/s); "
          f"sent to Solr (2 shards × 2 replicas) in {seconds:.1f} s ({n / seconds:,.0f} chunks/s)", flush=True)
    return engine, backend


def latency(engine, questions: list[str]) -> tuple[float, float]:
    times = []
    for question in questions:
        started = time.perf_counter()
        answer = engine.ask(question)
        for hit in answer.hits[:3]:
            hit.snippet  # noqa: B018 - the snippets are part of an answer
        times.append(time.perf_counter() - started)
    times.sort()
    return statistics.median(times) * 1000, times[int(0.99 * (len(times) - 1))] * 1000


def speed(nodes: list[str], sizes: list[int], jvm_pid: int | None, workdir: Path | None = None) -> None:
    from synthetic_corpus import questions

    asked = questions(300)
    for n in sizes:
        engine, backend = synthetic_engine(nodes, n, f"speed{n}", workdir)
        local = latency(engine, asked)
        attach(engine, backend)
        latency(engine, asked[:30])  # warm Solr's caches as a running service has them
        remote = latency(engine, asked)
        engine.backend = None
        memory = f"{_rss_mb(jvm_pid):,.0f} MB" if jvm_pid else "n/a"
        on_disk = _index_bytes(nodes, f"speed{n}")
        print(f"{n:>10,} chunks   Solr index on disk {on_disk / 2**20:,.0f} MB for 2 replicas "
              f"({on_disk / 2 / n:,.0f} bytes per chunk per replica, stored text included)", flush=True)
        print(f"{n:>10,} chunks   ask p50/p99  local {local[0]:.1f} / {local[1]:.1f} ms   "
              f"solr {remote[0]:.1f} / {remote[1]:.1f} ms   (×{remote[0] / local[0]:.1f} at p50)   JVM RSS {memory}", flush=True)
        backend.request("update", {"commit": "true"}, json_body={"delete": {"query": "*:*"}}, method="POST")


def _index_bytes(nodes: list[str], collection: str) -> int:
    import httpx

    total = 0
    for node in nodes:
        status = httpx.get(f"{node}/admin/cores", params={"action": "STATUS", "wt": "json"}, timeout=30).json()
        for name, core in status.get("status", {}).items():
            if name.startswith(f"{collection}_"):
                total += int(core.get("index", {}).get("sizeInBytes", 0))
    return total


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--parity", action="store_true")
    parser.add_argument("--synthetic", type=int, default=100_000, help="chunks of the synthetic parity corpus (0: none)")
    parser.add_argument("--speed", type=int, nargs="*", metavar="CHUNKS")
    parser.add_argument("--solr-url", help="use these nodes instead of starting a cluster")
    parser.add_argument("--heap", default="-Xmx2g", help="the launched cluster's JVM heap")
    parser.add_argument("--no-sets", action="store_true", help="parity on the synthetic corpus only")
    parser.add_argument("--jvm-pid", type=int, help="with --solr-url: the Solr JVM whose memory to report")
    parser.add_argument("--workdir", type=Path, help="keep the synthetic corpora and their indexes here (reused)")
    args = parser.parse_args()
    if args.solr_url:
        nodes, cluster = args.solr_url.split(","), None
    else:
        from tests.solr_cluster import SolrCluster

        cluster = SolrCluster(num_nodes=2, java_opts=(args.heap,)).start()
        nodes = cluster.nodes
    try:
        if args.parity:
            parity(nodes, args.synthetic, sets={} if args.no_sets else SETS)
        if args.speed:
            speed(nodes, args.speed, cluster.proc.pid if cluster is not None else args.jvm_pid, args.workdir)
    finally:
        if cluster is not None:
            cluster.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
