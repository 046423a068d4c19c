"""Chinese articles rendered as the files people have: PDF, DOCX, HTML (UTF-8
and GBK) and EPUB, each with the furniture real files carry (running
headers, page numbers, navigation, share bars, copyright and ICP lines).

Used by ``scripts/formats_eval.py`` to check that every reader gives the
article's paragraphs back whole; kept apart from the readers and written
without reference to them, so that it does not share their assumptions.
"""

from __future__ import annotations

import html
import io
import json
import zipfile
from dataclasses import dataclass, field

# What must never reach a chunk: each generator puts these around the text.
HEADER = "华夏时报 · 理论版"
FOOTER = "本报地址：北京市朝阳区某路1号 邮编100000"
NAV = ["首页", "新闻", "评论", "财经", "文化", "视频", "登录", "注册"]
SHARE = "分享到：微信 微博 QQ空间"
COPYRIGHT = "版权所有 © 2024 华夏时报社 京ICP备12345678号-1 京公网安备11010502030000号"
RELATED = ["相关阅读：如何看待城市更新", "相关阅读：数字经济的新机遇"]
BOILERPLATE = [HEADER, FOOTER, SHARE, COPYRIGHT, "京ICP备", *RELATED]


@dataclass
class Article:
    title: str
    author: str
    paragraphs: list[str]
    ids: list[str] = field(default_factory=list)  # SQuAD paragraph ids, one per paragraph


# ------------------------------------------------------------------ PDF


def pdf_bytes(article: Article, *, columns: int = 1, pages_of: dict | None = None) -> bytes:
    """A PDF with a running header, a footer with the page number, the title
    across the page and the body in ``columns`` columns with first-line
    indents. ``pages_of`` receives, per paragraph index, the pages it is on."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.platypus import BaseDocTemplate, Frame, NextPageTemplate, PageTemplate, Paragraph

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    width, height = A4
    margin = 20 * mm
    body = ParagraphStyle("body", fontName="STSong-Light", fontSize=10.5, leading=16,
                          firstLineIndent=21, wordWrap="CJK", spaceAfter=2)
    title = ParagraphStyle("title", fontName="STSong-Light", fontSize=20, leading=28, alignment=1, spaceAfter=12)
    byline = ParagraphStyle("byline", fontName="STSong-Light", fontSize=12, leading=18, alignment=1, spaceAfter=12)

    def furniture(canvas, doc):
        canvas.saveState()
        canvas.setFont("STSong-Light", 9)
        canvas.drawString(margin, height - 12 * mm, HEADER)
        canvas.drawRightString(width - margin, height - 12 * mm, "2024年3月5日 星期二")
        canvas.drawCentredString(width / 2, 10 * mm, f"— {doc.page} —")
        canvas.drawString(margin, 15 * mm, FOOTER)
        canvas.restoreState()

    gap = 8 * mm
    usable = width - 2 * margin
    column_width = (usable - gap * (columns - 1)) / columns
    top, bottom = height - 20 * mm, 22 * mm
    title_height = 40 * mm

    def column_frames(first: bool):
        frame_top = top - (title_height if first else 0)
        return [Frame(margin + i * (column_width + gap), bottom, column_width, frame_top - bottom,
                      id=f"c{i}{'f' if first else ''}", leftPadding=0, rightPadding=0) for i in range(columns)]

    buffer = io.BytesIO()
    doc = BaseDocTemplate(buffer, pagesize=A4, title=article.title, author=article.author)
    title_frame = Frame(margin, top - title_height, usable, title_height, id="title", leftPadding=0, rightPadding=0)
    doc.addPageTemplates([
        PageTemplate("first", [title_frame, *column_frames(True)], onPage=furniture),
        PageTemplate("later", column_frames(False), onPage=furniture),
    ])
    pages: dict[int, set[int]] = {}

    class Tracked(Paragraph):
        index = -1  # which paragraph of the article; split parts inherit it

        def split(self, available_width, available_height):
            parts = super().split(available_width, available_height)
            for part in parts:
                part.index = self.index
            return parts

        def draw(self):
            pages.setdefault(self.index, set()).add(self.canv.getPageNumber())
            super().draw()

    from reportlab.platypus import FrameBreak

    story = [NextPageTemplate("later"), Paragraph(html.escape(article.title), title),
             Paragraph(html.escape(article.author), byline), FrameBreak()]
    for i, text in enumerate(article.paragraphs):
        paragraph = Tracked(html.escape(text), body)
        paragraph.index = i
        story.append(paragraph)
    doc.build(story)
    if pages_of is not None:
        pages_of.update({i: sorted(p) for i, p in pages.items()})
    return buffer.getvalue()


# ------------------------------------------------------------------ DOCX


def docx_bytes(article: Article) -> bytes:
    from docx import Document

    document = Document()
    document.core_properties.title = article.title
    document.core_properties.author = article.author
    section = document.sections[0]
    section.header.paragraphs[0].text = HEADER
    section.footer.paragraphs[0].text = FOOTER
    document.add_heading(article.title, level=0)
    document.add_paragraph(article.author)
    for text in article.paragraphs:
        paragraph = document.add_paragraph()
        # Runs split mid-sentence, as Word leaves them after editing.
        middle = len(text) // 2
        paragraph.add_run(text[:middle])
        paragraph.add_run(text[middle:]).bold = False
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


# ------------------------------------------------------------------ HTML


def html_text(article: Article, *, charset: str = "utf-8", how: str = "meta") -> str:
    """A news-site page; ``how`` is "meta" (<meta charset>) or "http-equiv"."""
    declaration = (f'<meta charset="{charset}">' if how == "meta"
                   else f'<meta http-equiv="Content-Type" content="text/html; charset={charset}">')
    nav = "".join(f'<li><a href="/{i}">{item}</a></li>' for i, item in enumerate(NAV))
    related = "".join(f'<li><a href="/r{i}">{item}</a></li>' for i, item in enumerate(RELATED))
    body = "\n".join(f"<p>{html.escape(text)}</p>" for text in article.paragraphs)
    return f"""<!DOCTYPE html>
