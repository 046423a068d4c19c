"""Structured documents (blocks from a PDF/DOCX/HTML/EPUB reader) → chunks:
headings make the section path, pages reach the citation, nothing is re-cut."""

from __future__ import annotations

from retrieval.chunking import chunk_document
from retrieval.ingest.model import HEADING, TABLE_ROW, Block, Document, blocks_text

BODY_1 = "重庆是中西部唯一的直辖市，具有空间规模宏大、人口聚集度高等特点。"
BODY_2 = "推动城市治理现代化有良好的基础条件，但也面临诸多困难和挑战。"


def document(*blocks: Block, title: str = "报告") -> Document:
    return Document(doc_id="r", text=blocks_text(blocks), source_path="r.pdf", title=title, author="某人", blocks=blocks)


def test_each_body_block_is_one_paragraph_with_its_pages_cited():
    doc = document(
        Block("报告", HEADING, 1, page=1),
        Block("第一章 总论", HEADING, 1, page=1),
        Block(BODY_1, page=1, page_end=1),
        Block("一、现状", HEADING, 2, page=2),
        Block(BODY_2, page=2, page_end=3),
    )
    chunks = chunk_document(doc)
    assert [c.text for c in chunks] == [BODY_1, BODY_2]
    assert [c.section for c in chunks] == ["第一章 总论", "第一章 总论 / 一、现状"]
    assert [(c.page_start, c.page_end) for c in chunks] == [(1, 1), (2, 3)]
    assert chunks[0].citation == "《报告》 · 某人 · 第一章 总论 · 第1页 · 第1段"
    assert chunks[1].citation == "《报告》 · 某人 · 第一章 总论 / 一、现状 · 第2–3页 · 第2段"
    assert chunks[0].char_start is None and chunks[0].line is not None


def test_printed_page_labels_are_cited_and_physical_pages_kept():
    doc = document(Block(BODY_1, page=5, page_end=6, page_label="iii", page_label_end="iv"))
    [chunk] = chunk_document(doc)
    assert (chunk.page_start, chunk.page_end) == (5, 6)
    assert chunk.pages == "iii–iv"
    assert chunk.citation.endswith("第iii–iv页 · 第1段")


def test_a_heading_at_the_same_level_replaces_the_previous_one():
    doc = document(
        Block("第一章", HEADING, 1), Block("第一节", HEADING, 2), Block("第二章", HEADING, 1), Block(BODY_1),
    )
    assert chunk_document(doc)[0].section == "第二章"


def test_short_blocks_such_as_table_rows_join_a_neighbour_line_by_line():
    doc = document(
        Block(BODY_1, page=1),
        Block("地区: 渝中", TABLE_ROW, page=1),
        Block("地区: 江北", TABLE_ROW, page=2),
    )
    [chunk] = chunk_document(doc)
    assert chunk.text == f"{BODY_1}\n地区: 渝中\n地区: 江北"
    assert (chunk.page_start, chunk.page_end) == (1, 2)


def test_text_documents_cite_no_page():
    doc = Document(doc_id="t", text=BODY_1 + "\n", source_path="t.txt", title="t")
    [chunk] = chunk_document(doc)
    assert chunk.page_start is None and "页" not in chunk.citation
