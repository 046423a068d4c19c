"""A parsed page → its text blocks in reading order, with what main-text
selection needs to know: each block's link text, and which elements (and
whether their tag, class or id says furniture) hold which blocks.

One pass of ``etree.iterwalk`` with no recursion (pages nest as deep as
the parser allows) and a handful of lxml calls per element: lxml's
attribute access is the cost that grows with the page.
"""

from __future__ import annotations

import gc
import re
from typing import NamedTuple

from lxml import etree

from retrieval.ingest.html_tables import is_data_table, table_rows
from retrieval.ingest.html_text import (BLOCK_TAGS, SKIPPED, counted, ends_sentence, is_cjk, normalize,
                                        raw_chars)
from retrieval.ingest.model import HEADING, PARAGRAPH, TABLE_ROW

HEADING_LEVELS = {f"h{n}": n for n in range(1, 7)}
# Page furniture by its tag alone.
JUNK_TAGS = frozenset({"nav", "aside", "footer", "header", "menu"})

# Class and id words of page furniture, in English and in the pinyin
# abbreviations Chinese templates use (dh 导航, xgxw 相关新闻, fx 分享, ewm 二维码).
_JUNK_SUBSTRINGS = re.compile(
    r"share|sidebar|footer|copyright|breadcrumb|comment|related|recommend|navbar|navigation|subnav|"
    r"topnav|mainnav|menu|toolbar|advert|banner|social|login|search|paginat|pager|subscribe|qrcode|"
    r"hotnews|ranking|friendlink|bdshare|jiathis|weixin|weibo|keyword"
)
_JUNK_TOKENS = frozenset({
    "nav", "ad", "ads", "side", "foot", "top", "bottom", "header", "hot", "rank", "tool", "tools", "tag",
    "tags", "dh", "xgxw", "xgwz", "xglj", "tj", "print", "close", "crumb", "crumbs", "location",
    "position", "wz", "fx", "ewm", "link", "links", "more", "gotop", "backtop", "next", "prev",
})
_TOKEN_SPLIT = re.compile(r"[^a-z0-9]+")
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.IGNORECASE)
_INDENT = re.compile("^[ \\t\\n\\r\\f\\v]*[\u3000\u00a0]")

_BR = None  # a <br> among a block's pieces
_SKIP = -1  # an open element whose subtree is not read
_INLINE = -2  # an open inline element (a block element keeps its first block's index)


class RawBlock(NamedTuple):
    text: str
    kind: str
    level: int
    chars: int  # characters other than spaces
    link_chars: int  # of those, inside <a>


class Region(NamedTuple):
    """An element's blocks, ``blocks[start:end]``."""
    start: int
    end: int
    junk: bool  # its tag, class or id says page furniture


class Layout(NamedTuple):
    blocks: list[RawBlock]
    regions: list[Region]
    max_depth: int


def page_layout(root) -> Layout:
    walker = _Walker()
    collecting = gc.isenabled()
    gc.disable()  # a large page makes millions of small objects and no cycles
    try:
        walker.walk(root)
    finally:
        if collecting:
            gc.enable()
    return Layout(walker.blocks, walker.regions, walker.max_depth)


def is_junk(element) -> bool:
    return _junk(element.tag, dict(element.items()), element)


def _junk(tag: str, attrib: dict, element) -> bool:
    if tag in JUNK_TAGS:
        # An article's own <header> holds its title and lead paragraph.
        return tag != "header" or next(element.iterancestors("article"), None) is None
    classes, ident = attrib.get("class"), attrib.get("id")
    if not classes and not ident:
        return False
    words = f"{classes or ''} {ident or ''}".lower()
    return bool(_JUNK_SUBSTRINGS.search(words)) or not _JUNK_TOKENS.isdisjoint(_TOKEN_SPLIT.split(words))


def _hidden(attrib: dict) -> bool:
    if "hidden" in attrib or attrib.get("aria-hidden") == "true":
        return True
    style = attrib.get("style")
    return bool(style) and bool(_HIDDEN_STYLE.search(style))


