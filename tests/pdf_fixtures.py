"""Chinese test PDFs built with reportlab, and the truth about what was drawn.

Every builder returns a :class:`Built`: the paragraphs exactly as typeset,
the physical pages each one was drawn on (recorded by the flowable while it
draws, so a paragraph split over a page or a column knows both pages), and
the page furniture (running headers, footers, page numbers). Tests and the
extraction benchmark compare a reader's output with that truth, never with
another extractor's output.

The CJK font is reportlab's built-in STSong-Light CID font: it is not
embedded, so the files are small and need no font on the machine.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from pathlib import Path

from reportlab.lib.enums import TA_CENTER, TA_JUSTIFY, TA_LEFT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen import canvas as pdf_canvas
from reportlab.platypus import (
    BaseDocTemplate,
    Frame,
    FrameBreak,
    NextPageTemplate,
    PageBreak,
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)

CJK_FONT = "STSong-Light"
SEEDS = Path(__file__).resolve().parent.parent / "seeds" / "articles"

_registered = False


def register_fonts() -> str:
    global _registered
    if not _registered:
        pdfmetrics.registerFont(UnicodeCIDFont(CJK_FONT))
        _registered = True
    return CJK_FONT


# CJK TrueType fonts that a Debian machine may have (fonts-wqy-microhei,
# fonts-arphic-uming); reportlab embeds a subset of them. (Droid Sans
# Fallback has no Latin digits or curly quotes: they would print as boxes.)
CJK_TTF_CANDIDATES = (
    ("WenQuanYiMicroHei", "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", 0),
    ("ARPLUMing", "/usr/share/fonts/truetype/arphic/uming.ttc", 0),
    ("NotoSansCJK", "/usr/share/fonts/truetype/noto/NotoSansCJK-Regular.ttc", 0),
)


def cjk_ttf() -> str | None:
    """The name of a registered CJK TrueType font, or None when the machine has none."""
    from reportlab.pdfbase.ttfonts import TTFont

    for name, file, index in CJK_TTF_CANDIDATES:
        if name in pdfmetrics.getRegisteredFontNames():
            return name
        if Path(file).exists():
            try:
                pdfmetrics.registerFont(TTFont(name, file, subfontIndex=index))
            except Exception:  # noqa: BLE001 - an unreadable font file: try the next
                continue
            return name
    return None


# --------------------------------------------------------------- articles


@dataclass
class Article:
    title: str
    author: str
    items: list[tuple]  # ("heading", text) | ("para", text) | ("table", rows) | ("pagebreak",)

    @property
    def paragraphs(self) -> list[str]:
        return [item[1] for item in self.items if item[0] == "para"]


def seed_article(number: int) -> Article:
    """One of the bundled seed articles (1, 2 or 3): real Chinese prose with headings."""
    path = sorted(SEEDS.glob("*.md"))[number - 1]
    text = path.read_text(encoding="utf-8")
    _, front, body = text.split("---", 2)
    meta = dict(re.findall(r"^(\w+):\s*(.*)$", front, re.M))
    items: list[tuple] = []
    for block in re.split(r"\n\s*\n", body):
        block = block.strip()
        if not block:
            continue
        if block.startswith("#"):
            items.append(("heading", block.lstrip("#").strip()))
        else:
            items.append(("para", " ".join(block.split("\n"))))
    return Article(meta.get("title", path.stem), meta.get("author", ""), items)


# --------------------------------------------------------------- building


@dataclass
class Built:
    path: Path
    title: str
    paragraphs: list[str]
    headings: list[str]
    pages: dict[int, set[int]]  # paragraph index → physical pages (1-based) it was drawn on
    furniture: list[str] = field(default_factory=list)  # every header, footer and page number drawn
    page_count: int = 0
    table_rows: list[list[str]] = field(default_factory=list)
    frames: dict[int, list[tuple[int, str]]] = field(default_factory=dict)  # paragraph → (page, frame id)…

    def crossing_columns(self) -> list[str]:
        """Paragraphs that go on in the next column of the same page."""
        return [self.paragraphs[k] for k, places in self.frames.items()
                if len({page for page, _ in places}) == 1 and len(places) > 1]

    def crossing_pages(self) -> list[str]:
        return [self.paragraphs[k] for k, pages in self.pages.items() if len(pages) > 1]

    def pages_of(self, paragraph: str) -> set[int]:
        return self.pages[self.paragraphs.index(paragraph)]


class _Traced(Paragraph):
    """A paragraph that records the pages it is drawn on, also once split."""

    trace: list | None = None
    key: int | None = None

    def split(self, availWidth, availHeight):
        parts = super().split(availWidth, availHeight)
        for part in parts:
            part.trace, part.key = self.trace, self.key
        return parts

    def draw(self):
        if self.trace is not None:
            frame = getattr(getattr(self, "_frame", None), "id", None)
            self.trace.append((self.key, self.canv.getPageNumber(), frame))
        super().draw()


PAGE_NUMBER_STYLES = {
    "dash": "— {n} —",
    "hyphen": "- {n} -",
    "zh": "第 {n} 页",
    "of": "Page {n} of {total}",
    "bare": "{n}",
}


def build_article(
    path: Path,
    article: Article,
    *,
    columns: int = 1,
    layout: str = "indent",  # "indent": first-line indent, no gap; "spacing": gap, no indent
    header: str | None = None,  # running header; "{n}" is replaced by the page number
    footer: str | None = None,
    page_numbers: str | None = None,  # a key of PAGE_NUMBER_STYLES
    page_number_at: str = "bottom",
    metadata_title: bool = True,
    font_size: float = 10.5,
    leading: float | None = None,
    page_labels: list[tuple[int, str, int, str | None]] | None = None,  # (page index, style, start, prefix)
    encrypt=None,
    pagesize=A4,
    alignment: int = TA_JUSTIFY,
    title_size: float = 20,
    heading_size: float = 14,
    font: str = CJK_FONT,
) -> Built:
    """Typeset ``article`` the way a journal or report would: title on top
    (across every column), headings, body paragraphs, tables; optional
    running header, footer and page numbers."""
    register_fonts()
    path = Path(path)
    total = None
    if page_numbers and "{total}" in PAGE_NUMBER_STYLES[page_numbers]:
        # "Page 3 of 9" needs the page count: typeset once to count.
        total = _build(path, article, columns, layout, header, footer, None, page_number_at,
                       metadata_title, font_size, leading, page_labels, encrypt, pagesize,
                       alignment, title_size, heading_size, font, None).page_count
    return _build(path, article, columns, layout, header, footer, page_numbers, page_number_at,
                  metadata_title, font_size, leading, page_labels, encrypt, pagesize,
                  alignment, title_size, heading_size, font, total)


def _build(path, article, columns, layout, header, footer, page_numbers, page_number_at,
           metadata_title, font_size, leading, page_labels, encrypt, pagesize,
           alignment, title_size, heading_size, font, total) -> Built:
    width, height = pagesize
    margin, gutter = 56.0, 18.0
    leading = leading or round(font_size * 1.6, 1)
    indent = layout == "indent"
    body = ParagraphStyle(
        "body", fontName=font, fontSize=font_size, leading=leading, wordWrap="CJK",
        alignment=alignment, firstLineIndent=2 * font_size if indent else 0,
        spaceBefore=0 if indent else font_size * 0.9, spaceAfter=0,
    )
    heading = ParagraphStyle(
        "heading", fontName=font, fontSize=heading_size, leading=heading_size * 1.4,
        wordWrap="CJK", spaceBefore=heading_size * 0.8, spaceAfter=heading_size * 0.5, alignment=TA_LEFT,
    )
    title_style = ParagraphStyle(
        "title", fontName=font, fontSize=title_size, leading=title_size * 1.35,
        wordWrap="CJK", alignment=TA_CENTER, spaceAfter=title_size * 0.6,
    )
    cell = ParagraphStyle("cell", fontName=font, fontSize=font_size * 0.9,
                          leading=font_size * 1.3, wordWrap="CJK")

    trace: list[tuple[int, int, str]] = []
    furniture: list[str] = []
    pages_seen = [0]

    def decorate(canvas, doc):
        n = canvas.getPageNumber()
        pages_seen[0] = max(pages_seen[0], n)
        if page_labels and n == 1:
            for index, style, start, prefix in page_labels:
                canvas.addPageLabel(index, style, start, prefix)
        canvas.saveState()
        canvas.setFont(font, 9)
        if header:
            text = header.format(n=n)
            canvas.drawString(margin, height - 34, text)
            canvas.setLineWidth(0.5)
            canvas.line(margin, height - 40, width - margin, height - 40)
            furniture.append(text)
        if footer:
            text = footer.format(n=n)
            canvas.drawString(margin, 30, text)
            furniture.append(text)
        if page_numbers:
            text = PAGE_NUMBER_STYLES[page_numbers].format(n=n, total=total or 0)
            y = height - 34 if page_number_at == "top" else 30
            if page_number_at == "top" or footer:
                canvas.drawRightString(width - margin, y, text)
            else:
                canvas.drawCentredString(width / 2, y, text)
            furniture.append(text)
        canvas.restoreState()

    top, bottom = height - margin - 4, margin
    body_height = top - bottom
    col_width = (width - 2 * margin - gutter * (columns - 1)) / columns

    def column_frames(y0: float, h: float, prefix: str) -> list[Frame]:
        return [Frame(margin + i * (col_width + gutter), y0, col_width, h, id=f"{prefix}{i}")
                for i in range(columns)]

    title_height = title_size * 1.35 * 3 + 10
    first_frames = [Frame(margin, top - title_height, width - 2 * margin, title_height, id="title")]
    first_frames += column_frames(bottom, body_height - title_height, "first")
    templates = [
        PageTemplate("first", frames=first_frames, onPage=decorate),
        PageTemplate("later", frames=column_frames(bottom, body_height, "col"), onPage=decorate),
    ]
    doc = BaseDocTemplate(
        str(path), pagesize=pagesize, leftMargin=margin, rightMargin=margin, topMargin=margin,
        bottomMargin=margin, title=article.title if metadata_title else "",
        author=article.author if metadata_title else "", encrypt=encrypt,
    )
    doc.addPageTemplates(templates)

    story: list = [Paragraph(article.title, title_style), NextPageTemplate("later"), FrameBreak()]
    paragraphs: list[str] = []
    headings: list[str] = []
    table_rows: list[list[str]] = []
    for item in article.items:
        kind = item[0]
        if kind == "heading":
            headings.append(item[1])
            story.append(Paragraph(item[1], heading))
        elif kind == "para":
            flowable = _Traced(_escape(item[1]), body)
            flowable.trace, flowable.key = trace, len(paragraphs)
            paragraphs.append(item[1])
            story.append(flowable)
        elif kind == "table":
            rows = item[1]
            table_rows.extend(rows)
            table = Table([[Paragraph(_escape(c), cell) for c in row] for row in rows],
                          colWidths=[col_width / len(rows[0]) - 2] * len(rows[0]))
            table.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.5, "black"),
                                       ("VALIGN", (0, 0), (-1, -1), "TOP")]))
            story += [Spacer(1, 6), table, Spacer(1, 6)]
        elif kind == "pagebreak":
            story.append(PageBreak())
        elif kind == "spacer":
            story.append(Spacer(1, item[1]))
        else:
            raise ValueError(kind)
    doc.build(story)
    pages: dict[int, set[int]] = {i: set() for i in range(len(paragraphs))}
    frames: dict[int, list[tuple[int, str]]] = {i: [] for i in range(len(paragraphs))}
    for key, page, frame in trace:
        pages[key].add(page)
        frames[key].append((page, frame))
    return Built(path, article.title, paragraphs, headings, pages, furniture, pages_seen[0], table_rows, frames)


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


# --------------------------------------------------------------- hand-drawn pages


def build_pages(path: Path, pages, *, title: str = "", encrypt=None, pagesize=A4) -> Path:
    """One page per callable in ``pages``; each draws on the reportlab canvas."""
    register_fonts()
    canvas = pdf_canvas.Canvas(str(path), pagesize=pagesize, encrypt=encrypt)
    if title:
        canvas.setTitle(title)
    for draw in pages:
        draw(canvas)
        canvas.showPage()
    canvas.save()
    return Path(path)


def text_lines(lines, *, font: str = CJK_FONT, size: float = 10.5, x: float = 72, top: float = 760,
               leading: float = 17):
    """A page drawer: each line drawn at ``x`` (or (x, text) pairs), one leading apart."""
    def draw(canvas):
        canvas.setFont(font, size)
        y = top
        for line in lines:
            at, text = (line if isinstance(line, tuple) else (x, line))
            canvas.drawString(at, y, text)
            y -= leading
    return draw


def image_page(canvas) -> None:
    """A page with a picture and no text, the way a scanner makes it."""
    from PIL import Image, ImageDraw
    from reportlab.lib.utils import ImageReader

    picture = Image.new("L", (120, 160), 255)
    pen = ImageDraw.Draw(picture)
    for y in range(10, 150, 8):
        pen.line((10, y, 110, y), fill=0, width=2)
    canvas.drawImage(ImageReader(picture), 72, 300, width=420, height=460)


def pdf_bytes(draw_pages) -> bytes:
    """A small PDF in memory (for the fuzz test)."""
    register_fonts()
    buffer = io.BytesIO()
    canvas = pdf_canvas.Canvas(buffer, pagesize=A4)
    for draw in draw_pages:
        draw(canvas)
        canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def split_cjk(text: str, per_line: int) -> list[str]:
    """``text`` cut every ``per_line`` characters: lines of a hand-set paragraph."""
    return [text[i:i + per_line] for i in range(0, len(text), per_line)]


def build_hand_wrapped(
    path: Path,
    article: Article,
    *,
    per_line: int = 30,
    indent: str = "spaces",  # "spaces": "　　" before the first line; "offset": drawn 2 em in; "none"
    gap: float = 0.0,  # extra space between paragraphs, in points
    columns: int = 1,
    size: float = 11,
    header: str | None = None,
    page_numbers: str | None = None,
    row_order: bool = False,
) -> Built:
    """The way a script without a layout engine sets text: every line cut
    after ``per_line`` characters and drawn with drawString (so lines with
    digits or Latin end short of the margin), headings in a larger size.
    ``row_order`` draws each page's lines by height, left column then right
    on each row, as some typesetters write their content streams, so only
    the glyphs' positions tell the columns apart."""
    register_fonts()
    width, height = A4
    margin, gutter = 60.0, 20.0
    leading = size * 1.6
    col_width = (width - 2 * margin - gutter * (columns - 1)) / columns
    canvas = pdf_canvas.Canvas(str(path), pagesize=A4)
    canvas.setTitle(article.title)
    page, column = 1, 0
    furniture: list[str] = []
    paragraphs: list[str] = []
    pages: dict[int, set[int]] = {}
    top = height - margin - 40
    y = top
    drawn: list[tuple[float, float, str, float]] = []

    def draw(x: float, at: float, text: str, font_size: float, centred: bool = False):
        drawn.append((x, at, text, font_size, centred))

    def flush():
        for x, at, text, font_size, centred in (sorted(drawn, key=lambda d: (-d[1], d[0])) if row_order else drawn):
            canvas.setFont(CJK_FONT, font_size)
            (canvas.drawCentredString if centred else canvas.drawString)(x, at, text)
        drawn.clear()

    def decorate():
        if header:
            draw(margin, height - 36, header, 9)
            furniture.append(header)
        if page_numbers:
            text = PAGE_NUMBER_STYLES[page_numbers].format(n=page, total=0)
            draw(width / 2, 30, text, 9, centred=True)
            furniture.append(text)
        flush()

    def advance(step: float):
        nonlocal y, column, page
        if y - step < margin:
            column += 1
            y = top if page > 1 else top - 40
            if column >= columns:
                decorate()
                canvas.showPage()
                page, column = page + 1, 0
                y = top
        y -= step

    draw(width / 2, top, article.title, 18, centred=True)
    y = top - 40
    for item in article.items:
        if item[0] == "heading":
            per_heading = int(per_line / 1.3)
            for n, start in enumerate(range(0, len(item[1]), per_heading)):
                advance(size * (2.6 if n == 0 else 1.8))
                draw(margin + column * (col_width + gutter), y, item[1][start:start + per_heading], size * 1.3)
            y -= size * 0.6
            continue
        if item[0] != "para":
            continue
        text = item[1]
        key = len(paragraphs)
        paragraphs.append(text)
        pages[key] = set()
        first = ("　　" + text) if indent == "spaces" else text
        lines = [first[i:i + per_line] for i in range(0, len(first), per_line)]
        if gap:
            advance(gap)
        for n, line in enumerate(lines):
            advance(leading)
            x = margin + column * (col_width + gutter)
            if n == 0 and indent == "offset":
                x += 2 * size
            draw(x, y, line, size)
            pages[key].add(page)
    decorate()
    canvas.showPage()
    canvas.save()
    return Built(Path(path), article.title, paragraphs, [i[1] for i in article.items if i[0] == "heading"],
                 pages, furniture, page)


