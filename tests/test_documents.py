"""Tests for retrieval.ingest.documents: files and folders → Documents and Problems."""

from __future__ import annotations

import codecs
import json
import os
from pathlib import Path

import pytest

from retrieval.ingest.decoding import decode_bytes
from retrieval.ingest.documents import (
    Document,
    Problem,
    load_corpus,
    parse_jsonl,
    parse_text_document,
)

SEEDS = Path(__file__).resolve().parent.parent / "seeds"

BODY = "第一段正文，是一个完整的句子。\n\n第二段正文，也是一个完整的句子。\n"


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode(encoding))
    return path


def file_text(path: Path) -> str:
    return decode_bytes(path.read_bytes()).text


def by_id(result) -> dict[str, Document]:
    return {doc.doc_id: doc for doc in result.documents}


# ------------------------------------------------------------------ front matter


FRONT_MATTER = (
    "---\n"
    "id: article-7\n"
    "title: 重庆推动超大城市现代化治理的实践探索与机制创新\n"
    "author: 刘嗣方\n"
    "source: 学思践悟 · 领导干部学习笔谈\n"
    "url: https://example.org/a/7\n"
    "affiliation: 重庆社会科学院\n"
    "tags: [治理, 重庆]\n"
    "---\n"
    "\n"
)


def test_front_matter_fields(tmp_path):
    path = write(tmp_path / "a.md", FRONT_MATTER + BODY)
    result = load_corpus([path])
    assert result.problems == []
    [doc] = result.documents
    assert doc.doc_id == "article-7"
    assert doc.title == "重庆推动超大城市现代化治理的实践探索与机制创新"
    assert doc.author == "刘嗣方"
    assert doc.publication == "学思践悟 · 领导干部学习笔谈"
    assert doc.url == "https://example.org/a/7"
    assert doc.affiliation == "重庆社会科学院"
    assert doc.extra == {"tags": ["治理", "重庆"]}
    assert doc.markdown is True
    assert doc.jsonl_line is None


def test_front_matter_body_offset_and_first_line(tmp_path):
    path = write(tmp_path / "a.md", FRONT_MATTER + BODY)
    [doc] = load_corpus([path]).documents
    text = file_text(path)
    assert doc.text == "\n" + BODY  # the blank line after '---' belongs to the body
    assert text[doc.text_offset:] == doc.text
    # the closing '---' is on line 9, so the body starts on line 10
    assert doc.first_line == 10
    lines = text.split("\n")
    assert lines[doc.first_line - 1] == ""
    assert lines[10] == "第一段正文，是一个完整的句子。"  # file line 11


def test_front_matter_with_crlf(tmp_path):
    text = FRONT_MATTER.replace("\n", "\r\n") + BODY.replace("\n", "\r\n")
    path = write(tmp_path / "a.md", text)
    [doc] = load_corpus([path]).documents
    assert doc.title == "重庆推动超大城市现代化治理的实践探索与机制创新"
    assert doc.author == "刘嗣方"
    assert text[doc.text_offset:] == doc.text
    assert doc.first_line == 10


def test_front_matter_numeric_id_and_list_author(tmp_path):
    path = write(tmp_path / "a.md", "---\nid: 42\ntitle: 标题\nauthor: [张三, 李四]\n---\n" + BODY)
    [doc] = load_corpus([path]).documents
    assert doc.doc_id == "42"
    assert doc.author == "张三、李四"


def test_markdown_heading_is_title_when_front_matter_has_none(tmp_path):
    text = "---\nauthor: 甘迪\n---\n\n# 以发挥党建引领作用助推国有企业改革攻坚\n\n" + BODY
    path = write(tmp_path / "gan.md", text)
    [doc] = load_corpus([path]).documents
    assert doc.title == "以发挥党建引领作用助推国有企业改革攻坚"
    assert doc.author == "甘迪"
    assert doc.doc_id == "gan"
    # the body starts after the heading line (line 5), on line 6
    assert doc.first_line == 6
    assert text[doc.text_offset:] == doc.text
    assert "# 以发挥" not in doc.text
    assert doc.text.strip().startswith("第一段正文")


def test_markdown_heading_without_front_matter(tmp_path):
    text = "# 大力提升现代公共文化数字化水平\n" + BODY
    path = write(tmp_path / "hou.md", text)
    [doc] = load_corpus([path]).documents
    assert doc.title == "大力提升现代公共文化数字化水平"
    assert doc.first_line == 2
    assert doc.text_offset == len("# 大力提升现代公共文化数字化水平\n")
    assert doc.text == BODY


