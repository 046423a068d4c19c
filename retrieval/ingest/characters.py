"""Characters that text extractors get wrong, shared by every reader.

PDF fonts often map ideographs to look-alikes: Kangxi radicals (⼀ U+2F00
for 一), CJK radicals-supplement forms and CJK compatibility ideographs.
They look right and match nothing, so they are folded by NFKC, but only
they: NFKC on the whole text would also turn the full-width punctuation
of Chinese (，：；) into ASCII and change the paragraph's text.
"""

from __future__ import annotations

import re
import unicodedata

_LOOKALIKES = re.compile(
    "[\u2e80-\u2eff\u2f00-\u2fdf\uf900-\ufaff\U0002f800-\U0002fa1f]"
)
# pdfminer writes a glyph it cannot map to Unicode as "(cid:123)".
CID_JUNK = re.compile(r"\(cid:\d+\)")
# Invisible characters that extractors leave inside words.
_INVISIBLE = re.compile("[\u00ad\u200b\u200c\u200d\u2060\ufeff]")


def repair_characters(text: str) -> str:
    """Look-alike ideographs folded to the real ones, invisible characters removed."""
    text = _INVISIBLE.sub("", text)
    return _LOOKALIKES.sub(lambda m: unicodedata.normalize("NFKC", m.group()), text)


def cid_share(text: str) -> float:
    """The share of ``text`` that is ``(cid:N)`` junk (0 when there is none)."""
    if not text:
        return 0.0
    junk = sum(len(m.group()) for m in CID_JUNK.finditer(text))
    return junk / len(text)
