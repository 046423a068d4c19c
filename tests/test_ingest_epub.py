"""retrieval.ingest.epub: the spine's chapters → one document in reading order,
and bad books → a Problem, never an exception."""

from __future__ import annotations

import io
import tempfile
import zipfile
from functools import lru_cache
from pathlib import Path

from fuzzing import mutate, mutations
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from retrieval.chunking.chunks import chunk_documents
from retrieval.ingest import epub as reader
from retrieval.ingest.documents import load_corpus
from retrieval.ingest.model import HEADING, TABLE_ROW
from retrieval.ingest.readers import Limits

TITLE = "超大城市治理的重庆实践"
AUTHOR = "甘地"
P1 = "党的二十大报告提出，加快转变超大特大城市发展方式。实现超大城市治理现代化是转变超大城市发展方式的必然要求。"
P2 = "城市治理现代化是国家治理体系和治理能力现代化的重要内容，探索超大城市现代化治理新路是一项重大课题。"
P3 = "重庆以数字化变革为引领，创新市域治理理念、机制、手段和方法，探索出一条符合超大城市特点和规律的治理新路子。"
P4 = "基层智治体系把党建统领、数字重庆和基层治理贯通起来，让群众办事少跑腿，让干部减负更有效。"
NAV_ONLY = "目录页的文字不属于正文"

CONTAINER = """<?xml version="1.0"?>
<container version="1.0" xmlns="urn:oasis:names:tc:opendocument:xmlns:container">
  <rootfiles><rootfile full-path="OEBPS/content.opf" media-type="application/oebps-package+xml"/></rootfiles>
</container>"""


def xhtml(body: str, title: str = "章节") -> str:
    return ('<?xml version="1.0" encoding="utf-8"?>\n<!DOCTYPE html>\n'
            '<html xmlns="http://www.w3.org/1999/xhtml" xmlns:epub="http://www.idpf.org/2007/ops">'
            f'<head><title>{title}</title><style>p {{ text-indent: 2em; }}</style></head><body>{body}</body></html>')


# File names sort against the reading order: the spine, not the names, decides.
CHAPTERS = {
    "text/b_intro.xhtml": xhtml(
        "<section><h1>第一章 难题</h1>\n"
        f"<p>{P1[:20]}\n{P1[20:]}</p>"  # a line break in the markup between Chinese characters
        f'<p class="x">{P2[:10]}<span class="em">{P2[10:30]}</span><a href="#n1">{P2[30:]}</a></p>'
        "<script>document.write('脚本文字')</script>"
        "<table><tr><th>指标</th><th>2022年</th></tr><tr><td>城市大脑</td><td>建成</td></tr></table></section>"),
    "text/a_second.xhtml": xhtml(
        f"<h2>第二章 创新</h2><h3>（一）数字重庆</h3><p>{P3}</p><blockquote><p>{P4}</p></blockquote>"),
}
NAV = xhtml(f'<nav epub:type="toc"><h1>{NAV_ONLY}</h1><ol>'
            '<li><a href="text/b_intro.xhtml">第一章 难题</a></li>'
            '<li><a href="text/a_second.xhtml">第二章 创新</a></li>'
            '<li><a href="text/c_untitled.xhtml">第三章 附录</a></li></ol></nav>')


def opf(spine: list[str], manifest: dict[str, str], title: str = TITLE, creator: str = AUTHOR) -> str:
    items = "".join(f'<item id="{i}" href="{h}" media-type="application/xhtml+xml"{p}/>'
                    for i, (h, p) in manifest.items())
    refs = "".join(f'<itemref idref="{i}"/>' for i in spine)
    return ('<?xml version="1.0" encoding="utf-8"?>'
            '<package xmlns="http://www.idpf.org/2007/opf" version="3.0" unique-identifier="id">'
            '<metadata xmlns:dc="http://purl.org/dc/elements/1.1/">'
            f'<dc:identifier id="id">x</dc:identifier><dc:title>{title}</dc:title><dc:creator>{creator}</dc:creator>'
            f'<dc:language>zh</dc:language></metadata><manifest>{items}</manifest><spine>{refs}</spine></package>')


def make_epub(path: Path, *, extra: dict[str, str | bytes] | None = None, third: bool = False,
              container: bool = True, **opf_fields) -> Path:
    manifest = {"nav": ("nav.xhtml", ' properties="nav"'), "c1": ("text/b_intro.xhtml", ""),
                "c2": ("text/a_second.xhtml", "")}
    spine = ["nav", "c1", "c2"]  # a nav document may sit in the spine; it is not text
    members = {"OEBPS/nav.xhtml": NAV, **{f"OEBPS/{k}": v for k, v in CHAPTERS.items()}}
    if third:
        manifest["c3"] = ("text/c_untitled.xhtml", "")
        spine.append("c3")
        members["OEBPS/text/c_untitled.xhtml"] = xhtml(f"<div>{P4}</div>")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(zipfile.ZipInfo("mimetype"), "application/epub+zip")
        if container:
            archive.writestr("META-INF/container.xml", CONTAINER)
        archive.writestr("OEBPS/content.opf", opf(spine, manifest, **opf_fields))
        for member, content in {**members, **(extra or {})}.items():
            archive.writestr(member, content)
    return path