def test_front_matter_title_wins_over_heading(tmp_path):
    text = "---\ntitle: 元数据标题\n---\n# 正文标题\n\n" + BODY
    [doc] = load_corpus([write(tmp_path / "a.md", text)]).documents
    assert doc.title == "元数据标题"
    assert doc.text.startswith("# 正文标题")


def test_txt_short_unpunctuated_first_line_is_title(tmp_path):
    text = "大力提升现代公共文化数字化水平\n\n" + BODY
    path = write(tmp_path / "notes.txt", text)
    [doc] = load_corpus([path]).documents
    assert doc.title == "大力提升现代公共文化数字化水平"
    assert doc.markdown is False
    assert doc.first_line == 2
    assert text[doc.text_offset:] == doc.text
    assert "大力提升" not in doc.text


def test_txt_title_after_leading_blank_lines(tmp_path):
    text = "\n\n重庆推动超大城市现代化治理\n\n" + BODY
    [doc] = load_corpus([write(tmp_path / "page.txt", text)]).documents
    assert doc.title == "重庆推动超大城市现代化治理"
    assert doc.first_line == 4
    assert text[doc.text_offset:] == doc.text


def test_txt_first_line_sentence_gives_stem_title(tmp_path):
    path = write(tmp_path / "notes.txt", BODY)
    [doc] = load_corpus([path]).documents
    assert doc.title == "notes"
    assert doc.doc_id == "notes"
    assert doc.text == BODY
    assert doc.text_offset == 0
    assert doc.first_line == 1


def test_txt_long_first_line_is_not_a_title(tmp_path):
    long_line = "这一行没有标点但是非常长" * 5  # > 40 characters
    path = write(tmp_path / "long.txt", long_line + "\n" + BODY)
    [doc] = load_corpus([path]).documents
    assert doc.title == "long"
    assert doc.text.startswith(long_line)


def test_markdown_without_heading_gives_stem_title(tmp_path):
    # a short first line is not a title in markdown unless it is "# ..."
    path = write(tmp_path / "plain.md", "短的第一行\n\n" + BODY)
    [doc] = load_corpus([path]).documents
    assert doc.title == "plain"
    assert doc.text.startswith("短的第一行")


# ------------------------------------------------------------------ malformed front matter


def test_bad_yaml_gives_problem_with_line(tmp_path):
    corpus = tmp_path / "corpus"
    write(corpus / "bad.md", "---\ntitle: 好的标题\nauthor: 某人\nurl: a: b\n---\n" + BODY)
    write(corpus / "good.md", "---\ntitle: 正常文章\n---\n" + BODY)
    result = load_corpus([corpus])
    assert [d.title for d in result.documents] == ["正常文章"]
    [problem] = result.problems
    assert isinstance(problem, Problem)
    assert problem.path == "corpus/bad.md"
    assert problem.line == 4  # the 'url: a: b' line of the file
    assert str(problem).startswith("corpus/bad.md:4: ")
    assert "front matter" in str(problem)


def test_bad_yaml_unclosed_bracket(tmp_path):
    path = write(tmp_path / "bad.md", "---\ntitle: [unclosed\nauthor: x\n---\n" + BODY)
    result = load_corpus([path])
    assert result.documents == []
    [problem] = result.problems
    assert problem.path == "bad.md"
    assert problem.line == 3
    assert str(problem).startswith("bad.md:3: front matter")


def test_unclosed_front_matter(tmp_path):
    corpus = tmp_path / "corpus"
    write(corpus / "open.md", "---\ntitle: 没有结束\nauthor: 某人\n\n" + BODY)
    write(corpus / "z.txt", BODY)
    result = load_corpus([corpus])
    assert [d.source_path for d in result.documents] == ["corpus/z.txt"]
    [problem] = result.problems
    assert problem.path == "corpus/open.md"
    assert problem.line == 1
    assert str(problem).startswith("corpus/open.md:1: ")
    assert "never closed" in str(problem)


@pytest.mark.parametrize("block", ["- a\n- b\n", "just a string\n", "42\n"])
def test_front_matter_not_a_mapping(tmp_path, block):
    corpus = tmp_path / "corpus"
    write(corpus / "list.md", "---\n" + block + "---\n" + BODY)
    write(corpus / "ok.md", "# 正常文章\n" + BODY)
    result = load_corpus([corpus])
    assert [d.title for d in result.documents] == ["正常文章"]
    [problem] = result.problems
    assert problem.path == "corpus/list.md"
    assert problem.line == 2
    assert str(problem).startswith("corpus/list.md:2: ")
    assert "key: value" in problem.message


