"""retrieval.ingest.docx: Word files → paragraphs, headings and table rows, and
bad files → a Problem, never an exception."""

from __future__ import annotations

import io
import struct
import tempfile
import zipfile
from functools import lru_cache
from pathlib import Path

import docx
import pytest
from docx.oxml import parse_xml
from fuzzing import mutate, mutations
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from retrieval.chunking.chunks import chunk_documents
from retrieval.ingest import docx as reader
from retrieval.ingest.documents import load_corpus
from retrieval.ingest.model import HEADING, PARAGRAPH, TABLE_ROW
from retrieval.ingest.readers import Limits
from retrieval.ingest.zipsafe import OLE_MAGIC

W = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" ' \
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"'
TITLE = "重庆推动超大城市现代化治理的实践探索"
AUTHOR = "刘嗣方"
P1 = "党的二十大报告提出，加快转变超大特大城市发展方式。实现超大城市治理现代化是转变超大城市发展方式的必然要求。"
P2 = "城市治理现代化是国家治理体系和治理能力现代化的重要内容，探索超大城市现代化治理新路是一项重大课题。"
P3 = "重庆以数字化变革为引领，创新市域治理理念、机制、手段和方法，探索出一条符合超大城市特点和规律的治理新路子。"
LIST_ITEM = "坚持党建引领，把基层治理作为现代化新重庆建设的基础工程。"
BOILERPLATE = ("页眉：内部资料注意保存", "页脚：第一页共三页", "批注：这里需要再核实一下数据")


def make_docx(path: Path, *, core: bool = True) -> Path:
    document = docx.Document()
    if core:
        document.core_properties.title = TITLE
        document.core_properties.author = AUTHOR
    section = document.sections[0]
    section.header.paragraphs[0].text = BOILERPLATE[0]
    section.footer.paragraphs[0].text = BOILERPLATE[1]
    document.add_heading(TITLE, 0)
    document.add_heading("一、治理难题", 1)
    first = document.add_paragraph()
    # Formatting changes mid-word split a sentence into runs; a reader sees one.
    for piece, bold in ((P1[:7], False), (P1[7:20], True), (P1[20:33], False), (P1[33:], True)):
        first.add_run(piece).bold = bold
    document.add_paragraph(P2)
    document.add_paragraph(LIST_ITEM, style="List Bullet")
    document.add_heading("（一）数字重庆", 2)
    table = document.add_table(rows=3, cols=3)
    for r, row in enumerate([["指标", "2022年", "2023年"], ["城市大脑", "建成", "升级"], ["事项", "120项", "300项"]]):
        for c, value in enumerate(row):
            table.cell(r, c).text = value
    document.add_heading("二、机制创新", 1)
    last = document.add_paragraph(P3)
    document.add_comment(last.runs, text=BOILERPLATE[2], author="审稿人")
    document.save(path)
    return path


def add_xml_paragraphs(path: Path, *fragments: str) -> Path:
    """Append raw w:p / w:tbl XML to the body: what python-docx cannot write."""
    document = docx.Document(path)
    body = document.element.body
    for fragment in fragments:
        body.insert(len(body) - 1, parse_xml(fragment.replace("<w:p>", f"<w:p {W}>", 1)
                                             .replace("<w:tbl>", f"<w:tbl {W}>", 1)
                                             .replace("<w:sdt>", f"<w:sdt {W}>", 1)))
    document.save(path)
    return path


def read(path: Path, limits: Limits | None = None):
    return reader.read(path, path.name, limits or Limits())


def body_texts(doc):
    return [block.text for block in doc.blocks if block.kind != HEADING]


def test_paragraphs_whole_in_order_with_sections(tmp_path):
    [doc], problems = read(make_docx(tmp_path / "治理.docx"))
    assert problems == []
    assert doc.title == TITLE and doc.author == AUTHOR
    assert doc.doc_id == "治理" and doc.source_path == "治理.docx"
    texts = body_texts(doc)
    assert texts[:3] == [P1, P2, LIST_ITEM]
    assert texts[-1] == P3
    headings = [(b.level, b.text) for b in doc.blocks if b.kind == HEADING]
    assert headings == [(1, TITLE), (1, "一、治理难题"), (2, "（一）数字重庆"), (1, "二、机制创新")]
    assert doc.text == "\n\n".join(b.text for b in doc.blocks)


def test_table_rows_name_their_columns(tmp_path):
    [doc], _ = read(make_docx(tmp_path / "t.docx"))
    rows = [b.text for b in doc.blocks if b.kind == TABLE_ROW]
    assert rows == ["指标: 城市大脑; 2022年: 建成; 2023年: 升级", "指标: 事项; 2022年: 120项; 2023年: 300项"]


