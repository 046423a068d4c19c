"""retrieval.ingest.pdf on Chinese PDFs generated with reportlab.

Each PDF is built from text whose paragraphs, pages and furniture are known
(tests/pdf_fixtures.py), and the reader's output is checked against that:
paragraphs whole to the character, furniture gone, pages and citations right.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from reportlab.lib.pdfencrypt import StandardEncryption

from tests.pdf_fixtures import (
    Article,
    build_article,
    build_hand_wrapped,
    build_pages,
    build_tj_justified,
    cjk_ttf,
    image_page,
    pdf_bytes,
    seed_article,
    split_cjk,
    text_lines,
)
from retrieval.chunking.chunks import chunk_documents
from retrieval.ingest import pdf as pdf_reader
from retrieval.ingest.model import HEADING, PARAGRAPH, TABLE_ROW, Problem
from retrieval.ingest.readers import Limits, reader_for

ROOT = Path(__file__).resolve().parent.parent


def read(path: Path, **limits):
    return pdf_reader.read(path, path.name, Limits(**limits))


def read_one(path: Path):
    documents, problems = read(path)
    assert problems == []
    assert len(documents) == 1
    return documents[0]


def body(document) -> list[str]:
    return [b.text for b in document.blocks if b.kind == PARAGRAPH]


def chunk_by_text(document) -> dict:
    return {chunk.text: chunk for chunk in chunk_documents([document])}


def assert_paragraphs_whole(built, document) -> None:
    """Every source paragraph is one chunk, exactly, cited on a page it is on."""
    chunks = chunk_by_text(document)
    for n, paragraph in enumerate(built.paragraphs):
        assert paragraph in chunks, f"paragraph {n} not whole: {paragraph[:30]}…"
        chunk = chunks[paragraph]
        cited = set(range(chunk.page_start, chunk.page_end + 1))
        assert cited == built.pages[n], (paragraph[:20], cited, built.pages[n])


def assert_no_furniture(built, document) -> None:
    """Every block is a source paragraph, heading, title or table row: no
    header, footer or page number came through, alone or glued to text."""
    source = set(built.paragraphs) | set(built.headings) | {built.title}
    rows = {"; ".join(row) for row in built.table_rows}
    for block in document.blocks:
        if block.kind == TABLE_ROW:
            continue
        assert block.text in source or block.text in rows, f"not in the source: {block.text[:60]!r}"


@pytest.fixture(scope="module")
def pdfs(tmp_path_factory):
    """Builds each PDF once per module, by name."""
    folder = tmp_path_factory.mktemp("pdf")
    cache = {}

    def build(name: str, make):
        if name not in cache:
            cache[name] = make(folder / f"{name}.pdf")
        return cache[name]

    return build


# --------------------------------------------------------------- layouts


@pytest.mark.parametrize("layout", ["indent", "spacing"])
def test_one_column_paragraphs_come_back_whole(pdfs, layout):
    built = pdfs(f"one-{layout}", lambda p: build_article(p, seed_article(1), layout=layout))
    document = read_one(built.path)
    assert body(document) == built.paragraphs
    assert_paragraphs_whole(built, document)
    assert document.title == built.title
    assert document.author == "刘嗣方"
    assert document.pages == built.page_count
    assert document.doc_id == built.path.stem and document.source_path == built.path.name


@pytest.mark.parametrize("layout", ["indent", "spacing"])
def test_two_columns_read_column_by_column_under_a_title_across_both(pdfs, layout):
    built = pdfs(f"two-{layout}", lambda p: build_article(p, seed_article(1), columns=2, layout=layout))
    document = read_one(built.path)
    assert document.blocks[0].kind == HEADING and document.blocks[0].text == built.title
    assert body(document) == built.paragraphs  # in reading order, none broken
    assert_paragraphs_whole(built, document)
    assert built.crossing_columns(), "the fixture should carry a paragraph over a column"
    assert built.crossing_pages(), "the fixture should carry a paragraph over a page"


def test_three_columns(pdfs):
    built = pdfs("three", lambda p: build_article(p, seed_article(3), columns=3, page_numbers="hyphen"))
    document = read_one(built.path)
    assert body(document) == built.paragraphs
    assert_paragraphs_whole(built, document)


def test_paragraph_across_a_page_is_one_chunk_citing_both_pages(pdfs):
    built = pdfs("two-indent", lambda p: build_article(p, seed_article(1), columns=2))
    document = read_one(built.path)
    chunks = chunk_by_text(document)
    crossing = built.crossing_pages()[0]
    chunk = chunks[crossing]
    first, last = sorted(built.pages_of(crossing))
    assert (chunk.page_start, chunk.page_end) == (first, last)
    assert f"第{first}–{last}页" in chunk.citation


@pytest.mark.parametrize("style", ["dash", "hyphen", "zh", "of", "bare"])
def test_running_header_footer_and_page_numbers_are_dropped(pdfs, style):
    built = pdfs(f"furniture-{style}", lambda p: build_article(
        p, seed_article(2), columns=1 if style in ("of", "bare") else 2,
        header="城市治理研究 2024年第{n}期", footer="重庆社会科学院 内部资料", page_numbers=style,
        page_number_at="top" if style == "bare" else "bottom"))
    assert built.page_count >= 2
    document = read_one(built.path)
    assert body(document) == built.paragraphs
    assert_paragraphs_whole(built, document)
    assert_no_furniture(built, document)
    joined = document.text
    assert "城市治理研究" not in joined and "内部资料" not in joined


def test_headings_become_the_section_path(pdfs):
    built = pdfs("one-indent", lambda p: build_article(p, seed_article(1)))
    document = read_one(built.path)
    headings = [b for b in document.blocks if b.kind == HEADING]
    assert [h.text for h in headings] == [built.title] + built.headings
    assert headings[0].level == 1 and {h.level for h in headings[1:]} == {2}
    chunks = chunk_by_text(document)
    under_first = built.paragraphs[1]  # the first paragraph after the first heading
    assert chunks[under_first].section == built.headings[0]


def test_bold_heading_at_body_size(tmp_path):
    paragraph = "这是正文的第一段，内容足够长，用来确认加粗的小标题不会和正文混在一起，而是成为章节。"

    def page(canvas):
        canvas.saveState()
        text = canvas.beginText(72, 760)
        text.setFont("STSong-Light", 10.5)
        text.setTextRenderMode(2)  # fill and stroke: how bold is faked without a bold face
        text.textLine("一、加粗的小标题")
        canvas.drawText(text)
        canvas.restoreState()
        text_lines(split_cjk(paragraph, 30), top=740)(canvas)

    document = read_one(build_pages(tmp_path / "bold.pdf", [page]))
    kinds = [(b.kind, b.text) for b in document.blocks]
    assert kinds == [(HEADING, "一、加粗的小标题"), (PARAGRAPH, paragraph)]


def test_table_rows_pair_each_cell_with_its_header(pdfs):
    rows = [["指标", "2023年", "2024年"], ["城市人口（万人）", "3191", "3200"], ["数字化覆盖率", "80%", "92%"]]
    article = seed_article(2)
    article.items.insert(2, ("table", rows))
    built = pdfs("table", lambda p: build_article(p, article, columns=2))
    document = read_one(built.path)
    table = [b.text for b in document.blocks if b.kind == TABLE_ROW]
    assert table == ["指标: 城市人口（万人）; 2023年: 3191; 2024年: 3200",
                     "指标: 数字化覆盖率; 2023年: 80%; 2024年: 92%"]
    assert body(document) == built.paragraphs  # the cells are not read as paragraphs too


def test_page_labels_are_cited_and_physical_pages_kept(pdfs):
    built = pdfs("labels", lambda p: build_article(
        p, seed_article(1), page_labels=[(0, "ROMAN_LOWER", 1, None), (1, "ARABIC", 7, None)]))
    document = read_one(built.path)
    chunks = chunk_documents([document])
    assert chunks[0].page_start == 1 and chunks[0].page_label == "i" and "第i页" in chunks[0].citation
    later = [c for c in chunks if c.page_start == 2 and c.page_end == 2][0]
    assert later.page_label == "7" and "第7页" in later.citation
    crossing = [c for c in chunks if c.page_start == 1 and c.page_end == 2]
    if crossing:
        assert "第i–7页" in crossing[0].citation


def test_without_page_labels_the_physical_page_is_cited(pdfs):
    built = pdfs("one-indent", lambda p: build_article(p, seed_article(1)))
    chunk = chunk_documents([read_one(built.path)])[0]
    assert chunk.page_label is None and "第1页" in chunk.citation


def test_byline_under_the_title_is_the_author_not_a_section(tmp_path):
    paragraph = "这是正文的第一段，内容足够长，用来确认标题下面居中的署名不会变成章节，也不会并进正文。"

    def page(canvas):
        canvas.setFont("STSong-Light", 20)
        canvas.drawCentredString(297, 760, "城市治理的新路子")
        canvas.setFont("STSong-Light", 12)
        canvas.drawCentredString(297, 730, "张三")
        text_lines(split_cjk(paragraph, 30), top=700)(canvas)

    document = read_one(build_pages(tmp_path / "byline.pdf", [page]))
    assert (document.title, document.author) == ("城市治理的新路子", "张三")
    assert [b.text for b in document.blocks] == ["城市治理的新路子", paragraph]
    assert chunk_documents([document])[0].citation == "《城市治理的新路子》 · 张三 · 第1页 · 第1段"


@pytest.mark.parametrize("columns", [1, 2])
def test_pdfs_from_the_format_samples_generator(tmp_path, columns):
    """scripts/format_samples.py writes its PDFs without reference to this
    reader (header with a date, footer, "— N —", a centred byline)."""
    sys.path.insert(0, str(ROOT / "scripts"))
    try:
        import format_samples as samples
    finally:
        sys.path.remove(str(ROOT / "scripts"))
    seed = seed_article(1)
    article = samples.Article(seed.title, seed.author, seed.paragraphs)
    pages: dict = {}
    path = tmp_path / "sample.pdf"
    path.write_bytes(samples.pdf_bytes(article, columns=columns, pages_of=pages))
    document = read_one(path)
    assert body(document) == article.paragraphs
    assert document.author == seed.author
    chunks = chunk_by_text(document)
    for n, paragraph in enumerate(article.paragraphs):
        chunk = chunks[paragraph]
        assert set(range(chunk.page_start, chunk.page_end + 1)) == set(pages[n])
        assert chunk.section == ""
    assert not [c for c in chunks if any(b in c for b in samples.BOILERPLATE)]


# --------------------------------------------------------------- text as other tools set it


@pytest.mark.parametrize("options", [
    dict(per_line=40),  # indent drawn as "　　"
    dict(per_line=38, indent="offset", header="某某日报", page_numbers="dash"),
    dict(per_line=40, indent="none", gap=8, page_numbers="zh"),
    dict(per_line=19, columns=2, header="城市治理 第3期", page_numbers="bare"),
    dict(per_line=19, columns=2, row_order=True),  # content stream row by row across the columns
], ids=["spaces", "offset", "gap", "two-columns", "row-order"])
def test_lines_cut_after_n_characters(tmp_path, options):
    built = build_hand_wrapped(tmp_path / "hand.pdf", seed_article(1), **options)
    document = read_one(built.path)
    assert body(document) == built.paragraphs
    assert_paragraphs_whole(built, document)
    assert_no_furniture(built, document)


def _full_last_lines(per_line: int) -> Article:
    """Paragraphs that fill their last line: no short line tells where they end."""
    text = "".join(seed_article(1).paragraphs)
    text = "".join(ch for ch in text if "\u4e00" <= ch <= "\u9fff" or ch in "，。、")
    paragraphs = [text[k * per_line * 3:(k + 1) * per_line * 3] for k in range(6)]
    return Article("满行的段落", "", [("para", p) for p in paragraphs])


@pytest.mark.parametrize("options", [dict(indent="offset"), dict(indent="none", gap=9)],
                         ids=["indent-alone", "spacing-alone"])
def test_paragraphs_ending_with_a_full_line(tmp_path, options):
    built = build_hand_wrapped(tmp_path / "full.pdf", _full_last_lines(30), per_line=30, **options)
    assert body(read_one(built.path)) == built.paragraphs


def test_justified_by_spreading_characters_has_no_spurious_spaces(tmp_path):
    built = build_tj_justified(tmp_path / "tj.pdf", seed_article(1))
    document = read_one(built.path)
    assert body(document) == built.paragraphs


def test_embedded_truetype_subset(tmp_path):
    font = cjk_ttf()
    if font is None:
        pytest.skip("no CJK TrueType font on this machine (fonts-wqy-microhei)")
    built = build_article(tmp_path / "ttf.pdf", seed_article(2), columns=2, font=font, page_numbers="dash")
    document = read_one(built.path)
    assert body(document) == built.paragraphs
    assert_paragraphs_whole(built, document)


def test_latin_lines_joined_with_spaces_and_hyphenation_undone(tmp_path):
    lines = [
        "The committee reviewed the proposal for a new regional trans-",
        "portation plan and concluded that the well-known bottlenecks",
        "should be addressed first, before any other work begins.",
    ]
    path = build_pages(tmp_path / "latin.pdf", [text_lines(lines, font="Helvetica", size=11)])
    assert body(read_one(path)) == [
        "The committee reviewed the proposal for a new regional transportation plan and concluded "
        "that the well-known bottlenecks should be addressed first, before any other work begins."
    ]


def test_kangxi_radicals_are_folded_to_the_ideographs(tmp_path):
    # Fonts that map 一 人 工 日 文 to the Kangxi radical code points look right and match nothing.
    path = build_pages(tmp_path / "kangxi.pdf", [text_lines(["⼀个⼈在⼯作，⽇⼦⼀天天过去，这是⽂字。"])])
    assert body(read_one(path)) == ["一个人在工作，日子一天天过去，这是文字。"]


def test_mixed_chinese_and_latin_keep_their_spaces(tmp_path):
    text = "通过微信公众号、App等网络平台，搭建24小时不间断的 AI 阅读服务。"
    path = build_pages(tmp_path / "mixed.pdf", [text_lines([text])])
    assert body(read_one(path)) == [text]


# --------------------------------------------------------------- bad files


def test_encrypted_pdf_is_reported(tmp_path):
    built = build_article(tmp_path / "locked.pdf", seed_article(3), encrypt=StandardEncryption("secret", "owner"))
    documents, problems = read(built.path)
    assert documents == []
    assert [p.message for p in problems] == [
        "is encrypted; nothing indexed (remove the password and add it again)"]


def test_pdf_with_only_an_owner_password_is_read(tmp_path):
    built = build_article(tmp_path / "owner.pdf", seed_article(3), encrypt=StandardEncryption("", "owner"))
    assert body(read_one(built.path)) == built.paragraphs


@pytest.mark.parametrize("cut", [0.5, 0.9])
def test_truncated_pdf_is_damaged(pdfs, tmp_path, cut):
    built = pdfs("one-indent", lambda p: build_article(p, seed_article(1)))
    data = built.path.read_bytes()
    path = tmp_path / "cut.pdf"
    path.write_bytes(data[: int(len(data) * cut)])
    documents, problems = read(path)
    if documents:  # pdfium may rebuild what is left; then it must be real text
        assert all(b.text for b in documents[0].blocks)
    else:
        assert len(problems) == 1 and problems[0].message.startswith("is damaged or not a PDF: ")
        assert "truncated" in problems[0].message


@pytest.mark.parametrize("data, reason", [
    (b"", "the file is empty"),
    (b"<html><body>not a pdf</body></html>", "it does not start with %PDF"),
])
def test_not_a_pdf(tmp_path, data, reason):
    path = tmp_path / "bad.pdf"
    path.write_bytes(data)
    assert read(path) == ([], [Problem("bad.pdf", f"is damaged or not a PDF: {reason}; nothing indexed from it")])


def test_scanned_pages_are_named_and_the_rest_is_read(tmp_path):
    first = "第一页是文字页，这一段应当照常读出。"
    last = "第五页也是文字页，这一段不能和第一页的段落连在一起。"
    path = build_pages(tmp_path / "scan.pdf", [text_lines([first]), image_page, image_page, image_page,
                                                  text_lines([last])])
    documents, problems = read(path)
    assert [p.message for p in problems] == [
        "pages 2–4 have no text layer (scanned?); nothing indexed from them"]
    assert problems[0].page == 2
    assert [(b.text, b.page) for b in documents[0].blocks] == [(first, 1), (last, 5)]


def test_one_scanned_page_and_nothing_else(tmp_path):
    documents, problems = read(build_pages(tmp_path / "scan.pdf", [image_page]))
    assert documents == []
    assert [p.message for p in problems] == ["page 1 has no text layer (scanned?); nothing indexed from it"]


def test_sideways_page_is_named_and_a_watermark_left_out(tmp_path):
    upright = "这一页是正常的横排文字，旁边有一个斜着的水印，水印不应当进入正文。"

    def watermarked(canvas):
        text_lines(split_cjk(upright, 30))(canvas)
        canvas.saveState()
        canvas.translate(300, 400)
        canvas.rotate(45)
        canvas.setFont("STSong-Light", 40)
        canvas.drawCentredString(0, 0, "内部资料")
        canvas.restoreState()

    def sideways(canvas):
        canvas.saveState()
        canvas.translate(500, 100)
        canvas.rotate(90)
        # Helvetica: pdfium gives no characters at all for a turned CJK font
        # that is not embedded when the machine has no CJK font to stand in.
        text_lines(["This whole page was turned by ninety degrees in its content."] * 4,
                   font="Helvetica", x=0, top=0)(canvas)
        canvas.restoreState()

    documents, problems = read(build_pages(tmp_path / "turned.pdf", [watermarked, sideways]))
    assert body(documents[0]) == [upright]
    assert [(p.page, p.message) for p in problems] == [
        (2, "page 2: the text is turned sideways; nothing indexed from it (turned text is left out, as watermarks are)")]


def test_more_pages_than_the_limit(pdfs):
    built = pdfs("one-indent", lambda p: build_article(p, seed_article(1)))
    assert built.page_count >= 3
    documents, problems = read(built.path, max_pages=2)
    assert len(problems) == 1 and "RETRIEVAL_MAX_PAGES" in problems[0].message
    assert f"has {built.page_count} pages" in problems[0].message
    assert max(b.page_end for b in documents[0].blocks) == 2


def test_text_without_unicode_map_is_flagged(tmp_path):
    readable = "This first page is set in a font with a Unicode map and reads normally."
    path = build_pages(tmp_path / "cid.pdf", [
        text_lines([readable], font="Helvetica"),
        text_lines(["这一页的字体没有映射，读出来只会是乱码，不应当被索引。"] * 3),
    ])
    # Page 2's font loses its Unicode encoding: its codes now read as CIDs,
    # as in PDFs printed without Unicode fonts (same length: offsets stay valid).
    path.write_bytes(path.read_bytes().replace(b"/UniGB-UCS2-H", b"/Identity-H  "))
    documents, problems = read(path)
    assert len(problems) == 1 and problems[0].page == 2
    assert problems[0].message.startswith("page 2: most characters have no Unicode mapping")
    assert "(cid:N)" in problems[0].message
    assert body(documents[0]) == [readable]


def test_literal_cid_junk_pages_are_flagged(tmp_path):
    path = build_pages(tmp_path / "junk.pdf", [
        text_lines(["第一页是正常的文字，是一个完整的句子。"]),
        text_lines(["(cid:12)(cid:345)(cid:67)(cid:8)(cid:90)(cid:11)"] * 4, font="Helvetica"),
    ])
    documents, problems = read(path)
    assert [p.page for p in problems] == [2]
    assert body(documents[0]) == ["第一页是正常的文字，是一个完整的句子。"]


def test_progress_is_reported_per_page(pdfs):
    built = pdfs("one-indent", lambda p: build_article(p, seed_article(1)))
    calls = []
    pdf_reader.read(built.path, "x.pdf", Limits(), progress=lambda done, total: calls.append((done, total)))
    assert calls == [(n, built.page_count) for n in range(1, built.page_count + 1)]


def test_registered_for_pdf_files():
    assert reader_for(Path("report.PDF")) is pdf_reader


# --------------------------------------------------------------- fuzzing


_SEED_PDF = pdf_bytes([
    text_lines(split_cjk("党的二十大报告提出，加快转变超大特大城市发展方式。实现超大城市治理现代化是必然要求。", 20)),
    text_lines(["第二页，另一段文字。", "— 2 —"]),
])


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.sampled_from(["flip", "delete", "insert", "truncate"]),
                          st.integers(0, len(_SEED_PDF) - 1), st.binary(min_size=1, max_size=8)),
                min_size=1, max_size=4))
def test_mutated_bytes_never_raise(tmp_path_factory, mutations):
    data = bytearray(_SEED_PDF)
    for kind, at, blob in mutations:
        at %= max(len(data), 1)
        if kind == "flip" and data:
            data[at] ^= blob[0] or 0xFF
        elif kind == "delete":
            del data[at:at + len(blob)]
        elif kind == "insert":
            data[at:at] = blob
        else:
            del data[at:]
    path = tmp_path_factory.mktemp("fuzz") / "mutated.pdf"
    path.write_bytes(bytes(data))
    documents, problems = read(path)
    assert isinstance(documents, list) and isinstance(problems, list)
    assert documents or problems
    for document in documents:
        assert document.blocks and all(isinstance(b.text, str) and b.text for b in document.blocks)


# --------------------------------------------------------------- end to end


def test_cli_chunks_show_pages_and_citation(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    built = build_article(corpus / "article.pdf", seed_article(1), columns=2, page_numbers="dash",
                          header="城市治理研究 2024年第{n}期")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    result = subprocess.run([sys.executable, "-m", "retrieval", "chunks", "--corpus", str(corpus), "--json"],
                            capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120)
    assert result.returncode == 0, result.stderr
    records = [json.loads(line) for line in result.stdout.splitlines()]
    by_text = {r["text"]: r for r in records}
    for n, paragraph in enumerate(built.paragraphs):
        record = by_text[paragraph]
        first, last = min(built.pages[n]), max(built.pages[n])
        assert (record["page_start"], record["page_end"]) == (first, last)
        pages = f"第{first}页" if first == last else f"第{first}–{last}页"
        assert pages in record["citation"]
