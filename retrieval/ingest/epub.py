"""``.epub``: the spine's XHTML chapters, in reading order, as one document.

Read with zipfile and lxml (EbookLib is AGPL). The package document (OPF)
gives title, author and the spine; the table of contents (EPUB 3 nav or
EPUB 2 NCX) gives each chapter file a label and a depth. A chapter's
headings are shifted so that its top heading sits at that depth: chapter
files of one book rarely agree on h1 or h2, and the section path should
follow the book's contents, not its markup. A chapter without a heading
of its own is put under its label.
"""

from __future__ import annotations

import re
from pathlib import Path

import lxml.html
from lxml import etree

from retrieval.ingest.characters import repair_characters
from retrieval.ingest.table_rows import header_value_rows
from retrieval.ingest.model import HEADING, PARAGRAPH, TABLE_ROW, Block, Document, Problem, blocks_text
from retrieval.ingest.readers import Limits
from retrieval.ingest.zipsafe import ZipProblem, open_zip, parse_xml, resolve_href, starts_like


_CHAPTER_TYPES = {"application/xhtml+xml", "text/html", "application/xml", "text/xml"}
# Fonts "encrypted" this way are only obfuscated, and chapters never are.
_FONT_OBFUSCATION = {"http://www.idpf.org/2008/embedding", "http://ns.adobe.com/pdf/enc#RC"}
_PLACEHOLDERS = {"unknown", "未知"}  # what Calibre writes for a missing title or author
_DROP = {"script", "style", "head", "template", "noscript", "rt", "rp", "svg", "math", "nav",
         "object", "iframe", "button", "select", "textarea"}
_BLOCKS = {"html", "body", "p", "div", "li", "ul", "ol", "dl", "dt", "dd", "blockquote", "section",
           "article", "main", "header", "footer", "aside", "figure", "figcaption", "caption", "address",
           "center", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "td", "th", "tr", "form", "fieldset"}
_HEADINGS = {"h1": 1, "h2": 2, "h3": 3, "h4": 4, "h5": 5, "h6": 6}
_CJK = "\u2e80-\u303f\u3040-\u9fff\uf900-\ufaff\uff00-\uffef\U00020000-\U0003ffff"
# A line break in the markup between two Chinese characters is not a space
# (CSS Text 3 drops it, and so do readers); between Latin words it is.
_CJK_BREAK = re.compile(f"(?<=[{_CJK}])[ \\t\\r\\f]*\\n[ \\t\\r\\n\\f]*(?=[{_CJK}])")
_SPACES = re.compile(r"[ \t\r\n\f]+")
_BR = "\x01"  # <br> while whitespace is collapsed: a line break that survives it
_BLANK_LINE = re.compile(r"\n\s*\n")  # <br/><br/>: authors' paragraph break
_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>")
_CHARSET = re.compile(rb"""(?:encoding|charset)\s*=\s*["']?([A-Za-z0-9_.:-]+)""")
# A spine file this much link text is a table of contents nobody marked as one.
_TOC_LINK_SHARE = 0.8


def read(path: Path, name: str, limits: Limits, progress=None) -> tuple[list[Document], list[Problem]]:
    head = starts_like(path)
    if not head.startswith(b"PK"):
        what = "is empty" if not head else "is damaged or not an EPUB file: it is not a zip package"
        return [], [Problem(name, f"{what}; nothing indexed from it")]
    problems: list[Problem] = []
    try:
        with open_zip(path, limits, "an EPUB file") as book:
            doc = _read_book(book, name, problems, progress)
    except ZipProblem as exc:
        return [], [Problem(name, f"{exc}; nothing indexed from it")]
    except RecursionError:
        return [], [Problem(name, "is nested too deeply to read; nothing indexed from it")]
    return ([doc] if doc else []), problems


