"""DOCX text extraction: python-docx against our lxml reader
(``retrieval.ingest.docx``), for speed and for what each gets right; and the
EPUB reader's speed on the same text.

    python benchmarks/extract_docx_epub.py [--paragraphs 5000] [--articles 40] [--runs 3]

Chinese paragraphs come from the shared QA sets (CMRC 2018, DRCD) when they
are there, else from seeds/articles. Files are written with python-docx
(headings, runs with mixed formatting, a table every 50 paragraphs) and
zipfile; Word markup that python-docx cannot write (tracked changes, fields,
content controls, text boxes) is added as XML. Speed is the best of
``--runs`` (MB of file per second, source paragraphs per second), each
extractor doing everything a reader needs: open, styles, paragraphs, tables.
"""

from __future__ import annotations

import argparse
import html
import json
import sys
import tempfile
import time
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import docx  # noqa: E402
from docx.oxml import parse_xml  # noqa: E402
from docx.table import Table  # noqa: E402

from retrieval.ingest import docx as docx_reader  # noqa: E402
from retrieval.ingest.characters import repair_characters  # noqa: E402
from retrieval.ingest import epub as epub_reader  # noqa: E402
from retrieval.ingest.readers import Limits  # noqa: E402

DATA = REPO.parent / "shared" / "eval" / "data"
SOURCES = [DATA / "cmrc2018" / "squad-style-data" / "cmrc2018_dev.json", DATA / "drcd" / "DRCD_dev.json"]
W = ('xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" '
     'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships" '
     'xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006" '
     'xmlns:wps="http://schemas.microsoft.com/office/word/2010/wordprocessingShape" '
     'xmlns:v="urn:schemas-microsoft-com:vml"')


def chinese_paragraphs(limit: int) -> list[str]:
    out: list[str] = []
    for source in SOURCES:
        if source.exists():
            data = json.loads(source.read_text(encoding="utf-8-sig"))
            out += [p["context"].strip() for a in data["data"] for p in a["paragraphs"]]
    if not out:
        for article in sorted((REPO / "seeds" / "articles").glob("*.md")):
            body = article.read_text(encoding="utf-8").split("\n---\n", 1)[-1]
            out += [p.strip() for p in body.split("\n\n") if p.strip() and not p.startswith("#")]
    return [out[i % len(out)] for i in range(limit)]


