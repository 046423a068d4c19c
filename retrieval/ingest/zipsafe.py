"""Zip containers of XML (DOCX, EPUB) opened so that a hostile or broken one
costs one file and a clear message, never the worker's memory.

A zip bomb is refused before anything is inflated: by the sizes the central
directory declares (summed, and per member as a compression ratio). The
declared sizes are then not trusted: every member is inflated in pieces and
abandoned as soon as it grows past what was declared. Members' XML is
parsed without network, DTDs or entity expansion.
"""

from __future__ import annotations

import posixpath
import zipfile
import zlib
from pathlib import Path
from urllib.parse import unquote

from lxml import etree

from retrieval.ingest.readers import Limits

# Deflate tops out near 1032:1; Word's and EPUB's XML inflates 2-35:1
# (Chinese text is the low end, styles.xml the high one). A large member far
# past that is a bomb; small ones cannot hurt, whatever their ratio.
MAX_RATIO = 100
LARGE_MEMBER = 4 * 2**20
# An archive's directory is held in memory entry by entry.
MAX_MEMBERS = 50_000
_PIECE = 2**20
# bzip2 and lzma inflate without an output bound per call, and neither Word
# nor EPUB tools write them.
_METHODS = {zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED}
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


class ZipProblem(Exception):
    """Says what is wrong, phrased to follow the file's name."""


class SafeZip:
    def __init__(self, archive: zipfile.ZipFile, limits: Limits):
        self.archive = archive
        self._budget = int(limits.max_unpacked_mb * 2**20)
        self._by_name: dict[str, zipfile.ZipInfo] = {}
        self._by_folded: dict[str, zipfile.ZipInfo] = {}
        for info in archive.infolist():
            for spelling in _spellings(info):
                self._by_name.setdefault(spelling, info)
                self._by_folded.setdefault(spelling.lower(), info)

    def __enter__(self) -> "SafeZip":
        return self

    def __exit__(self, *exc) -> None:
        self.archive.close()

    def find(self, member: str) -> zipfile.ZipInfo | None:
        """The member by its name; case-blind as a fallback, since OOXML part
        names are case-insensitive and EPUBs made on Windows get hrefs wrong."""
        member = member.lstrip("/")
        return self._by_name.get(member) or self._by_folded.get(member.lower())

    def __contains__(self, member: str) -> bool:
        return self.find(member) is not None

    def read(self, member: str) -> bytes:
        """The member's bytes; ZipProblem if it is missing, damaged or bigger than declared."""
        info = self.find(member)
        if info is None:
            raise ZipProblem(f"has no {member}")
        if info.compress_type not in _METHODS:
            raise ZipProblem(f"stores {member} with a compression method (#{info.compress_type}) "
                             "that DOCX and EPUB files do not use")
        if info.file_size > self._budget:
            raise ZipProblem(f"would unpack past the {self._budget / 2**20:.0f} MB limit at {member} "
                             "(RETRIEVAL_MAX_UNPACKED_MB)")
        pieces, size = [], 0
        try:
            with self.archive.open(info) as stream:
                while piece := stream.read(_PIECE):
                    size += len(piece)
                    if size > info.file_size:
                        raise ZipProblem(f"has a member, {member}, that inflates past the size "
                                         "its header declares: refused as a possible zip bomb")
                    pieces.append(piece)
        except ZipProblem:
            raise
        except RuntimeError as exc:  # zipfile's word for an encrypted member
            raise ZipProblem(f"is password-protected ({member}: {exc})") from None
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError, NotImplementedError) as exc:
            raise ZipProblem(f"is damaged: {member} cannot be unpacked ({exc})") from None
        self._budget -= size
        return b"".join(pieces)


def open_zip(path: Path, limits: Limits, kind: str) -> SafeZip:
    """The archive, checked against bombs; ZipProblem with the reason if it
    is not a zip or is refused. ``kind`` ("a Word file") names the format in messages."""
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, zlib.error, EOFError, ValueError, NotImplementedError) as exc:
        raise ZipProblem(f"is damaged or not {kind}: {exc}") from None
    except OSError as exc:
        raise ZipProblem(f"cannot be read: {exc.strerror or exc}") from None
    try:
        _refuse_bombs(archive.infolist(), limits)
    except ZipProblem:
        archive.close()
        raise
    return SafeZip(archive, limits)


def _refuse_bombs(infos: list[zipfile.ZipInfo], limits: Limits) -> None:
    if len(infos) > MAX_MEMBERS:
        raise ZipProblem(f"holds {len(infos)} members (over {MAX_MEMBERS}): refused as a possible zip bomb")
    total = sum(info.file_size for info in infos)
    if total > limits.max_unpacked_mb * 2**20:
        raise ZipProblem(
            f"would unpack to {total / 2**20:.0f} MB, over the {limits.max_unpacked_mb:g} MB limit: "
            "refused as a possible zip bomb (raise RETRIEVAL_MAX_UNPACKED_MB if it is genuine)")
    for info in infos:
        if info.file_size >= LARGE_MEMBER and info.file_size > MAX_RATIO * max(info.compress_size, 1):
            ratio = info.file_size / max(info.compress_size, 1)
            raise ZipProblem(
                f"has a member, {info.filename}, that would inflate {ratio:.0f}:1 to "
                f"{info.file_size / 2**20:.0f} MB: refused as a possible zip bomb")


def _spellings(info: zipfile.ZipInfo) -> list[str]:
    # Without the UTF-8 flag zipfile decodes names as cp437; Chinese tools
    # write them in UTF-8 or GBK regardless, so a chapter named 第一章.xhtml
    # is only found under its real spelling.
    names = [info.filename]
    if not info.flag_bits & 0x800:
        raw = info.filename.encode("cp437", errors="replace")
        for encoding in ("utf-8", "gb18030"):
            try:
                names.append(raw.decode(encoding))
            except UnicodeDecodeError:
                pass
    return names


def resolve_href(base_member: str, href: str) -> str:
    """The member an href in ``base_member`` points at, fragment and query dropped."""
    href = unquote(href.split("#", 1)[0].split("?", 1)[0])
    if not href:
        return base_member
    joined = posixpath.join(posixpath.dirname(base_member), href)
    return posixpath.normpath(joined).lstrip("/")


def starts_like(path: Path, size: int = 8) -> bytes:
    """The file's first bytes, to tell a zip from a renamed other format."""
    try:
        with open(path, "rb") as handle:
            return handle.read(size)
    except OSError:
        return b""


def parse_xml(data: bytes, recover: bool = True):
    """(root, error): a member's XML parsed without network, DTDs or entity
    expansion. A damaged one is parsed again in recovery mode, so what
    precedes the damage is kept; ``error`` then says what was wrong."""
    try:
        return etree.fromstring(data, _STRICT), None
    except etree.XMLSyntaxError as exc:
        error = str(exc) or "not well-formed XML"
    if not recover:
        return None, error
    try:
        root = etree.fromstring(data, _RECOVER)
    except etree.XMLSyntaxError:
        root = None
    return root, error


_SAFE = dict(resolve_entities=False, no_network=True, load_dtd=False, remove_comments=True, remove_pis=True)
_STRICT = etree.XMLParser(**_SAFE)
_RECOVER = etree.XMLParser(recover=True, **_SAFE)
