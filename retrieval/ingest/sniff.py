"""A file's format from its content, not its name.

Uploaded files arrive with whatever name the sender's device gave them
(``scan``, ``报告.PDF``, ``notes.txt`` that is really a Word file), so the
reader is chosen by what the bytes are. The name only decides between two
readings of the same plain text (Markdown or not).

Zip containers are told apart by their members, which is what the DOCX and
EPUB readers need anyway; libmagic would add a system library for the same
answer and still could not tell HTML fragments from text.
"""

from __future__ import annotations

import json
import re
import zipfile
from pathlib import Path

from retrieval.ingest.decoding import DecodeError, decode_bytes

HEAD_BYTES = 64 * 1024
# PDF readers accept the header anywhere in the first kilobyte (junk before it is common).
_PDF_HEADER_WITHIN = 1024
_HTML_START = re.compile(rb"^\s*(?:<\?xml[^>]*>\s*)?(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html|head|body)\b", re.I | re.S)
_HTML_TAGS = re.compile(r"<(?:p|div|br|h[1-6]|article|section|table|span|meta|title)\b[^>]*>", re.I)
_MARKDOWN_NAMES = (".md", ".markdown")


class NotADocument(ValueError):
    """The bytes are not in a format any reader reads; the message says what they seem to be."""


def sniff_format(path: Path, name: str = "") -> str:
    """The reader suffix (".pdf", ".docx", ".epub", ".html", ".jsonl", ".md",
    ".txt") for the file's content; raises NotADocument otherwise."""
    path = Path(path)
    with open(path, "rb") as handle:
        head = handle.read(HEAD_BYTES)
    if not head.strip():
        raise NotADocument("the file is empty")
    if b"%PDF-" in head[:_PDF_HEADER_WITHIN]:
        return ".pdf"
    if head.startswith(b"PK\x03\x04"):
        return _zip_format(path)
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return ".doc"  # the old binary Word format: its reader says to save it as .docx
    binary = _binary_kind(head)
    if binary:
        raise NotADocument(binary)
    if _HTML_START.match(head):
        return ".html"
    try:
        text = _decode_head(head)
    except DecodeError:
        raise NotADocument("it is not text in any encoding I know, nor a PDF, Word or EPUB file") from None
    if _looks_like_jsonl(text):
        return ".jsonl"
    if len(_HTML_TAGS.findall(text[:4000])) >= 3:
        return ".html"
    return ".md" if name.lower().endswith(_MARKDOWN_NAMES) else ".txt"


def _zip_format(path: Path) -> str:
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
            if "mimetype" in names:
                mimetype = archive.read("mimetype")[:64].strip()
                if mimetype == b"application/epub+zip":
                    return ".epub"
            if "word/document.xml" in names:
                return ".docx"
            if "META-INF/container.xml" in names:
                return ".epub"
            if any(n.startswith("xl/") for n in names):
                raise NotADocument("it is an Excel workbook; save the sheets as PDF or text")
            if any(n.startswith("ppt/") for n in names):
                raise NotADocument("it is a PowerPoint file; save it as PDF")
    except zipfile.BadZipFile:
        raise NotADocument("it looks like a zip file but is damaged") from None
    raise NotADocument("it is a zip archive; send the documents in it one by one")


_BINARY_MAGIC = (
    (b"\x89PNG", "it is a PNG image; I can only read text, so send the document itself"),
    (b"\xff\xd8\xff", "it is a JPEG image; I can only read text, so send the document itself"),
    (b"GIF8", "it is a GIF image"),
    (b"Rar!", "it is a RAR archive; send the documents in it one by one"),
    (b"7z\xbc\xaf", "it is a 7-Zip archive; send the documents in it one by one"),
    (b"\x1f\x8b", "it is a gzip archive; send the documents in it one by one"),
    (b"{\\rtf", "it is an RTF file; save it as .docx or PDF"),
    (b"\x7fELF", "it is a program, not a document"),
    (b"MZ", "it is a program, not a document"),
)


def _binary_kind(head: bytes) -> str | None:
    for magic, what in _BINARY_MAGIC:
        if head.startswith(magic):
            return what
    # Text has no NUL bytes (UTF-16 files start with a BOM, which decoding handles).
    if b"\x00" in head[:4096] and not head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "it is a binary file, not a document"
    return None


def _decode_head(head: bytes) -> str:
    # The head may end inside a multi-byte character: drop up to three
    # trailing bytes until it decodes, so a cut character is not "binary".
    for cut in range(4):
        try:
            return decode_bytes(head[: len(head) - cut] if cut else head).text
        except DecodeError:
            if len(head) < HEAD_BYTES:
                break
    raise DecodeError("undecodable")


def _looks_like_jsonl(text: str) -> bool:
    lines = [line for line in text.splitlines()[:20] if line.strip()]
    if len(text) >= HEAD_BYTES - 4 and len(lines) > 1:
        lines = lines[:-1]  # the last line may be cut by the head
    if not lines:
        return False
    for line in lines:
        try:
            if not isinstance(json.loads(line), dict):
                return False
        except ValueError:
            return False
    return True
