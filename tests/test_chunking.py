"""Tests for retrieval.chunking.chunks: documents → repaired, cited paragraph chunks."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import pytest

from retrieval.chunking.chunks import (
    MAX_PARAGRAPH_CHARS,
    MIN_PARAGRAPH_CHARS,
    Chunk,
    chunk_document,
    chunk_documents,
)
from retrieval.sentences import looks_like_heading
from retrieval.ingest.decoding import decode_bytes
from retrieval.ingest.documents import Document, load_corpus, parse_text_document

SEEDS = Path(__file__).resolve().parent.parent / "seeds"
RAW_PAGE = SEEDS / "raw" / "000_0390d85ce7607d90.txt"

# A complete first paragraph, so that the .txt title rule does not take the
# first line of the test text as the document title.
OPENING = "这是文章的第一段，它是一个完整的句子。"


def txt(text: str, name: str = "x.txt") -> Document:
    return parse_text_document(text, name, markdown=False)


def md(text: str, name: str = "x.md") -> Document:
    return parse_text_document(text, name, markdown=True)


def texts(chunks: list[Chunk]) -> list[str]:
    return [c.text for c in chunks]


def file_text(path: Path) -> str:
    return decode_bytes(path.read_bytes()).text


# ------------------------------------------------------------------ cut paragraphs


def test_cut_paragraph_after_blank_line_is_rejoined_without_added_characters():
    doc = txt(
        OPENING + "\n\n"
        "第二段先写一句完整的话。然后这一句话写到一半就被排版切断在\n\n"
        "中间的位置，然后继续写完。\n\n"
        "第三段是完整的一句话，没有问题。\n"
    )
    assert doc.title == "x"
    assert texts(chunk_document(doc)) == [
        OPENING,
        "第二段先写一句完整的话。然后这一句话写到一半就被排版切断在中间的位置，然后继续写完。",
        "第三段是完整的一句话，没有问题。",
    ]


def test_cut_paragraph_mid_word_is_rejoined():
    doc = txt(
        OPENING + "\n\n"
        "围绕实现人的现代化这一本质要求，持续健全新机制。以提高基层治理的系统性、协同性和实效性，实\n\n"
        "现党建引领更有力、治理体系更有智。\n"
    )
    assert texts(chunk_document(doc))[1] == (
        "围绕实现人的现代化这一本质要求，持续健全新机制。"
        "以提高基层治理的系统性、协同性和实效性，实现党建引领更有力、治理体系更有智。"
    )


def test_cut_latin_paragraph_is_rejoined_with_one_space():
    doc = txt(
        "The opening paragraph is a complete sentence.\n\n"
        "The second paragraph has one full sentence. Then it was cut in the\n\n"
        "middle of a sentence and goes on here.\n\n"
        "Third one is complete as well.\n"
    )
    assert texts(chunk_document(doc)) == [
        "The opening paragraph is a complete sentence.",
        "The second paragraph has one full sentence. Then it was cut in the middle of a sentence and goes on here.",
        "Third one is complete as well.",
    ]


def test_hard_wrapped_latin_line_ending_in_comma_keeps_a_space():
    doc = txt(
        "The opening paragraph is a complete sentence.\n\n"
        "The quick brown fox jumps over the lazy dog,\n"
        "and then it runs away into the forest.\n"
    )
    assert texts(chunk_document(doc))[1] == (
        "The quick brown fox jumps over the lazy dog, and then it runs away into the forest."
    )


def test_cut_paragraph_with_heading_in_between():
    doc = txt(
        OPENING + "\n\n"
        "第二段先写一句完整的话。然后这一句话写到一半就被排版切断在\n\n"
        "一个小标题\n\n"
        "中间的位置，然后继续写完。\n\n"
        "第三段是完整的一句话，属于新的小标题。\n\n"
        "第四段也是完整的一句话，也属于新的小标题。\n"
    )
    chunks = chunk_document(doc)
    assert [(c.text, c.section, c.paragraph) for c in chunks] == [
        (OPENING, "", 1),
        ("第二段先写一句完整的话。然后这一句话写到一半就被排版切断在中间的位置，然后继续写完。", "", 2),
        ("第三段是完整的一句话，属于新的小标题。", "一个小标题", 3),
        ("第四段也是完整的一句话，也属于新的小标题。", "一个小标题", 4),
    ]
    assert all("一个小标题" not in c.text for c in chunks)


def test_cut_paragraph_continued_on_next_line_is_joined():
    doc = txt(
        OPENING + "\n\n"
        "第二段先写一句完整的话。然后这一句话写到一半就被硬换行切断在\n"
        "中间的位置，然后继续写完。\n\n"
        "第三段是完整的一句话，没有问题。\n"
    )
    chunks = chunk_document(doc)
    assert texts(chunks) == [
        OPENING,
        "第二段先写一句完整的话。然后这一句话写到一半就被硬换行切断在中间的位置，然后继续写完。",
        "第三段是完整的一句话，没有问题。",
    ]
    assert chunks[1].line == 3


def test_short_unpunctuated_line_under_cut_line_is_tail_not_heading():
    doc = txt(
        OPENING + "\n\n"
        "第二段先写一句完整的话。然后这一句话写到一半就被硬换行切断在\n"
        "中间的位置\n"
        "然后继续写完这一句话。\n\n"
        "第三段是完整的一句话，没有问题。\n"
    )
    chunks = chunk_document(doc)
    assert texts(chunks) == [
        OPENING,
        "第二段先写一句完整的话。然后这一句话写到一半就被硬换行切断在中间的位置然后继续写完这一句话。",
        "第三段是完整的一句话，没有问题。",
    ]
    assert [c.section for c in chunks] == ["", "", ""]


def test_same_short_line_after_blank_is_a_heading():
    # contrast with the test above: with a blank line in between, the short
    # line is a heading and applies after the cut paragraph is finished
    doc = txt(
        OPENING + "\n\n"
        "第二段先写一句完整的话。然后这一句话写到一半就被硬换行切断在\n\n"
        "中间的位置\n\n"
        "然后继续写完这一句话。\n\n"
        "第三段是完整的一句话，没有问题。\n"
    )
    chunks = chunk_document(doc)
    assert [(c.text, c.section) for c in chunks] == [
        (OPENING, ""),
        ("第二段先写一句完整的话。然后这一句话写到一半就被硬换行切断在然后继续写完这一句话。", ""),
        ("第三段是完整的一句话，没有问题。", "中间的位置"),
    ]


def test_one_paragraph_per_line_without_blank_lines():
    lines = [
        "第一段是一个完整的句子呢。",
        "第二段也是一个完整的句子。",
        "第三段还是一个完整的句子！",
        "第四段是一个问句，对不对？",
    ]
    chunks = chunk_document(txt("\n".join(lines) + "\n"))
    assert texts(chunks) == lines
    assert [c.paragraph for c in chunks] == [1, 2, 3, 4]
    assert [c.line for c in chunks] == [1, 2, 3, 4]


# ------------------------------------------------------------------ headings


def test_repeated_heading_is_dropped_and_section_stays():
    doc = txt(
        OPENING + "\n\n"
        "第一个小标题\n\n"
        "第二段是完整的一句话，属于第一个小标题。\n\n"
        "第二个小标题\n\n"
        "第三段是完整的一句话，属于第二个小标题。\n\n"
        "第一个小标题\n\n"
        "第四段仍然属于第二个小标题，因为重复的标题被丢弃。\n"
    )
    chunks = chunk_document(doc)
    assert [(c.section, c.paragraph) for c in chunks] == [
        ("", 1),
        ("第一个小标题", 2),
        ("第二个小标题", 3),
        ("第二个小标题", 4),
    ]
    assert all("小标题\n" not in c.text and not c.text.startswith("第一个小标题") for c in chunks)


def test_heading_equal_to_title_is_dropped():
    doc = Document(
        doc_id="d",
        text=(
            "文章标题\n\n"
            "这是文章的第一段，它是一个完整的句子。\n\n"
            "小节\n\n"
            "第二段。这是完整的一句话，属于小节。\n\n"
            "文章标题\n\n"
            "第三段还在小节里面，标题被丢弃了。\n"
        ),
        source_path="d.txt",
        title="文章标题",
    )
    chunks = chunk_document(doc)
    assert [(c.text, c.section) for c in chunks] == [
        ("这是文章的第一段，它是一个完整的句子。", ""),
        ("第二段。这是完整的一句话，属于小节。", "小节"),
        ("第三段还在小节里面，标题被丢弃了。", "小节"),
    ]


def test_txt_title_line_repeated_in_body_is_dropped():
    doc = txt("一篇文章的标题\n\n" + OPENING + "\n\n一篇文章的标题\n\n第二段是完整的一句话，不在任何小标题下。\n")
    assert doc.title == "一篇文章的标题"
    chunks = chunk_document(doc)
    assert [(c.text, c.section) for c in chunks] == [
        (OPENING, ""),
        ("第二段是完整的一句话，不在任何小标题下。", ""),
    ]


def test_wholly_bracketed_line_is_complete():
    affiliation = "（作者单位：西南政法大学政治与公共管理学院）"
    assert len(affiliation) >= MIN_PARAGRAPH_CHARS
    doc = txt(OPENING + "\n\n" + affiliation + "\n\n第二段是完整的一句话，没有问题。\n")
    assert texts(chunk_document(doc)) == [OPENING, affiliation, "第二段是完整的一句话，没有问题。"]


def test_wholly_bracketed_line_directly_followed_by_text():
    affiliation = "（作者系重庆社会科学院党组书记、院长）"
    doc = txt(OPENING + "\n" + affiliation + "\n第二段是完整的一句话，没有问题。\n")
    assert texts(chunk_document(doc)) == [OPENING, affiliation, "第二段是完整的一句话，没有问题。"]


def test_markdown_headings_become_sections_and_are_not_counted():
    doc = md(
        "# 文章标题\n\n"
        "导语段落是一个完整的句子。\n\n"
        "## 第一节\n\n"
        "第一节的第一段是完整的句子。\n\n"
        "第一节的第二段也是完整的句子。\n\n"
        "### 第二节 ###\n\n"
        "第二节的第一段是完整的句子。\n"
    )
    assert doc.title == "文章标题"
    chunks = chunk_document(doc)
    assert [(c.chunk_id, c.section, c.paragraph, c.text) for c in chunks] == [
        ("x#p1", "", 1, "导语段落是一个完整的句子。"),
        ("x#p2", "第一节", 2, "第一节的第一段是完整的句子。"),
        ("x#p3", "第一节", 3, "第一节的第二段也是完整的句子。"),
        ("x#p4", "第二节", 4, "第二节的第一段是完整的句子。"),
    ]
    assert [c.line for c in chunks] == [3, 7, 9, 13]


def test_markdown_hash_without_space_is_text():
    doc = md(OPENING + "\n\n#标签不是标题，这一行是正文内容。\n")
    chunks = chunk_document(doc)
    assert texts(chunks) == [OPENING, "#标签不是标题，这一行是正文内容。"]
    assert chunks[1].section == ""


def test_looks_like_heading():
    assert looks_like_heading("探索超大城市现代化治理的重庆实践价值")
    assert not looks_like_heading("这是一个完整的句子。")
    assert not looks_like_heading("一个以逗号结尾的分句，")
    assert not looks_like_heading("（作者单位：某大学）")
    assert not looks_like_heading("很长的一行" * 10)
    assert not looks_like_heading("")


# ------------------------------------------------------------------ short and long


def test_short_fragment_is_merged_into_previous_paragraph():
    doc = txt(OPENING + "\n\n好的。\n\n第二段是完整的一句话，没有问题。\n")
    chunks = chunk_document(doc)
    assert texts(chunks) == [OPENING + "好的。", "第二段是完整的一句话，没有问题。"]
    assert [c.paragraph for c in chunks] == [1, 2]


def test_short_fragment_at_start_is_merged_into_next_paragraph():
    doc = txt("好的。\n\n第二段是完整的一句话，没有问题。\n\n第三段是完整的一句话，没有问题。\n")
    chunks = chunk_document(doc)
    assert texts(chunks) == ["好的。第二段是完整的一句话，没有问题。", "第三段是完整的一句话，没有问题。"]
    assert chunks[0].line == 1
    assert chunks[0].char_start == 0


def test_short_fragment_at_section_start_joins_its_own_section():
    doc = md(OPENING + "\n\n## 小节\n\n好的。\n\n第二段是完整的一句话，没有问题。\n")
    chunks = chunk_document(doc)
    assert [(c.text, c.section) for c in chunks] == [
        (OPENING, ""),
        ("好的。第二段是完整的一句话，没有问题。", "小节"),
    ]


def test_min_chars_option():
    doc = txt(OPENING + "\n\n好的。\n\n第二段是完整的一句话，没有问题。\n")
    assert len(chunk_document(doc, min_chars=1)) == 3


SENTENCE = "这是一个用来测试长段落切分的句子，长度适中。"  # 22 characters


def test_long_paragraph_is_split_at_sentence_boundaries():
    long_paragraph = SENTENCE * 10
    doc = txt(OPENING + "\n\n" + long_paragraph + "\n\n最后一段是完整的一句话。\n")
    chunks = chunk_document(doc, max_chars=100)
    parts = [c for c in chunks if c.paragraph == 2]
    assert len(parts) == 3
    assert [c.chunk_id for c in parts] == ["x#p2.1", "x#p2.2", "x#p2.3"]
    assert [c.part for c in parts] == [1, 2, 3]
    assert all(len(c.text) <= 100 for c in parts)
    assert all(c.text.endswith("。") and c.text.startswith("这是") for c in parts)
    assert "".join(c.text for c in parts) == long_paragraph
    assert {c.line for c in parts} == {3}
    assert [(c.chunk_id, c.paragraph) for c in chunks if c.paragraph != 2] == [("x#p1", 1), ("x#p3", 3)]


def test_long_paragraph_default_max_chars():
    long_paragraph = SENTENCE * 100  # 2200 characters
    chunks = chunk_document(txt(OPENING + "\n\n" + long_paragraph + "\n"))
    parts = chunks[1:]
    assert len(parts) == 3
    assert all(len(c.text) <= MAX_PARAGRAPH_CHARS for c in parts)
    assert all(c.paragraph == 2 for c in parts)
    assert "".join(c.text for c in parts) == long_paragraph


def test_long_latin_paragraph_split_keeps_all_words():
    paragraph = " ".join(f"Sentence number {i} is right here." for i in range(20))
    chunks = chunk_document(txt(paragraph + "\n"), max_chars=100)
    assert len(chunks) > 1
    assert all(len(c.text) <= 100 for c in chunks)
    assert all(c.text.endswith(".") for c in chunks)
    assert " ".join(c.text for c in chunks) == paragraph
    assert [c.chunk_id for c in chunks] == [f"x#p1.{i}" for i in range(1, len(chunks) + 1)]


def test_punctuation_free_run_is_hard_split():
    run = "无标点长串" * 50  # 250 characters, no sentence end
    doc = txt(OPENING + "\n\n" + SENTENCE + run + "。" + SENTENCE + "\n")
    chunks = chunk_document(doc, max_chars=100)
    parts = [c for c in chunks if c.paragraph == 2]
    assert all(len(c.text) <= 100 for c in parts)
    assert len(parts) >= 4
    assert "".join(c.text for c in parts) == SENTENCE + run + "。" + SENTENCE
    assert [c.chunk_id for c in parts] == [f"x#p2.{i}" for i in range(1, len(parts) + 1)]


def test_punctuation_free_run_alone():
    run = "无标点长串" * 50
    chunks = chunk_document(txt(OPENING + "\n\n" + run + "\n"), max_chars=100)
    assert texts(chunks[1:]) == [run[:100], run[100:200], run[200:]]
    assert [c.paragraph for c in chunks[1:]] == [2, 2, 2]


# ------------------------------------------------------------------ citation fields


FRONT = (
    "---\n"
    "id: doc-1\n"
    "title: 测试文章\n"
    "author: 张三\n"
    "source: 某报 · 理论版\n"
    "url: https://example.org/1\n"
    "---\n"
    "\n"
)
def write_cited_file(tmp_path: Path, newline: str) -> Path:
    body = (
        "　　第一段用全角空格缩进，是一个完整的句子。\n"
        "\n"
        "## 第一节\n"
        "\n"
        "第二段是完整的一句话，位于第一节之中。\n"
        "\n"
        "第三段先写一句完整的话。然后这一句话写到一半就被排版切断在\n"
        "\n"
        "中间的位置，然后继续写完。\n"
        "\n"
        "第四段是最后一段，也是完整的一句话。\n"
    )
    text = (FRONT + body).replace("\n", newline)
    path = tmp_path / "corpus" / "doc.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode("utf-8"))
    return path


@pytest.mark.parametrize("newline", ["\n", "\r\n"], ids=["lf", "crlf"])
def test_citation_fields_from_a_real_file(tmp_path, newline):
    path = write_cited_file(tmp_path, newline)
    result = load_corpus([tmp_path / "corpus"])
    assert result.problems == []
    chunks = chunk_documents(result.documents)
    text = file_text(path)
    lines = text.splitlines()

    assert [c.chunk_id for c in chunks] == ["doc-1#p1", "doc-1#p2", "doc-1#p3", "doc-1#p4"]
    for c in chunks:
        assert c.doc_id == "doc-1"
        assert c.title == "测试文章"
        assert c.author == "张三"
        assert c.source_path == "corpus/doc.md"
        assert c.publication == "某报 · 理论版"
        assert c.url == "https://example.org/1"
        assert c.part == 1
    assert [c.section for c in chunks] == ["", "第一节", "第一节", "第一节"]
    assert [c.paragraph for c in chunks] == [1, 2, 3, 4]
    # file lines, front matter included
    assert [c.line for c in chunks] == [9, 13, 15, 19]
    for c in chunks:
        assert lines[c.line - 1].strip() == text[c.char_start:c.char_end].splitlines()[0]

    # single-piece paragraphs: the exact range in the file
    for c in (chunks[0], chunks[1], chunks[3]):
        assert text[c.char_start:c.char_end] == c.text
    assert chunks[0].text == "第一段用全角空格缩进，是一个完整的句子。"

    # the rejoined paragraph spans both pieces in the file
    joined = chunks[2]
    assert joined.text == "第三段先写一句完整的话。然后这一句话写到一半就被排版切断在中间的位置，然后继续写完。"
    span = text[joined.char_start:joined.char_end]
    assert span.startswith("第三段先写一句完整的话。")
    assert span.endswith("然后继续写完。")
    assert span.replace("\r", "").replace("\n", "") == joined.text


def test_citation_line_with_form_feed_page_break(tmp_path):
    # pdftotext separates pages with "\f"; it does not start a new line
    text = (
        "第一页的第一段是完整的句子。\n"
        "\f第二页的第一段也是完整的句子。\n"
        "\n"
        "第二页的第二段也是完整的句子。\n"
    )
    path = tmp_path / "pdf.txt"
    path.write_text(text, encoding="utf-8")
    chunks = chunk_documents(load_corpus([path]).documents)
    assert [c.text for c in chunks] == [
        "第一页的第一段是完整的句子。",
        "第二页的第一段也是完整的句子。",
        "第二页的第二段也是完整的句子。",
    ]
    assert [c.line for c in chunks] == [1, 2, 4]
    for c in chunks:
        assert text.split("\n")[c.line - 1].lstrip("\f") == c.text
        assert text[c.char_start:c.char_end] == c.text


def test_jsonl_chunks_have_record_line_and_no_offsets(tmp_path):
    records = [
        {"id": "r1", "text": "第一条记录的第一段，是完整的句子。\n\n第一条记录的第二段，也是完整的句子。",
         "title": "记录一", "author": "李四"},
        {"id": "r2", "text": "第二条记录只有一段，是完整的句子。"},
    ]
    path = tmp_path / "data.jsonl"
    path.write_text("\n" + "\n".join(json.dumps(r, ensure_ascii=False) for r in records) + "\n", encoding="utf-8")
    chunks = chunk_documents(load_corpus([path]).documents)
    assert [(c.chunk_id, c.line, c.char_start, c.char_end) for c in chunks] == [
        ("r1#p1", 2, None, None),
        ("r1#p2", 2, None, None),
        ("r2#p1", 3, None, None),
    ]
    assert chunks[0].title == "记录一" and chunks[0].author == "李四"
    assert chunks[2].title == "r2" and chunks[2].author == ""
    assert chunks[0].source_path == "data.jsonl"


@pytest.mark.parametrize(
    "author, section, paragraph, expected",
    [
        ("作者", "小节", 4, "《标题》 · 作者 · 小节 · 第4段"),
        ("", "小节", 2, "《标题》 · 小节 · 第2段"),
        ("作者", "", 1, "《标题》 · 作者 · 第1段"),
        ("", "", 3, "《标题》 · 第3段"),
    ],
)
def test_chunk_citation_format(author, section, paragraph, expected):
    chunk = Chunk(
        chunk_id=f"d#p{paragraph}", doc_id="d", title="标题", author=author, section=section,
        paragraph=paragraph, part=1, text="正文。", source_path="d.md", line=1,
        char_start=0, char_end=3,
    )
    assert chunk.citation == expected


def test_chunk_documents_concatenates_in_order():
    a = txt("第一篇文章的唯一一段，是完整的句子。\n", "a.txt")
    b = txt("第二篇文章的第一段，是完整的句子。\n第二篇文章的第二段，是完整的句子。\n", "b.txt")
    chunks = chunk_documents([a, b], max_chars=500)
    assert [c.chunk_id for c in chunks] == ["a#p1", "b#p1", "b#p2"]
    assert chunk_documents([]) == []


# ------------------------------------------------------------------ bundled corpus


@pytest.fixture(scope="module")
def seed_chunks():
    result = load_corpus([SEEDS])
    assert [str(p) for p in result.problems] == []
    return chunk_documents(result.documents)


def test_seed_paragraph_counts(seed_chunks):
    counts = Counter(c.author for c in seed_chunks)
    assert counts == {"刘嗣方": 13, "甘迪": 6, "侯金亮": 5}
    for author in counts:
        mine = [c for c in seed_chunks if c.author == author]
        assert [c.paragraph for c in mine] == list(range(1, len(mine) + 1))
        assert all(c.part == 1 for c in mine)


def test_seed_citation_of_eight_reports(seed_chunks):
    [chunk] = [c for c in seed_chunks if "八张报表" in c.text]
    assert chunk.citation == (
        "《重庆推动超大城市现代化治理的实践探索与机制创新》 · 刘嗣方 · "
        "探索超大城市现代化治理的重庆实践价值 · 第4段"
    )
    assert chunk.chunk_id == "liu-sifang#p4"
    assert chunk.source_path == "seeds/articles/01-liu-sifang.md"


def test_seed_sections(seed_chunks):
    liu = [c.section for c in seed_chunks if c.doc_id == "liu-sifang"]
    assert liu == (
        [""]
        + ["实现超大城市现代化治理是建设现代化新重庆必须破解的难题"]
        + ["探索超大城市现代化治理的重庆实践价值"] * 5
        + ["新征程上要持续完善超大城市现代化治理新机制"] * 6
    )
    assert {c.section for c in seed_chunks if c.doc_id != "liu-sifang"} == {""}


SENTENCE_FINAL = re.compile(r"[。！？；…][”’」』）]*$")


def test_seed_paragraphs_end_like_sentences(seed_chunks):
    unfinished = []
    for c in seed_chunks:
        assert "\n" not in c.text
        if not SENTENCE_FINAL.search(c.text):
            unfinished.append(c.text)
    assert unfinished == [
        "（作者系重庆市中国特色社会主义理论体系研究中心副主任，重庆社会科学院党组书记、院长）",
        "（作者单位：西南政法大学政治与公共管理学院）",
    ]


def test_seed_chunks_occur_in_their_files(seed_chunks):
    root = SEEDS.parent
    for c in seed_chunks:
        text = file_text(root / c.source_path)
        assert c.text in text
        # every curated paragraph is a single line: exact range and line
        assert text[c.char_start:c.char_end] == c.text
        assert text.split("\n")[c.line - 1] == c.text


# ------------------------------------------------------------------ the raw page


@pytest.fixture(scope="module")
def raw_chunks():
    result = load_corpus([RAW_PAGE])
    assert result.problems == []
    [doc] = result.documents
    assert doc.title == "重庆推动超大城市现代化治理的实践探索与机制创新"
    return chunk_document(doc)


def test_raw_page_rejoins_word_cut_across_blank_line(raw_chunks):
    [chunk] = [c for c in raw_chunks if "实效性，实" in c.text]
    assert "现党建引领更有力" in chunk.text
    assert "协同性和实效性，实现党建引领更有力、治理" in chunk.text


def test_raw_page_rejoins_phrase_cut_across_blank_line(raw_chunks):
    [chunk] = [c for c in raw_chunks if "探索诸如“三会”" in c.text]
    assert "解“三事”等做法" in chunk.text
    assert "探索诸如“三会”解“三事”等做法" in chunk.text


def test_raw_page_repeated_heading_dropped(raw_chunks):
    heading = "探索超大城市现代化治理的重庆实践价值"  # printed on raw lines 21 and 27
    assert all(heading not in c.text for c in raw_chunks)
    [before_repeat] = [c for c in raw_chunks if c.text.startswith("创新发挥党建引领作用")]
    [after_repeat] = [c for c in raw_chunks if c.text.startswith("创新践行人民城市理念")]
    assert (before_repeat.line, after_repeat.line) == (25, 29)
    # the second copy neither starts a new section nor ends up in the text
    assert before_repeat.section == after_repeat.section == heading
    assert after_repeat.paragraph == before_repeat.paragraph + 1
    assert len({c.chunk_id for c in raw_chunks}) == len(raw_chunks)
    assert [c.paragraph for c in raw_chunks] == list(range(1, len(raw_chunks) + 1))


def test_raw_page_chunks_come_from_the_file(raw_chunks):
    text = file_text(RAW_PAGE)
    for c in raw_chunks:
        span = text[c.char_start:c.char_end]
        assert span.startswith(c.text[:10])
        assert span.endswith(c.text[-10:])
