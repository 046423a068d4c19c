"""A PDF page → its text lines, tables and counts, through pdfium.

pdfium (pypdfium2's raw API) was chosen by measurement (benchmarks/extract_pdf.py):
it decodes CID fonts as well as pdfminer does at several times its speed,
and gives each glyph's box, font size and font. Its own text output is not
used: its line breaks and inserted spaces follow the printed lines, and
reading order, paragraphs and furniture are decided here instead.

Coordinates are PDF points with the origin at the page's top-left corner.
"""

from __future__ import annotations

import ctypes
import math
import re
from dataclasses import dataclass, field

import pypdfium2.raw as pdfium_c

from retrieval.ingest.pdf.lines import Glyph, Line, lines_of
from retrieval.ingest.pdf.tables import Grid, find_grids
from retrieval.ingest.pdf.text import join_lines

_BOLD_NAME = re.compile(r"bold|black|heavy|semibold|demibold|extrabold|ultrabold", re.I)
_PATH, _IMAGE, _FORM = 2, 3, 5
_FILL_STROKE = 2  # text render mode of faked bold


@dataclass
class Page:
    number: int  # 1-based, physical
    width: float
    height: float
    lines: list[Line] = field(default_factory=list)
    glyphs: int = 0  # characters with a Unicode value
    junk: int = 0  # characters whose font gives none
    rare: int = 0  # CJK Extension A: what CIDs read without their font's map turn into
    rotated: int = 0  # characters set at an angle (left out)
    images: int = 0


def read_page(document, index: int, fonts: dict) -> Page:
    """Everything the layout needs from page ``index`` (0-based). ``fonts``
    caches font facts across pages (a font is shared by many text objects)."""
    page = pdfium_c.FPDF_LoadPage(document, index)
    if not page:
        raise ValueError("pdfium could not load it")
    try:
        box = pdfium_c.FS_RECTF()
        if not pdfium_c.FPDF_GetPageBoundingBox(page, box):
            raise ValueError("it has no page box")
        left, top = box.left, box.top
        result = Page(index + 1, abs(box.right - box.left), abs(box.top - box.bottom))
        textpage = pdfium_c.FPDFText_LoadPage(page)
        if not textpage:
            raise ValueError("pdfium could not load its text")
        try:
            glyphs, result.glyphs, result.junk, result.rare, result.rotated = _glyphs(textpage, left, top, fonts)
        finally:
            pdfium_c.FPDFText_ClosePage(textpage)
        rulings, result.images = _rulings_and_images(page, left, top)
    finally:
        pdfium_c.FPDF_ClosePage(page)
    grids = find_grids(rulings)
    if grids:
        glyphs, tables = _take_tables(glyphs, grids)
    else:
        tables = []
    result.lines = lines_of(glyphs) + tables
    for line in result.lines:
        line.page = result.number
    return result


def _plain(name: str, restype, *argtypes):
    """pdfium's ``name`` taking and returning plain addresses: pypdfium2's
    typed handles would cost a ctypes.cast per glyph, half the reading time."""
    address = ctypes.cast(getattr(pdfium_c, name), ctypes.c_void_p).value
    return ctypes.CFUNCTYPE(restype, *argtypes)(address)


_INT, _PTR = ctypes.c_int, ctypes.c_void_p
_get_unicode = _plain("FPDFText_GetUnicode", ctypes.c_uint, _PTR, _INT)
_is_generated = _plain("FPDFText_IsGenerated", _INT, _PTR, _INT)
_text_object = _plain("FPDFText_GetTextObject", _PTR, _PTR, _INT)
_loose_box = _plain("FPDFText_GetLooseCharBox", _INT, _PTR, _INT, ctypes.POINTER(pdfium_c.FS_RECTF))
_origin = _plain("FPDFText_GetCharOrigin", _INT, _PTR, _INT, ctypes.POINTER(ctypes.c_double),
                 ctypes.POINTER(ctypes.c_double))
_map_error = _plain("FPDFText_HasUnicodeMapError", _INT, _PTR, _INT)