def test_empty_front_matter_is_fine(tmp_path):
    path = write(tmp_path / "empty.md", "---\n---\n" + BODY)
    result = load_corpus([path])
    assert result.problems == []
    [doc] = result.documents
    assert doc.text == BODY
    assert doc.first_line == 3


def test_problem_str_without_line():
    assert str(Problem("corpus/x.txt", "cannot decode")) == "corpus/x.txt: cannot decode"
    assert str(Problem("corpus/x.jsonl", "missing 'id'", 7)) == "corpus/x.jsonl:7: missing 'id'"


# ------------------------------------------------------------------ JSONL


def jsonl_line(record) -> str:
    return json.dumps(record, ensure_ascii=False)


def test_jsonl_good_and_bad_lines(tmp_path):
    lines = [
        jsonl_line({"id": "a", "text": "第一条记录。", "title": "标题A", "author": "作者A",
                    "source": "某报", "url": "https://example.org/a"}),   # 1
        "",                                                               # 2 blank
        "{not json",                                                      # 3
        jsonl_line({"text": "没有编号。"}),                                 # 4
        jsonl_line({"id": "b"}),                                          # 5
        jsonl_line({"id": "c", "text": 5}),                               # 6
        jsonl_line(["id", "text"]),                                       # 7
        jsonl_line({"id": 17, "text": "数字编号的记录。"}),                  # 8
        "   ",                                                            # 9 blank
        jsonl_line({"id": "d", "text": "最后一条记录。"}),                    # 10
    ]
    path = write(tmp_path / "corpus" / "data.jsonl", "\n".join(lines) + "\n")
    result = load_corpus([tmp_path / "corpus"])
    docs = by_id(result)
    assert list(docs) == ["a", "17", "d"]

    a = docs["a"]
    assert a.text == "第一条记录。"
    assert (a.title, a.author, a.publication, a.url) == ("标题A", "作者A", "某报", "https://example.org/a")
    assert a.jsonl_line == 1 and a.first_line == 1
    assert a.source_path == "corpus/data.jsonl"
    assert docs["17"].jsonl_line == 8
    assert docs["17"].title == "17"  # no title: the id stands in
    assert docs["17"].author == ""
    assert docs["d"].jsonl_line == 10

    problems = {p.line: p for p in result.problems}
    assert sorted(problems) == [3, 4, 5, 6, 7]
    for line, problem in problems.items():
        assert problem.path == "corpus/data.jsonl"
        assert str(problem).startswith(f"corpus/data.jsonl:{line}: ")
    assert "invalid JSON" in problems[3].message
    assert "id" in problems[4].message
    assert "text" in problems[5].message
    assert "text" in problems[6].message
    assert "object" in problems[7].message
    assert path.exists()


def test_jsonl_numeric_ids_become_strings():
    text = "\n".join([
        jsonl_line({"id": 1, "text": "一。"}),
        jsonl_line({"id": 0, "text": "零。"}),
        jsonl_line({"id": "x1", "text": "字。"}),
    ])
    docs, problems = parse_jsonl(text, "n.jsonl")
    assert problems == []
    assert [d.doc_id for d in docs] == ["1", "0", "x1"]
    assert [d.jsonl_line for d in docs] == [1, 2, 3]


@pytest.mark.parametrize(
    "record, needle",
    [
        ({"id": "", "text": "空编号。"}, "id"),
        ({"id": None, "text": "空编号。"}, "id"),
        ({"id": {"k": 1}, "text": "对象编号。"}, "id"),
        ({"id": "x", "text": None}, "text"),
        ({"id": "x", "text": ["列表"]}, "text"),
        ({"id": "x", "text": "正文。", "title": {"a": 1}}, "title"),
    ],
)
def test_jsonl_invalid_records(record, needle):
    text = jsonl_line({"id": "ok", "text": "好。"}) + "\n" + jsonl_line(record) + "\n"
    docs, problems = parse_jsonl(text, "bad.jsonl")
    assert [d.doc_id for d in docs] == ["ok"]
    [problem] = problems
    assert problem.line == 2
    assert needle in problem.message
    assert str(problem).startswith("bad.jsonl:2: ")


