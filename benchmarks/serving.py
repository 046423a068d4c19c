"""Serving a saved index, in one process: how long opening it and the first
answer take, per-question latency (ask + JSON of 10 hits) and peak RSS.

    python benchmarks/serving.py INDEX_DIR [QUESTIONS.txt]

For corpora too large to run benchmarks/bench.py's reference libraries
beside ours (1M chunks); questions default to the shared QA sets'.
"""
import json
import resource
import sys
import time

t0 = time.perf_counter()
from retrieval.indexing import open_engine
from retrieval.render import answer_to_json

t1 = time.perf_counter()
engine, _ = open_engine(None, sys.argv[1])
t2 = time.perf_counter()
if len(sys.argv) > 2:
    qs = [line.strip() for line in open(sys.argv[2], encoding="utf-8") if line.strip()][:300]
else:
    sys.path.insert(0, str(__import__("pathlib").Path(__file__).resolve().parent))
    from synthetic_corpus import questions

    qs = questions(300)
engine.ask(qs[0])
t3 = time.perf_counter()
lat = []
for q in qs[1:]:
    s = time.perf_counter(); json.dumps(answer_to_json(engine.ask(q, top_k=10)), ensure_ascii=False); lat.append((time.perf_counter() - s) * 1000)
lat.sort()
print(json.dumps({"import_s": round(t1-t0,2), "open_s": round(t2-t1,2), "first_answer_s": round(t3-t2,2),
  "since_start_first_answer_s": round(t3-t0,2), "p50_ms": round(lat[len(lat)//2],2), "p99_ms": round(lat[int(len(lat)*0.99)],2),
  "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss/1024)}))