def test_headers_footers_comments_left_out(tmp_path):
    [doc], _ = read(make_docx(tmp_path / "b.docx"))
    for text in BOILERPLATE:
        assert text not in doc.text
        assert "审稿人" not in doc.text


def test_chunks_carry_title_author_and_section(tmp_path):
    [doc], _ = read(make_docx(tmp_path / "c.docx"))
    chunks = chunk_documents([doc])
    by_text = {chunk.text: chunk for chunk in chunks}
    assert {P1, P2, LIST_ITEM, P3} <= set(by_text)
    assert by_text[P1].section == "一、治理难题"
    assert by_text[P3].section == "二、机制创新"
    assert by_text[P1].citation == f"《{TITLE}》 · {AUTHOR} · 一、治理难题 · 第1段"
    table_chunk = next(c for c in chunks if c.text.startswith("指标: 城市大脑"))
    assert table_chunk.section == "一、治理难题 / （一）数字重庆"
    assert all(not any(b in c.text for b in BOILERPLATE) for c in chunks)


def test_title_from_title_style_and_no_placeholder_author(tmp_path):
    [doc], _ = read(make_docx(tmp_path / "n.docx", core=False))
    assert doc.title == TITLE
    assert doc.author == ""  # python-docx's template says "python-docx"
    assert chunk_documents([doc])[0].section == "一、治理难题"


def test_word_markup_read_as_a_reader_sees_it(tmp_path):
    path = add_xml_paragraphs(
        make_docx(tmp_path / "m.docx"),
        # tracked changes: insertion kept, deletion dropped
        '<w:p><w:r><w:t>修订后的文字保留</w:t></w:r><w:ins w:id="1" w:author="a"><w:r><w:t>插入的部分</w:t></w:r></w:ins>'
        '<w:del w:id="2" w:author="a"><w:r><w:delText>删除的部分</w:delText></w:r></w:del><w:r><w:t>。</w:t></w:r></w:p>',
        # a hyperlink's text, a complex field's result without its code, a simple field
        '<w:p><w:r><w:t>详见</w:t></w:r><w:hyperlink r:id="rId99"><w:r><w:t>重庆市人民政府网站</w:t></w:r></w:hyperlink>'
        '<w:r><w:fldChar w:fldCharType="begin"/></w:r><w:r><w:instrText> DATE \\@ "yyyy" </w:instrText></w:r>'
        '<w:r><w:fldChar w:fldCharType="separate"/></w:r><w:r><w:t>2024</w:t></w:r><w:r><w:fldChar w:fldCharType="end"/></w:r>'
        '<w:fldSimple w:instr=" NUMPAGES "><w:r><w:t>年公告</w:t></w:r></w:fldSimple></w:p>',
        # tab and line break inside a paragraph; a content control's text
        '<w:p><w:r><w:t>项目名称</w:t><w:tab/><w:t>数字重庆建设</w:t><w:br/><w:t>第二行内容</w:t></w:r></w:p>',
        '<w:p><w:sdt><w:sdtPr><w:alias w:val="x"/></w:sdtPr><w:sdtContent><w:r><w:t>内容控件里的文字也要读到</w:t></w:r>'
        '</w:sdtContent></w:sdt></w:p>',
        # a placeholder prompt and hidden text are not content
        '<w:p><w:sdt><w:sdtPr><w:showingPlcHdr/></w:sdtPr><w:sdtContent><w:r><w:t>单击或点击此处输入文字。</w:t></w:r>'
        '</w:sdtContent></w:sdt><w:r><w:rPr><w:vanish/></w:rPr><w:t>隐藏文字</w:t></w:r></w:p>',
        # pinyin ruby: the characters, not the annotation
        '<w:p><w:r><w:ruby><w:rt><w:r><w:t>chóng</w:t></w:r></w:rt><w:rubyBase><w:r><w:t>重</w:t></w:r></w:rubyBase>'
        '</w:ruby></w:r><w:r><w:t>庆是一座超大城市，人口超过三千万。</w:t></w:r></w:p>',
    )
    [doc], problems = read(path)
    assert problems == []
    texts = body_texts(doc)
    assert "修订后的文字保留插入的部分。" in texts
    assert "详见重庆市人民政府网站2024年公告" in texts
    assert "项目名称\t数字重庆建设\n第二行内容" in texts
    assert "内容控件里的文字也要读到" in texts
    assert "重庆是一座超大城市，人口超过三千万。" in texts
    for absent in ("删除的部分", "DATE", "NUMPAGES", "单击或点击此处", "隐藏文字", "chóng"):
        assert absent not in doc.text


