"""Bytes → text for the encodings Chinese documents actually arrive in.

Order matters: a BOM is proof, strict UTF-8 is near-proof (random GBK bytes
almost never form valid UTF-8), UTF-16 without a BOM shows itself through its
NUL bytes, and GB18030 (a superset of GBK and GB2312) comes last because it
accepts many byte strings that are not really Chinese text.
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass


class DecodeError(ValueError):
    """The bytes are not text in any encoding we accept."""


@dataclass(frozen=True)
class DecodedText:
    text: str
    encoding: str


_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)

# Share of control characters above which "text" is really a binary file that
# happened to decode (GB18030 decodes a lot of binary noise).
_MAX_CONTROL_SHARE = 0.01


def decode_bytes(data: bytes) -> DecodedText:
    """Decode ``data`` or raise :class:`DecodeError` saying why not."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return _checked(_strict(data, encoding), encoding)

    text = _strict(data, "utf-8")
    if text is not None:
        return _checked(text, "utf-8")

    utf16 = _guess_bomless_utf16(data)
    if utf16 is not None:
        return _checked(_strict(data, utf16), utf16)

    return _checked(_strict(data, "gb18030"), "gb18030")


def _strict(data: bytes, encoding: str) -> str | None:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError:
        return None


def _guess_bomless_utf16(data: bytes) -> str | None:
    """UTF-16 text of mostly ASCII or CJK shows NULs in one byte column only."""
    if len(data) < 4 or len(data) % 2:
        return None
    even_nuls = data[0::2].count(0)
    odd_nuls = data[1::2].count(0)
    half = len(data) // 2
    # ASCII-heavy text: high bytes are NUL. CJK-heavy text has few NULs, so it
    # is only recognised if it decodes cleanly into mostly CJK characters.
    if odd_nuls > half * 0.3 and even_nuls < half * 0.05:
        return "utf-16-le"
    if even_nuls > half * 0.3 and odd_nuls < half * 0.05:
        return "utf-16-be"
    for encoding in ("utf-16-le", "utf-16-be"):
        text = _strict(data, encoding)
        if text and _cjk_share(text) > 0.6:
            return encoding
    return None


def _cjk_share(text: str) -> float:
    cjk = sum(1 for ch in text if "\u4e00" <= ch <= "\u9fff" or "\u3000" <= ch <= "\u303f")
    return cjk / max(1, len(text))


def _checked(text: str | None, encoding: str) -> DecodedText:
    if text is None:
        raise DecodeError(
            "cannot decode: not valid UTF-8, UTF-16 or GB18030/GBK text"
        )
    controls = sum(1 for ch in text if _is_binary_control(ch))
    if controls > max(2, len(text) * _MAX_CONTROL_SHARE):
        raise DecodeError(
            f"looks like a binary file, not text ({controls} control characters)"
        )
    return DecodedText(text=text, encoding=encoding)


def _is_binary_control(ch: str) -> bool:
    code = ord(ch)
    return (code < 32 and ch not in "\t\n\r\f\v") or code == 0x7F