class _Walker:
    def __init__(self):
        self.blocks: list[RawBlock] = []
        self.regions: list[Region] = []
        self.pieces: list[tuple[str | None, bool]] = []  # (text or _BR, inside a link)
        self.headings: list[int] = []  # levels of the open <hN>: text inside is a heading
        self.links = 0
        self.max_depth = 0

    def walk(self, root) -> None:
        opened: list[tuple[int, bool, str]] = []  # per open element: (state, junk, tag)
        events = etree.iterwalk(root, events=("start", "end"))
        pieces = self.pieces
        for event, element in events:
            if event == "end":
                state, junk, tag = opened.pop()
                if state >= 0:
                    self._flush()
                    pieces = self.pieces
                    if len(self.blocks) > state:
                        self.regions.append(Region(state, len(self.blocks), junk))
                if tag in HEADING_LEVELS:
                    self.headings.pop()
                elif tag == "a":
                    self.links -= 1
                tail = element.tail
                if tail:
                    pieces.append((tail, self.links > 0))
                continue
            depth = len(opened)
            if depth > self.max_depth:
                self.max_depth = depth
            tag = element.tag
            items = element.items()
            attrib = dict(items) if items else {}
            if not isinstance(tag, str) or tag in SKIPPED or tag == "br" or (attrib and _hidden(attrib)):
                if tag == "br":
                    pieces.append((_BR, False))
                opened.append((_SKIP, False, ""))
                events.skip_subtree()
                continue
            junk = (bool(attrib) or tag in JUNK_TAGS) and _junk(tag, attrib, element)
            if tag in BLOCK_TAGS or junk:
                self._flush()
                pieces = self.pieces
                if tag == "table" and is_data_table(element):
                    state = len(self.blocks)
                    for text, link_chars in table_rows(element):
                        chars = counted(text)
                        self.blocks.append(RawBlock(text, TABLE_ROW, 0, chars, min(link_chars, chars)))
                    opened.append((state, junk, ""))
                    events.skip_subtree()
                    continue
                opened.append((len(self.blocks), junk, tag))
            else:
                opened.append((_INLINE, False, tag))
            if tag in HEADING_LEVELS:
                self.headings.append(HEADING_LEVELS[tag])
            elif tag == "a":
                self.links += 1
            text = element.text
            if text:
                pieces.append((text, self.links > 0))

    def _flush(self) -> None:
        pieces = self.pieces
        if not pieces:
            return
        self.pieces = []
        level = self.headings[-1] if self.headings else 0
        kind = HEADING if level else PARAGRAPH
        for raw, link_chars in _paragraphs(pieces, split=not level):
            text = normalize(raw)
            if text:
                chars = counted(text)
                self.blocks.append(RawBlock(text, kind, level, chars, min(link_chars, chars)))


def _paragraphs(pieces, split: bool):
    """(raw text, link characters) per paragraph of one block. A <br> ends a
    paragraph where it separates two: after a sentence's end, before an
    indent, doubled, or beside a line that is a link (a title above its summary).
    Elsewhere it is a line break inside one paragraph."""
    if all(text is not _BR for text, _ in pieces):
        raw = "".join(text for text, _ in pieces)
        if raw.isspace():
            return
        yield raw, sum(raw_chars(text) for text, in_link in pieces if in_link)
        return
    lines: list[tuple[str, int, int]] = []  # (raw, link chars, <br>s before it)
    raw: list[str] = []
    links = breaks = 0
    for text, in_link in pieces + [(_BR, False)]:
        if text is _BR:
            line = "".join(raw)
            if line.strip():
                lines.append((line, links, breaks))
                breaks = 0
            raw, links = [], 0
            breaks += 1
            continue
        raw.append(text)
        if in_link:
            links += raw_chars(text)

    current: list[str] = []
    current_links = last_links = 0
    for line, line_links, breaks_before in lines:
        if current:
            previous = normalize(current[-1])
            if split and (breaks_before > 1 or ends_sentence(previous) or _INDENT.match(line)
                          or last_links * 2 > counted(previous) or line_links * 2 > raw_chars(line)):
                yield "".join(current), current_links
                current, current_links = [], 0
            else:
                following = normalize(line)
                beside_cjk = (previous and is_cjk(previous[-1])) or (following and is_cjk(following[0]))
                current.append("" if beside_cjk else " ")
        current.append(line)
        current_links += line_links
        last_links = line_links
    if current:
        yield "".join(current), current_links
