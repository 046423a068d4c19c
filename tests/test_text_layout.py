"""Tests for the plain-text layout repair (retrieval.chunking.text_layout and
the modules it uses): hard wraps, cut paragraphs, headings, and the short
lines that are content, plus a property test on generated damaged pages."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from retrieval.chunking import text_layout
from retrieval.chunking.chunks import Chunk, chunk_document, chunk_documents
from retrieval.chunking.text_layout import SECTION_SEPARATOR
from retrieval.ingest.documents import load_corpus, parse_jsonl, parse_text_document
from retrieval.sentences import ends_sentence, looks_like_heading

DATA = Path(__file__).resolve().parent / "data" / "cmrc2018_sentences.txt"
SENTENCES = [line for line in DATA.read_text(encoding="utf-8").splitlines() if line and not line.startswith("#")]

OPENING = "这是文章的第一段，它是一个完整的句子。"
PARAGRAPHS = [
    "大莱龙铁路位于山东省北部环渤海地区，西起位于益羊铁路的潍坊大家洼车站，向东经海化、寿光、寒亭、昌邑、平度、"
    "莱州、招远、终到龙口，连接山东半岛羊角沟、潍坊、莱州、龙口四个港口。全长一百七十五公里，工程建设概算总投资"
    "十一点四二亿元。铁路西与德大铁路、黄大铁路在大家洼站接轨，东与龙烟铁路相连。",
    "乍都节公园位于泰国的首都曼谷的乍都节县，是拍凤裕庭路、威拍哇丽兰室路、甘烹碧路之间的一处公众游园地。"
    "一九七五年由泰国国家铁路局捐献土地建筑成公园。一九八零年八月十二日，为庆祝诗丽吉皇后的四十八岁生辰而正式开放"
    "给公众使用。公园内有一个大湖，湖边种植了各种树木。",
]


def txt(text: str, name: str = "x.txt"):
    return parse_text_document(text, name, markdown=False)


def md(text: str, name: str = "x.md"):
    return parse_text_document(text, name, markdown=True)


def squeeze(text: str) -> str:
    return "".join(text.split())


def texts(chunks: list[Chunk]) -> list[str]:
    return [c.text for c in chunks]


def whole(paragraph: str, chunks: list[Chunk]) -> bool:
    return any(squeeze(paragraph) in squeeze(c.text) for c in chunks)


def hard_wrap(text: str, width: int) -> list[str]:
    return [text[i:i + width] for i in range(0, len(text), width)]


# ------------------------------------------------------------------ hard wraps


@pytest.mark.parametrize("width", [20, 30, 40])
@pytest.mark.parametrize("between", ["\n\n", "\n　　"], ids=["blank-line", "indent"])
def test_hard_wrapped_paragraphs_come_back_whole(width, between):
    body = between.join("\n".join(hard_wrap(p, width)) for p in PARAGRAPHS)
    chunks = chunk_document(txt(OPENING + "\n\n" + body + "\n"))
    assert texts(chunks) == [OPENING, *PARAGRAPHS]
    assert all(c.section == "" for c in chunks)


def test_wrapped_line_ending_at_a_full_stop_goes_on():
    # a width at which a line break falls right after a full stop: that is no paragraph end
    paragraph = PARAGRAPHS[1]
    width = next(w for w in range(20, 41) if any(line.endswith("。") for line in hard_wrap(paragraph, w)[:-1]))
    for between in ("\n\n", "\n"):
        body = between.join("\n".join(hard_wrap(p, width)) for p in (paragraph, PARAGRAPHS[0]))
        chunks = chunk_document(txt(OPENING + "\n\n" + body + "\n"))
        assert whole(paragraph, chunks) and whole(PARAGRAPHS[0], chunks)
        if between == "\n\n":
            assert texts(chunks) == [OPENING, paragraph, PARAGRAPHS[0]]


def test_wrapped_latin_is_joined_with_spaces_and_hyphenation_undone():
    lines = [
        "Layout extraction breaks every line of a",
        "paragraph at the same width, and a hyph-",
        "enated word is joined again without its",
        "hyphen, while a well-known compound keeps it.",
    ]
    chunks = chunk_document(txt("The opening paragraph is a complete sentence.\n\n" + "\n".join(lines) + "\n"))
    assert texts(chunks)[1] == (
        "Layout extraction breaks every line of a paragraph at the same width, and a hyphenated word "
        "is joined again without its hyphen, while a well-known compound keeps it."
    )


# ------------------------------------------------------------------ cut paragraphs


@pytest.mark.parametrize(
    "first, second",
    [
        ("探索超大城市现代化治理新路是由重庆特殊市情决定的", "一个重要结论。"),
        ("党的二十大报告提出的", "加快转变超大特大城市发展方式，是必然要求。"),
        ("城市治理现代化是国家治理体系的重要内容，", "探索超大城市现代化治理新路是由重庆市情决定的。"),
        ("铁路西与德大铁路、黄大铁路在大家洼站接轨", "，东与龙烟铁路相连。"),
    ],
)
def test_short_first_half_of_a_cut_paragraph_is_no_heading(first, second):
    chunks = chunk_document(txt(OPENING + "\n\n" + first + "\n\n" + second + "\n\n" + PARAGRAPHS[1] + "\n"))
    assert texts(chunks) == [OPENING, first + second, PARAGRAPHS[1]]
    assert [c.section for c in chunks] == ["", "", ""]


def test_cut_first_half_whose_rest_starts_mid_sentence_is_no_heading():
    first, second = "大莱龙铁路位于山东省北部环渤海地区", "，西起位于益羊铁路的潍坊大家洼车站。"
    chunks = chunk_document(txt(OPENING + "\n\n" + first + "\n\n" + second + "\n"))
    assert texts(chunks) == [OPENING, first + second]
    # a word cut in two: the rest's first clause is one character long
    first, second = "颱風為臺灣提供了豐沛的水", "分，但由於降雨空間和時間分布十分不均。"
    doc = txt(OPENING + "\n\n" + first + "\n\n理论周刊\n\n" + second + "\n\n" + PARAGRAPHS[1] + "\n")
    chunks = chunk_document(doc)
    assert [(c.text, c.section) for c in chunks] == [(OPENING, ""), (first + second, ""), (PARAGRAPHS[1], "理论周刊")]


def test_title_between_the_halves_of_a_cut_paragraph_is_a_later_section():
    first, second = PARAGRAPHS[0][:60], PARAGRAPHS[0][60:]
    doc = txt(OPENING + "\n\n" + first + "\n\n另一篇文章的标题\n\n" + second + "\n\n" + PARAGRAPHS[1] + "\n")
    chunks = chunk_document(doc)
    assert [(c.text, c.section) for c in chunks] == [
        (OPENING, ""), (PARAGRAPHS[0], ""), (PARAGRAPHS[1], "另一篇文章的标题"),
    ]


def test_paragraph_without_full_stop_is_not_glued_to_a_long_next_one():
    unfinished = "张世昌，中国足球运动员，司职守门员。" * 45 + "二零一五年二月加盟中甲球队大连一方"
    following = "邹游在二零零四年正式进入大连实德一线队开始职业足球生涯。" * 10
    chunks = chunk_document(txt(OPENING + "\n\n" + unfinished + "\n\n" + following + "\n"))
    assert texts(chunks) == [OPENING, unfinished, following]


# ------------------------------------------------------------------ headings


@pytest.mark.parametrize("heading", ["一、总体要求", "（一）指导思想", "第一章 总则", "1. 基本情况", "1.1 研究背景"])
def test_numbered_headings_become_sections(heading):
    for between in ("\n\n", "\n"):
        chunks = chunk_document(txt(OPENING + "\n\n" + heading + between + PARAGRAPHS[0] + "\n"))
        assert [(c.text, c.section) for c in chunks] == [(OPENING, ""), (PARAGRAPHS[0], heading)]


def test_headings_in_a_row_make_a_section_path():
    doc = txt(OPENING + "\n\n第一章 总则\n\n第一节 目的\n\n" + PARAGRAPHS[0] + "\n")
    assert chunk_document(doc)[1].section == SECTION_SEPARATOR.join(["第一章 总则", "第一节 目的"])


def test_title_like_line_between_blank_lines_is_a_heading():
    doc = txt(OPENING + "\n\n铁路概况\n\n" + PARAGRAPHS[0] + "\n\n公园简介\n\n" + PARAGRAPHS[1] + "\n")
    chunks = chunk_document(doc)
    assert [(c.text, c.section) for c in chunks] == [(OPENING, ""), (PARAGRAPHS[0], "铁路概况"), (PARAGRAPHS[1], "公园简介")]


@pytest.mark.parametrize("line", ["我们在这次会议上讨论的", "铁路西与德大铁路、黄大铁路", "他说：“我们要坚持", "2024年3月5日"])
def test_clause_like_short_line_is_text(line):
    chunks = chunk_document(txt(OPENING + "\n\n" + line + "\n\n" + PARAGRAPHS[0] + "\n"))
    assert all(c.section == "" for c in chunks)
    assert whole(line, chunks)


def test_heading_with_nothing_after_it_is_text():
    chunks = chunk_document(txt(OPENING + "\n\n" + PARAGRAPHS[0] + "\n\n延伸阅读\n"))
    assert "延伸阅读" in chunks[-1].text


def test_numbered_lines_between_blank_lines_are_a_list_not_sections():
    items = ["1. 坚持人民至上", "2. 坚持自信自立", "3. 坚持守正创新"]
    chunks = chunk_document(txt(OPENING + "\n\n" + "\n\n".join(items) + "\n\n" + PARAGRAPHS[0] + "\n"))
    assert all(c.section == "" for c in chunks)
    assert all(whole(item, chunks) for item in items)


def test_repeated_heading_is_dropped_only_when_kept():
    doc = txt(OPENING + "\n\n铁路概况\n\n" + PARAGRAPHS[0] + "\n\n铁路概况\n\n" + PARAGRAPHS[1] + "\n")
    chunks = chunk_document(doc)
    assert [c.section for c in chunks] == ["", "铁路概况", "铁路概况"]
    assert texts(chunks) == [OPENING, *PARAGRAPHS]


def test_guessed_headings_can_also_be_kept_as_text(monkeypatch):
    monkeypatch.setattr(text_layout, "GUESSED_HEADINGS_IN_TEXT", True)
    doc = txt(OPENING + "\n\n铁路概况\n\n" + PARAGRAPHS[0] + "\n")
    assert [(c.text, c.section) for c in chunk_document(doc)] == [(OPENING, ""), ("铁路概况\n" + PARAGRAPHS[0], "铁路概况")]
    # Markdown "#" headings are explicit: section only
    assert chunk_document(md(OPENING + "\n\n## 铁路概况\n\n" + PARAGRAPHS[0] + "\n"))[1].text == PARAGRAPHS[0]


def test_looks_like_heading_rejects_clauses_and_open_quotes():
    assert looks_like_heading("探索超大城市现代化治理的重庆实践价值")
    assert looks_like_heading("公众参与")
    for line in ("我们在这次会议上讨论的", "坚持人民至上，推动高质量发展", "他说“我们要", "苹果、香蕉和"):
        assert not looks_like_heading(line), line


def test_line_ending_in_a_web_address_is_finished():
    assert ends_sentence("详见官方网站 http://www.stsl.ru/languages/zh/index.php")
    assert not ends_sentence("详见官方网站")


# ------------------------------------------------------------------ short lines that are content


POEM = ["床前明月光，", "疑是地上霜。", "举头望明月，", "低头思故乡。"]


@pytest.mark.parametrize(
    "lines",
    [
        POEM,
        ["床前明月光，疑是地上霜。", "举头望明月，低头思故乡。"],
        ["轻轻的我走了", "正如我轻轻的来", "我轻轻的招手", "作别西天的云彩"],
        ["千山鸟飞绝", "万径人踪灭", "孤舟蓑笠翁", "独钓寒江雪"],
    ],
    ids=["quatrain", "couplets", "modern", "unpunctuated"],
)
def test_verse_is_kept_line_by_line(lines):
    doc = txt(OPENING + "\n\n静夜思\n\n" + "\n".join(lines) + "\n\n" + PARAGRAPHS[0] + "\n")
    chunks = chunk_document(doc)
    assert "\n".join(lines) in texts(chunks)
    assert whole(PARAGRAPHS[0], chunks)


@pytest.mark.parametrize("names", ["张伟 王芳 李娜 刘洋 陈静", "张伟、王芳、李娜、刘洋", "张伟\n王芳\n李娜\n刘洋"])
def test_name_lists_are_kept(names):
    chunks = chunk_document(txt(OPENING + "\n\n主要成员\n\n" + names + "\n\n" + PARAGRAPHS[0] + "\n"))
    assert whole(names, chunks)
    assert whole(PARAGRAPHS[0], chunks)


def test_contact_block_is_kept_as_rows():
    contact = "电话：023-63891234\n邮编：400015\n地址：重庆市渝中区人民路232号"
    chunks = chunk_document(txt(OPENING + "\n\n" + PARAGRAPHS[0] + "\n\n" + contact + "\n"))
    assert texts(chunks) == [OPENING, PARAGRAPHS[0], contact]
    one = chunk_document(txt(OPENING + "\n\n责任编辑：王芳\n\n" + PARAGRAPHS[0] + "\n"))
    assert whole("责任编辑：王芳", one) and all(c.section == "" for c in one)


def test_markdown_table_rows_stay_rows():
    table = "| 年份 | 人口（万） |\n| --- | --- |\n| 2020 | 3205 |\n| 2021 | 3212 |"
    for doc in (txt(OPENING + "\n\n" + table + "\n"), md(OPENING + "\n\n" + table + "\n")):
        assert texts(chunk_document(doc)) == [OPENING, table]


def test_fenced_code_is_kept_verbatim():
    code = "```python\n# 不是标题\nfor item in items:\n\n    print(item)\n```"
    for doc in (txt(OPENING + "\n\n" + code + "\n\n" + PARAGRAPHS[0] + "\n"), md(OPENING + "\n\n" + code + "\n")):
        chunks = chunk_document(doc)
        assert code in texts(chunks)
        assert all(c.section == "" for c in chunks)


def test_bulleted_list_is_kept_as_rows():
    items = "- 加强组织建设\n- 完善制度体系\n- 提升服务能力"
    chunks = chunk_document(txt(OPENING + "\n\n" + items + "\n"))
    assert texts(chunks) == [OPENING, items]


def test_jsonl_record_of_one_short_phrase_is_not_emptied():
    lines = [json.dumps({"id": "a", "text": "床前明月光"}, ensure_ascii=False),
             json.dumps({"id": "b", "text": "延伸阅读\n\n第一章 总则"}, ensure_ascii=False)]
    docs, problems = parse_jsonl("\n".join(lines) + "\n", "r.jsonl")
    assert problems == []
    chunks = chunk_documents(docs)
    assert [(c.doc_id, c.text) for c in chunks] == [("a", "床前明月光"), ("b", "延伸阅读第一章 总则")]


def test_raw_page_sections_follow_its_headings():
    raw = Path(__file__).resolve().parent.parent / "seeds" / "raw" / "000_0390d85ce7607d90.txt"
    [doc] = load_corpus([raw]).documents
    first = chunk_document(doc)[0]
    # the column header and the byline have no paragraph of their own: they head the first one together
    assert first.section == SECTION_SEPARATOR.join(["学思践悟", "领导干部学习笔谈", "刘嗣方"])


# ------------------------------------------------------------------ property: generated damaged pages


def _title_like(sentence: str) -> str:
    """A short heading made from a sentence's opening words."""
    head = sentence[:12]
    for mark in "，、；：。！？“”（）《》「」":
        head = head.split(mark)[0]
    while head and not looks_like_heading(head):
        head = head[:-1]
    return head if len(head) >= 2 else "概况"