def _read_book(book, name: str, problems: list[Problem], progress) -> Document | None:
    opf_member = _package_member(book)
    if opf_member is None:
        problems.append(Problem(name, "has no package document (no OPF named by META-INF/container.xml); "
                                      "nothing indexed from it: the EPUB is incomplete, export it again"))
        return None
    opf, error = parse_xml(book.read(opf_member))
    if opf is None:
        problems.append(Problem(name, f"{opf_member} is damaged ({error}); nothing indexed from it"))
        return None
    package = _Package(opf, opf_member)
    encrypted = _encrypted_members(book)
    chapters = [m for m in package.spine if m not in package.contents_pages]
    locked = [m for m in chapters if m in encrypted]
    if locked and len(locked) == len(chapters):
        problems.append(Problem(name, "is DRM-protected (its chapters are encrypted, see META-INF/encryption.xml); "
                                      "nothing indexed from it: only DRM-free EPUBs can be read"))
        return None
    if locked:
        problems.append(Problem(name, f"{len(locked)} of {len(chapters)} chapters are DRM-encrypted and were "
                                      f"skipped ({', '.join(locked[:3])}{'…' if len(locked) > 3 else ''})"))
    toc = _TableOfContents(book, package, problems, name)

    blocks: list[Block] = []
    shift = None
    for done, member in enumerate(chapters, start=1):
        if member not in locked:
            chapter, shift = _chapter(book, member, toc, shift, problems, name)
            blocks.extend(chapter)
        if progress:
            progress(done, len(chapters))
    if not any(block.kind != HEADING for block in blocks):
        problems.append(Problem(name, "has no text to index (only images, or empty chapters); nothing indexed from it"))
        return None
    headings = [block for block in blocks if block.kind == HEADING]
    top_level = min((block.level for block in headings), default=0)
    top = next((block.text for block in headings if block.level == top_level), "")
    return Document(
        doc_id=Path(name).with_suffix("").as_posix(),
        text=blocks_text(blocks),
        source_path=name,
        title=package.title or top or Path(name).stem,
        author=package.author,
        blocks=tuple(blocks),
    )


def _chapter(book, member, toc, shift, problems, name) -> tuple[list[Block], int | None]:
    """One spine file's blocks, headings moved to the file's depth in the contents."""
    try:
        root = _parse_xhtml(book.read(member))
    except ZipProblem as exc:
        problems.append(Problem(name, f"{exc}; that chapter is not indexed"))
        return [], shift
    if root is None:
        problems.append(Problem(name, f"chapter {member} is not readable XHTML (damaged or encrypted); not indexed"))
        return [], shift
    body = _Body()
    try:
        body.walk(root)
    except RecursionError:
        problems.append(Problem(name, f"chapter {member} is nested too deeply to read; not indexed"))
        return [], shift
    if body.looks_like_contents():
        return [], shift
    raw = body.blocks
    depth, label = toc.depth.get(member), toc.labels.get(member, "")
    levels = [level for kind, level, _ in raw if kind == HEADING]
    if levels and (depth is not None or shift is None):
        shift = (depth or 1) - min(levels)
    blocks = [Block(text, kind, max(1, level + (shift or 0)) if kind == HEADING else 0) for kind, level, text in raw]
    if label and blocks and blocks[0].kind != HEADING:
        blocks.insert(0, Block(label, HEADING, depth or 1))
    return blocks, shift


def _package_member(book) -> str | None:
    if "META-INF/container.xml" in book:
        try:
            root, _ = parse_xml(book.read("META-INF/container.xml"))
        except ZipProblem:
            root = None
        for element in root.iter() if root is not None else ():
            if _local(element.tag) == "rootfile" and element.get("full-path") and \
                    (element.get("media-type") or "application/oebps-package+xml") == "application/oebps-package+xml":
                member = resolve_href("", element.get("full-path"))
                if member in book:
                    return member
    # A missing or wrong container.xml is common in hand-zipped books; a
    # single OPF in the archive is unambiguous.
    opfs = [info.filename for info in book.archive.infolist() if info.filename.lower().endswith(".opf")]
    return opfs[0] if len(opfs) == 1 else None


class _Package:
    """What the OPF says: title, author, the spine's files, and where the contents are."""

    def __init__(self, opf, member: str):
        self.title, creators = "", []
        manifest: dict[str, tuple[str, str, str]] = {}
        spine_ids: list[tuple[str, str]] = []
        self.ncx = self.nav = self.ncx_id = None
        self.contents_pages: set[str] = set()
        for element in opf.iter():
            tag = _local(element.tag)
            if tag == "title" and not self.title and _in_metadata(element):
                self.title = _clean(element.text)
            elif tag == "creator" and _in_metadata(element):
                creators.append(_clean(element.text))
            elif tag == "item" and element.get("id") and element.get("href"):
                manifest[element.get("id")] = (resolve_href(member, element.get("href")),
                                               (element.get("media-type") or "").lower(),
                                               element.get("properties") or "")
            elif tag == "spine":
                self.ncx_id = element.get("toc")
            elif tag == "itemref" and element.get("idref"):
                spine_ids.append((element.get("idref"), element.get("linear") or "yes"))
            elif tag == "reference" and (element.get("type") or "").lower() == "toc" and element.get("href"):
                self.contents_pages.add(resolve_href(member, element.get("href")))
        if self.title.lower() in _PLACEHOLDERS:
            self.title = ""
        self.author = "、".join(dict.fromkeys(c for c in creators if c and c.lower() not in _PLACEHOLDERS))
        for href, media_type, properties in manifest.values():
            if "nav" in properties.split():
                self.nav = href
                self.contents_pages.add(href)
            elif media_type == "application/x-dtbncx+xml":
                self.ncx = self.ncx or href
        ncx_item = manifest.get(self.ncx_id or "")
        if ncx_item:
            self.ncx = ncx_item[0]
        self.spine: list[str] = []
        for idref, _linear in spine_ids:
            item = manifest.get(idref)
            if item and item[1] in _CHAPTER_TYPES and item[0] not in self.spine:
                self.spine.append(item[0])