def build_tj_justified(path: Path, article: Article, *, per_line: int = 34, size: float = 10.5,
                       measure: float = 400.0) -> Built:
    """Paragraphs justified the way word processors write them: each line one
    TJ array whose offsets spread the characters over the full measure, so
    there are gaps between ideographs that are not spaces."""
    register_fonts()
    canvas = pdf_canvas.Canvas(str(path), pagesize=A4)
    canvas.setTitle(article.title)
    width, height = A4
    left, top, bottom, leading = 80.0, height - 80, 80.0, size * 1.7
    canvas.setFont(CJK_FONT, size)  # registers the font on the page
    font_ref = canvas._doc.getInternalFontName(CJK_FONT)
    paragraphs: list[str] = []
    pages: dict[int, set[int]] = {}
    page, y = 1, top
    for item in article.items:
        if item[0] != "para":
            continue
        key = len(paragraphs)
        paragraphs.append(item[1])
        pages[key] = set()
        text = item[1]
        first_width = measure - 2 * size
        lines, start = [], 0
        while start < len(text):
            n = per_line - 2 if not lines else per_line
            lines.append(text[start:start + n])
            start += n
        for n, line in enumerate(lines):
            if y < bottom:
                canvas.showPage()
                canvas.setFont(CJK_FONT, size)
                page, y = page + 1, top
            x = left + (2 * size if n == 0 else 0)
            target = first_width if n == 0 else measure
            natural = pdfmetrics.stringWidth(line, CJK_FONT, size)
            last = n == len(lines) - 1
            spread = 0 if last or len(line) < 2 else (target - natural) / (len(line) - 1)
            offset = -spread / size * 1000  # TJ offsets are thousandths of an em, negative moves right
            parts = " ".join(f"<{ord(ch):04X}>" + (f" {offset:.1f}" if spread and i < len(line) - 1 else "")
                             for i, ch in enumerate(line))
            canvas._code.append(f"BT {font_ref} {size} Tf {x:.2f} {y:.2f} Td [{parts}] TJ ET")
            pages[key].add(page)
            y -= leading
        y -= size * 0.6
    canvas.showPage()
    canvas.save()
    return Built(Path(path), article.title, paragraphs, [], pages, [], page)
