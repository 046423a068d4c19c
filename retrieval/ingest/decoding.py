"""Bytes → text for the encodings Chinese documents actually arrive in.

Order matters: a BOM is proof, strict UTF-8 is near-proof (random GBK bytes
almost never form valid UTF-8), UTF-16 without a BOM shows itself through its
NUL bytes, and GB18030 (a superset of GBK and GB2312) comes last because it
accepts many byte strings that are not really Chinese text.
"""

from __future__ import annotations

import codecs
import re
import unicodedata
from dataclasses import dataclass


class DecodeError(ValueError):
    """The bytes are not text in any encoding we accept."""


@dataclass(frozen=True)
class DecodedText:
    text: str
    encoding: str
    # Byte ranges that were not valid in ``encoding`` and became U+FFFD: a
    # file with a few damaged bytes is read, not skipped whole.
    replaced: tuple[tuple[int, int], ...] = ()

    def replaced_summary(self, limit: int = 3) -> str:
        ranges = [f"{a}" if b - a == 1 else f"{a}–{b - 1}" for a, b in self.replaced[:limit]]
        more = f" and {len(self.replaced) - limit} more" if len(self.replaced) > limit else ""
        return f"byte{'s' if len(self.replaced) > 1 or self.replaced[0][1] - self.replaced[0][0] > 1 else ''} {', '.join(ranges)}{more}"


BOMS = (
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
    for bom, encoding in BOMS:
        if data.startswith(bom):
            return _checked(_strict(data, encoding), encoding)

    ascii_utf16 = _ascii_heavy_utf16(data)
    if ascii_utf16 is not None:
        return _checked(_strict(data, ascii_utf16), ascii_utf16)

    if b"\0" not in data:
        text = _strict(data, "utf-8")
        if text is not None:
            return _checked(text, "utf-8")

    # GBK and BOM-less UTF-16 both accept many byte strings; keep the reading
    # that looks most like Chinese text (GB18030 first: it wins ties).
    readings = [(enc, text) for enc in ("gb18030", "utf-16-le", "utf-16-be")
                if (text := _strict(data, enc)) is not None]
    if readings:
        encoding, text = max(readings, key=lambda reading: _plausibility(reading[1]))
        if _plausibility(text) >= _MIN_PLAUSIBILITY:
            return _checked(text, encoding)
    if b"\0" in data:
        raise DecodeError("looks like a binary file, not text (it contains NUL bytes)")
    damaged = _with_a_few_bad_bytes(data)
    if damaged is not None:
        return damaged
    return _checked(None, "")


# A damaged file is read when at most this share of its bytes is invalid
# (and at most _MAX_BAD_RUNS separate places); more is a wrong encoding.
_MAX_BAD_SHARE = 0.001
_MAX_BAD_RUNS = 64


def _with_a_few_bad_bytes(data: bytes) -> DecodedText | None:
    best = None
    for encoding in ("utf-8", "gb18030"):
        text = data.decode(encoding, errors="surrogateescape")
        runs = _bad_runs(text, encoding)
        bad = sum(b - a for a, b in runs)
        # A short file with bad bytes is more likely in another encoding than damaged.
        allowed = max(len(data) * _MAX_BAD_SHARE, 8 if len(data) >= 2000 else 1)
        if not runs or bad > allowed or bad * 100 > len(data) or len(runs) > _MAX_BAD_RUNS:
            continue
        if best is None or bad < best[0]:
            best = (bad, encoding, text, runs)
    if best is None:
        return None
    _, encoding, text, runs = best
    clean = re.sub("[\udc80-\udcff]+", lambda m: "\ufffd", text)
    if _plausibility(clean) < _MIN_PLAUSIBILITY:
        return None
    decoded = _checked(clean, encoding)
    return DecodedText(decoded.text, encoding, tuple(runs))


def _bad_runs(text: str, encoding: str) -> list[tuple[int, int]]:
    """Byte ranges of the escaped bytes, found by re-encoding the good parts."""
    runs, position = [], 0
    for match in re.finditer("([^\udc80-\udcff]*)([\udc80-\udcff]+)", text):
        position += len(match.group(1).encode(encoding))
        runs.append((position, position + len(match.group(2))))
        position += len(match.group(2))
    return runs


_MIN_PLAUSIBILITY = 0.9


def _strict(data: bytes, encoding: str) -> str | None:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError:
        return None


def _ascii_heavy_utf16(data: bytes) -> str | None:
    """UTF-16 without a BOM whose text is largely ASCII: every ASCII character
    puts a NUL in the same byte column, which UTF-8 and GBK never contain."""
    if len(data) < 4 or len(data) % 2:
        return None
    half = len(data) // 2
    even_nuls = data[0::2].count(0)
    odd_nuls = data[1::2].count(0)
    if odd_nuls > half * 0.2 and even_nuls < half * 0.05:
        return "utf-16-le"
    if even_nuls > half * 0.2 and odd_nuls < half * 0.05:
        return "utf-16-be"
    return None


def _plausibility(text: str) -> float:
    """Share of characters that are not a sign of a wrong decoding.

    Reading GBK bytes as UTF-16 (or the reverse) scatters characters over
    Hangul, Yi, private-use and presentation-form blocks and unassigned code
    points; a right reading almost never lands there.
    """
    if not text:
        return 1.0
    odd = sum(1 for ch in text if _unlikely(ch))
    return 1 - odd / len(text)


_UNLIKELY_BLOCKS = (
    (0xA000, 0xABFF),  # Yi, Lisu, Vai and other rare scripts
    (0xAC00, 0xD7FF),  # Hangul syllables
    (0xF900, 0xFAFF),  # CJK compatibility ideographs
    (0xFB00, 0xFEFE),  # presentation forms
)


def _unlikely(ch: str) -> bool:
    code = ord(ch)
    if any(low <= code <= high for low, high in _UNLIKELY_BLOCKS):
        return True
    category = unicodedata.category(ch)
    return category in ("Co", "Cn", "Cs") or (category == "Cc" and ch not in "\t\n\r\f")


def _checked(text: str | None, encoding: str) -> DecodedText:
    if text is None:
        raise DecodeError(
            "cannot decode: not valid UTF-8, UTF-16 or GB18030/GBK text"
        )
    controls = len(BINARY_CONTROLS.findall(text))
    if controls > max(2, len(text) * _MAX_CONTROL_SHARE):
        raise DecodeError(
            f"looks like a binary file, not text ({controls} control characters)"
        )
    return DecodedText(text=text, encoding=encoding)


# What _is_binary_control accepts, as one regex: per-character Python was
# the slowest step of reading a large corpus.
BINARY_CONTROLS = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")


def _is_binary_control(ch: str) -> bool:
    code = ord(ch)
    return (code < 32 and ch not in "\t\n\r\f\v") or code == 0x7F