@dataclass(slots=True)
class _TextObject:
    bold: bool
    size: float
    rotated: bool
    unmapped: bool  # its first character had no Unicode map: check every one


def _glyphs(textpage, left: float, top: float, fonts: dict) -> tuple[list[Glyph], int, int, int, int]:
    page = ctypes.cast(textpage, ctypes.c_void_p).value
    count = pdfium_c.FPDFText_CountChars(textpage)
    glyphs: list[Glyph] = []
    junk = visible = rare = rotated = 0
    box = pdfium_c.FS_RECTF()
    box_ref = ctypes.byref(box)
    ox, oy = ctypes.c_double(), ctypes.c_double()
    ox_ref, oy_ref = ctypes.byref(ox), ctypes.byref(oy)
    objects: dict[int, _TextObject] = {}
    pending_space = ""
    for i in range(max(count, 0)):
        code = _get_unicode(page, i)
        if _is_generated(page, i):
            # pdfium's own spaces mark gaps; they matter between Latin words only.
            if code == 0x20 and not pending_space:
                pending_space = "~"
            continue
        if code in (0x20, 0xA0, 0x09, 0x3000):
            pending_space = "\u3000" if code == 0x3000 else " "
            continue
        if code in (0x0D, 0x0A):
            continue
        if code == 0x02:  # pdfium's mark for a hyphen that ends a line
            code = 0x2D
        address = _text_object(page, i) or 0
        obj = objects.get(address)
        if obj is None:
            obj = objects[address] = _describe(textpage, i, address, fonts)
        if obj.rotated:
            rotated += 1
            continue  # watermarks and margin notes, not the running text
        bad = code < 0x20 or code in (0xFFFD, 0xFFFE, 0xFFFF) or 0xE000 <= code <= 0xF8FF \
            or (obj.unmapped and _map_error(page, i) == 1)
        if bad:
            junk += 1
        else:
            visible += 1
            rare += 0x3400 <= code <= 0x4DBF
        _loose_box(page, i, box_ref)
        _origin(page, i, ox_ref, oy_ref)
        # A glyph without Unicode still takes its place on the line (so the
        # line does not split at the hole), but adds no text.
        ch = "" if bad else chr(code)
        if 0xD800 <= code <= 0xDBFF and i + 1 < count:  # a surrogate pair
            low = _get_unicode(page, i + 1)
            if 0xDC00 <= low <= 0xDFFF:
                ch = chr(0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00))
        elif 0xDC00 <= code <= 0xDFFF:
            continue
        glyphs.append(Glyph(ch, box.left - left, max(box.right, box.left) - left, top - oy.value,
                            obj.size, obj.bold, pending_space))
        pending_space = ""
    return glyphs, visible, junk, rare, rotated


def _describe(textpage, i: int, address: int, fonts: dict) -> _TextObject:
    """What every glyph of one text object shares: font, weight, size, angle."""
    matrix = pdfium_c.FS_MATRIX(1, 0, 0, 1, 0, 0)
    pdfium_c.FPDFText_GetMatrix(textpage, i, matrix)
    rotated = abs(math.atan2(matrix.b, matrix.a)) > 0.05
    # The size the reader sees: a "1 Tf" font scaled up by the text matrix is large.
    size = pdfium_c.FPDFText_GetFontSize(textpage, i) * (math.hypot(matrix.c, matrix.d) or 1.0)
    unmapped = pdfium_c.FPDFText_HasUnicodeMapError(textpage, i) == 1
    if not address:
        return _TextObject(False, max(size, 0.1), rotated, unmapped)
    handle = ctypes.cast(address, pdfium_c.FPDF_PAGEOBJECT)
    font = pdfium_c.FPDFTextObj_GetFont(handle)
    font_address = (ctypes.cast(font, ctypes.c_void_p).value or 0) if font else 0
    bold = fonts.get(font_address)
    if bold is None:
        bold = False
        if font:
            length = pdfium_c.FPDFFont_GetBaseFontName(font, None, 0)
            if length:
                buffer = ctypes.create_string_buffer(length)
                pdfium_c.FPDFFont_GetBaseFontName(font, buffer, length)
                bold = bool(_BOLD_NAME.search(buffer.value.decode("utf-8", "replace")))
            bold = bold or pdfium_c.FPDFFont_GetWeight(font) >= 600 \
                or bool(pdfium_c.FPDFFont_GetFlags(font) & (1 << 18))  # ForceBold
        fonts[font_address] = bold
    if pdfium_c.FPDFTextObj_GetTextRenderMode(handle) == _FILL_STROKE:
        bold = True
    return _TextObject(bold, max(size, 0.1), rotated, unmapped)