<html lang="zh-CN"><head>{declaration}
<title>{html.escape(article.title)}_华夏时报网</title>
<link rel="canonical" href="https://www.example.cn/news/2024/0305/123.html">
<style>body {{ font-family: sans-serif; }} .nav li {{ display: inline; }}</style>
<script>var _hmt = _hmt || []; window.dataLayer = [];</script>
</head><body>
<div class="header"><div class="logo">{HEADER}</div><ul class="nav">{nav}</ul></div>
<div class="breadcrumb"><a href="/">首页</a> &gt; <a href="/pl">评论</a> &gt; 正文</div>
<div class="main"><div class="article">
<h1>{html.escape(article.title)}</h1>
<div class="info">来源：华夏时报 作者：{html.escape(article.author)} 2024-03-05 08:00</div>
<div class="share">{SHARE}</div>
<div class="content" id="content">
{body}
</div>
<div class="editor">（责任编辑：张三）</div>
</div>
<div class="sidebar"><h3>热门文章</h3><ul>{related}</ul></div></div>
<div class="footer"><p>{COPYRIGHT}</p><p>关于我们 | 联系我们 | 广告服务</p></div>
<script>document.write('统计代码');</script>
</body></html>
"""


def html_bytes(article: Article, *, charset: str = "utf-8", how: str = "meta") -> bytes:
    return html_text(article, charset=charset, how=how).encode(charset, errors="xmlcharrefreplace")


# ------------------------------------------------------------------ EPUB


def epub_bytes(article: Article, chapters: int = 2) -> bytes:
    """An EPUB 3 whose spine order differs from its file names' order."""
    size = max(1, -(-len(article.paragraphs) // chapters))
    parts = [article.paragraphs[i:i + size] for i in range(0, len(article.paragraphs), size)]
    names = [f"chap{len(parts) - i:02d}.xhtml" for i in range(len(parts))]  # reversed names
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as book:
        book.writestr(zipfile.ZipInfo("mimetype"), "application/epub+zip")
        book.writestr("META-INF/container.xml", """<?xml version="1.0"?>
<container version="1.0" xmlns="urn:oasis:names:tc:opendocument:xmlns:container">
<rootfiles><rootfile full-path="OEBPS/content.opf" media-type="application/oebps-package+xml"/></rootfiles>
</container>""")
        manifest = "".join(f'<item id="c{i}" href="{n}" media-type="application/xhtml+xml"/>' for i, n in enumerate(names))
        spine = "".join(f'<itemref idref="c{i}"/>' for i in range(len(names)))
        book.writestr("OEBPS/content.opf", f"""<?xml version="1.0" encoding="utf-8"?>
<package xmlns="http://www.idpf.org/2007/opf" version="3.0" unique-identifier="id">
<metadata xmlns:dc="http://purl.org/dc/elements/1.1/">
<dc:identifier id="id">urn:uuid:12345</dc:identifier><dc:title>{html.escape(article.title)}</dc:title>
<dc:creator>{html.escape(article.author)}</dc:creator><dc:language>zh</dc:language></metadata>
<manifest><item id="nav" href="nav.xhtml" media-type="application/xhtml+xml" properties="nav"/>{manifest}</manifest>
<spine>{spine}</spine></package>""")
        book.writestr("OEBPS/nav.xhtml", """<?xml version="1.0" encoding="utf-8"?>
<html xmlns="http://www.w3.org/1999/xhtml" xmlns:epub="http://www.idpf.org/2007/ops"><body>
<nav epub:type="toc"><ol><li><a href="chap01.xhtml">目录一</a></li></ol></nav></body></html>""")
        for number, (name, texts) in enumerate(zip(names, parts), start=1):
            paragraphs = "".join(f"<p>{html.escape(t)}</p>" for t in texts)
            book.writestr(f"OEBPS/{name}", f"""<?xml version="1.0" encoding="utf-8"?>
<html xmlns="http://www.w3.org/1999/xhtml"><head><title>第{number}章</title></head>
<body><h2>第{number}章</h2>{paragraphs}</body></html>""")
    return buffer.getvalue()


def text_bytes(article: Article) -> bytes:
    body = "\n\n".join(article.paragraphs)
    quoted = lambda value: json.dumps(value, ensure_ascii=False)  # JSON strings are YAML strings
    return f"---\ntitle: {quoted(article.title)}\nauthor: {quoted(article.author)}\n---\n\n{body}\n".encode()
