"""A web page's bytes → text: BOM, then the page's own declaration, then detection.

Chinese sites declare ``gb2312`` and then use characters only GBK or GB18030
have (镕, 堃, 喆 in names), so every GB declaration is read as GB18030, its
superset. A declaration that the bytes contradict loses: non-ASCII text
that is valid UTF-8 is read as UTF-8 even where the template still says
``gbk``, and bytes that are not valid in the declared encoding go to the
detection of ``retrieval.ingest.decoding``.
"""

from __future__ import annotations

import codecs
import re

from retrieval.ingest.decoding import BINARY_CONTROLS, BOMS, DecodeError, decode_bytes

# The declaration sits in <head>; past the first few KB it is a script's text
# or a quoted example, not the page's.
SNIFF_BYTES = 8192

_META_CHARSET = re.compile(rb"<meta\b[^>]*?charset\s*=\s*[\"']?\s*([A-Za-z0-9_.:\-]+)", re.IGNORECASE)
_XML_ENCODING = re.compile(rb"^\s*<\?xml\b[^>]*?encoding\s*=\s*[\"']([A-Za-z0-9_.:\-]+)", re.IGNORECASE)

_GB = frozenset({"gb2312", "gbk", "gb18030", "cp936", "ms936", "windows-936", "x-gbk", "gb_2312-80",
                 "gb_2312", "csgb2312", "euc-cn", "euccn", "x-euc-cn", "hz-gb-2312", "chinese", "iso-ir-58"})
_BIG5 = frozenset({"big5", "big5-hkscs", "cn-big5", "x-x-big5", "csbig5", "cp950"})
# Declared by templates nobody edited: a Chinese page that says latin-1 is
# seldom latin-1, so these (as codec names) only decide when detection cannot.
_WESTERN = frozenset({"iso8859-1", "ascii", "cp1252"})



def declared_encoding(data: bytes) -> str | None:
    """The charset the page declares in its first KB, as a Python codec name."""
    head = data[:SNIFF_BYTES]
    match = _XML_ENCODING.search(head) or _META_CHARSET.search(head)
    if not match:
        return None
    label = match.group(1).decode("ascii", "replace").strip().lower()
    if label in _GB:
        return "gb18030"
    if label in _BIG5:
        return "big5hkscs"
    if label.startswith("utf-16") or label.startswith("utf-32"):
        # Found by reading ASCII bytes, so the page is not UTF-16 whatever it says.
        return "utf-8"
    try:
        return codecs.lookup(label).name
    except LookupError:
        return None


def decode_page(data: bytes) -> tuple[str, str, bool]:
    """(text, encoding, lossy): ``lossy`` when bytes had to be replaced.
    Raises :class:`DecodeError` for bytes that are not a text page at all."""
    for bom, encoding in BOMS:
        if data.startswith(bom):
            return _with_replacement(data, encoding)
    declared = declared_encoding(data)
    if declared != "utf-8":
        # Non-ASCII text that is valid UTF-8 is UTF-8, whatever an old template
        # still declares: GBK text almost never is, but GB18030 decodes UTF-8
        # bytes without an error, into nonsense.
        try:
            text = data.decode("utf-8")
            if not text.isascii():
                return _checked(text), "utf-8", False
        except UnicodeDecodeError:
            pass
    if declared and declared not in _WESTERN:
        try:
            return _checked(data.decode(declared)), declared, False
        except UnicodeDecodeError:
            pass
    try:
        detected = decode_bytes(data)
        return detected.text, detected.encoding, False
    except DecodeError:
        if not declared:
            raise
    text, encoding, _ = _with_replacement(data, declared)
    return text, encoding, True


def _with_replacement(data: bytes, encoding: str) -> tuple[str, str, bool]:
    try:
        return _checked(data.decode(encoding)), encoding, False
    except UnicodeDecodeError:
        return _checked(data.decode(encoding, "replace")), encoding, True


def _checked(text: str) -> str:
    """Refuses binary files that happen to decode (GB18030 takes almost anything)."""
    controls = len(BINARY_CONTROLS.findall(text))
    if controls > max(2, len(text) // 100):
        raise DecodeError(f"looks like a binary file, not a web page ({controls} control characters)")
    if text.startswith("\ufeff"):
        text = text[1:]
    return text
