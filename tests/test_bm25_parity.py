"""BM25 parity: our sparse BM25 must score exactly like rank_bm25's BM25Okapi.

Checked at three levels: the model on random token corpora, the engine on the
bundled corpus (with the real analyzer), and the CLI's JSON output, which is
the contract external callers rely on.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st
from rank_bm25 import BM25Okapi

import retrieval
from retrieval.index.bm25 import BM25Model, build_model
from retrieval.index.char_counts import CharCounts, rarity
from retrieval.answer import relevance, second_stage
from retrieval.answer.search import COVERAGE_WEIGHT, RERANK_DEPTH, SearchEngine
from retrieval.index.analyzer import is_word_pair

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
TOLERANCE = 1e-9


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("RETRIEVAL_CORPUS", None)
    env["PYTHONIOENCODING"] = "utf-8"
    return env


@pytest.fixture(scope="module", autouse=True)
def _bundled_corpus_only():
    """retrieval.tokenize uses the default corpus's terms: make that the seeds."""
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv("RETRIEVAL_CORPUS", raising=False)
        yield


def assert_scores_match(ours, theirs, context=""):
    ours = np.asarray(ours, dtype=float)
    theirs = np.asarray(theirs, dtype=float)
    assert ours.shape == theirs.shape, context
    worst = float(np.max(np.abs(ours - theirs))) if ours.size else 0.0
    assert worst <= TOLERANCE, f"{context}: max |ours - rank_bm25| = {worst!r}\nours={ours}\nrank_bm25={theirs}"


# ------------------------------------------------------------ random corpora

# A small vocabulary so that terms repeat; the first few are drawn twice as
# often, so some of them are in more than half of the documents (negative idf).
VOCABULARY = ["重庆", "党建", "治理", "数字", "城市", "改革", "报表", "鸿沟",
              "alpha", "beta", "gamma", "delta", "x", "y", "z"]
COMMON = VOCABULARY[:3]
UNKNOWN = ["未知词", "unknown", "深圳"]

corpus_token = st.one_of(st.sampled_from(COMMON), st.sampled_from(VOCABULARY))
documents = st.lists(
    st.one_of(st.just([]), st.lists(corpus_token, min_size=0, max_size=30)),
    min_size=3,
    max_size=40,
)
queries = st.lists(st.sampled_from(VOCABULARY + UNKNOWN), min_size=1, max_size=6)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(corpus=documents, query=queries)
# A term in every document, a term in exactly half (idf exactly 0), empty documents.
@example(corpus=[["重庆", "党建"], ["重庆"], [], ["重庆", "治理", "治理"]], query=["重庆", "党建", "重庆", "未知词"])
@example(corpus=[["a"], ["a", "b"], ["b"], ["c"]], query=["a", "b", "c"])
@example(corpus=[[], [], ["x"]], query=["x", "x", "x"])
@example(corpus=[["重庆"] * 30, ["重庆"], ["重庆", "x"]], query=["重庆"])
def test_model_scores_equal_bm25okapi(corpus, query):
    assume(any(corpus))  # rank_bm25 divides by zero when every document is empty
    ours = build_model(corpus).scores(query)
    theirs = BM25Okapi(corpus).get_scores(query)
    assert_scores_match(ours, theirs, f"corpus={corpus!r} query={query!r}")


def test_model_scores_cover_negative_and_zero_idf():
    """The property above must include the awkward idf cases; check one by hand."""
    corpus = [["a", "b"], ["a"], ["a", "c"], ["d"]]
    model = build_model(corpus)
    okapi = BM25Okapi(corpus)
    # "a" is in 3 of 4 documents: its raw idf is negative and floored at ε·mean.
    assert okapi.idf["a"] > 0
    assert model.idf[model.vocabulary["a"]] == pytest.approx(okapi.idf["a"], abs=TOLERANCE)
    for query in (["a"], ["b", "b"], ["a", "c", "nothing"], ["nothing"]):
        assert_scores_match(model.scores(query), okapi.get_scores(query), repr(query))


# ------------------------------------------------------- the bundled corpus

QUESTIONS = [
    "重庆提出的885工作机制是什么？",
    "重慶的「八張報表」涉及哪些領域？",
    "数字鸿沟",
    "國企改革中黨建有什麼作用",
    "党建引领",
    "如何推进公共文化数字化",
    "超大城市治理现代化",
    "韧性安全城市",
    "数字重庆 1361 整体构架",
    "国有企业 领导班子 党员干部",
    "城乡 农村 数字文化",
]


@pytest.fixture(scope="module")
def bundled():
    chunks = retrieval.chunk_documents(retrieval.load_corpus([SEEDS]).documents)
    token_lists = [retrieval.tokenize(chunk.text) for chunk in chunks]
    engine, report = retrieval.open_engine()
    return chunks, token_lists, BM25Okapi(token_lists), engine