def test_jsonl_crlf_and_bom(tmp_path):
    text = "\r\n".join([jsonl_line({"id": "a", "text": "一。"}), jsonl_line({"id": "b", "text": "二。"})])
    path = tmp_path / "d.jsonl"
    path.write_bytes(codecs.BOM_UTF8 + text.encode("utf-8"))
    result = load_corpus([path])
    assert result.problems == []
    assert [(d.doc_id, d.jsonl_line, d.text) for d in result.documents] == [("a", 1, "一。"), ("b", 2, "二。")]


def test_jsonl_text_with_unicode_line_separators(tmp_path):
    # json.dumps(..., ensure_ascii=False) leaves U+2028 and U+0085 unescaped;
    # such a file is valid JSONL (records are separated by "\n" only).
    records = [
        {"id": "a", "text": "第一段。\u2028第二行。"},
        {"id": "b", "text": "另一条\x85记录。"},
        {"id": "c", "text": "正常记录。"},
    ]
    text = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)
    path = write(tmp_path / "d.jsonl", text)
    result = load_corpus([path])
    assert [str(p) for p in result.problems] == []
    assert [(d.doc_id, d.jsonl_line) for d in result.documents] == [("a", 1), ("b", 2), ("c", 3)]
    assert result.documents[0].text == "第一段。\u2028第二行。"


# ------------------------------------------------------------------ encodings


def test_gbk_file_loads(tmp_path):
    text = "---\ntitle: 国企改革\nauthor: 甘迪\n---\n" + BODY
    path = write(tmp_path / "gbk.md", text, encoding="gbk")
    result = load_corpus([path])
    assert result.problems == []
    [doc] = result.documents
    assert doc.title == "国企改革"
    assert doc.author == "甘迪"
    assert doc.text == BODY


@pytest.mark.parametrize("codec", ["utf-16", "utf-16-le-bom", "utf-16-be-bom"])
def test_utf16_file_loads(tmp_path, codec):
    text = "# 公共文化数字化\n\n" + BODY
    if codec == "utf-16":
        data = text.encode("utf-16")  # native order with BOM
    elif codec == "utf-16-le-bom":
        data = codecs.BOM_UTF16_LE + text.encode("utf-16-le")
    else:
        data = codecs.BOM_UTF16_BE + text.encode("utf-16-be")
    path = tmp_path / "u16.md"
    path.write_bytes(data)
    result = load_corpus([path])
    assert result.problems == []
    [doc] = result.documents
    assert doc.title == "公共文化数字化"
    assert doc.text == "\n" + BODY


def test_utf8_bom_file_loads_with_front_matter(tmp_path):
    path = tmp_path / "bom.md"
    path.write_bytes(codecs.BOM_UTF8 + (FRONT_MATTER + BODY).encode("utf-8"))
    [doc] = load_corpus([path]).documents
    assert doc.doc_id == "article-7"
    assert doc.author == "刘嗣方"


def test_gbk_jsonl_loads(tmp_path):
    text = jsonl_line({"id": "g", "text": "国标编码的记录。", "author": "某人"}) + "\n"
    path = write(tmp_path / "g.jsonl", text, encoding="gbk")
    [doc] = load_corpus([path]).documents
    assert (doc.doc_id, doc.text, doc.author) == ("g", "国标编码的记录。", "某人")


def test_undecodable_file_gives_problem_and_rest_loads(tmp_path):
    corpus = tmp_path / "corpus"
    write(corpus / "a.txt", BODY)
    (corpus / "broken.txt").write_bytes("重庆推动".encode("gbk")[:-1] + b"\x00\xff" * 40)
    write(corpus / "c.md", "# 第三篇\n" + BODY)
    result = load_corpus([corpus])
    assert [d.source_path for d in result.documents] == ["corpus/a.txt", "corpus/c.md"]
    [problem] = result.problems
    assert problem.path == "corpus/broken.txt"
    assert str(problem).startswith("corpus/broken.txt: ")
    assert "decode" in problem.message or "binary" in problem.message


# ------------------------------------------------------------------ folders


def test_folders_walked_recursively_in_sorted_order(tmp_path):
    corpus = tmp_path / "corpus"
    for name in ["z.md", "a.txt", "m/k.md", "m/b.jsonl", "b.md", "m/n/deep.txt"]:
        if name.endswith(".jsonl"):
            write(corpus / name, jsonl_line({"id": "j", "text": "记录。"}) + "\n")
        else:
            write(corpus / name, BODY)
    result = load_corpus([corpus])
    assert result.problems == []
    assert [d.source_path for d in result.documents] == [
        "corpus/a.txt",
        "corpus/b.md",
        "corpus/m/b.jsonl",
        "corpus/m/k.md",
        "corpus/m/n/deep.txt",
        "corpus/z.md",
    ]
    assert [p.name for p in result.files] == ["a.txt", "b.md", "b.jsonl", "k.md", "deep.txt", "z.md"]