def test_merged_and_nested_cells_once_and_one_column_frames_as_paragraphs(tmp_path):
    path = add_xml_paragraphs(
        make_docx(tmp_path / "tables.docx"),
        '<w:tbl><w:tr><w:tc><w:p><w:r><w:t>地区</w:t></w:r></w:p></w:tc><w:tc><w:p><w:r><w:t>措施</w:t></w:r></w:p></w:tc></w:tr>'
        '<w:tr><w:tc><w:tcPr><w:vMerge w:val="restart"/></w:tcPr><w:p><w:r><w:t>渝中区</w:t></w:r></w:p></w:tc>'
        '<w:tc><w:p><w:r><w:t>网格治理</w:t></w:r></w:p></w:tc></w:tr>'
        '<w:tr><w:tc><w:tcPr><w:vMerge/></w:tcPr><w:p/></w:tc><w:tc>'
        '<w:tbl><w:tr><w:tc><w:p><w:r><w:t>甲</w:t></w:r></w:p></w:tc><w:tc><w:p><w:r><w:t>乙</w:t></w:r></w:p></w:tc></w:tr></w:tbl>'
        '<w:p/></w:tc></w:tr></w:tbl>',
        f'<w:tbl><w:tr><w:tc><w:p><w:r><w:t>{P2}</w:t></w:r></w:p><w:p><w:r><w:t>{P3}</w:t></w:r></w:p></w:tc></w:tr></w:tbl>',
    )
    [doc], _ = read(path)
    rows = [b.text for b in doc.blocks if b.kind == TABLE_ROW]
    assert rows[-2:] == ["地区: 渝中区; 措施: 网格治理", "措施: 甲; 乙"]
    assert [b.kind for b in doc.blocks[-2:]] == [PARAGRAPH, PARAGRAPH]
    assert body_texts(doc)[-2:] == [P2, P3]


def test_outline_level_makes_a_heading(tmp_path):
    path = add_xml_paragraphs(
        make_docx(tmp_path / "o.docx"),
        '<w:p><w:pPr><w:outlineLvl w:val="0"/></w:pPr><w:r><w:t>三、大纲级别的标题</w:t></w:r></w:p>',
        f'<w:p><w:r><w:t>{P1}</w:t></w:r></w:p>',
    )
    [doc], _ = read(path)
    chunk = chunk_documents([doc])[-1]
    assert chunk.text == P1 and chunk.section == "三、大纲级别的标题"


def test_tables_of_contents_left_out(tmp_path):
    path = add_xml_paragraphs(
        make_docx(tmp_path / "toc.docx"),
        '<w:sdt><w:sdtPr><w:docPartObj><w:docPartGallery w:val="Table of Contents"/></w:docPartObj></w:sdtPr>'
        '<w:sdtContent><w:p><w:r><w:t>目录控件里的条目……3</w:t></w:r></w:p></w:sdtContent></w:sdt>',
        '<w:p><w:pPr><w:pStyle w:val="TOC1"/></w:pPr><w:r><w:t>一、治理难题……1</w:t></w:r></w:p>',
    )
    [doc], _ = read(path)
    assert "目录控件" not in doc.text and "……1" not in doc.text


FOOTNOTES = (
    '<w:footnotes xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
    '<w:footnote w:type="separator" w:id="-1"><w:p><w:r><w:separator/></w:r></w:p></w:footnote>'
    '<w:footnote w:id="1"><w:p><w:r><w:footnoteRef/></w:r><w:r><w:t xml:space="preserve"> {}</w:t></w:r></w:p></w:footnote>'
    "</w:footnotes>"
)
NOTE = "参见《重庆市城市治理条例》第三条的规定。"


def test_footnotes_come_last_under_their_own_section(tmp_path):
    path = add_xml_paragraphs(make_docx(tmp_path / "fn.docx"),
                              f'<w:p><w:r><w:t>{P2}</w:t></w:r><w:r><w:footnoteReference w:id="1"/></w:r></w:p>')
    relationship = ('<Relationship Id="rIdNotes" Target="footnotes.xml" Type="http://schemas.openxmlformats.org/'
                    'officeDocument/2006/relationships/footnotes"/></Relationships>')
    data = rezip(path.read_bytes(), "word/_rels/document.xml.rels",
                 lambda rels: rels.replace(b"</Relationships>", relationship.encode()))
    path.write_bytes(add_member(data, "word/footnotes.xml", FOOTNOTES.format(NOTE)))
    [doc], problems = read(path)
    assert problems == []
    last = chunk_documents([doc])[-1]
    assert last.text == NOTE and last.section == "脚注"
    assert P2 in body_texts(doc)  # the reference mark adds nothing to the sentence


def add_member(data: bytes, member: str, content: str) -> bytes:
    buffer = io.BytesIO(data)
    with zipfile.ZipFile(buffer, "a") as archive:
        archive.writestr(member, content)
    return buffer.getvalue()


def test_through_the_worker_process(tmp_path):
    make_docx(tmp_path / "w.docx")
    result = load_corpus([tmp_path / "w.docx"])
    assert result.problems == []
    assert [d.title for d in result.documents] == [TITLE]