def read(path: Path, limits: Limits | None = None, progress=None):
    return reader.read(path, path.name, limits or Limits(), progress)


def test_chapters_in_spine_order_paragraphs_whole(tmp_path):
    calls = []
    [doc], problems = read(make_epub(tmp_path / "书.epub"), progress=lambda done, total: calls.append((done, total)))
    assert problems == []
    assert doc.title == TITLE and doc.author == AUTHOR
    assert doc.doc_id == "书" and doc.source_path == "书.epub"
    body = [b.text for b in doc.blocks if b.kind != HEADING]
    assert body == [P1, P2, "指标: 城市大脑; 2022年: 建成", P3, P4]
    assert [b.kind for b in doc.blocks if b.text.startswith("指标")] == [TABLE_ROW]
    assert calls == [(1, 2), (2, 2)]
    for absent in (NAV_ONLY, "脚本文字", "text-indent", "章节"):
        assert absent not in doc.text


def test_sections_follow_the_contents_not_the_markup(tmp_path):
    [doc], _ = read(make_epub(tmp_path / "s.epub"))
    chunks = chunk_documents([doc])
    by_text = {c.text: c for c in chunks}
    assert by_text[P1].section == "第一章 难题"
    # Chapter 2's top heading is an h2, yet it is a chapter like chapter 1.
    assert by_text[P3].section == "第二章 创新 / （一）数字重庆"
    assert by_text[P1].citation == f"《{TITLE}》 · {AUTHOR} · 第一章 难题 · 第1段"
    assert next(c for c in chunks if c.text.startswith("指标")).section == "第一章 难题"


def test_chapter_without_heading_takes_its_contents_label(tmp_path):
    [doc], _ = read(make_epub(tmp_path / "l.epub", third=True))
    last = chunk_documents([doc])[-1]
    assert last.text == P4 and last.section == "第三章 附录"


def test_ncx_labels_for_epub2(tmp_path):
    ncx = ('<?xml version="1.0"?><ncx xmlns="http://www.daisy.org/z3986/2005/ncx/"><navMap>'
           '<navPoint id="n1"><navLabel><text>第三章 附录</text></navLabel><content src="text/c_untitled.xhtml"/></navPoint>'
           '</navMap></ncx>')
    path = make_epub(tmp_path / "n.epub", third=True, extra={"OEBPS/nav.xhtml": xhtml("<p>x</p>"), "OEBPS/toc.ncx": ncx})
    with zipfile.ZipFile(path) as archive:
        members = {i.filename: archive.read(i) for i in archive.infolist()}
    opf_text = members["OEBPS/content.opf"].decode().replace(
        "<spine>", '<spine toc="ncx">').replace(
        "</manifest>", '<item id="ncx" href="toc.ncx" media-type="application/x-dtbncx+xml"/></manifest>')
    with zipfile.ZipFile(path, "w") as archive:
        for member, content in members.items():
            archive.writestr(member, opf_text if member.endswith(".opf") else content)
    [doc], _ = read(path)
    assert chunk_documents([doc])[-1].section == "第三章 附录"


def test_html_entities_and_br_paragraphs(tmp_path):
    chapter = ('<html><head><title>t</title></head><body><h1>第四章</h1>'
               f'<div>{P1}<br/><br/>{P2}&nbsp;</div><p>第一行&mdash;&mdash;诗句<br/>第二行诗句也在同一段</p></body></html>')
    path = make_epub(tmp_path / "e.epub", extra={"OEBPS/text/a_second.xhtml": chapter})
    [doc], problems = read(path)
    body = [b.text for b in doc.blocks if b.kind != HEADING]
    assert P1 in body and P2 in body
    assert "第一行——诗句\n第二行诗句也在同一段" in body


def test_title_falls_back_to_first_top_heading(tmp_path):
    [doc], _ = read(make_epub(tmp_path / "f.epub", title="", creator="Unknown"))
    assert doc.title == "第一章 难题" and doc.author == ""


def test_through_the_worker_process(tmp_path):
    make_epub(tmp_path / "w.epub")
    result = load_corpus([tmp_path / "w.epub"])
    assert result.problems == []
    assert [d.title for d in result.documents] == [TITLE]


# ------------------------------------------------------------------ bad books


