"""The not-found reply names only words the documents truly never use, and offers near misses."""

from __future__ import annotations

from pathlib import Path

import pytest

from retrieval import open_engine
from retrieval.index.analyzer import normalize
from retrieval.ingest.documents import Document
from retrieval.index.building import build_engine
from retrieval.present.render import answer_to_json, answer_to_text


@pytest.fixture(scope="module")
def engine():
    engine, _ = open_engine()
    return engine


def corpus_text(engine) -> str:
    return "\n".join(
        normalize(f"{c.text}\n{c.title}\n{c.author}\n{c.section}\n{c.publication}") for c in engine.chunks
    )


def test_characters_inside_corpus_words_are_not_called_absent(engine):
    # 红 is in 红岩 and 沟 in 鸿沟, 企 in 企业: the index has no token for
    # them alone, but the text has them.
    answer = engine.ask("数字红沟")
    assert not answer.answered
    assert "红" not in answer.unknown and "沟" not in answer.unknown
    assert "文档中没有出现" not in answer_to_text(answer)
    answer = engine.ask("国有企叶改革")
    assert "企" not in answer.unknown


@pytest.mark.parametrize("question", [
    "数字红沟", "国有企叶改革", "深圳的数字化转型有哪些做法？", "侯金亮的电话号码", "華山海拔多少",
    "AI是什么", "今天天气怎么样", "村里人怎么能随时用手机看书学习？", "老百姓怎么看书", "红岩精神",
])
def test_every_word_listed_as_absent_occurs_nowhere_in_the_corpus(engine, question):
    text = corpus_text(engine)
    answer = engine.ask(question)
    for word in answer.unknown:
        assert normalize(word) not in text, (question, word)


def test_a_name_only_in_the_front_matter_is_not_absent(engine):
    answer = engine.ask("侯金亮的电话号码")
    assert not answer.answered
    assert "侯金亮" not in answer.unknown


def test_truly_absent_words_are_still_listed_as_written(engine):
    answer = engine.ask("深圳的数字化转型有哪些做法？")
    assert "深圳" in answer.unknown
    assert "文档中没有出现：“深圳”" in answer_to_text(answer)
    assert engine.ask("AI是什么").unknown == ["AI"]  # the user's spelling, not the normal form


@pytest.mark.parametrize("question, near_miss", [
    ("数字红沟", "数字鸿沟"),  # 红/鸿: same sound
    ("国有企叶改革", "国有企业改革"),  # 叶/业, and the corpus says 国有企业 改革 together
    ("农家书物", "农家书屋"),
    ("八张报标", "八张报表"),  # the typo sits beside the character jieba could not place
])
def test_a_near_miss_is_offered(engine, question, near_miss):
    answer = engine.ask(question)
    assert not answer.answered
    assert answer.near_misses[0] == near_miss
    assert f"你是不是要找：{near_miss}" in answer_to_text(answer)
    assert answer_to_json(answer)["did_you_mean"][0] == near_miss


def test_answered_questions_get_no_hints(engine):
    answer = engine.ask("数字鸿沟")
    assert answer.answered
    assert answer.unknown == [] and answer.near_misses == [] and answer.suggestions == []


def test_saved_index_reads_its_chunk_file_and_traditional_text(tmp_path):
    # A traditional corpus behind a saved index: the question's simplified
    # word occurs in it (as 華山), a made-up one does not.
    corpus = tmp_path / "docs"
    corpus.mkdir()
    (corpus / "huashan.md").write_text(
        "---\ntitle: 華山\nauthor: 王小明\n---\n\n華山位於陝西省華陰市，是五嶽之一，以險峻著稱。\n\n"
        "華山主峰南峰海拔兩千一百五十四米，是五嶽最高峰。\n\n"
        "每年到訪華山的遊客超過三百萬人次，旺季時纜車要排隊。\n",
        encoding="utf-8",
    )
    (corpus / "taishan.md").write_text(
        "---\ntitle: 泰山\n---\n\n泰山位於山東省泰安市，古稱岱宗，被尊為五嶽之首。\n\n"
        "泰山的日出是最有名的景觀，遊客常在夜裡登山。\n",
        encoding="utf-8",
    )
    engine, _ = open_engine([corpus], tmp_path / "index")
    engine, report = open_engine([corpus], tmp_path / "index")
    assert report.loaded_from_disk and hasattr(engine.chunks, "data")
    answer = engine.ask("华山的门票多少钱，淄博烧烤怎么样")
    assert not answer.answered
    assert "淄博" in answer.unknown or "淄博烧烤" in answer.unknown
    assert all(w not in ("华山", "華山") for w in answer.unknown)
    assert "王小明" not in engine.ask("王小明的电话").unknown  # only in the front matter


def test_in_memory_corpus_too():
    documents = [
        Document(doc_id="a", text="红岩精神是重庆的宝贵财富。", source_path="a.txt", title="红岩"),
        Document(doc_id="b", text="数字鸿沟需要弥合。", source_path="b.txt", title="数字"),
        Document(doc_id="c", text="农村的图书馆越来越多。", source_path="c.txt", title="农村"),
    ]
    engine, _ = build_engine(documents)
    answer = engine.ask("红沟是什么")
    assert not answer.answered
    assert "红" not in answer.unknown and "沟" not in answer.unknown
    assert "鸿沟" in answer.near_misses
