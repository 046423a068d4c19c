"""The character-pair set never calls present text absent, rules out what is
absent, and is saved and loaded with a build (older builds work without it)."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from retrieval import open_engine
from retrieval.answer import near_miss
from retrieval.index.char_pairs import FILE_NAME, CharPairs
from retrieval.index.store import _live_build

LINES = [
    '{"text": "红岩精神是重庆的宝贵财富。华山海拔两千一百五十四米。"}\n'.encode(),
    '{"text": "数字鸿沟需要弥合，AI 与 Research 并行；𠀀字在扩展区。"}\n'.encode(),
]


def pair_set(lines=LINES) -> CharPairs:
    return CharPairs.from_lines(lines, sum(map(len, lines)))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.text(min_size=1, max_size=80), min_size=1, max_size=6), st.data())
def test_every_stretch_of_the_text_may_be_there(texts, data):
    lines = [(json.dumps({"text": t}, ensure_ascii=False) + "\n").encode("utf-8") for t in texts]
    pairs = pair_set(lines)
    raw = b"".join(lines).decode("utf-8")
    start = data.draw(st.integers(0, len(raw) - 1))
    end = data.draw(st.integers(start + 1, min(len(raw), start + 8)))
    assert pairs.may_contain(raw[start:end])


@pytest.mark.parametrize("present", ["红岩", "鸿沟", "华山海拔", "岩", "AI", "Research", "𠀀字", "。"])
def test_what_the_text_holds_may_be_there(present):
    assert pair_set().may_contain(present)


@pytest.mark.parametrize("absent", ["深圳", "淄博烧烤", "红沟", "岩红", "沟鸿", "鸿岩精神", "ai", "嘿"])
def test_what_the_text_lacks_is_ruled_out(absent):
    # 红沟: both characters are in the text, never side by side.
    assert not pair_set().may_contain(absent)


def test_sizes_are_a_power_of_two_and_bounded():
    small = pair_set()
    assert small._packed.nbytes == (1 << 16) // 8
    with pytest.raises(ValueError):
        CharPairs(np.zeros(3000, dtype=np.uint8))


def make_index(tmp_path):
    corpus = tmp_path / "docs"
    corpus.mkdir()
    (corpus / "a.md").write_text("---\ntitle: 红岩\n---\n\n红岩精神是重庆的宝贵财富。\n\n数字鸿沟需要弥合。\n", encoding="utf-8")
    open_engine([corpus], tmp_path / "index")
    return corpus


def test_a_saved_build_holds_its_pair_set_and_uses_it_unread(tmp_path, monkeypatch):
    corpus = make_index(tmp_path)
    build = _live_build(tmp_path / "index")
    assert (build / FILE_NAME).exists()
    assert FILE_NAME in json.loads((build / "meta.json").read_text(encoding="utf-8"))["checks"]
    engine, report = open_engine([corpus], tmp_path / "index")
    assert report.loaded_from_disk and engine.chunks.pairs is not None

    def unread(self):
        raise AssertionError("the chunk file was read for a word the pair set rules out")

    monkeypatch.setattr(near_miss.Lexicon, "_raw_text", unread)
    answer = engine.ask("深圳的数字化转型")
    assert "深圳" in answer.unknown


def test_a_build_saved_without_a_pair_set_still_lists_absent_words(tmp_path):
    corpus = make_index(tmp_path)
    build = _live_build(tmp_path / "index")
    (build / FILE_NAME).unlink()
    meta = json.loads((build / "meta.json").read_text(encoding="utf-8"))
    del meta["checks"][FILE_NAME]
    (build / "meta.json").write_text(json.dumps(meta), encoding="utf-8")
    engine, report = open_engine([corpus], tmp_path / "index")
    assert report.loaded_from_disk and engine.chunks.pairs is None
    answer = engine.ask("深圳的数字化转型")
    assert "深圳" in answer.unknown
    assert "红" not in engine.ask("红沟是什么").unknown  # 红 is in 红岩: read from the file


def test_above_the_scan_limit_only_what_the_set_rules_out_is_listed(tmp_path, monkeypatch):
    corpus = tmp_path / "docs"
    corpus.mkdir()
    (corpus / "a.md").write_text("# 改革\n\n推进国有企业改革。\n\n弘扬企业家精神。\n", encoding="utf-8")
    engine, _ = open_engine([corpus], tmp_path / "index")
    engine, report = open_engine([corpus], tmp_path / "index")
    assert report.loaded_from_disk
    # 国有企业家: each of its pairs is in the text, the word is not.
    read = near_miss.Lexicon(engine.chunks, engine.model, engine.analyzer)
    assert read.absent("深圳国有企业家", ["深圳", "国有企业家"]) == ["深圳", "国有企业家"]
    monkeypatch.setattr(near_miss, "MAX_SCANNED_BYTES", 0)  # now too large to read at question time
    unread = near_miss.Lexicon(engine.chunks, engine.model, engine.analyzer)
    assert unread.absent("深圳国有企业家", ["深圳", "国有企业家"]) == ["深圳"]  # only what the set proves