def write_docx(path: Path, paragraphs: list[str], title: str) -> None:
    document = docx.Document()
    document.core_properties.title = title
    document.add_heading(title, 0)
    for i, text in enumerate(paragraphs):
        if i % 10 == 0:
            document.add_heading(f"第{i // 10 + 1}节", 1 + (i // 10) % 2)
        paragraph = document.add_paragraph()
        third = max(1, len(text) // 3)
        paragraph.add_run(text[:third])
        paragraph.add_run(text[third:2 * third]).bold = True
        paragraph.add_run(text[2 * third:]).italic = True
        if i % 50 == 49:
            table = document.add_table(rows=5, cols=4)
            for r, row in enumerate(table.rows):
                for c, cell in enumerate(row.cells):
                    cell.text = f"第{r}行第{c}列"
    document.save(path)


def write_epub(path: Path, paragraphs: list[str], title: str) -> None:
    chapters = [paragraphs[i:i + 10] for i in range(0, len(paragraphs), 10)]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as book:
        book.writestr("mimetype", "application/epub+zip")
        book.writestr("META-INF/container.xml",
                      '<container xmlns="urn:oasis:names:tc:opendocument:xmlns:container" version="1.0"><rootfiles>'
                      '<rootfile full-path="OPS/book.opf" media-type="application/oebps-package+xml"/></rootfiles></container>')
        items = "".join(f'<item id="c{i}" href="c{i}.xhtml" media-type="application/xhtml+xml"/>' for i in range(len(chapters)))
        spine = "".join(f'<itemref idref="c{i}"/>' for i in range(len(chapters)))
        book.writestr("OPS/book.opf",
                      '<package xmlns="http://www.idpf.org/2007/opf" version="3.0"><metadata '
                      f'xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:title>{html.escape(title)}</dc:title></metadata>'
                      f"<manifest>{items}</manifest><spine>{spine}</spine></package>")
        for i, chapter in enumerate(chapters):
            body = f"<h1>第{i + 1}章</h1>" + "".join(f"<p>{html.escape(p)}</p>" for p in chapter)
            book.writestr(f"OPS/c{i}.xhtml", f'<html xmlns="http://www.w3.org/1999/xhtml"><head><title>t</title></head>'
                                             f"<body>{body}</body></html>")


def python_docx_extract(path: Path) -> list[str]:
    """What a reader built on python-docx does: blocks in order, style names
    for headings, cells per row (python-docx repeats a merged cell). Style
    names are looked up once: ``Paragraph.style`` searches styles.xml on
    every call and would make python-docx look 20x slower than it need be."""
    document = docx.Document(path)
    _ = document.core_properties.title, document.core_properties.author
    names = {style.style_id: style.name for style in document.styles}
    texts = []
    for block in document.iter_inner_content():
        if isinstance(block, Table):
            for row in block.rows:
                texts.append("; ".join(cell.text for cell in row.cells))
        else:
            _ = names.get(block._p.style or "Normal", "")
            texts.append(block.text)
    return texts


def lxml_extract(path: Path) -> list[str]:
    documents, _ = docx_reader.read(path, path.name, Limits())
    return [block.text for doc in documents for block in doc.blocks]


EXTRACTORS = {"python-docx": python_docx_extract, "lxml (ours)": lxml_extract}

# (feature, XML appended to the body, text that must come back, text that must not)
CASES = [
    ("runs joined", '<w:p><w:r><w:t>超大城市</w:t></w:r><w:r><w:rPr><w:b/></w:rPr><w:t>治理现代化</w:t></w:r></w:p>',
     "超大城市治理现代化", None),
    ("w:tab", '<w:p><w:r><w:t>项目</w:t><w:tab/><w:t>数字重庆</w:t></w:r></w:p>', "项目\t数字重庆", None),
    ("w:br", '<w:p><w:r><w:t>第一行</w:t><w:br/><w:t>第二行</w:t></w:r></w:p>', "第一行\n第二行", None),
    ("complex field: result, no code",
     '<w:p><w:r><w:t>更新于</w:t></w:r><w:r><w:fldChar w:fldCharType="begin"/></w:r><w:r><w:instrText> DATE </w:instrText></w:r>'
     '<w:r><w:fldChar w:fldCharType="separate"/></w:r><w:r><w:t>2024年</w:t></w:r><w:r><w:fldChar w:fldCharType="end"/></w:r></w:p>',
     "更新于2024年", "DATE"),
    ("simple field", '<w:p><w:r><w:t>共</w:t></w:r><w:fldSimple w:instr=" NUMPAGES "><w:r><w:t>12</w:t></w:r></w:fldSimple>'
     '<w:r><w:t>页</w:t></w:r></w:p>', "共12页", None),
    ("hyperlink text", '<w:p><w:r><w:t>见</w:t></w:r><w:hyperlink r:id="rId99"><w:r><w:t>市政府网站</w:t></w:r></w:hyperlink></w:p>',
     "见市政府网站", None),
    ("w:ins kept", '<w:p><w:r><w:t>原文</w:t></w:r><w:ins w:id="1" w:author="a"><w:r><w:t>新增内容</w:t></w:r></w:ins></w:p>',
     "原文新增内容", None),
    ("w:del dropped", '<w:p><w:r><w:t>保留的话</w:t></w:r><w:del w:id="2" w:author="a"><w:r><w:delText>删掉的话</w:delText>'
     '</w:r></w:del></w:p>', "保留的话", "删掉的话"),
    ("inline content control", '<w:p><w:sdt><w:sdtPr/><w:sdtContent><w:r><w:t>控件中的文字</w:t></w:r></w:sdtContent></w:sdt></w:p>',
     "控件中的文字", None),
    ("block content control", '<w:sdt><w:sdtPr/><w:sdtContent><w:p><w:r><w:t>整段都在控件里</w:t></w:r></w:p></w:sdtContent></w:sdt>',
     "整段都在控件里", None),
    ("text box, once",
     '<w:p><w:r><mc:AlternateContent><mc:Choice Requires="wps"><w:drawing><wps:txbx><w:txbxContent><w:p><w:r>'
     '<w:t>文本框里的话</w:t></w:r></w:p></w:txbxContent></wps:txbx></w:drawing></mc:Choice><mc:Fallback><w:pict><v:textbox>'
     '<w:txbxContent><w:p><w:r><w:t>文本框里的话</w:t></w:r></w:p></w:txbxContent></v:textbox></w:pict></mc:Fallback>'
     '</mc:AlternateContent></w:r></w:p>', "文本框里的话", "文本框里的话文本框里的话"),
    ("merged cell once",
     '<w:tbl><w:tr><w:tc><w:tcPr><w:gridSpan w:val="2"/></w:tcPr><w:p><w:r><w:t>合并单元格</w:t></w:r></w:p></w:tc></w:tr>'
     '<w:tr><w:tc><w:p><w:r><w:t>甲</w:t></w:r></w:p></w:tc><w:tc><w:p><w:r><w:t>乙</w:t></w:r></w:p></w:tc></w:tr></w:tbl>',
     "合并单元格: 甲", "合并单元格; 合并单元格"),
]


def correctness(folder: Path) -> dict[str, dict[str, bool]]:
    path = folder / "features.docx"
    document = docx.Document()
    document.sections[0].header.paragraphs[0].text = "页眉不该出现"
    note = document.add_paragraph("正文第一段，带一条批注。")
    document.add_comment(note.runs, text="批注不该出现", author="审稿")
    body = document.element.body
    for _, fragment, _, _ in CASES:
        tag = fragment[1:fragment.index(">")]
        body.insert(len(body) - 1, parse_xml(fragment.replace(f"<{tag}>", f"<{tag} {W}>", 1)))
    document.save(path)
    results = {}
    for extractor, extract in EXTRACTORS.items():
        joined = "\n".join(extract(path))
        row = {}
        for feature, _, wanted, unwanted in CASES:
            row[feature] = wanted in joined and not (unwanted and unwanted in joined)
        row["header, comment left out"] = "页眉不该出现" not in joined and "批注不该出现" not in joined
        results[extractor] = row
    return results


def best_seconds(function, paths: list[Path], runs: int) -> float:
    best = float("inf")
    for _ in range(runs):
        started = time.perf_counter()
        for path in paths:
            function(path)
        best = min(best, time.perf_counter() - started)
    return best


def whole_share(texts: list[str], paragraphs: list[str]) -> float:
    """Source paragraphs that came back as one block, character for character
    once both sides had the shared character repair (our reader drops
    zero-width spaces on purpose; that is not an extraction error)."""
    blocks = {repair_characters(text) for text in texts}
    return sum(repair_characters(p) in blocks for p in paragraphs) / len(paragraphs)


def epub_extract(path: Path) -> list[str]:
    documents, _ = epub_reader.read(path, path.name, Limits())
    return [block.text for doc in documents for block in doc.blocks]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--paragraphs", type=int, default=5000, help="paragraphs in the large file")
    parser.add_argument("--articles", type=int, default=40, help="article-sized files (60 paragraphs each)")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    paragraphs = chinese_paragraphs(args.paragraphs)
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        sets = {"one large file": [(folder / "large.docx", paragraphs)]}
        sets["article files"] = [(folder / f"article{i}.docx", paragraphs[i * 60:(i + 1) * 60])
                                 for i in range(args.articles)]
        for files in sets.values():
            for path, chunk in files:
                write_docx(path, chunk, "基准测试文档")
        print(f"DOCX: {len(paragraphs)} Chinese paragraphs; best of {args.runs} runs")
        print(f"{'files':<16} {'extractor':<13} {'MB':>7} {'s':>7} {'MB/s':>7} {'paragraphs/s':>13} {'whole':>7}")
        for label, files in sets.items():
            paths = [path for path, _ in files]
            megabytes = sum(path.stat().st_size for path in paths) / 1e6
            count = sum(len(chunk) for _, chunk in files)
            for extractor, extract in EXTRACTORS.items():
                seconds = best_seconds(extract, paths, args.runs)
                whole = sum(whole_share(extract(p), chunk) * len(chunk) for p, chunk in files) / count
                print(f"{label:<16} {extractor:<13} {megabytes:7.2f} {seconds:7.3f} {megabytes / seconds:7.2f} "
                      f"{count / seconds:13.0f} {whole:7.1%}")

        print("\nDOCX markup (✓ = right):")
        results = correctness(folder)
        features = list(next(iter(results.values())))
        print(f"{'feature':<32} " + " ".join(f"{name:>12}" for name in results))
        for feature in features:
            print(f"{feature:<32} " + " ".join(f"{'✓' if row[feature] else '✗':>12}" for row in results.values()))
        print(f"{'right':<32} " + " ".join(f"{sum(row.values()):>9}/{len(row)}" for row in results.values()))

        book = folder / "large.epub"
        write_epub(book, paragraphs, "基准测试图书")
        megabytes = book.stat().st_size / 1e6
        seconds = best_seconds(epub_extract, [book], args.runs)
        print(f"\nEPUB ({len(paragraphs)} paragraphs in chapters of 10): {megabytes:.2f} MB in {seconds:.3f} s = "
              f"{megabytes / seconds:.2f} MB/s, {len(paragraphs) / seconds:.0f} paragraphs/s, "
              f"whole {whole_share(epub_extract(book), paragraphs):.1%}")


if __name__ == "__main__":
    main()