class _TableOfContents:
    """Spine file → its label and depth (1 = top) in the nav document, else the NCX."""

    def __init__(self, book, package: _Package, problems, name):
        self.labels: dict[str, str] = {}
        self.depth: dict[str, int] = {}
        try:
            if package.nav and package.nav in book:
                self._nav(_parse_xhtml(book.read(package.nav)), package.nav)
            if package.ncx and package.ncx in book:
                self._ncx(parse_xml(book.read(package.ncx))[0], package.ncx)
        except ZipProblem as exc:
            problems.append(Problem(name, f"{exc}; chapters without a heading get no section"))

    def _add(self, target: str, label: str, depth: int) -> None:
        label = " ".join(repair_characters(label).split())
        if label and target not in self.labels:
            self.labels[target], self.depth[target] = label, depth

    def _nav(self, root, member: str) -> None:
        navs = [el for el in root.iter() if _local(el.tag) == "nav"] if root is not None else []
        toc = next((nav for nav in navs if "toc" in _epub_type(nav)), navs[0] if navs else None)
        for link in toc.iter() if toc is not None else ():
            if _local(link.tag) == "a" and link.get("href"):
                depth = sum(1 for a in link.iterancestors() if _local(a.tag) in ("ol", "ul"))
                self._add(resolve_href(member, link.get("href")), "".join(link.itertext()), max(depth, 1))

    def _ncx(self, root, member: str) -> None:
        for point in root.iter() if root is not None else ():
            if _local(point.tag) != "navPoint":
                continue
            label = next((el for el in point.iter() if _local(el.tag) == "text"), None)
            content = next((el for el in point if _local(el.tag) == "content"), None)
            if label is not None and content is not None and content.get("src"):
                depth = sum(1 for a in point.iterancestors() if _local(a.tag) == "navPoint") + 1
                self._add(resolve_href(member, content.get("src")), "".join(label.itertext()), depth)


class _Body:
    """An XHTML tree → (kind, level, text) blocks, as a reader sees them."""

    def __init__(self):
        self.blocks: list[tuple[str, int, str]] = []
        self.buffer: list[str] = []
        self.kinds: list[tuple[str, int]] = [(PARAGRAPH, 0)]
        self.link_chars = self.links = 0

    def walk(self, element, in_link: bool = False) -> None:
        tag = _local(element.tag).lower() if isinstance(element.tag, str) else ""
        if tag in _DROP or not isinstance(element.tag, str):
            self.text(element.tail, in_link)
            return
        if tag == "table":
            self.flush()
            self.table(element)
        elif tag == "br":
            self.buffer.append(_BR)
        elif tag == "pre":
            self.flush()
            self.add(PARAGRAPH, 0, "".join(element.itertext()).strip("\n"))
        else:
            block = tag in _BLOCKS
            link = tag == "a" and element.get("href") is not None
            if link:
                self.links += 1
            if block:
                self.flush()
                self.kinds.append((HEADING, _HEADINGS[tag]) if tag in _HEADINGS else (PARAGRAPH, 0))
            self.text(element.text, in_link or link)
            for child in element:
                self.walk(child, in_link or link)
            if block:
                self.flush()
                self.kinds.pop()
        self.text(element.tail, in_link)

    def text(self, text: str | None, in_link: bool) -> None:
        if text:
            self.buffer.append(text)
            if in_link:
                self.link_chars += len(text.strip())

    def flush(self) -> None:
        raw, self.buffer = "".join(self.buffer), []
        text = _SPACES.sub(" ", _CJK_BREAK.sub("", raw)).replace(_BR, "\n")
        text = "\n".join(line.strip(" ") for line in text.split("\n")).strip()
        if not text:
            return
        kind, level = self.kinds[-1]
        if kind == HEADING:
            self.add(kind, level, " ".join(text.split()))
        else:
            for paragraph in _BLANK_LINE.split(text):
                self.add(PARAGRAPH, 0, paragraph)

    def add(self, kind: str, level: int, text: str) -> None:
        text = repair_characters(text).strip()
        if text:
            self.blocks.append((kind, level, text))

    def table(self, table) -> None:
        caption = next((el for el in table if _local(el.tag).lower() == "caption"), None)
        if caption is not None:
            self.add(PARAGRAPH, 0, " ".join("".join(caption.itertext()).split()))
        rows = [tr for tr in _rows(table)]
        cells = [[td for td in tr if _local(td.tag).lower() in ("td", "th")] for tr in rows]
        if all(len(row) <= 1 for row in cells):  # one column: a frame, its paragraphs stay paragraphs
            for row in cells:
                for td in row:
                    self.walk_inside(td)
            return
        grid, spanned = [], {}  # grid column → rows it is still covered by a rowspan from above
        for row in cells:
            column, entries = 0, []
            for td in row:
                while spanned.get(column, 0) > 0:
                    column += 1
                span, down = _span(td, "colspan"), _span(td, "rowspan")
                entries.append((column, span, _cell_text(td)))
                for c in range(column, column + span):
                    spanned[c] = max(spanned.get(c, 0), down)
                column += span
            spanned = {c: n - 1 for c, n in spanned.items() if n > 1}
            grid.append(entries)
        for text in header_value_rows(grid):
            self.add(TABLE_ROW, 0, text)

    def walk_inside(self, element) -> None:
        self.text(element.text, False)
        for child in element:
            self.walk(child)
        self.flush()

    def looks_like_contents(self) -> bool:
        chars = sum(len(text) for _, _, text in self.blocks)
        return self.links >= 3 and chars > 0 and self.link_chars >= _TOC_LINK_SHARE * chars


