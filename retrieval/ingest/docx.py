"""``.docx``: Word's XML read with lxml into paragraphs, headings and table rows.

Not python-docx: it drops the text of tracked insertions, content controls
and simple fields (``w:ins``, ``w:sdt``, ``w:fldSimple``), sees no text
boxes, repeats merged cells, inflates every part of the package (images
too) before reading one, and is slower: 2-2.5x on a 5,000-paragraph file,
1.6x on article-sized ones, where parsing styles.xml is much of the time
for both (``benchmarks/extract_docx_epub.py``).

What a reader sees is what is kept: tracked deletions, field codes, hidden
runs, ruby (pinyin) annotations and placeholder text are dropped; headers,
footers and comments live in parts of their own and are never read;
footnotes and endnotes come last, under 脚注 / 尾注.
"""

from __future__ import annotations

import re
from pathlib import Path

from retrieval.ingest.characters import repair_characters
from retrieval.ingest.table_rows import header_value_rows
from retrieval.ingest.model import HEADING, PARAGRAPH, TABLE_ROW, Block, Document, Problem, blocks_text
from retrieval.ingest.readers import Limits
from retrieval.ingest.zipsafe import OLE_MAGIC, ZipProblem, open_zip, parse_xml, resolve_href, starts_like


_W = ("http://schemas.openxmlformats.org/wordprocessingml/2006/main",
      "http://purl.oclc.org/ooxml/wordprocessingml/main")  # transitional, strict
_MC = "http://schemas.openxmlformats.org/markup-compatibility/2006"
_DC = "{http://purl.org/dc/elements/1.1/}"
_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}Relationship"
_NAMES = (
    "body p r t tab ptab br cr noBreakHyphen softHyphen fldChar instrText delText delInstrText "
    "del moveFrom ins moveTo pPr rPr sdt sdtPr sdtEndPr sdtContent tbl tr tc trPr tcPr gridSpan vMerge "
    "gridBefore drawing pict object txbxContent rt style name basedOn outlineLvl pStyle vanish "
    "showingPlcHdr docPartGallery footnote endnote tblPr tblGrid sectPr"
).split()
_TAG = {f"{{{ns}}}{name}": name for ns in _W for name in _NAMES}
_TAG[f"{{{_MC}}}AlternateContent"] = "AlternateContent"
# Never text a reader sees: properties, deleted or moved-away text, field
# codes, and the pinyin printed above the characters.
_SKIP_INLINE = {"pPr", "rPr", "sdtPr", "sdtEndPr", "del", "moveFrom", "instrText", "delText",
                "delInstrText", "rt", "trPr", "tcPr"}
# Shapes hold no text of their own; the text boxes inside are read after
# the paragraph they are anchored in.
_SHAPES = {"drawing", "pict", "object", "AlternateContent"}
_HEADING_STYLE = re.compile(r"^(?:heading|标题)\s*([1-9])$", re.IGNORECASE)
_TOC_STYLE = re.compile(r"^(?:toc\s*\d|toc heading|目录\s*\d?)$", re.IGNORECASE)
_TITLE_STYLES = {"title", "标题"}
# What generators and fresh Windows installs write when nobody typed a name.
_PLACEHOLDER_AUTHORS = {"python-docx", "administrator", "admin", "user", "author", "unknown",
                        "microsoft office user", "windows user", "windows 用户", "用户", "作者"}
# A "heading" longer than this is a body paragraph someone styled; as a
# heading its text would only reach the section path, never a chunk.
MAX_HEADING_CHARS = 100
NOTES = (("footnotes", "footnote", "脚注"), ("endnotes", "endnote", "尾注"))


def read(path: Path, name: str, limits: Limits, progress=None) -> tuple[list[Document], list[Problem]]:
    refusal = _not_a_docx(path)
    if refusal:
        return [], [Problem(name, refusal)]
    problems: list[Problem] = []
    try:
        with open_zip(path, limits, "a Word file") as package:
            doc = _read_package(package, name, problems)
    except ZipProblem as exc:
        return [], [Problem(name, f"{exc}; nothing indexed from it")]
    except RecursionError:
        return [], [Problem(name, "is nested too deeply to read; nothing indexed from it")]
    if doc is None:
        return [], problems
    return [doc], problems


