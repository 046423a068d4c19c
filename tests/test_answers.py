"""Questions about the bundled corpus: cited answers, snippets, and honest refusals."""

import json
from pathlib import Path

import pytest

from retrieval import open_engine
from retrieval.present.render import NOT_FOUND, answer_to_json, answer_to_text
from retrieval.answer.search import MAX_QUESTION_CHARS
from retrieval.sentences import split_sentences
from retrieval.answer.snippets import GAP

QUESTIONS = Path(__file__).parent / "data" / "seed_questions.jsonl"
CITATION_885 = "《重庆推动超大城市现代化治理的实践探索与机制创新》 · 刘嗣方 · 探索超大城市现代化治理的重庆实践价值 · 第4段"


@pytest.fixture(scope="module")
def engine():
    engine, _ = open_engine()
    return engine


def test_the_885_question_is_answered_with_its_paragraph_and_citation(engine):
    answer = engine.ask("重庆提出的885工作机制是什么？")
    assert answer.answered and answer.status == "answered"
    best = answer.hits[0]
    assert "八张报表" in best.chunk.text
    assert best.citation == CITATION_885
    marked = best.snippet.marked()
    assert "【885】" in marked and "【工作机制】" in marked or "【工作】" in marked


def test_snippet_is_one_to_four_sentences_of_the_paragraph(engine):
    for question in ("数字鸿沟", "怎样加快农家书屋数字化建设？", "选配国企领导班子的标准是什么？"):
        hit = engine.ask(question).hits[0]
        pieces = hit.snippet.text.split(GAP)
        assert 1 <= len(pieces) <= 2
        assert all(piece in hit.chunk.text for piece in pieces)
        assert 1 <= len(split_sentences(hit.snippet.text.replace(GAP, ""))) <= 4
        assert hit.snippet.highlights, question
        for start, end in hit.snippet.highlights:
            assert 0 <= start < end <= len(hit.snippet.text)


def test_traditional_question_finds_the_same_paragraph(engine):
    simplified = engine.ask("重庆的“八张报表”涉及哪些领域？")
    traditional = engine.ask("重慶的「八張報表」涉及哪些領域？")
    assert traditional.answered
    assert traditional.hits[0].chunk.chunk_id == simplified.hits[0].chunk.chunk_id
    assert "【八張報表】" in traditional.hits[0].snippet.marked() or "八张报表" in traditional.hits[0].chunk.text


@pytest.mark.parametrize(
    "question, status",
    [
        ("今天天气怎么样", "no_match"),
        ("推荐几只股票", "no_match"),
        ("上海的城市治理经验是什么？", "unknown_place"),
        ("重庆有多少人口？", "no_number"),
    ],
)
def test_questions_the_documents_cannot_answer_are_declined(engine, question, status):
    answer = engine.ask(question)
    assert not answer.answered
    assert answer.status == status
    text = answer_to_text(answer)
    assert NOT_FOUND in text and "出处" not in text


@pytest.mark.parametrize("question", ["", "   ", "？？！", "的了吗"])
def test_empty_questions_get_their_own_message(engine, question):
    answer = engine.ask(question)
    assert answer.status == "empty" and not answer.hits
    assert "请输入一个问题" in answer_to_text(answer)


def test_overlong_question_is_cut_and_says_so(engine):
    answer = engine.ask("八张报表" + "啊" * 10_000)
    assert answer.truncated and len(answer.question) == MAX_QUESTION_CHARS
    assert answer.answered
    assert str(MAX_QUESTION_CHARS) in answer_to_text(answer)


def test_markup_and_control_characters_are_just_text(engine):
    answer = engine.ask("<b>渝快办</b>\x00\x07")
    assert answer.answered
    assert "渝快办" in answer.hits[0].chunk.text
    assert engine.ask("<script>alert(1)</script>").answered is False


def test_json_rendering_has_every_citation_field(engine):
    record = answer_to_json(engine.ask("农家书屋数字化", top_k=2))
    json.dumps(record, ensure_ascii=False)  # serialisable
    assert record["answered"] is True and len(record["hits"]) == 2
    hit = record["hits"][0]
    for key in ("rank", "score", "chunk_id", "doc_id", "title", "author", "section",
                "paragraph", "source", "text", "snippet", "citation"):
        assert key in hit
    assert hit["source"] == "seeds/articles/03-hou-jinliang.md"
    assert hit["author"] == "侯金亮" and hit["rank"] == 1


def test_question_set_about_the_bundled_corpus():
    """Regression guard on questions written without looking at the code.

    A question with evidence is right when the first hit's paragraph contains
    it and the engine answers; one without must be declined.
    """
    engine, _ = open_engine()
    answerable = right = declined = unanswerable = 0
    citations_ok = 0
    for line in QUESTIONS.read_text(encoding="utf-8").splitlines():
        q = json.loads(line)
        answer = engine.ask(q["question"])
        if q["evidence"] is None:
            unanswerable += 1
            declined += not answer.answered
            continue
        answerable += 1
        right += answer.answered and q["evidence"] in answer.hits[0].chunk.text
        citations_ok += bool(answer.hits) and answer.hits[0].chunk.author == q["author"]
    assert right / answerable >= 0.80
    assert citations_ok / answerable >= 0.90
    assert declined / unanswerable >= 0.90


def test_refusals_suggest_the_corpus_own_terms(engine):
    answer = engine.ask("今天天气怎么样")
    assert answer.suggestions and all(term in engine.analyzer.terms for term in answer.suggestions)
    assert all(not engine.analyzer.is_common_word(term) for term in answer.suggestions)
    assert f"“{answer.suggestions[0]}”" in answer_to_text(answer)
    assert engine.ask("渝快办").suggestions == []


# ----------------------------------------------------------- names in the metadata


@pytest.fixture(scope="module")
def authors(engine):
    """Each bundled article's author, as its front matter gives it."""
    return {c.author: c for c in engine.chunks if c.paragraph == 1}


def test_an_authors_name_alone_finds_their_article(engine, authors):
    assert len(authors) == 3
    for name, first in authors.items():
        answer = engine.ask(name)
        assert answer.answered, name
        assert answer.hits[0].chunk == first
        assert answer.hits[0].score == 0.0  # BM25Okapi: no paragraph has the word


def test_a_question_about_the_author_gets_the_byline(engine):
    for question, byline in [
        ("刘嗣方是什么职务？", "（作者系重庆市中国特色社会主义理论体系研究中心副主任"),
        ("甘迪在哪个单位工作", "（作者单位：西南政法大学"),
        ("劉嗣方的職務", "（作者系"),
    ]:
        answer = engine.ask(question)
        assert answer.answered, question
        assert answer.hits[0].chunk.text.startswith(byline), question


def test_what_the_documents_do_not_say_about_an_author_is_declined(engine):
    for question in ("刘嗣方多大年纪？", "侯金亮是哪里人？", "甘迪的电话号码"):
        answer = engine.ask(question)
        assert not answer.answered, question
        assert not answer.hits, question