def _cell_text(td) -> str:
    inner = _Body()
    inner.walk_inside(td)
    return " ".join(" ".join(text.split()) for _, _, text in inner.blocks)


def _rows(table):
    for child in table:
        tag = _local(child.tag).lower() if isinstance(child.tag, str) else ""
        if tag == "tr":
            yield child
        elif tag in ("thead", "tbody", "tfoot"):
            yield from _rows(child)


def _span(cell, attribute: str) -> int:
    try:
        return min(max(1, int(cell.get(attribute) or 1)), 1000)
    except ValueError:
        return 1


def _parse_xhtml(data: bytes):
    """XHTML as XML; failing that (HTML entities, stray tags), as HTML."""
    root, _ = parse_xml(data, recover=False)
    if root is not None:
        return root
    text = _decode(data)
    if text.count("\ufffd") > len(text) / 10:
        return None  # not text at all: encrypted, or another format
    text = _XML_DECLARATION.sub("", text, count=1)
    try:
        return lxml.html.document_fromstring(text) if text.strip() else None
    except (etree.ParserError, ValueError):
        return None


def _decode(data: bytes) -> str:
    for bom, encoding in ((b"\xef\xbb\xbf", "utf-8-sig"), (b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16")):
        if data.startswith(bom):
            return data.decode(encoding, errors="replace")
    declared = _CHARSET.search(data[:1024])
    encoding = declared.group(1).decode("ascii").lower() if declared else "utf-8"
    if encoding in ("gb2312", "gbk"):
        encoding = "gb18030"  # what "GB2312" files really hold
    try:
        return data.decode(encoding, errors="replace")
    except LookupError:
        return data.decode("utf-8", errors="replace")


def _encrypted_members(book) -> set[str]:
    """Members encrypted for DRM (obfuscated fonts are not)."""
    if "META-INF/encryption.xml" not in book:
        return set()
    try:
        root, _ = parse_xml(book.read("META-INF/encryption.xml"))
    except ZipProblem:
        return set()
    members = set()
    for data in root.iter() if root is not None else ():
        if _local(data.tag) != "EncryptedData":
            continue
        method = next((el.get("Algorithm") for el in data.iter() if _local(el.tag) == "EncryptionMethod"), None)
        for reference in data.iter():
            if _local(reference.tag) == "CipherReference" and reference.get("URI") and method not in _FONT_OBFUSCATION:
                members.add(resolve_href("", reference.get("URI")))
    return members


def _local(tag) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _in_metadata(element) -> bool:
    parent = element.getparent()
    return parent is not None and _local(parent.tag) in ("metadata", "dc-metadata")


def _epub_type(element) -> str:
    return (element.get("{http://www.idpf.org/2007/ops}type") or element.get("epub:type") or "").lower()


def _clean(text: str | None) -> str:
    return repair_characters(" ".join((text or "").split()))
