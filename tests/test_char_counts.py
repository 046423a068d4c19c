"""How many chunks hold each character: counted per chunk, saved with a
build, merged over the variants the normal form folds, and the same for a
build saved before the counts were."""

from __future__ import annotations

import json

import numpy as np
import pytest

from retrieval import open_engine
from retrieval.index import building
from retrieval.index.analyzer import normalize
from retrieval.index.char_counts import FILE_NAME, CharCounts, rarity
from retrieval.index.store import _live_build


def test_a_character_is_counted_once_per_chunk_that_holds_it():
    counts = CharCounts.from_texts(["重重重庆", "重庆火锅", "火锅𠀀"])
    table = dict(zip(map(chr, counts.codes.tolist()), counts.counts.tolist()))
    assert table == {"重": 2, "庆": 2, "火": 2, "锅": 2, "𠀀": 1}
    assert list(counts.codes) == sorted(counts.codes)


def test_variants_the_normal_form_folds_together_add_up():
    counts = CharCounts.from_texts(["臺灣的臺北", "台湾的台中", "計畫"])
    frequencies = counts.frequencies(normalize)
    assert frequencies["台"] == 2  # 臺 in one chunk, 台 in another
    assert frequencies["计"] == 1 and "計" not in frequencies


def test_rarer_characters_weigh_more_and_every_weight_is_positive():
    n = 1000
    weights = [rarity(f, n) for f in (0, 1, 10, 500, 1000, 5000)]
    assert weights == sorted(weights, reverse=True)
    assert weights[-1] > 0 and weights[-1] == weights[-2]  # more than every chunk: as many as there are


def test_a_table_of_another_shape_is_refused(tmp_path):
    np.save(tmp_path / FILE_NAME, np.zeros((3, 4), dtype=np.uint32))
    with pytest.raises(ValueError, match="not a character count table"):
        CharCounts.load(tmp_path)
    with pytest.raises(ValueError):
        CharCounts(np.zeros(3, dtype=np.uint32), np.zeros(2, dtype=np.uint32))


def make_index(tmp_path):
    corpus = tmp_path / "docs"
    corpus.mkdir()
    (corpus / "a.md").write_text(
        "# 珍珠港\n\n珍珠港事件的攻擊計畫由山本五十六策劃。\n\n日本海軍派出六艘航空母艦。\n\n美國隨即對日本宣戰。\n",
        encoding="utf-8",
    )
    open_engine([corpus], tmp_path / "index")
    return corpus


QUESTIONS = ["珍珠港事件的策畫人是誰", "日本海軍派出了幾艘航空母艦", "美國何時宣戰"]


def ranking(engine) -> list:
    return [[(h.chunk.text, round(h.score, 9)) for h in engine.ask(q).hits] for q in QUESTIONS]


def test_a_saved_build_holds_the_counts_it_was_made_with(tmp_path):
    corpus = make_index(tmp_path)
    build = _live_build(tmp_path / "index")
    assert FILE_NAME in json.loads((build / "meta.json").read_text(encoding="utf-8"))["checks"]
    engine, report = open_engine([corpus], tmp_path / "index")
    assert report.loaded_from_disk and engine.chunks.char_counts is not None
    saved = engine.chunks.char_counts.frequencies(engine.analyzer.normalize)
    assert saved == CharCounts.from_texts(c.text for c in engine.chunks).frequencies(engine.analyzer.normalize)
    assert saved["画"] == 1 and saved["划"] == 1  # 計畫 and 策劃, both in one chunk
    in_memory, _ = open_engine([corpus])  # counted from its chunks
    assert ranking(engine) == ranking(in_memory)


def strip_counts(build) -> None:
    """Make the build look saved before the counts were."""
    (build / FILE_NAME).unlink()
    meta = json.loads((build / "meta.json").read_text(encoding="utf-8"))
    del meta["checks"][FILE_NAME]
    (build / "meta.json").write_text(json.dumps(meta), encoding="utf-8")


def test_a_build_saved_without_counts_is_made_again_when_its_corpus_is_here(tmp_path, monkeypatch):
    corpus = make_index(tmp_path)
    fresh, _ = open_engine([corpus], tmp_path / "index")
    expected = ranking(fresh)
    strip_counts(_live_build(tmp_path / "index"))
    # What older code saved: the same build, its fingerprint without the counts.
    monkeypatch.setattr(building, "CHAR_COUNTS_FILE", None)
    open_engine([corpus], tmp_path / "index", force=True)
    strip_counts(_live_build(tmp_path / "index"))
    monkeypatch.undo()
    engine, report = open_engine([corpus], tmp_path / "index")
    assert not report.loaded_from_disk and (_live_build(tmp_path / "index") / FILE_NAME).exists()
    assert ranking(engine) == expected


def test_a_build_without_counts_served_as_it_is_still_answers(tmp_path):
    corpus = make_index(tmp_path)
    strip_counts(_live_build(tmp_path / "index"))
    engine, report = open_engine(None, tmp_path / "index")  # no corpus given: the saved build as it is
    assert report.loaded_from_disk and engine.chunks.char_counts is None
    answer = engine.ask("日本海軍派出了幾艘航空母艦")
    assert answer.answered and "航空母艦" in answer.hits[0].chunk.text