content_blocks = st.sampled_from([
    "\n".join(POEM),
    "千山鸟飞绝\n万径人踪灭\n孤舟蓑笠翁\n独钓寒江雪",
    "张伟 王芳 李娜 刘洋 陈静",
    "张伟、王芳、李娜",
    "电话：023-63891234\n邮编：400015\n地址：重庆市渝中区人民路232号",
    "| 年份 | 数量 |\n| --- | --- |\n| 2020 | 305 |",
    "```\nprint('你好')\n```",
    "- 加强组织建设\n- 完善制度体系",
    "（完）",
])


@st.composite
def damaged_pages(draw):
    """(page text, body pieces that must all survive, paragraphs that must come back whole, headings).

    Sentences are not reused within a page: a heading-like line printed twice
    is dropped as a repeated heading, and that is meant."""
    unused = list(range(len(SENTENCES)))

    def sentence() -> str:
        return SENTENCES[unused.pop(draw(st.integers(0, len(unused) - 1)))]

    width = draw(st.sampled_from([None, None, 20, 24, 30, 33, 36, 40]))
    indent = draw(st.booleans()) and width is not None  # indented paragraphs, no blank lines between
    blocks: list[str] = []
    body: list[str] = []
    whole_ones: list[str] = []
    headings: list[str] = []
    for kind in draw(st.lists(st.sampled_from(["paragraph"] * 5 + ["heading", "content", "cut"]), min_size=1, max_size=8)):
        if kind == "heading":
            heading = _title_like(sentence())
            if draw(st.booleans()):
                heading = draw(st.sampled_from(["一、", "（二）", "第三章 ", "4. "])) + heading
            headings.append(heading)
            blocks.append("\n" + heading + "\n")
            continue
        if kind == "content":
            block = draw(content_blocks)
            body.append(block)
            whole_ones.append(block)
            blocks.append("\n" + block + "\n")
            continue
        text = "".join(sentence() for _ in range(draw(st.integers(1, 5))))
        body.append(text)
        lines = hard_wrap(text, width) if width else [text]
        if kind == "cut" and len(text) > 4:
            at = draw(st.integers(2, len(text) - 2))
            first = hard_wrap(text[:at], width) if width else [text[:at]]
            rest = hard_wrap(text[at:], width) if width else [text[at:]]
            between = "\n\n"
            if draw(st.booleans()):  # a title dropped between the halves, as on newspaper pages
                heading = _title_like(sentence())
                headings.append(heading)
                between = "\n\n" + heading + "\n\n"
            blocks.append("\n" + "\n".join(first) + between + "\n".join(rest))
            continue
        # Two lines broken after a full stop are two one-line paragraphs as
        # far as anyone can tell: no test of wholeness for those.
        if not (len(lines) == 2 and ends_sentence(lines[0])):
            whole_ones.append(text)
        gap = "" if indent else "\n" * draw(st.integers(1, 3))
        blocks.append(gap + ("　　" if indent else "") + "\n".join(lines))
    return OPENING + "\n\n" + "\n".join(blocks) + "\n", body, whole_ones, headings


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(damaged_pages())
def test_generated_pages_lose_no_text_and_keep_whole_paragraphs(page):
    text, body, whole_ones, headings = page
    chunks = chunk_document(txt(text))
    held = Counter(squeeze("".join(c.text for c in chunks)))
    sections = [c.section for c in chunks]
    used = [part for i, s in enumerate(sections) if s and (i == 0 or s != sections[i - 1]) for part in s.split(SECTION_SEPARATOR)]
    # Every character of the body is in a chunk's text, or (a cut half that
    # looked like a heading) in its section; nothing is invented or doubled.
    missing = Counter(squeeze("".join(body))) - held - Counter(squeeze("".join(used)))
    assert not missing, missing
    assert not held - Counter(squeeze(text))
    for paragraph in whole_ones:
        assert whole(paragraph, chunks), paragraph
    for heading in headings:
        assert squeeze(heading) in squeeze("".join(texts(chunks)) + "".join(used)), heading


def test_a_wrapped_line_starting_with_a_decimal_is_not_a_numbered_item():
    # Found by the property test: "1.7公斤" and "80.1%" at a line start
    # were taken for section numbers ("1.1 背景") and cut the paragraph.
    lines = ["　　郑有杰的父亲为日本华侨，从小就学习日文，日语流利，还为日本小",
             "说《横山家之味》翻译。紫冠雉是大型的鸟类，一般长86厘米及重",
             "1.7公斤。自从1973年以来，魏斯可一直由蓝筹印花公司持有",
             "80.1%股权，而蓝筹印花公司则是波克夏·哈萨威公司的全资子",
             "公司。"]
    paragraph = "".join(line.strip("　") for line in lines)
    chunks = chunk_document(txt(OPENING + "\n\n" + "\n".join(lines) + "\n"))
    assert whole(paragraph, chunks)