# ------------------------------------------------------------------ bad files


@lru_cache(maxsize=1)
def good_bytes() -> bytes:
    with tempfile.TemporaryDirectory() as folder:
        return make_docx(Path(folder) / "g.docx").read_bytes()


def write(tmp_path: Path, data: bytes, name: str = "bad.docx") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def only_problem(path: Path, limits: Limits | None = None) -> str:
    documents, problems = read(path, limits)
    assert documents == []
    assert len(problems) == 1 and problems[0].path == path.name
    return problems[0].message


def test_truncated(tmp_path):
    message = only_problem(write(tmp_path, good_bytes()[: len(good_bytes()) // 2]))
    assert message.startswith("is damaged or not a Word file") and "nothing indexed" in message


def test_not_a_zip(tmp_path):
    assert "not a zip" in only_problem(write(tmp_path, "这不是Word文件".encode() * 20))
    assert "empty" in only_problem(write(tmp_path, b""))


def test_old_binary_doc(tmp_path):
    message = only_problem(write(tmp_path, OLE_MAGIC + bytes(500) + "WordDocument".encode("utf-16-le") + bytes(500)))
    assert ".doc" in message and "save it as .docx" in message


def test_password_protected(tmp_path):
    data = OLE_MAGIC + bytes(500) + "EncryptionInfo".encode("utf-16-le") + "EncryptedPackage".encode("utf-16-le")
    assert "password-protected" in only_problem(write(tmp_path, data))


def test_zip_but_not_word(tmp_path):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("xl/workbook.xml", "<workbook/>")
    assert "not a Word document" in only_problem(write(tmp_path, buffer.getvalue()))


def bomb(member: str, size: int) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr(member, b"\0" * size)
    return buffer.getvalue()


def test_zip_bomb_refused_by_ratio(tmp_path):
    message = only_problem(write(tmp_path, bomb("word/document.xml", 16 * 2**20)))
    assert "zip bomb" in message and "word/document.xml" in message


def test_zip_bomb_refused_by_total(tmp_path):
    message = only_problem(write(tmp_path, bomb("word/media/image1.png", 3 * 2**20)), Limits(max_unpacked_mb=2))
    assert "over the 2 MB limit" in message and "RETRIEVAL_MAX_UNPACKED_MB" in message


def declare_size(data: bytes, member: str, size: int) -> bytes:
    """The archive with ``member``'s uncompressed size in the central directory changed."""
    out = bytearray(data)
    at = out.find(member.encode(), out.find(b"PK\x01\x02")) - 46
    assert out[at:at + 4] == b"PK\x01\x02"
    out[at + 24:at + 28] = struct.pack("<I", size)
    return bytes(out)


def test_member_larger_than_its_header_says(tmp_path):
    with zipfile.ZipFile(io.BytesIO(good_bytes())) as archive:
        size = archive.getinfo("word/document.xml").file_size
    message = only_problem(write(tmp_path, declare_size(good_bytes(), "word/document.xml", size // 4)))
    assert "damaged" in message or "zip bomb" in message


def test_bomb_refused_by_its_header_before_inflating(tmp_path):
    message = only_problem(write(tmp_path, declare_size(good_bytes(), "word/styles.xml", 0xFFFF0000)))
    assert "zip bomb" in message


@pytest.mark.parametrize("member", ["word/styles.xml", "docProps/core.xml"])
def test_damaged_side_part_keeps_the_text(tmp_path, member):
    buffer = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(good_bytes())) as source, zipfile.ZipFile(buffer, "w") as target:
        for info in source.infolist():
            data = source.read(info)
            target.writestr(info, data[: len(data) // 2] if info.filename == member else data)
    [doc], problems = read(write(tmp_path, buffer.getvalue()))
    assert P3 in body_texts(doc)
    assert any(member in p.message for p in problems)




@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(edits=mutations)
def test_mutated_files_never_raise(edits):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "fuzz.docx"
        path.write_bytes(mutate(good_bytes(), edits))
        documents, problems = reader.read(path, path.name, Limits())
    assert documents or problems
    for doc in documents:
        assert doc.blocks and all(block.text for block in doc.blocks)


def rezip(data: bytes, member: str, edit) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            content = source.read(info)
            target.writestr(info.filename, edit(content) if info.filename == member else content)
    return buffer.getvalue()


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(edits=mutations, member=st.sampled_from(["word/document.xml", "word/styles.xml", "_rels/.rels"]))
def test_mutated_xml_never_raises(edits, member):
    # Byte edits of the zip mostly break its checksums; these reach the XML.
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "fuzz.docx"
        path.write_bytes(rezip(good_bytes(), member, lambda content: mutate(content, edits)))
        documents, problems = reader.read(path, path.name, Limits())
    assert documents or problems
