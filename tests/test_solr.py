"""The SolrCloud backend against a real two-node SolrCloud on 127.0.0.1
(solr/launcher: MiniSolrCloudCluster, embedded ZooKeeper, two Jetty nodes),
started here and stopped by its process id at the end.

- the backend contract, run against both backends;
- Solr's scores against a reference implementation of Lucene's BM25;
- set-up, indexing (incremental, deletions) and `ask` through the CLI;
- a node stopped while questions keep being answered;
- the bot answering through Solr, telling users when Solr is down, and
  recovering by itself when it returns.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from bot.application import build_application
from bot.service import QaService
from retrieval import open_engine
from retrieval.backends import SearchUnavailable
from retrieval.backends.configure import attach
from retrieval.backends.local import LocalBackend
from retrieval.backends.lucene import lucene_scores
from retrieval.backends.solr import SolrBackend
from retrieval.backends.solr_admin import setup_collection
from retrieval.backends.solr_indexing import send_index
from retrieval.chunking.chunks import Chunk
from retrieval.index.bm25 import build_model
from tests.bot_support import ServingBot, make_deps
from tests.botapi_server import FakeBotApi, parse_html
from tests.solr_cluster import SolrCluster

REPO = Path(__file__).resolve().parents[1]
QUESTION = "重庆提出的885工作机制是什么？"


@pytest.fixture(scope="module")
def cluster():
    with SolrCluster(num_nodes=2) as running:
        yield running


@pytest.fixture(scope="module")
def collection(cluster):
    setup_collection(cluster.nodes[0], "contract", shards=2, replicas=2, progress=lambda line: None)
    return "contract"


def solr(cluster, collection, **kwargs) -> SolrBackend:
    return SolrBackend(cluster.nodes, collection, **kwargs)


def chunk(n: int, source: str) -> Chunk:
    return Chunk(chunk_id=f"{source}#{n}", doc_id=source, title=source, author="", section="", paragraph=n, part=1,
                 text=f"段落{n}", source_path=source, line=n, char_start=None, char_end=None)


# A corpus small enough to check by hand: several libraries, repeated terms,
# lengths from 1 to 40 tokens (Lucene stores lengths over 23 lossily).
TOKENS = [
    ["重庆", "885", "工作", "机制"],
    ["重庆", "重庆", "治理"],
    ["工作", "机制", "创新"] + ["填充"] * 30,
    ["数字", "鸿沟", "农村", "数字 鸿沟"],
    ["国有", "企业", "改革", "党建"] * 10,
    ["农村", "阅读", "书屋"],
    ["工作"],
    ["机制", "重庆", "工作", "885", "八张", "报表"],
]
LIBRARIES = ["shared", "shared", "shared", "group-1", "group-1", "group-2", "shared", "group-2"]
SOURCES = ["a.txt", "a.txt", "b.txt", "c.txt", "c.txt", "d.txt", "b.txt", "d.txt"]


@pytest.fixture(scope="module")
def contract(cluster, collection):
    chunks = [chunk(i, SOURCES[i]) for i in range(len(TOKENS))]
    backend = solr(cluster, collection)
    backend.bind([c.chunk_id for c in chunks])
    for library in sorted(set(LIBRARIES)):
        picked = [i for i, name in enumerate(LIBRARIES) if name == library]
        send_documents(backend, [chunks[i] for i in picked], [TOKENS[i] for i in picked], library, [i for i in picked])
    local = LocalBackend(build_model(TOKENS), libraries=np.array(LIBRARIES))
    return {"solr": backend, "local": local, "chunks": chunks}


def send_documents(backend, chunks, token_lists, library, ordinals):
    from retrieval.backends.solr_indexing import solr_document

    docs = [solr_document(c, t, o, "d", library) for c, t, o in zip(chunks, token_lists, ordinals)]
    backend.request("update", {"commit": "true"}, json_body=docs, method="POST")


QUERIES = [["重庆"], ["工作", "机制"], ["885", "重庆", "工作", "机制"], ["农村"], ["数字 鸿沟"], ["工作", "工作"], ["没有"]]


@pytest.mark.parametrize("name", ["local", "solr"])
@pytest.mark.parametrize("query", QUERIES, ids=lambda q: "+".join(q))
def test_both_backends_find_the_same_chunks(contract, name, query):
    terms = list(dict.fromkeys(query))
    counts = [query.count(t) for t in terms]
    found = contract[name].candidates(terms, counts, 10)
    expected = {i for i, tokens in enumerate(TOKENS) if set(tokens) & set(terms)}
    assert set(found.ordinals.tolist()) == expected
    assert list(found.scores) == sorted(found.scores, reverse=True)
    # Lucene's idf is always positive; Okapi's is 0 for a term in half the chunks.
    assert all(s > 0 if name == "solr" else s >= 0 for s in found.scores)


@pytest.mark.parametrize("name", ["local", "solr"])
def test_both_backends_filter_by_library(contract, name):
    found = contract[name].candidates(["农村", "重庆", "工作"], [1, 1, 1], 10, {"group-2"})
    assert set(found.ordinals.tolist()) == {5, 7}
    found = contract[name].candidates(["农村", "重庆", "工作"], [1, 1, 1], 10, {"shared", "group-1"})
    assert set(found.ordinals.tolist()) == {0, 1, 2, 3, 6}


def test_solr_scores_are_lucenes_bm25_on_the_same_tokens(contract):
    """Global statistics (ExactStatsCache): the whole collection's N and avgdl,
    whichever shard holds a chunk."""
    backend = contract["solr"]
    for query in QUERIES[:-1]:
        terms = list(dict.fromkeys(query))
        found = backend.candidates(terms, [query.count(t) for t in terms], 10)
        reference = lucene_scores(TOKENS, query)
        for ordinal, score in zip(found.ordinals, found.scores):
            assert math.isclose(score, reference[ordinal], rel_tol=1e-5), (query, ordinal, score, reference[ordinal])


def test_the_top_hit_agrees_with_okapi_where_the_corpus_is_clear(contract):
    for query in (["重庆"], ["885", "重庆", "工作", "机制"], ["农村"]):
        terms = list(dict.fromkeys(query))
        counts = [query.count(t) for t in terms]
        assert contract["solr"].candidates(terms, counts, 1).ordinals[0] == contract["local"].candidates(terms, counts, 1).ordinals[0]


def test_an_empty_collection_finds_nothing(cluster):
    setup_collection(cluster.nodes[0], "empty", shards=2, replicas=1, progress=lambda line: None)
    found = solr(cluster, "empty").candidates(["重庆"], [1], 10)
    assert found.ordinals.size == 0
    assert LocalBackend(build_model([["甲"]])).candidates(["重庆"], [1], 10).ordinals.size == 0


# ----------------------------------------------------------------- the CLI


def cli(*args, env=None, input=None, timeout=300):
    return subprocess.run([sys.executable, "-m", "retrieval", *args], cwd=REPO, capture_output=True, text=True,
                          input=input, timeout=timeout, env={**os.environ, **(env or {})})


@pytest.fixture(scope="module")
def seeds_on_solr(cluster, tmp_path_factory):
    """The bundled corpus, copied so a test can delete a file, set up and indexed through the CLI."""
    work = tmp_path_factory.mktemp("solr-cli")
    corpus = work / "seeds"
    shutil.copytree(REPO / "seeds", corpus)
    url = ",".join(cluster.nodes)
    setup = cli("solr", "setup", "--url", cluster.nodes[0], "--collection", "seeds", "--shards", "2", "--replicas", "2")
    assert setup.returncode == 0, setup.stderr
    assert "2 shards, 4 replicas, all active" in setup.stdout
    env = {"SOLR_URL": url, "SOLR_COLLECTION": "seeds"}
    index = cli("index", "--corpus", str(corpus), "--index", str(work / "index"), "--backend", "solr", env=env)
    assert index.returncode == 0, index.stderr
    return {"corpus": corpus, "index": work / "index", "env": env, "first": index.stdout}


def ask_json(index: Path, question: str, env: dict | None = None, backend: str = "local") -> dict:
    result = cli("ask", "--index", str(index), "--json", "--backend", backend, question, env=env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_the_cli_sets_up_indexes_and_answers_the_readme_examples_as_local_does(seeds_on_solr):
    assert "files sent" in seeds_on_solr["first"] and " 0 deleted" in seeds_on_solr["first"]
    for question in (QUESTION, "深圳的数字化转型有哪些做法？", "數位鴻溝怎麼解決", "国企改革"):
        via_solr = ask_json(seeds_on_solr["index"], question, seeds_on_solr["env"], backend="solr")
        local = ask_json(seeds_on_solr["index"], question)
        assert via_solr["answered"] == local["answered"]
        assert [h["citation"] for h in via_solr["hits"][:1]] == [h["citation"] for h in local["hits"][:1]]


def test_indexing_again_sends_only_what_changed_and_propagates_deletions(seeds_on_solr):
    env, index, corpus = seeds_on_solr["env"], seeds_on_solr["index"], seeds_on_solr["corpus"]
    again = cli("index", "--corpus", str(corpus), "--index", str(index), "--backend", "solr", env=env)
    assert again.returncode == 0 and "0 files sent" in again.stdout, again.stdout + again.stderr
    removed = next(corpus.rglob("02-*.md"))
    title_line = removed.read_text(encoding="utf-8")
    removed.unlink()
    try:
        after = cli("index", "--corpus", str(corpus), "--index", str(index), "--backend", "solr", env=env)
        assert after.returncode == 0 and "1 deleted" in after.stdout, after.stdout + after.stderr
        answer = ask_json(index, "党建引领国有企业改革攻坚", env, backend="solr")
        assert all("国有企业改革攻坚" not in h["citation"] for h in answer["hits"])
    finally:
        removed.write_text(title_line, encoding="utf-8")
        restored = cli("index", "--corpus", str(corpus), "--index", str(index), "--backend", "solr", env=env)
        assert "1 files sent" in restored.stdout, restored.stdout + restored.stderr


def test_a_bad_solr_setting_names_the_key():
    result = cli("ask", "--backend", "solr", "--solr-url", "ftp://nowhere", "--solr-collection", "x", "问题")
    assert result.returncode == 2 and "SOLR_URL" in result.stderr
    result = cli("ask", "--backend", "solr", "--solr-url", "http://127.0.0.1:9", "--solr-collection", "x",
                 "--solr-timeout", "1", "问题")
    assert result.returncode == 2 and "no Solr node answered" in result.stderr


# ----------------------------------------------------------------- faults


def test_questions_are_answered_with_a_node_down(cluster, seeds_on_solr):
    engine, _ = open_engine(None, seeds_on_solr["index"])
    attach(engine, solr(cluster, "seeds", timeout=5))
    assert engine.ask(QUESTION).answered
    cluster.stop_node(0)
    try:
        for _ in range(3):
            answer = engine.ask(QUESTION)
            assert answer.answered and "刘嗣方" in answer.hits[0].citation
    finally:
        cluster.start_node(0)


def test_the_bot_answers_through_solr_and_recovers_after_an_outage(cluster, seeds_on_solr):
    engine_index = seeds_on_solr["index"]
    qa, _ = QaService.open(None, engine_index, backend=solr(cluster, "seeds", timeout=2))
    with FakeBotApi() as api:
        deps = make_deps(qa, telegram_api_base_url=api.base_url)
        with ServingBot(build_application(deps)):
            def ask(question):
                mark = api.mark()
                api.send_text(question)
                return parse_html(api.wait_for("sendMessage", after=mark, timeout=30).params["text"])[0]

            assert "刘嗣方" in ask(QUESTION)
            cluster.stop_node(0)
            cluster.stop_node(1)
            try:
                down = ask(QUESTION)
                assert down == deps.texts.search_unavailable
            finally:
                cluster.start_node(0)
                cluster.start_node(1)
            deadline = time.monotonic() + 60
            while True:  # the replicas come back on their own; the bot needs nothing done
                reply = ask(QUESTION)
                if "刘嗣方" in reply or time.monotonic() > deadline:
                    break
                time.sleep(1)
            assert "刘嗣方" in reply
    qa.close()


def test_an_unreachable_solr_raises_search_unavailable_quickly():
    backend = SolrBackend(["http://127.0.0.1:9/solr", "http://127.0.0.1:10/solr"], "x", timeout=1)
    backend.bind([])
    started = time.monotonic()
    with pytest.raises(SearchUnavailable, match="127.0.0.1:9.*127.0.0.1:10"):
        backend.candidates(["重庆"], [1], 10)
    assert time.monotonic() - started < 5


def test_an_interrupted_send_shows_only_whole_files_and_the_next_run_finishes(cluster, monkeypatch, tmp_path):
    from retrieval.backends import solr_indexing

    setup_collection(cluster.nodes[0], "interrupted", shards=2, replicas=1, progress=lambda line: None)
    backend = solr(cluster, "interrupted")
    files = ["一.txt", "二.txt", "三.txt"]
    chunks = [chunk(n, source) for source in files for n in range(1, 4)]
    def tokens_of(source, texts):
        return (["共同", source] for _ in texts)

    digests = {source: f"v1-{source}" for source in files}
    monkeypatch.setattr(solr_indexing, "BATCH_DOCUMENTS", 3)  # one file per commit
    real_post = solr_indexing._post
    posted = []

    def dies_during_the_second_file(backend, body, *, commit):
        posted.append(body)
        if isinstance(body, list) and any(doc["source_path"] == "二.txt" for doc in body):
            real_post(backend, body, commit=commit)  # its chunks reach Solr, uncommitted...
            raise KeyboardInterrupt  # ...and the indexer is stopped before the commit
        return real_post(backend, body, commit=commit)

    monkeypatch.setattr(solr_indexing, "_post", dies_during_the_second_file)
    with pytest.raises(KeyboardInterrupt):
        send_index(backend, chunks, tokens_of, digests, tmp_path)

    def visible() -> list[str]:
        body = backend.request("select", {"q": "*:*", "fl": "id,source_path", "rows": "100", "wt": "json"})
        return sorted(doc["source_path"] for doc in body["response"]["docs"])

    assert visible() == ["一.txt"] * 3  # whole files only
    monkeypatch.setattr(solr_indexing, "_post", real_post)
    report = send_index(backend, chunks, tokens_of, digests, tmp_path)
    assert report.files_sent == 2 and report.files_unchanged == 1  # the first file is not sent again
    assert visible() == sorted(["一.txt"] * 3 + ["二.txt"] * 3 + ["三.txt"] * 3)  # and nothing twice


def test_a_file_larger_than_a_request_is_sent_in_parts_and_shown_whole(cluster, monkeypatch, tmp_path):
    """A JSONL archive is one file of many chunks: its tokens are read and sent
    a request at a time (memory stays flat), and it appears at its commit."""
    from retrieval.backends import solr_indexing

    setup_collection(cluster.nodes[0], "parts", shards=2, replicas=1, progress=lambda line: None)
    backend = solr(cluster, "parts")
    chunks = [chunk(n, "archive.jsonl") for n in range(1, 8)]
    read = []

    def tokens_of(source, texts):
        for n, _ in enumerate(texts):
            read.append(n)
            yield ["档案", f"条目{n}"]

    monkeypatch.setattr(solr_indexing, "BATCH_DOCUMENTS", 3)
    requests = []
    real_post = solr_indexing._post

    def watching(backend, body, *, commit):
        if isinstance(body, list):
            requests.append(len(body))
            visible = backend.request("select", {"q": "*:*", "rows": "0", "wt": "json"})["response"]["numFound"]
            assert visible == 0  # nothing of the file shows before its commit
            assert len(read) <= sum(requests) + 1  # tokens are read as they are sent, not all first
        return real_post(backend, body, commit=commit)

    monkeypatch.setattr(solr_indexing, "_post", watching)
    send_index(backend, chunks, tokens_of, {"archive.jsonl": "v1"}, tmp_path)
    assert requests == [3, 3, 1]
    assert backend.request("select", {"q": "*:*", "rows": "0", "wt": "json"})["response"]["numFound"] == 7