def test_engine_chunks_are_the_bundled_chunks(bundled):
    chunks, _, _, engine = bundled
    assert len(chunks) == 24
    assert [c.chunk_id for c in engine.chunks] == [c.chunk_id for c in chunks]
    assert [c.text for c in engine.chunks] == [c.text for c in chunks]


@pytest.mark.parametrize("question", QUESTIONS)
def test_engine_scores_equal_bm25okapi(bundled, question):
    chunks, token_lists, okapi, engine = bundled
    position = {chunk.chunk_id: i for i, chunk in enumerate(chunks)}
    query = retrieval.tokenize(question)
    assert query, "the question has content words"
    expected = okapi.get_scores(query)

    answer = engine.ask(question, top_k=len(chunks))
    assert answer.hits, f"{question!r} finds nothing"
    for hit in answer.hits:
        index = position[hit.chunk.chunk_id]
        assert abs(hit.score - expected[index]) <= TOLERANCE, (
            f"{question!r}: {hit.chunk.chunk_id} scored {hit.score!r}, BM25Okapi {expected[index]!r}"
        )

    assert_two_stage_order(engine, question, [(hit.score, hit.coverage, hit.chunk.text, hit.chunk.title) for hit in answer.hits])
    assert [hit.rank for hit in answer.hits] == list(range(1, len(answer.hits) + 1))

    # Without the second stage the hits are in BM25Okapi's own order.
    plain = SearchEngine(engine.chunks, engine.analyzer, engine.model, rerank=False).ask(question, top_k=len(chunks))
    scores = [hit.score for hit in plain.hits]
    assert scores == sorted(scores, reverse=True), f"{question!r}: hits not by descending score: {scores}"
    assert {h.chunk.chunk_id for h in plain.hits} == {h.chunk.chunk_id for h in answer.hits}

    # Every chunk that shares a word with the question is a hit, and no other.
    matching = {chunks[i].chunk_id for i, tokens in enumerate(token_lists) if set(tokens) & set(query)}
    assert {hit.chunk.chunk_id for hit in answer.hits} == matching


def test_bundled_model_is_not_degenerate(bundled):
    *_, engine = bundled
    assert engine.model.n_docs == 24
    assert engine.model.degenerate is False


# ----------------------------------------------------------- the CLI contract


def _cli(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "retrieval", *args],
        cwd=ROOT, env=_env(), input=stdin, capture_output=True, text=True, encoding="utf-8", timeout=120,
    )


@pytest.fixture(scope="module")
def cli_chunks():
    result = _cli("chunks", "--json")
    assert result.returncode == 0, result.stderr
    return [json.loads(line) for line in result.stdout.splitlines() if line.strip()]


@pytest.mark.parametrize("question", ["重庆提出的885工作机制是什么？", "國企改革中黨建有什麼作用"])
def test_cli_ask_json_scores_equal_bm25okapi(cli_chunks, question):
    token_lists = [retrieval.tokenize(record["text"]) for record in cli_chunks]
    expected = BM25Okapi(token_lists).get_scores(retrieval.tokenize(question))
    position = {record["chunk_id"]: i for i, record in enumerate(cli_chunks)}

    result = _cli("ask", "--json", "--top-k", "50", question)
    assert result.returncode == 0, result.stderr
    lines = [line for line in result.stdout.splitlines() if line.strip()]
    assert len(lines) == 1
    answer = json.loads(lines[0])
    assert answer["question"] == question
    assert answer["hits"]
    for hit in answer["hits"]:
        index = position[hit["chunk_id"]]
        assert hit["text"] == cli_chunks[index]["text"]
        assert abs(hit["score"] - expected[index]) <= TOLERANCE, (
            f"{question!r}: {hit['chunk_id']} scored {hit['score']!r}, BM25Okapi {expected[index]!r}"
        )
    engine, _ = retrieval.open_engine()
    assert_two_stage_order(engine, question, [(h["score"], h["coverage"], h["text"], h["title"]) for h in answer["hits"]])


def assert_two_stage_order(engine, question: str, hits: list[tuple[float, float, str, str]]) -> None:
    """BM25Okapi order, except that the first RERANK_DEPTH are reordered by
    score / best score + COVERAGE_WEIGHT × coverage + the positional features
    (the documented second stage, retrieval.answer.second_stage)."""
    scores = [hit[0] for hit in hits]
    assert scores[RERANK_DEPTH:] == sorted(scores[RERANK_DEPTH:], reverse=True)
    assert min(scores[:RERANK_DEPTH]) >= max(scores[RERANK_DEPTH:], default=0.0)
    head = sorted(hits[:RERANK_DEPTH], key=lambda h: -h[0])  # BM25 order, as the second stage sees it
    terms = [t for t in engine.analyzer.tokenize(question) if not is_word_pair(t)]
    weights = relevance.term_weights(terms, engine.model.vocabulary, engine.model.positive_idf(), engine.model.n_docs)
    # The characters feature weighs a character by how many chunks hold it.
    frequencies = CharCounts.from_texts(c.text for c in engine.chunks).frequencies(engine.analyzer.normalize)
    features = second_stage.QuestionFeatures(
        question, weights, engine.analyzer.normalize,
        char_rarity=lambda c: rarity(frequencies.get(c, 0), engine.model.n_docs),
    )
    stage = second_stage.Weights(coverage=COVERAGE_WEIGHT)
    value = dict(zip((h[2] for h in head), second_stage.keys(head, features, stage)))
    keys = [value[hit[2]] for hit in hits[:RERANK_DEPTH]]
    assert keys == sorted(keys, reverse=True), f"first stage {[h[:2] for h in head]}, keys {keys}"