def test_hidden_files_are_skipped_and_unsupported_ones_counted(tmp_path):
    corpus = tmp_path / "corpus"
    write(corpus / "keep.md", BODY)
    write(corpus / ".hidden.md", BODY)
    write(corpus / ".git" / "notes.md", BODY)
    write(corpus / "sub" / ".secret" / "x.txt", BODY)
    write(corpus / "data.csv", "a,b\n")
    write(corpus / "sub" / "more.csv", "a,b\n")
    write(corpus / "slides.pptx", "x")
    write(corpus / "noext", BODY)
    write(corpus / "doc.markdown", BODY)
    result = load_corpus([corpus])
    assert [str(p) for p in result.problems] == [
        f"{corpus}: skipped 2 .csv, 1 (no extension), 1 .pptx: unsupported format "
        "(readable: .doc, .docx, .epub, .htm, .html, .jsonl, .markdown, .md, .pdf, .txt, .xhtml)"
    ]
    assert [d.source_path for d in result.documents] == ["corpus/doc.markdown", "corpus/keep.md"]


def test_corpusignore(tmp_path):
    corpus = tmp_path / "corpus"
    write(corpus / ".corpusignore", "# comment line\nraw/\nREADME.md\n*-draft.md\n\n")
    write(corpus / "articles" / "a.md", BODY)
    write(corpus / "articles" / "b-draft.md", BODY)
    write(corpus / "articles" / "README.md", BODY)
    write(corpus / "README.md", BODY)
    write(corpus / "raw" / "page.txt", BODY)
    write(corpus / "sub" / "raw" / "nested.txt", BODY)
    write(corpus / "rawish" / "kept.txt", BODY)
    result = load_corpus([corpus])
    assert result.problems == []
    assert [d.source_path for d in result.documents] == [
        "corpus/articles/a.md",
        "corpus/rawish/kept.txt",
    ]


def test_corpusignore_only_applies_to_its_own_root(tmp_path):
    corpus = tmp_path / "corpus"
    write(corpus / ".corpusignore", "README.md\n")
    write(corpus / "README.md", BODY)
    other = write(tmp_path / "other" / "README.md", BODY)
    result = load_corpus([corpus, other.parent])
    assert [d.source_path for d in result.documents] == ["other/README.md"]


def test_missing_path_gives_problem(tmp_path):
    good = write(tmp_path / "good.txt", BODY)
    missing = tmp_path / "nowhere" / "gone.md"
    result = load_corpus([missing, good])
    assert [d.source_path for d in result.documents] == ["good.txt"]
    [problem] = result.problems
    assert problem.path == str(missing)
    assert problem.message == "no such file or folder"
    assert str(problem) == f"{missing}: no such file or folder"


def test_explicit_unsupported_file_gives_problem(tmp_path):
    sheet = write(tmp_path / "table.xlsx", "PK")
    good = write(tmp_path / "good.md", BODY)
    result = load_corpus([sheet, good])
    assert [d.source_path for d in result.documents] == ["good.md"]
    [problem] = result.problems
    assert problem.path == str(sheet)
    assert "unsupported" in problem.message
    assert "'.xlsx'" in problem.message
    assert ".txt" in problem.message and ".jsonl" in problem.message


def test_explicit_file_source_path_is_its_name(tmp_path):
    path = write(tmp_path / "deep" / "dir" / "essay.txt", BODY)
    [doc] = load_corpus([path]).documents
    assert doc.source_path == "essay.txt"
    assert doc.doc_id == "essay"


def test_source_path_relative_to_corpus_parent(tmp_path):
    corpus = tmp_path / "corpus"
    write(corpus / "sub" / "a.md", BODY)
    write(corpus / "top.txt", BODY)
    result = load_corpus([corpus])
    assert [(d.source_path, d.doc_id) for d in result.documents] == [
        ("corpus/sub/a.md", "corpus/sub/a"),
        ("corpus/top.txt", "corpus/top"),
    ]


def test_source_path_with_relative_corpus_argument(tmp_path, monkeypatch):
    write(tmp_path / "corpus" / "sub" / "a.md", BODY)
    monkeypatch.chdir(tmp_path / "corpus")
    result = load_corpus(["sub", "."])
    assert [d.source_path for d in result.documents] == ["sub/a.md"]
    assert [str(p) for p in result.problems] == ["corpus/sub/a.md: is the same file as sub/a.md; indexed once, as that"]
    assert load_corpus(["."]).documents[0].source_path == "corpus/sub/a.md"