def _rulings_and_images(page, left: float, top: float) -> tuple[list[tuple[float, float, float, float]], int]:
    """Thin horizontal and vertical strokes (x0, y0, x1, y1), and how many images."""
    rulings = []
    images = 0
    l, b, r, t = (ctypes.c_float() for _ in range(4))
    stack = [(pdfium_c.FPDFPage_CountObjects(page), lambda k: pdfium_c.FPDFPage_GetObject(page, k), True)]
    while stack:
        count, get, on_page = stack.pop()
        for k in range(max(count, 0)):
            obj = get(k)
            kind = pdfium_c.FPDFPageObj_GetType(obj)
            if kind == _IMAGE:
                images += 1
            elif kind == _FORM and len(stack) < 4:
                # Scanners often wrap the page image in a form; its paths'
                # bounds are in the form's own space, so only images count there.
                stack.append((pdfium_c.FPDFFormObj_CountObjects(obj),
                              lambda k, o=obj: pdfium_c.FPDFFormObj_GetObject(o, k), False))
            elif kind == _PATH and on_page and pdfium_c.FPDFPageObj_GetBounds(obj, l, b, r, t):
                x0, x1, y0, y1 = l.value - left, r.value - left, top - t.value, top - b.value
                if y1 - y0 <= 3 and x1 - x0 > 6:
                    y = (y0 + y1) / 2
                    rulings.append((x0, y, x1, y))
                elif x1 - x0 <= 3 and y1 - y0 > 6:
                    x = (x0 + x1) / 2
                    rulings.append((x, y0, x, y1))
                elif x1 - x0 > 6 and y1 - y0 > 6 and pdfium_c.FPDFPath_CountSegments(obj) in (4, 5):
                    # A rectangle: its four sides may be a table's border.
                    rulings += [(x0, y0, x1, y0), (x0, y1, x1, y1), (x0, y0, x0, y1), (x1, y0, x1, y1)]
    return rulings, images


def _take_tables(glyphs: list[Glyph], grids: list[Grid]) -> tuple[list[Glyph], list[Line]]:
    """Glyphs inside a ruled table → that table's cells; the rest stay running text."""
    rest: list[Glyph] = []
    cells: list[dict[tuple[int, int], list[Glyph]]] = [{} for _ in grids]
    for g in glyphs:
        for n, grid in enumerate(grids):
            cell = grid.cell_at((g.x0 + g.x1) / 2, g.base - 0.35 * g.size)
            if cell is not None:
                cells[n].setdefault(cell, []).append(g)
                break
        else:
            rest.append(g)
    tables = []
    for grid, found in zip(grids, cells):
        if not found:
            continue
        rows = [[_cell_text(found.get((r, c), [])) for c in range(grid.columns)] for r in range(grid.rows)]
        rows = [row for row in rows if any(row)]
        if rows:
            size = max((g.size for gs in found.values() for g in gs), default=10.0)
            tables.append(Line(text="", x0=grid.x0, x1=grid.x1, top=grid.top, bottom=grid.bottom,
                               base=grid.bottom, size=size, rows=rows))
    return rest, tables


def _cell_text(glyphs: list[Glyph]) -> str:
    text = ""
    for line in sorted(lines_of(glyphs), key=lambda l: (l.top, l.x0)):
        text = join_lines(text, line.text)
    return text.strip()
