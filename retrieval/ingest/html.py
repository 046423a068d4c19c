"""``.html``/``.htm``/``.xhtml``: a saved web page → one document of its main text.

A Chinese news or government page is mostly furniture: navigation, share
bars, related-article lists, 版权所有/ICP备案 footers. The article is found
by scoring blocks, not by site rules. On the pages ``benchmarks/extract_html.py``
builds (13 templates of Chinese sites, UTF-8 and GBK) this keeps every
paragraph whole with no furniture in the chunks, where trafilatura kept
88–94% whole with furniture in a quarter of them, dropped the h2 sections
and left the site name in half the titles, at a tenth of the speed.

The steps, each a module: bytes → text (``html_decoding``), the parsed page →
blocks (``html_blocks``, ``html_tables``, ``html_text``), blocks → the
article's blocks (``html_main``), and title, URL and byline (``html_meta``).
"""

from __future__ import annotations

import re
from pathlib import Path

from lxml import etree

from retrieval.ingest.characters import repair_characters
from retrieval.ingest.decoding import DecodeError
from retrieval.ingest.html_blocks import page_layout
from retrieval.ingest.html_decoding import decode_page
from retrieval.ingest.html_main import select_main
from retrieval.ingest.html_meta import byline, choose_title, page_meta
from retrieval.ingest.model import HEADING, Block, Document, Problem, blocks_text


# libxml2 without XML_PARSE_HUGE (which we keep off: it lifts the limits that
# stop hostile pages) stops at this depth and drops the rest of the page.
PARSER_DEPTH_LIMIT = 256
# Fed in pieces: given the whole page at once, libxml2 refuses a page past
# 10 MB whose text runs are long (it cannot let go of read input mid-text).
_FEED_BYTES = 1 << 20
# No text node may pass 10 MB either; a run of text this long gets an empty
# <wbr> inserted, which the walk joins back without a trace.
_LONG_RUN = 100_000
_LONG_TEXT = re.compile(f"(?<=>)[^<]{{{_LONG_RUN},}}")

NO_TEXT = "has no readable main text; nothing indexed from it (only links and page furniture, or text its scripts fill in)"


def read(path: Path, name: str, limits=None, progress=None) -> tuple[list[Document], list[Problem]]:
    try:
        data = path.read_bytes()
    except OSError as exc:
        return [], [Problem(name, f"cannot read: {exc.strerror or exc}")]
    limit = limits.max_bytes(path.suffix.lower() or ".html") if limits is not None else None
    if limit is not None and len(data) > limit:
        return [], [Problem(name, f"{len(data) / 2**20:.0f} MB is over the {limit / 2**20:.0f} MB limit "
                                  "for web pages; nothing indexed from it (raise RETRIEVAL_MAX_HTML_MB to read it)")]
    return read_page(data, name)


def read_page(data: bytes, name: str) -> tuple[list[Document], list[Problem]]:
    """The page's bytes → (its document, or none; problems met)."""
    if not data.strip():
        return [], [Problem(name, "is empty; nothing indexed from it")]
    try:
        text, encoding, lossy = decode_page(data)
    except DecodeError as exc:
        return [], [Problem(name, f"{exc}; nothing indexed from it")]
    problems = []
    if lossy:
        problems.append(Problem(name, f"has bytes that are not valid {encoding}; they were replaced by �, "
                                      "so a few characters are missing (save the page again as UTF-8)"))
    # Once over the page rather than per block: the markup has no look-alike
    # ideographs or zero-width spaces worth keeping either.
    root = parse(repair_characters(text))
    if root is None:
        return [], problems + [Problem(name, NO_TEXT)]

    meta = page_meta(root)
    layout = page_layout(root)
    if layout.max_depth >= PARSER_DEPTH_LIMIT - 1:
        problems.append(Problem(name, f"nests elements more than {PARSER_DEPTH_LIMIT} deep; the parser stopped "
                                      "there and the rest of the page was not read"))
    selection = select_main(layout)
    title, title_index = choose_title(meta, layout.blocks, selection)
    author, publication = byline(meta, layout.blocks, selection)
    blocks = []
    for i in selection.kept:
        raw = layout.blocks[i]
        if i == title_index or (raw.kind == HEADING and raw.text == title and not blocks):
            continue
        blocks.append(Block(raw.text, raw.kind, raw.level))
    if not any(block.kind != HEADING for block in blocks):
        return [], problems + [Problem(name, NO_TEXT)]
    return [Document(
        doc_id=Path(name).with_suffix("").as_posix(),
        text=blocks_text(blocks),
        source_path=name,
        title=title or Path(name).stem,
        author=author,
        publication=publication,
        url=meta.url,
        blocks=tuple(blocks),
        extra={"encoding": encoding},
    )], problems


def parse(text: str):
    """The page's element tree, or None when there is nothing to parse."""
    text = text.replace("\x00", "")
    if len(text) > _LONG_RUN:
        text = _LONG_TEXT.sub(_split_run, text)
    data = text.encode("utf-8", "replace")
    parser = etree.HTMLParser(encoding="utf-8", remove_comments=True, remove_pis=True,
                              huge_tree=False, no_network=True)
    try:
        for offset in range(0, len(data), _FEED_BYTES):
            parser.feed(data[offset:offset + _FEED_BYTES])
        return parser.close()
    except (etree.ParserError, etree.XMLSyntaxError, ValueError):
        return None


def _split_run(match: re.Match) -> str:
    run = match.group()
    return "<wbr>".join(run[i:i + _LONG_RUN] for i in range(0, len(run), _LONG_RUN))