def test_symlinked_file_pointing_outside_the_corpus(tmp_path, tmp_path_factory):
    outside = tmp_path_factory.mktemp("elsewhere") / "linked.md"
    outside.write_text("# 外部文章\n" + BODY, encoding="utf-8")
    corpus = tmp_path / "corpus"
    write(corpus / "a.md", BODY)
    try:
        os.symlink(outside, corpus / "link.md")
    except OSError:
        pytest.skip("symlinks not supported here")
    result = load_corpus([corpus])  # must not raise
    assert [d.source_path for d in result.documents] == ["corpus/a.md", "corpus/link.md"]
    assert result.documents[1].title == "外部文章"


def test_duplicate_ids_get_suffix_and_problem(tmp_path):
    write(tmp_path / "one" / "a.md", "---\nid: same\n---\n" + BODY)
    write(tmp_path / "two" / "b.md", "---\nid: same\n---\n" + BODY)
    write(tmp_path / "three" / "c.md", "---\nid: same\n---\n" + BODY)
    result = load_corpus([tmp_path / "one", tmp_path / "two", tmp_path / "three"])
    assert [d.doc_id for d in result.documents] == ["same", "same~2", "same~3"]
    assert [d.source_path for d in result.documents] == ["one/a.md", "two/b.md", "three/c.md"]
    assert [p.path for p in result.problems] == ["two/b.md", "three/c.md"]
    assert "same~2" in result.problems[0].message
    assert "same~3" in result.problems[1].message


def test_duplicate_jsonl_ids_name_the_line(tmp_path):
    text = "\n".join([
        jsonl_line({"id": "x", "text": "一。"}),
        jsonl_line({"id": "y", "text": "二。"}),
        jsonl_line({"id": "x", "text": "三。"}),
    ])
    path = write(tmp_path / "d.jsonl", text)
    result = load_corpus([path])
    assert [d.doc_id for d in result.documents] == ["x", "y", "x~2"]
    assert result.documents[2].text == "三。"
    [problem] = result.problems
    assert problem.line == 3
    assert str(problem).startswith("d.jsonl:3: ")


def test_same_file_name_in_two_explicit_paths_is_deduplicated(tmp_path):
    a = write(tmp_path / "x" / "a.md", BODY)
    b = write(tmp_path / "y" / "a.md", BODY)
    result = load_corpus([a, b])
    assert [d.doc_id for d in result.documents] == ["a", "a~2"]
    assert len(result.problems) == 1


def test_parse_text_document_directly():
    doc = parse_text_document("标题行\n\n" + BODY, "dir/x.txt", markdown=False)
    assert doc.title == "标题行"
    assert doc.doc_id == "dir/x"
    assert doc.source_path == "dir/x.txt"
    assert doc.first_line == 2
    assert doc.text == "\n" + BODY


# ------------------------------------------------------------------ bundled corpus


def test_bundled_seed_corpus():
    result = load_corpus([SEEDS])
    assert [str(p) for p in result.problems] == []
    assert len(result.documents) == 3
    assert {d.author: d.title for d in result.documents} == {
        "刘嗣方": "重庆推动超大城市现代化治理的实践探索与机制创新",
        "甘迪": "以发挥党建引领作用助推国有企业改革攻坚",
        "侯金亮": "大力提升现代公共文化数字化水平",
    }
    assert [d.doc_id for d in result.documents] == ["liu-sifang", "gan-di", "hou-jinliang"]
    assert [d.source_path for d in result.documents] == [
        "seeds/articles/01-liu-sifang.md",
        "seeds/articles/02-gan-di.md",
        "seeds/articles/03-hou-jinliang.md",
    ]
    assert all(d.publication == "学思践悟 · 领导干部学习笔谈" for d in result.documents)
    # the raw page, README and curation record are ignored
    assert all("raw" not in str(f) and f.name != "README.md" for f in result.files)
    docs = by_id(result)
    assert docs["gan-di"].affiliation == "西南政法大学政治与公共管理学院"
    assert docs["hou-jinliang"].affiliation == ""
    for doc in result.documents:
        text = file_text(SEEDS.parent / doc.source_path)
        assert text[doc.text_offset:] == doc.text
        assert text.split("\n")[doc.first_line - 1] == doc.text.split("\n")[0]