def _not_a_docx(path: Path) -> str | None:
    head = starts_like(path)
    if head.startswith(b"PK"):
        return None
    if head == OLE_MAGIC:
        data = path.read_bytes()
        if "EncryptedPackage".encode("utf-16-le") in data:
            return ("is password-protected (an encrypted Word file); nothing indexed from it: open it in "
                    "Word, remove the password (File › Info › Protect Document) and save it again")
        if "WordDocument".encode("utf-16-le") in data:
            return ("is an old binary Word document (.doc), not a .docx; nothing indexed from it: "
                    "open it in Word or LibreOffice and save it as .docx")
        return "is an old Office file (OLE), not a .docx; nothing indexed from it: save it as .docx"
    if head.lstrip().startswith(b"{\\rtf"):
        return "is an RTF file, not a .docx; nothing indexed from it: open it in Word and save it as .docx"
    if not head:
        return "is empty; nothing indexed from it"
    return "is damaged or not a Word file: it is not a zip package; nothing indexed from it"


def _read_package(package, name: str, problems: list[Problem]) -> Document | None:
    roots = _relationships(package, "_rels/.rels", "")
    main = roots.get("officeDocument", "word/document.xml")
    if main not in package:
        problems.append(Problem(name, f"is a zip file but not a Word document (no {main}); nothing indexed from it"))
        return None
    parts = _relationships(package, _rels_of(main), main)

    def xml(member: str, what: str, required: bool = False):
        if member not in package:
            return None
        try:
            data = package.read(member)
        except ZipProblem as exc:
            if required:
                raise
            problems.append(Problem(name, f"{exc}; {what}"))
            return None
        root, error = parse_xml(data)
        if error:
            problems.append(Problem(name, f"{member} is damaged ({error}); "
                                          f"{what if root is not None else 'nothing could be read from it'}"))
        return root

    body_root = xml(main, "indexed what could be read of it", required=True)
    if body_root is None:
        return None
    styles = _Styles(xml(parts.get("styles", "word/styles.xml"), "headings may be missed"))
    walker = _Walker(styles)
    body = next((el for el in body_root.iter() if _TAG.get(el.tag) == "body"), None)
    if body is not None:
        walker.body(body)
    for part_type, tag, heading in NOTES:
        member = parts.get(part_type)
        notes = xml(member, f"some {heading} may be missing") if member else None
        if notes is not None:
            walker.notes(notes, tag, heading)
    blocks = walker.blocks
    if not any(block.kind != HEADING for block in blocks):
        problems.append(Problem(name, "has no text to index (only images or empty); nothing indexed from it"))
        return None

    core = xml(roots.get("core-properties", "docProps/core.xml"), "title and author not read")
    title, author = _core_properties(core)
    return Document(
        doc_id=Path(name).with_suffix("").as_posix(),
        text=blocks_text(blocks),
        source_path=name,
        title=title or walker.title or _first_top_heading(blocks) or Path(name).stem,
        author=author,
        blocks=tuple(blocks),
    )


def _relationships(package, rels_member: str, source: str) -> dict[str, str]:
    """Relationship type (its last path segment) → member it points at."""
    try:
        root, _ = parse_xml(package.read(rels_member)) if rels_member in package else (None, None)
    except ZipProblem:
        root = None  # the usual part names are tried instead
    targets: dict[str, str] = {}
    for rel in root.iter(_REL) if root is not None else ():
        if rel.get("TargetMode") == "External" or not rel.get("Target"):
            continue
        kind = (rel.get("Type") or "").rsplit("/", 1)[-1]
        targets.setdefault(kind, resolve_href(source or "/", rel.get("Target")))
    return targets


def _rels_of(member: str) -> str:
    folder, _, leaf = member.rpartition("/")
    return f"{folder}/_rels/{leaf}.rels" if folder else f"_rels/{leaf}.rels"


def _core_properties(core) -> tuple[str, str]:
    if core is None:
        return "", ""

    def first(tag: str) -> str:
        element = core.find(_DC + tag)
        return repair_characters(" ".join((element.text or "").split())) if element is not None else ""

    author = first("creator")
    if author.lower() in _PLACEHOLDER_AUTHORS:
        author = ""
    return first("title"), author


def _first_top_heading(blocks: list[Block]) -> str:
    headings = [block for block in blocks if block.kind == HEADING]
    if not headings:
        return ""
    top = min(block.level for block in headings)
    return next(block.text for block in headings if block.level == top)


def _val(element, name: str) -> str | None:
    for ns in _W:
        value = element.get(f"{{{ns}}}{name}")
        if value is not None:
            return value
    return None


def _child(element, name: str):
    return next((c for c in element if _TAG.get(c.tag) == name), None) if element is not None else None


