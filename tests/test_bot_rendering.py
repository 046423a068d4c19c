"""bot.rendering: answers → Telegram HTML that Telegram accepts, escaped, cited, and short enough."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.rendering import (
    INLINE_DESCRIPTION_CHARS,
    MAX_HITS,
    MESSAGE_LIMIT,
    escape,
    fit,
    inline_description,
    page_count,
    render_answer,
    render_inline_passage,
    render_not_found,
    split_message,
)
from bot.texts import EN, ZH
from retrieval.ingest.documents import Document
from retrieval.index.building import build_engine
from retrieval.answer.search import MAX_QUESTION_CHARS, Answer
from tests.botapi_server import parse_html

QUESTION = "重庆提出的885工作机制是什么？"
OFF_TOPIC = "明天北京会下雨吗？"
CITATION = re.compile(r"第\d+段")


def plain(html_text: str) -> str:
    """What the user sees; raises ValueError if Telegram would reject the HTML."""
    return parse_html(html_text)[0]


def entities_of(html_text: str, kind: str) -> list[str]:
    text, entities = parse_html(html_text)
    encoded = text.encode("utf-16-le")
    return [
        encoded[2 * e["offset"] : 2 * (e["offset"] + e["length"])].decode("utf-16-le")
        for e in entities
        if e["type"] == kind
    ]


def no_space(text: str) -> str:
    return re.sub(r"\s+", "", text)


@pytest.fixture(scope="module")
def answer(qa) -> Answer:
    result = qa.engine.ask(QUESTION, MAX_HITS)
    assert result.answered and len(result.hits) == MAX_HITS  # what these tests rely on
    return result


# A corpus whose text, titles and authors are full of what HTML treats specially.
EVIL_TEXT = "<b>x</b> & <script>alert(1)</script> 蓝鲸协议规定每周三开会。蓝鲸协议由<委员会>制定 & 执行。"


@pytest.fixture(scope="module")
def evil_engine(qa):  # after `qa`: jieba is loaded once
    documents = [
        Document(
            doc_id="evil", source_path="evil.txt", title="标题<A&B>", author="作者&<编者>",
            text=EVIL_TEXT + "\n\n第二段讲别的事情，比如猫和狗的故事。",
        ),
        Document(
            doc_id="two", source_path="two.txt", title="第二篇<二>",
            text="据说蓝鲸协议的条款包括 1 < 2 && 3 > 2 这样的式子。",
        ),
        Document(
            doc_id="three", source_path="three.txt", title="第三篇&三", author="某人",
            text="蓝鲸协议&附录：<附录A> 列出了全部成员。",
        ),
    ]
    engine, _ = build_engine(documents)
    return engine


def engine_over(text: str, title: str = "长段落"):
    return build_engine([Document(doc_id="d", source_path="d.txt", title=title, text=text)])[0]


# ----------------------------------------------------------------- answered


def test_an_answer_marks_the_matched_words_and_cites_the_passage(answer):
    message = render_answer(answer, ZH)
    best = answer.hits[0]
    text = plain(message)
    assert best.snippet.text in text
    assert f"{ZH.source_label}{best.citation}" in text
    assert message.index("<b>") < message.index(ZH.source_label)
    bold = entities_of(message, "bold")
    assert bold == [best.snippet.text[s:e] for s, e in best.snippet.highlights]
    assert {"重庆", "885"} <= set(bold)
    assert entities_of(message, "italic")[0] == best.citation
    assert len(message) <= MESSAGE_LIMIT


def test_page_zero_lists_two_more_sources_compactly(answer):
    text = plain(render_answer(answer, ZH))
    assert ZH.answer_more_header in text
    for hit in answer.hits[1:3]:
        assert f"{hit.rank}. {hit.citation}" in text
        assert hit.snippet.text[:40] in text
    for hit in answer.hits[3:]:
        assert f"\n{hit.rank}. " not in text


def test_page_count_counts_the_first_page_and_pages_of_three():
    def pages(n: int) -> int:
        return page_count(Answer("q", True, hits=[object()] * n))

    assert [pages(n) for n in (0, 1, 3, 4, 6, 7, 15)] == [1, 1, 1, 2, 2, 3, 5]


def test_page_one_shows_hits_four_to_six_with_citations(answer):
    assert page_count(answer) == 5
    message = render_answer(answer, ZH, page=1)
    text = plain(message)
    assert text.startswith(ZH.page_header.format(first=4, last=6))
    for hit in answer.hits[3:6]:
        assert f"{hit.rank}. {hit.snippet.text}" in text
        assert hit.citation in text
    assert answer.hits[0].snippet.text not in text
    assert f"\n{answer.hits[6].rank}. " not in text and f"\n{answer.hits[2].rank}. " not in text
    assert len(entities_of(message, "italic")) == 3


def test_the_last_page_shows_the_last_hits(answer):
    text = plain(render_answer(answer, EN, page=4))
    assert text.startswith(EN.page_header.format(first=13, last=15))
    assert [int(m) for m in re.findall(r"^(\d+)\. ", text, flags=re.MULTILINE)] == [13, 14, 15]


@pytest.mark.parametrize("texts", [ZH, EN])
def test_every_page_and_view_is_valid_html_within_the_limit(answer, texts):
    for page in range(page_count(answer)):
        for expanded in (False, True):
            message = render_answer(answer, texts, page=page, expanded=expanded)
            assert len(message) <= MESSAGE_LIMIT
            assert CITATION.search(plain(message))


def test_the_expanded_view_quotes_the_whole_passage_in_an_expandable_blockquote(answer):
    message = render_answer(answer, ZH, expanded=True)
    best = answer.hits[0]
    assert "<blockquote expandable>" in message
    quoted = entities_of(message, "expandable_blockquote")
    assert quoted == [best.chunk.text]
    assert best.citation in plain(message)
    assert "<blockquote" not in render_answer(answer, ZH, expanded=False)


def test_a_truncated_question_is_noted_first(qa):
    long_answer = qa.engine.ask(QUESTION * 40, MAX_HITS)
    assert long_answer.truncated and long_answer.answered
    text = plain(render_answer(long_answer, ZH))
    assert text.startswith(ZH.truncated.format(limit=MAX_QUESTION_CHARS))
    assert str(MAX_QUESTION_CHARS) in text
    assert ZH.truncated.format(limit=MAX_QUESTION_CHARS) not in plain(render_answer(qa.engine.ask(QUESTION), ZH))


# ----------------------------------------------------------------- escaping


def test_corpus_text_titles_and_authors_are_escaped(evil_engine):
    result = evil_engine.ask("蓝鲸协议由委员会制定", MAX_HITS)
    assert result.answered and result.hits[0].chunk.doc_id == "evil"
    for expanded in (False, True):
        message = render_answer(result, ZH, expanded=expanded)
        text = plain(message)  # Telegram would accept it
        assert "蓝鲸协议由<委员会>制定 & 执行。" in text
        assert "《标题<A&B>》 · 作者&<编者> · 第1段" in text
        assert "<script>" not in message and "<b>x</b>" not in message
        bold = entities_of(message, "bold")
        assert "蓝鲸协议" in bold and set(bold) <= {"蓝鲸协议", "委员会", "制定"}
    # The whole passage, corpus "markup" included, is shown as text.
    expanded_text = plain(render_answer(result, ZH, expanded=True))
    assert "<b>x</b> & <script>alert(1)</script> 蓝鲸协议规定每周三开会。" in expanded_text


def test_corpus_markup_in_the_best_sentence_is_shown_literally(evil_engine):
    result = evil_engine.ask("蓝鲸协议每周三开会", MAX_HITS)
    assert result.answered and result.hits[0].chunk.doc_id == "evil"
    message = render_answer(result, ZH)
    assert "<b>x</b> & <script>alert(1)</script>" in plain(message)
    assert "x" not in entities_of(message, "bold")


def test_the_compact_sources_are_escaped_too(evil_engine):
    result = evil_engine.ask("蓝鲸协议", MAX_HITS)
    assert result.answered and len(result.hits) == 3
    text = plain(render_answer(result, ZH))
    for title in ("《标题<A&B>》", "《第二篇<二>》", "《第三篇&三》"):
        assert title in text
    assert ("1 < 2 && 3 > 2" in text) and ("<附录A>" in text)


def test_user_and_corpus_words_in_a_not_found_message_are_escaped():
    declined = Answer(
        "<b>天气</b> & 明天", False, status="no_match",
        unknown=["<b>", "R&D", "明天"], suggestions=["A<B>", "&amp;"],
    )
    message = render_not_found(declined, ZH)
    text = plain(message)
    assert "“<b>”、“R&D”、“明天”" in text
    assert "“A<B>”、“&amp;”" in text
    assert parse_html(message)[1] == []  # no markup at all


def test_escape_escapes_only_what_html_needs():
    assert escape('<a href="x">&</a>') == '&lt;a href="x"&gt;&amp;&lt;/a&gt;'


# ----------------------------------------------------------------- not found


def test_not_found_names_the_unknown_words_and_never_cites(qa):
    declined = qa.engine.ask(OFF_TOPIC, MAX_HITS)
    assert not declined.answered
    for texts in (ZH, EN):
        message = render_answer(declined, texts)
        text = plain(message)
        assert texts.not_found in text
        for word in ("明天", "北京", "下雨"):
            assert f"“{word}”" in text
        assert "《" not in text and not CITATION.search(text)
        assert parse_html(message)[1] == []
        assert render_not_found(declined, texts) == message


def test_not_found_offers_the_corpus_own_terms(qa):
    declined = qa.engine.ask(OFF_TOPIC, MAX_HITS)
    assert declined.suggestions
    text = plain(render_not_found(declined, ZH))
    assert all(f"“{term}”" in text for term in declined.suggestions)


def test_a_question_without_the_asked_number_says_so(qa):
    declined = qa.engine.ask("885工作机制是哪一年提出的？", MAX_HITS)
    assert declined.status == "no_number" and declined.hits  # hits exist, none is quoted
    text = plain(render_answer(declined, ZH))
    assert ZH.no_number in text
    assert "《" not in text and not CITATION.search(text)
    assert declined.hits[0].snippet.text not in text


def test_an_empty_question_asks_for_keywords(qa):
    empty = qa.engine.ask("？？", MAX_HITS)
    assert empty.status == "empty"
    text = plain(render_answer(empty, EN))
    assert text.startswith("Send a question")
    assert EN.not_found not in text


def test_a_truncated_off_topic_question_is_noted_too(qa):
    declined = qa.engine.ask(OFF_TOPIC * 60, MAX_HITS)
    assert declined.truncated and not declined.answered
    lines = plain(render_answer(declined, EN)).split("\n")
    assert lines[0] == EN.truncated.format(limit=MAX_QUESTION_CHARS)
    assert lines[1] == EN.not_found


# ----------------------------------------------------------------- inline


def test_inline_passage_and_description(answer):
    best = answer.hits[0]
    text = plain(render_inline_passage(best, ZH))
    assert text == f"{best.snippet.text}\n{ZH.source_label}{best.citation}"
    description = inline_description(best)
    assert len(description) <= INLINE_DESCRIPTION_CHARS + 1
    assert description.endswith("…") == (len(best.snippet.text) > INLINE_DESCRIPTION_CHARS)
    assert best.snippet.text.startswith(description.rstrip("…"))


# ----------------------------------------------------------------- split_message and fit

# Atoms of realistic bot output: words, marked words, escaped characters,
# sentence ends and line breaks. Flat lists of atoms keep generation fast.
WORDS = ["的", "党建引领", "城市治理现代化", "“八张报表”", "2024年", "，", "、", "《治理》", "数字重庆", "a b"]
BOLD = ["<b>重庆</b>", "<b>885</b>", "<b>工作机制</b>", "<b>治</b>"]
ENTITIES = ["&amp;", "&lt;", "&gt;"]
ENDS = ["。", "！", "？", "；"]
BREAKS = ["\n", "\n\n"]
MAX_SENTENCE_ATOMS = 6  # so a sentence is under 80 characters: no hard cut is needed


def as_line(atoms: list[str]) -> str:
    """Atoms → one line with a sentence end at least every MAX_SENTENCE_ATOMS atoms."""
    out: list[str] = []
    run = 0
    for atom in atoms:
        if run == MAX_SENTENCE_ATOMS:
            out.append("。")
            run = 0
        out.append(atom)
        run = 0 if atom in ENDS else run + 1
    return "".join(out)


atoms = st.sampled_from(WORDS + BOLD + ENTITIES + ENDS)
lines = st.lists(atoms, min_size=10, max_size=120).map(as_line)
long_lines = st.lists(atoms, min_size=60, max_size=250).map(as_line)  # far over most limits
messages = st.lists(st.tuples(lines, st.sampled_from(BREAKS)), min_size=1, max_size=6).map(
    lambda pairs: "".join(line + brk for line, brk in pairs[:-1]) + pairs[-1][0]
)


def check_pieces(message: str, pieces: list[str], limit: int) -> None:
    assert pieces, "no pieces"
    for piece in pieces:
        assert 0 < len(piece) <= limit
        parse_html(piece)  # raises on anything Telegram would reject
    assert no_space("".join(plain(p) for p in pieces)) == no_space(plain(message))


@settings(max_examples=100, deadline=None)
@given(message=st.one_of(messages, long_lines), data=st.data())
def test_split_message_pieces_fit_parse_and_lose_nothing(message, data):
    # A limit under the message's length most of the time: splitting is what is tested.
    limit = data.draw(st.integers(min_value=80, max_value=max(80, len(message) + 10)), label="limit")
    pieces = split_message(message, limit)
    check_pieces(message, pieces, limit)
    if len(message) <= limit:
        assert pieces == [message]
    for piece in pieces:  # the line break a piece was cut at is not carried along
        assert not piece.startswith("\n") and not piece.endswith("\n")


@settings(max_examples=150, deadline=None)
@given(
    message=st.lists(st.sampled_from(["的", "党建", "城市治理现代化", " ", "。", "\n", *ENTITIES]), min_size=10, max_size=300)
    .map("".join)
    .filter(str.strip),
    limit=st.integers(min_value=6, max_value=120),
)
def test_split_message_hard_cuts_never_break_an_entity(message, limit):
    check_pieces(message, split_message(message, limit), limit)


def test_a_single_line_far_over_the_limit_splits_at_sentence_ends():
    sentences_ = [f"第{i}句话讲的是<b>党建</b>引领和&lt;治理&gt;。" for i in range(300)]
    line = "".join(sentences_)
    assert "\n" not in line and len(line) > 10 * 200
    pieces = split_message(line, 200)
    assert len(pieces) > 10
    assert "".join(pieces) == line
    for piece in pieces:
        assert len(piece) <= 200
        assert piece.startswith("第") and piece.endswith("。")
        parse_html(piece)


def test_split_message_prefers_paragraph_and_line_breaks():
    paragraphs = ["\n".join(f"{p}.{i} " + "字" * 30 for i in range(3)) for p in range(4)]
    message = "\n\n".join(paragraphs)
    pieces = split_message(message, len(paragraphs[0]) + 5)
    assert pieces == paragraphs


def test_a_short_message_is_one_piece():
    assert split_message("短消息<b>字</b>", 4096) == ["短消息<b>字</b>"]


def test_a_hard_cut_never_splits_a_bold_word_from_its_end_tag():
    message = "字" * 45 + "<b>蓝鲸协议</b>" + "字" * 45
    for piece in split_message(message, 50):
        parse_html(piece)


def test_fit_keeps_a_message_within_the_limit_and_marks_the_cut():
    line = "".join(f"{i}. <b>重庆</b>提出党建引领&amp;工作机制。" for i in range(40))
    message = "\n".join([line] * 20)
    assert len(message) > 2 * MESSAGE_LIMIT
    fitted = fit(message)
    assert len(fitted) <= MESSAGE_LIMIT
    assert fitted.endswith("\n…")
    assert message.startswith(fitted.removesuffix("\n…"))
    plain(fitted)
    assert fit("短消息", 10) == "短消息"
    assert fit("x" * MESSAGE_LIMIT) == "x" * MESSAGE_LIMIT


def test_an_answer_over_a_huge_chunk_still_fits_one_message(qa):
    # Sentences without punctuation longer than the chunker's limit.
    engine = engine_over("。".join("蓝鲸协议规定" + "成员" * 300 for _ in range(4)) + "。")
    result = engine.ask("蓝鲸协议", MAX_HITS)
    assert result.answered
    for expanded in (False, True):
        message = render_answer(result, ZH, expanded=expanded)
        assert len(message) <= MESSAGE_LIMIT
        plain(message)


def test_the_expanded_view_of_a_passage_dense_with_escapes_is_valid_html(qa):
    engine = engine_over("".join(f"第{i}句讲" + "&" * 80 + "。" for i in range(10)) + "蓝鲸协议在这里。")
    result = engine.ask("蓝鲸协议", MAX_HITS)
    assert result.answered
    plain(render_answer(result, ZH, expanded=True))


@pytest.mark.parametrize("expanded", [False, True])
def test_an_answer_dense_with_escapes_keeps_its_citation(qa, expanded):
    engine = engine_over("蓝鲸协议规定" + "&" * 900 + "。")
    result = engine.ask("蓝鲸协议", MAX_HITS)
    assert result.answered
    text = plain(render_answer(result, ZH, expanded=expanded))
    assert f"{ZH.source_label}{result.hits[0].citation}" in text


# ----------------------------------------------------------------- follow-ups


def test_a_follow_ups_interpretation_is_one_escaped_line_above_every_page(answer):
    query = "谁提出的 <b>八张报表</b> & 885"
    for page in range(page_count(answer)):
        html_text = render_answer(answer, ZH, page=page, interpreted_as=query)
        text = plain(html_text)
        assert text.splitlines()[0] == ZH.interpreted_as.format(query=query)
        assert "<b>八张报表</b>" not in html_text and "&lt;b&gt;八张报表&lt;/b&gt; &amp; 885" in html_text
    assert plain(render_answer(answer, EN, interpreted_as="x y")).startswith("(Read as “x y”)")
    assert "理解" not in plain(render_answer(answer, ZH))


def test_a_very_long_interpretation_still_fits(answer):
    html_text = render_answer(answer, ZH, expanded=True, interpreted_as="八张报表 " * 400)
    assert len(html_text) <= MESSAGE_LIMIT
    assert len(plain(html_text).splitlines()[0]) < 260