# ------------------------------------------------------- degenerate corpora

ONE = "重庆火锅以麻辣鲜香闻名，牛油锅底是山城人最喜欢的味道。"
TWO = "成都的茶馆历史悠久，竹椅盖碗茶是市民休闲的日常方式。"


def _write(folder: Path, name: str, text: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(text + "\n", encoding="utf-8")


def _file(hit) -> str:
    return Path(hit.chunk.source_path).name


def _okapi_for(engine) -> tuple[BM25Okapi, dict[str, int]]:
    token_lists = [engine.analyzer.tokenize(chunk.text) for chunk in engine.chunks]
    return BM25Okapi(token_lists), {chunk.chunk_id: i for i, chunk in enumerate(engine.chunks)}


def _assert_hit_scores_match(engine, answer):
    okapi, position = _okapi_for(engine)
    expected = okapi.get_scores(engine.analyzer.tokenize(answer.question))
    for hit in answer.hits:
        got, want = hit.score, expected[position[hit.chunk.chunk_id]]
        assert abs(got - want) <= TOLERANCE, f"{answer.question!r}: {hit.chunk.chunk_id} {got!r} != BM25Okapi {want!r}"


def test_one_chunk_corpus(tmp_path):
    _write(tmp_path, "hotpot.txt", ONE)
    engine, report = retrieval.open_engine([tmp_path])
    assert report.chunks == 1
    assert engine.model.n_docs == 1
    assert engine.model.degenerate is True

    answer = engine.ask("重庆火锅的锅底是什么", top_k=5)
    assert [_file(hit) for hit in answer.hits] == ["hotpot.txt"]
    assert answer.hits[0].score <= 0  # Okapi's idf is negative on one document
    _assert_hit_scores_match(engine, answer)

    nothing = engine.ask("今天天气怎么样")
    assert nothing.hits == []
    assert nothing.answered is False


def test_two_chunk_corpus(tmp_path):
    _write(tmp_path, "hotpot.txt", ONE)
    _write(tmp_path, "teahouse.txt", TWO)
    engine, report = retrieval.open_engine([tmp_path])
    assert report.chunks == 2
    assert engine.model.n_docs == 2
    assert engine.model.degenerate is True

    for question, name in [("重庆火锅牛油锅底", "hotpot.txt"), ("成都茶馆盖碗茶", "teahouse.txt")]:
        answer = engine.ask(question, top_k=5)
        assert answer.hits, question
        assert _file(answer.hits[0]) == name, question
        _assert_hit_scores_match(engine, answer)

    nothing = engine.ask("今天天气怎么样")
    assert nothing.hits == []
    assert nothing.answered is False


def test_two_chunk_corpus_shared_word_still_ranks_the_specific_file_first(tmp_path):
    # 喜欢 is in both files (negative Okapi idf, which hurts the short file
    # more); 重庆火锅 only in one (Okapi idf exactly 0). By Okapi alone the
    # other file would come first; the engine must still rank the file with
    # the question's specific words first, and report Okapi's scores.
    _write(tmp_path, "hotpot.txt", "山城人都喜欢吃重庆火锅。")
    _write(tmp_path, "teahouse.txt", "成都的茶馆历史悠久，市民最喜欢坐在竹椅上喝盖碗茶，听川剧，摆龙门阵，度过闲适的午后时光。")
    engine, _ = retrieval.open_engine([tmp_path])
    assert engine.model.degenerate is True
    answer = engine.ask("喜欢重庆火锅", top_k=5)
    assert [_file(hit) for hit in answer.hits] == ["hotpot.txt", "teahouse.txt"]
    _assert_hit_scores_match(engine, answer)
    assert answer.hits[0].score < answer.hits[1].score <= 0  # Okapi's own order is the reverse
    assert answer.answered is True


def test_degenerate_flag_on_small_models():
    assert build_model([["a", "b"]]).degenerate is True
    assert build_model([["a"], ["b"]]).degenerate is True
    assert isinstance(build_model([["a"], ["b"], ["c"]]), BM25Model)
    assert build_model([["a"], ["b"], ["c"]]).degenerate is False