class _Styles:
    """Paragraph style id → what its paragraphs are: heading level, title, table of contents."""

    def __init__(self, root):
        self.names: dict[str, str] = {}
        self.outline: dict[str, int] = {}
        self.based_on: dict[str, str] = {}
        self.default: str | None = None
        self._classes: dict[str | None, tuple[str, int]] = {}
        for style in root if root is not None else ():  # w:style sits right under w:styles
            if _TAG.get(style.tag) != "style" or _val(style, "type") not in (None, "paragraph"):
                continue
            style_id = _val(style, "styleId") or ""
            if _val(style, "default") in ("1", "true", "on"):
                self.default = style_id
            name = _child(style, "name")
            self.names[style_id] = (_val(name, "val") if name is not None else None) or style_id
            based = _child(style, "basedOn")
            if based is not None:
                self.based_on[style_id] = _val(based, "val") or ""
            level = _child(_child(style, "pPr"), "outlineLvl")
            if level is not None:
                self.outline[style_id] = _outline_level(level)

    def classify(self, style_id: str | None) -> tuple[str, int]:
        """("heading", level), ("title", 0), ("toc", 0) or ("body", 0)."""
        if style_id not in self._classes:
            self._classes[style_id] = self._classify(style_id or self.default or "")
        return self._classes[style_id]

    def _classify(self, style_id: str) -> tuple[str, int]:
        name = self.names.get(style_id, style_id).strip()
        if name.lower() in _TITLE_STYLES or style_id.lower() == "title":
            return "title", 0
        if _TOC_STYLE.match(name) or _TOC_STYLE.match(style_id):
            return "toc", 0
        match = _HEADING_STYLE.match(name) or _HEADING_STYLE.match(style_id)
        if match:
            return "heading", int(match.group(1))
        for _ in range(20):  # basedOn chains are short; a cycle must not hang
            if style_id in self.outline:
                level = self.outline[style_id]
                return ("heading", level) if level else ("body", 0)
            style_id = self.based_on.get(style_id)
            if not style_id:
                break
        return "body", 0


def _outline_level(element) -> int:
    """w:outlineLvl 0-8 → heading level 1-9; 9 (body text) or junk → 0."""
    try:
        value = int(_val(element, "val") or "9")
    except ValueError:
        return 0
    return value + 1 if 0 <= value <= 8 else 0