@lru_cache(maxsize=1)
def good_bytes() -> bytes:
    with tempfile.TemporaryDirectory() as folder:
        return make_epub(Path(folder) / "g.epub").read_bytes()


def only_problem(path: Path, limits: Limits | None = None) -> str:
    documents, problems = read(path, limits)
    assert documents == []
    assert len(problems) == 1 and problems[0].path == path.name
    return problems[0].message


def test_truncated_and_not_a_zip(tmp_path):
    (tmp_path / "t.epub").write_bytes(good_bytes()[:300])
    assert only_problem(tmp_path / "t.epub").startswith("is damaged or not an EPUB file")
    (tmp_path / "x.epub").write_bytes("<html>不是电子书</html>".encode())
    assert "not a zip" in only_problem(tmp_path / "x.epub")


def test_missing_opf(tmp_path):
    path = tmp_path / "m.epub"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("mimetype", "application/epub+zip")
        archive.writestr("META-INF/container.xml", CONTAINER)
        archive.writestr("OEBPS/text/b_intro.xhtml", CHAPTERS["text/b_intro.xhtml"])
    assert "no package document" in only_problem(path)


def test_missing_container_but_one_opf(tmp_path):
    [doc], _ = read(make_epub(tmp_path / "c.epub", container=False))
    assert doc.title == TITLE


def test_drm_encrypted(tmp_path):
    encryption = ('<encryption xmlns="urn:oasis:names:tc:opendocument:xmlns:container" '
                  'xmlns:enc="http://www.w3.org/2001/04/xmlenc#">'
                  + "".join(f'<enc:EncryptedData><enc:EncryptionMethod Algorithm="http://www.w3.org/2001/04/xmlenc#aes128-cbc"/>'
                            f'<enc:CipherData><enc:CipherReference URI="OEBPS/{m}"/></enc:CipherData></enc:EncryptedData>'
                            for m in CHAPTERS)
                  + "</encryption>")
    scrambled = {f"OEBPS/{m}": bytes(range(256)) * 8 for m in CHAPTERS}
    path = make_epub(tmp_path / "d.epub", extra={"META-INF/encryption.xml": encryption, **scrambled})
    assert "DRM" in only_problem(path)


def test_obfuscated_fonts_are_not_drm(tmp_path):
    encryption = ('<encryption xmlns="urn:oasis:names:tc:opendocument:xmlns:container" '
                  'xmlns:enc="http://www.w3.org/2001/04/xmlenc#"><enc:EncryptedData>'
                  '<enc:EncryptionMethod Algorithm="http://www.idpf.org/2008/embedding"/>'
                  '<enc:CipherData><enc:CipherReference URI="OEBPS/fonts/a.ttf"/></enc:CipherData>'
                  '</enc:EncryptedData></encryption>')
    [doc], problems = read(make_epub(tmp_path / "f.epub", extra={"META-INF/encryption.xml": encryption}))
    assert problems == [] and P3 in doc.text


def test_zip_bomb_refused(tmp_path):
    path = make_epub(tmp_path / "b.epub", extra={"OEBPS/images/cover.png": b"\0" * (16 * 2**20)})
    message = only_problem(path)
    assert "zip bomb" in message and "cover.png" in message
    path = make_epub(tmp_path / "s.epub", extra={"OEBPS/images/big.png": bytes(range(256)) * 8192})
    assert "over the 1 MB limit" in only_problem(path, Limits(max_unpacked_mb=1))


def test_damaged_chapter_costs_only_that_chapter(tmp_path):
    path = make_epub(tmp_path / "d.epub", extra={"OEBPS/text/a_second.xhtml": bytes(range(256)) * 16})
    [doc], problems = read(path)
    assert P1 in doc.text and P3 not in doc.text
    assert len(problems) == 1 and "a_second.xhtml" in problems[0].message




def rezip(member: str, edit) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(good_bytes())) as source, zipfile.ZipFile(buffer, "w") as target:
        for info in source.infolist():
            content = source.read(info)
            target.writestr(info.filename, edit(content) if info.filename == member else content)
    return buffer.getvalue()


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(edits=mutations)
def test_mutated_files_never_raise(edits):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "fuzz.epub"
        path.write_bytes(mutate(good_bytes(), edits))
        documents, problems = reader.read(path, path.name, Limits())
    assert documents or problems


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(edits=mutations, member=st.sampled_from(
    ["META-INF/container.xml", "OEBPS/content.opf", "OEBPS/nav.xhtml", "OEBPS/text/b_intro.xhtml"]))
def test_mutated_xml_never_raises(edits, member):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "fuzz.epub"
        path.write_bytes(rezip(member, lambda content: mutate(content, edits)))
        documents, problems = reader.read(path, path.name, Limits())
    assert documents or problems
    for doc in documents:
        assert all(block.text for block in doc.blocks)
