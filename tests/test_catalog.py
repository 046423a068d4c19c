"""The library's catalog: documents found by the words of their citation,
read from a saved index without parsing every chunk."""

from __future__ import annotations

import json

import numpy as np
import pytest

from retrieval import open_engine
from retrieval.answer.catalog import Catalog
from retrieval.chunking.chunks import Chunk
from retrieval.index.chunk_file import ChunkFile

# Titles, authors and sources that a reader of the saved lines could get wrong.
AWKWARD = [
    {"id": "q1", "title": '他说"引号"与\\反斜杠', "author": "张三、李四", "source": "《周刊》\t第3期",
     "text": '正文里写着 "publication": "假的" 和 \\"转义\\"。\n第二行。'},
    {"id": "q2", "title": "", "author": "", "source": "", "text": "没有标题的一段。"},
    {"id": "q3", "title": "Ünïcödé 😀 标题", "author": "O'Brien", "source": "https://example.org/a?b=1&c=\"2\"",
     "text": "作者系某大学教授。"},
]


def _saved_engine(tmp_path, records):
    corpus = tmp_path / "corpus.jsonl"
    corpus.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    open_engine([corpus], tmp_path / "index")
    engine, _ = open_engine([corpus], tmp_path / "index")  # now read from the folder, as a restarted bot does
    assert isinstance(engine.chunks, ChunkFile)
    return engine


def test_citation_fields_read_from_the_lines_are_the_parsed_ones(tmp_path):
    engine = _saved_engine(tmp_path, AWKWARD)
    parsed = [(c.doc_id, c.title, c.author, c.publication) for c in engine.chunks]
    assert list(engine.chunks.citation_fields()) == parsed
    assert parsed[0][1] == '他说"引号"与\\反斜杠' and parsed[0][3] == "《周刊》\t第3期"


def test_a_line_in_another_shape_is_parsed_whole(tmp_path):
    chunk = Chunk("x#p1", "x", "标题", "作者", "", 1, 1, "正文。", "x.txt", 1, None, None, publication="刊名")
    fields = dict(reversed(list(vars(chunk).items())))  # the same chunk, its keys in another order
    line = (json.dumps(fields, ensure_ascii=False) + "\n").encode()
    (tmp_path / "chunks.jsonl").write_bytes(line)
    chunks = ChunkFile(tmp_path / "chunks.jsonl", np.array([0, len(line)]))
    assert list(chunks.citation_fields()) == [("x", "标题", "作者", "刊名")]


def _chunk(doc_id, paragraph, text, title="", author="", publication=""):
    return Chunk(f"{doc_id}#p{paragraph}", doc_id, title, author, "", paragraph, 1, text, "s.txt", paragraph,
                 None, None, publication=publication)


def test_documents_are_found_by_their_citation_terms_in_library_order():
    chunks = [
        _chunk("a", 1, "第一段。", title="数字重庆", author="刘嗣方"),
        _chunk("a", 2, "（作者系研究员）", title="数字重庆", author="刘嗣方"),
        _chunk("b", 1, "另一篇。", title="公共文化", author="侯金亮"),
        _chunk("c", 1, "第三篇。", title="数字文化", author="侯金亮"),
        _chunk("a", 3, "（作者系教授）", title="数字重庆", author="刘嗣方"),  # a document's chunks need not be together
    ]
    terms = {("数字重庆", "刘嗣方", ""): frozenset({"数字", "重庆", "刘嗣方"}),
             ("公共文化", "侯金亮", ""): frozenset({"公共", "文化", "侯金亮"}),
             ("数字文化", "侯金亮", ""): frozenset({"数字", "文化", "侯金亮"})}
    catalog = Catalog(chunks, lambda *citation: terms[citation])
    assert [e.doc_id for e in catalog.entries] == ["a", "b", "c"]
    assert catalog.entries[0].positions == (0, 1, 4)
    assert catalog.naming(["数字", "侯金亮", "没有"]) == {
        0: frozenset({"数字"}), 1: frozenset({"侯金亮"}), 2: frozenset({"数字", "侯金亮"}),
    }
    assert catalog.naming(["没有"]) == {}
    assert catalog.first_chunk(0).text == "第一段。"
    assert catalog.byline(0).text == "（作者系教授）"  # the last one
    assert catalog.byline(1) is None
    assert catalog.by_author(lambda author: author == "侯金亮") == [1, 2]


class _Counting(ChunkFile):
    parsed = 0

    def __getitem__(self, index):
        type(self).parsed += 1
        return super().__getitem__(index)


# Names and words no paragraph has: the question meets the citations only.
@pytest.mark.parametrize("question", ["王晓鸣是什么职务？", "王晓鸣"])
def test_a_question_naming_an_author_parses_only_their_document(tmp_path, question):
    folder = tmp_path / "articles"
    folder.mkdir()
    for i in range(30):
        author = "王晓鸣" if i == 7 else "赵钱孙李周吴郑冯陈褚卫蒋沈韩杨"[i % 15] + "子丰文嘉"[i % 4]
        byline = "\n\n（作者系重庆市某研究中心副主任，重庆某科学院党组书记、院长，长期研究城市治理与数字化改革）\n" if i == 7 else ""
        first = f"这是第{i}篇文章的第一段，讲述超大城市治理现代化的实践探索、体制机制创新和基层治理体系建设的主要经验。"
        second = "第二段谈数字化变革，说明数据资源如何汇聚共享、应用系统如何贯通各级，以及群众办事如何更加便捷高效。"
        (folder / f"{i:02d}.md").write_text(
            f"---\ntitle: 第{i}篇\nauthor: {author}\n---\n\n{first}\n\n{second}\n{byline}", encoding="utf-8",
        )
    open_engine([folder], tmp_path / "index")
    engine, _ = open_engine([folder], tmp_path / "index")  # read from the folder, as a restarted bot does
    assert isinstance(engine.chunks, ChunkFile) and len(engine.chunks) == 61
    engine.chunks.__class__ = _Counting
    _Counting.parsed = 0
    answer = engine.ask(question)
    assert answer.hits and all(h.chunk.doc_id == answer.hits[0].chunk.doc_id for h in answer.hits)
    assert answer.hits[0].chunk.title == "第7篇"
    if "职务" in question:
        assert answer.answered and answer.hits[0].chunk.text.startswith("（作者系")
    assert _Counting.parsed <= 3  # the article's own three paragraphs, not the library's 61
