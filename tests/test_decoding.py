"""Tests for retrieval.ingest.decoding.decode_bytes: bytes → text for Chinese documents."""

from __future__ import annotations

import codecs
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from retrieval.ingest.decoding import DecodedText, DecodeError, decode_bytes

ZH = "重庆推动超大城市现代化治理"
ZH_PARAGRAPH = (
    "党的二十大报告提出，加快转变超大特大城市发展方式。"
    "实现超大城市治理现代化是建设现代化新重庆的必然要求。\n"
)


# ------------------------------------------------------------------ UTF-8


def test_utf8_without_bom():
    result = decode_bytes(ZH_PARAGRAPH.encode("utf-8"))
    assert isinstance(result, DecodedText)
    assert result.text == ZH_PARAGRAPH
    assert result.encoding == "utf-8"


def test_utf8_with_bom_strips_the_bom():
    data = codecs.BOM_UTF8 + ZH_PARAGRAPH.encode("utf-8")
    result = decode_bytes(data)
    assert result.text == ZH_PARAGRAPH
    assert not result.text.startswith("\ufeff")
    assert result.encoding == "utf-8-sig"


def test_plain_ascii_is_utf8():
    result = decode_bytes(b"Hello, world.\nSecond line.\n")
    assert result.text == "Hello, world.\nSecond line.\n"
    assert result.encoding == "utf-8"


# ------------------------------------------------------------------ GBK / GB18030


@pytest.mark.parametrize("encoding", ["gbk", "gb2312", "gb18030"])
def test_gb_family_chinese(encoding):
    result = decode_bytes(ZH.encode(encoding))
    assert result.text == ZH
    assert result.encoding == "gb18030"


def test_gbk_paragraph_with_punctuation_and_newlines():
    text = ZH_PARAGRAPH * 3 + "（作者单位：西南政法大学政治与公共管理学院）\r\n"
    result = decode_bytes(text.encode("gbk"))
    assert result.text == text
    assert result.encoding == "gb18030"


def test_gb18030_only_characters():
    # "𠀀" (U+20000) and "€" have no GBK code but are in GB18030 (4-byte sequences).
    text = "扩展字符𠀀与欧元符号€都能解码。"
    data = text.encode("gb18030")
    with pytest.raises(UnicodeEncodeError):
        text.encode("gbk")
    result = decode_bytes(data)
    assert result.text == text
    assert result.encoding == "gb18030"


def test_gbk_traditional_without_punctuation_is_not_mistaken_for_utf16():
    # An even-length run of GBK traditional characters (lead bytes 0x81-0xA0
    # decode to CJK code points as UTF-16) must still come back as itself.
    text = "這個臺灣電腦軟體開發協會"
    data = text.encode("gbk")
    assert len(data) % 2 == 0
    result = decode_bytes(data)
    assert result.text == text
    assert result.encoding == "gb18030"


# ------------------------------------------------------------------ UTF-16


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be"])
@pytest.mark.parametrize(
    "text",
    [ZH_PARAGRAPH, "Plain ASCII line.\r\nAnother line with 中文 inside.\r\n"],
    ids=["cjk", "mixed"],
)
def test_utf16_with_bom(codec, text):
    bom = codecs.BOM_UTF16_LE if codec == "utf-16-le" else codecs.BOM_UTF16_BE
    result = decode_bytes(bom + text.encode(codec))
    assert result.text == text
    assert not result.text.startswith("\ufeff")
    assert result.encoding == "utf-16"


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be"])
def test_utf16_without_bom_ascii_only(encoding):
    text = "Title: Annual report\r\nLine two of the exported file\r\n"
    result = decode_bytes(text.encode(encoding))
    assert result.text == text
    assert result.encoding == encoding


def test_utf16_le_without_bom_ascii_heavy_with_some_chinese():
    text = "Report 2024: 重庆 city governance, version 1.0, all rows exported.\n"
    result = decode_bytes(text.encode("utf-16-le"))
    assert result.text == text
    assert result.encoding == "utf-16-le"


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be"])
def test_utf16_without_bom_cjk_heavy(encoding):
    text = ZH * 3 + "。"
    result = decode_bytes(text.encode(encoding))
    assert result.text == text
    assert result.encoding == encoding


# ------------------------------------------------------------------ not text


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_random_binary_raises(seed):
    rng = random.Random(seed)
    data = bytes(rng.randrange(256) for _ in range(512))
    with pytest.raises(DecodeError) as info:
        decode_bytes(data)
    message = str(info.value)
    assert message
    assert "cannot decode" in message or "binary" in message


def test_many_nuls_raise_binary():
    data = b"PK\x03\x04" + b"\x00" * 60 + b"content" + b"\x00" * 40
    with pytest.raises(DecodeError) as info:
        decode_bytes(data)
    assert "binary" in str(info.value)


def test_all_nuls_raise():
    with pytest.raises(DecodeError):
        decode_bytes(b"\x00" * 128)


def test_truncated_gbk_is_read_with_the_cut_byte_named():
    text = ZH * 8
    data = text.encode("gbk")[:-1]  # last character cut in half, odd length
    assert len(data) % 2 == 1
    decoded = decode_bytes(data)
    assert decoded.encoding == "gb18030"
    assert decoded.text == text[:-1] + "\ufffd"
    assert decoded.replaced == ((len(data) - 1, len(data)),)
    assert decoded.replaced_summary() == f"byte {len(data) - 1}"


def test_a_few_bad_bytes_are_replaced_and_located():
    good = ("这是一段正常的中文文字。" * 80).encode("utf-8")
    data = good[:120] + b"\xff\xfe\xfd\xfc" + good[120:]
    decoded = decode_bytes(data)
    assert decoded.encoding == "utf-8"
    assert decoded.replaced == ((120, 124),)
    assert decoded.text.count("\ufffd") == 1 and decoded.text.replace("\ufffd", "") == good.decode()


def test_many_bad_bytes_still_raise_a_readable_message():
    data = bytes(range(128, 256)) * 4
    with pytest.raises(DecodeError) as info:
        decode_bytes(data)
    message = str(info.value)
    assert "cannot decode" in message
    assert "UTF-8" in message and "GB18030" in message
    # readable: a sentence, not a repr of the bytes
    assert "\\x" not in message


def test_decode_error_is_a_value_error():
    with pytest.raises(ValueError):
        decode_bytes(b"\x81")


def test_broken_utf16_after_bom_raises():
    data = codecs.BOM_UTF16_LE + "完整".encode("utf-16-le") + b"\x00"  # odd length
    with pytest.raises(DecodeError):
        decode_bytes(data)


# ------------------------------------------------------------------ property

_CJK = st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF)
_ASCII = st.sampled_from(
    [chr(c) for c in range(0x20, 0x7F)] + ["\n", "\t", "\r"]
)
_PUNCT = st.sampled_from(list("，。、；：？！“”‘’（）《》…"))


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.one_of(_CJK, _ASCII, _PUNCT), max_size=200))
def test_utf8_round_trip(text):
    result = decode_bytes(text.encode("utf-8"))
    assert result.text == text
    assert result.encoding == "utf-8"