class _Walker:
    """The body in document order → blocks."""

    def __init__(self, styles: _Styles):
        self.styles = styles
        self.blocks: list[Block] = []
        self.title = ""
        # Complex fields: False while in the field code, True in its result.
        # A field's result can span paragraphs (a table of contents does).
        self.fields: list[bool] = []

    def emit(self, text: str, kind: str = PARAGRAPH, level: int = 0) -> None:
        text = repair_characters(text).strip()
        if text:
            self.blocks.append(Block(text, kind, level))

    def body(self, container) -> None:
        for child in container:
            name = _TAG.get(child.tag)
            if name == "p":
                self.paragraph(child)
            elif name == "tbl":
                self.table(child)
            elif name == "sdt":
                content = _visible_content(child)
                if content is not None:
                    self.body(content)
            elif name in _SHAPES:
                for box in _text_boxes(child):
                    self.body(box)
            elif name not in ("sectPr", "pPr", "rPr", "del", "moveFrom", "tcPr", "trPr") and len(child):
                self.body(child)  # customXml, moveTo and other wrappers of whole paragraphs

    def paragraph(self, p) -> None:
        properties = _child(p, "pPr")
        style = _child(properties, "pStyle")
        kind, level = self.styles.classify(_val(style, "val") if style is not None else None)
        outline = _child(properties, "outlineLvl")
        if outline is not None and kind in ("body", "heading"):
            level = _outline_level(outline)
            kind = "heading" if level else "body"
        parts: list[str] = []
        boxes: list = []
        self.inline(p, parts, boxes)
        # A field code never spans paragraphs in practice; one left open by a
        # damaged file must not swallow the rest of the document.
        self.fields = [True for _ in self.fields]
        text = "".join(parts)
        if kind == "title" and not self.title and text.strip():
            self.title = repair_characters(" ".join(text.split()))
            self.emit(self.title, HEADING, 1)
        elif kind in ("title", "heading") and len(text.strip()) <= MAX_HEADING_CHARS:
            self.emit(" ".join(text.split()), HEADING, max(level, 1))
        elif kind != "toc":
            self.emit(text)
        for box in boxes:
            self.body(box)

    def inline(self, element, parts: list[str], boxes: list) -> None:
        for child in element:
            name = _TAG.get(child.tag)
            if name in _SKIP_INLINE:
                continue
            if name == "t":
                if all(self.fields):
                    parts.append(child.text or "")
            elif name == "r":
                if not _hidden(child):
                    self.inline(child, parts, boxes)
            elif name in ("tab", "ptab"):
                parts.append("\t")
            elif name == "br":
                parts.append("\n" if _val(child, "type") in (None, "textWrapping") else "")
            elif name == "cr":
                parts.append("\n")
            elif name == "noBreakHyphen":
                parts.append("-")
            elif name == "fldChar":
                self.field_char(_val(child, "fldCharType"))
            elif name == "sdt":
                content = _visible_content(child)
                if content is not None:
                    self.inline(content, parts, boxes)
            elif name in _SHAPES:
                boxes.extend(_text_boxes(child))
            elif len(child):
                self.inline(child, parts, boxes)  # hyperlink, ins, moveTo, fldSimple, smartTag, ruby…

    def field_char(self, kind: str | None) -> None:
        if kind == "begin":
            self.fields.append(False)
        elif kind == "separate" and self.fields:
            self.fields[-1] = True
        elif kind == "end" and self.fields:
            self.fields.pop()

    def table(self, tbl) -> None:
        rows = [tr for tr in _unwrapped(tbl, "tr") if not _deleted_row(tr)]
        cells = [list(_unwrapped(tr, "tc")) for tr in rows]
        if all(len(row) <= 1 for row in cells):
            # One column: a frame around text (whole articles sit in one
            # cell), not data; its paragraphs stay paragraphs.
            for row in cells:
                for tc in row:
                    self.body(tc)
            return
        grid: list[list[tuple[int, int, str]]] = []
        for tr, row in zip(rows, cells):
            column = _int_val(_child(_child(tr, "trPr"), "gridBefore"), 0)
            entries = []
            for tc in row:
                props = _child(tc, "tcPr")
                span = max(1, _int_val(_child(props, "gridSpan"), 1))
                merge = _child(props, "vMerge")
                continued = merge is not None and _val(merge, "val") in (None, "continue")
                entries.append((column, span, "" if continued else self.cell_text(tc)))
                column += span
            grid.append(entries)
        for text in header_value_rows(grid):
            self.emit(text, TABLE_ROW)

    def cell_text(self, tc) -> str:
        outer, self.blocks = self.blocks, []
        try:
            self.body(tc)
            return " ".join(" ".join(block.text.split()) for block in self.blocks)
        finally:
            self.blocks = outer

    def notes(self, root, tag: str, heading: str) -> None:
        start = len(self.blocks)
        for note in root:
            if _TAG.get(note.tag) == tag and _val(note, "type") in (None, "normal"):
                self.fields = []
                self.body(note)
        if len(self.blocks) > start:
            self.blocks.insert(start, Block(heading, HEADING, 1))


def _unwrapped(element, name: str):
    """Children called ``name``, looking through content controls and custom XML."""
    for child in element:
        tag = _TAG.get(child.tag)
        if tag == name:
            yield child
        elif tag == "sdt":
            content = _visible_content(child)
            if content is not None:
                yield from _unwrapped(content, name)
        elif tag not in _SKIP_INLINE and tag not in ("tblPr", "tblGrid") and len(child):
            yield from _unwrapped(child, name)


def _visible_content(sdt):
    """A content control's content, or None for a table of contents or
    placeholder prompt ("单击或点击此处输入文字。")."""
    properties = _child(sdt, "sdtPr")
    if properties is not None:
        for element in properties.iter():
            name = _TAG.get(element.tag)
            if name == "showingPlcHdr" and _val(element, "val") not in ("0", "false", "off"):
                return None
            if name == "docPartGallery" and "contents" in (_val(element, "val") or "").lower():
                return None
    return _child(sdt, "sdtContent")


def _text_boxes(shape) -> list:
    """The outermost w:txbxContent in a drawing; of an mc:AlternateContent only
    one branch, since the fallback repeats the choice's text."""
    if _TAG.get(shape.tag) == "AlternateContent":
        for branch in shape:
            boxes = _text_boxes_in(branch)
            if boxes:
                return boxes
        return []
    return _text_boxes_in(shape)


def _text_boxes_in(element) -> list:
    found = []
    for child in element:
        if _TAG.get(child.tag) == "txbxContent":
            found.append(child)
        elif len(child):
            found.extend(_text_boxes_in(child))
    return found


def _hidden(run) -> bool:
    vanish = _child(_child(run, "rPr"), "vanish")
    return vanish is not None and _val(vanish, "val") not in ("0", "false", "off")


def _deleted_row(tr) -> bool:
    return _child(_child(tr, "trPr"), "del") is not None


def _int_val(element, default: int) -> int:
    try:
        return int(_val(element, "val")) if element is not None else default
    except (TypeError, ValueError):
        return default
