"""The index folder: build once, load while unchanged, rebuild on change, never half-written."""

from __future__ import annotations

import json
import mmap
import os
import shutil
from pathlib import Path

import numpy as np
import pytest

import retrieval.index.store as store
from retrieval import open_engine
from retrieval.index.store import IndexLoadError, load_index, read_fingerprint

ROOT = Path(__file__).resolve().parent.parent
ARTICLES = ROOT / "seeds" / "articles"

QUESTIONS = [
    "重庆提出的885工作机制是什么？",
    "重慶的「八張報表」涉及哪些領域？",
    "数字鸿沟",
    "國企改革中黨建有什麼作用",
    "今天天气怎么样",
]

NEW_WORDS = "量子纠缠实验室"
NEW_PARAGRAPH = f"\n\n重庆新建的{NEW_WORDS}聚焦基础研究，吸引了大批青年科学家。\n"




@pytest.fixture
def corpus(tmp_path) -> Path:
    """A private copy of the bundled articles, safe to edit."""
    folder = tmp_path / "corpus"
    shutil.copytree(ARTICLES, folder)
    return folder


@pytest.fixture
def index_dir(tmp_path) -> Path:
    return tmp_path / "index"


def results(engine, questions=QUESTIONS) -> list:
    out = []
    for question in questions:
        answer = engine.ask(question, top_k=10)
        out.append((question, answer.answered, answer.status,
                    [(hit.chunk.chunk_id, hit.score, hit.chunk.text) for hit in answer.hits]))
    return out


def builds(index_dir: Path) -> list[str]:
    return sorted(p.name for p in index_dir.glob("build-*"))


def temporaries(index_dir: Path) -> list[str]:
    return sorted(p.name for p in index_dir.glob(".tmp-build-*"))


def current(index_dir: Path) -> str:
    return (index_dir / "CURRENT").read_text(encoding="utf-8").strip()


def memory_mapped(array) -> bool:
    """Whether ``array`` (or what it is a view of) is backed by a memory map."""
    while array is not None:
        if isinstance(array, (np.memmap, mmap.mmap)):
            return True
        array = getattr(array, "base", None)
    return False


def edit(corpus: Path) -> None:
    path = corpus / "03-hou-jinliang.md"
    path.write_text(path.read_text(encoding="utf-8") + NEW_PARAGRAPH, encoding="utf-8")


def finds_new_words(engine) -> bool:
    answer = engine.ask(NEW_WORDS)
    return bool(answer.hits) and NEW_WORDS in answer.hits[0].chunk.text


# ---------------------------------------------------------------- reuse


def test_second_open_loads_and_answers_identically(corpus, index_dir):
    built, report = open_engine([corpus], index_dir)
    assert report.loaded_from_disk is False
    assert report.chunks == 24 and report.documents == 3
    assert len(builds(index_dir)) == 1
    assert current(index_dir) == builds(index_dir)[0]

    loaded, report2 = open_engine([corpus], index_dir)
    assert report2.loaded_from_disk is True
    assert (report2.documents, report2.chunks, report2.tokens) == (report.documents, report.chunks, report.tokens)
    assert [c.chunk_id for c in loaded.chunks] == [c.chunk_id for c in built.chunks]
    assert loaded.chunks == built.chunks
    assert loaded.analyzer.terms == built.analyzer.terms

    expected = results(built)
    assert any(hits for *_, hits in expected)
    assert results(loaded) == expected


def test_loaded_arrays_are_memory_mapped_and_not_pickled(corpus, index_dir):
    open_engine([corpus], index_dir)
    engine, report = open_engine([corpus], index_dir)
    assert report.loaded_from_disk is True

    # What np.load(..., mmap_mode="r") gives: a read-only np.memmap.
    build = index_dir / current(index_dir)
    probe = np.load(build / "idf.npy", mmap_mode="r", allow_pickle=False)
    assert isinstance(probe, np.memmap)
    assert not probe.flags.writeable

    model = engine.model
    for name, array in {
        "tf.data": model.tf.data,
        "tf.indices": model.tf.indices,
        "tf.indptr": model.tf.indptr,
        "doc_freq": model.doc_freq,
        "doc_len": model.doc_len,
        "idf": model.idf,
        "chunks.pairs": engine.chunks.pairs._packed,
    }.items():
        assert memory_mapped(array), f"{name} is a {type(array).__name__} not backed by the file"
        assert not array.flags.writeable, name

    files = sorted(p for p in index_dir.rglob("*") if p.is_file())
    npy = [p for p in files if p.suffix == ".npy"]
    assert {p.stem for p in npy} == {
        "tf_data", "tf_indices", "tf_indptr", "doc_freq", "doc_len", "idf", "chunk_offsets", "char_pairs_v1",
        "char_counts_v1",  # read whole: a few thousand characters, made into a table on the first question
    }
    for path in npy:
        array = np.load(path, allow_pickle=False)  # raises on a pickled (object) array
        assert array.dtype != object, path
    for path in files:
        assert path.suffix not in {".pkl", ".pickle", ".joblib", ".npz"}, path
        head = path.read_bytes()[:2]
        assert not (head[:1] == b"\x80" and head[1:2] in {bytes([n]) for n in range(2, 6)}), f"{path} looks like a pickle"
    # The text files are plain JSON.
    json.loads((build / "meta.json").read_text(encoding="utf-8"))
    json.loads((build / "vocabulary.json").read_text(encoding="utf-8"))


# -------------------------------------------------------------- rebuilds


def test_changed_file_triggers_rebuild(corpus, index_dir):
    first, _ = open_engine([corpus], index_dir)
    assert not finds_new_words(first)
    old_build = current(index_dir)

    edit(corpus)
    engine, report = open_engine([corpus], index_dir)
    assert report.loaded_from_disk is False
    assert finds_new_words(engine)
    assert current(index_dir) != old_build
    # The build before stays for readers that read CURRENT just before the switch.
    assert builds(index_dir) == sorted([current(index_dir), old_build])

    again, report = open_engine([corpus], index_dir)
    assert report.loaded_from_disk is True
    assert finds_new_words(again)

    (corpus / "01-first.txt").write_text("第三版\n\n只剩下这一段全新的内容，用来确认更早的版本被删除。\n", encoding="utf-8")
    middle = current(index_dir)
    open_engine([corpus], index_dir)
    assert builds(index_dir) == sorted([current(index_dir), middle]), "builds older than the previous one are removed"


def test_added_file_triggers_rebuild(corpus, index_dir):
    open_engine([corpus], index_dir)
    (corpus / "04-new.txt").write_text(f"新增文章\n\n{NEW_PARAGRAPH.strip()}\n", encoding="utf-8")
    engine, report = open_engine([corpus], index_dir)
    assert report.loaded_from_disk is False
    assert report.documents == 4
    assert finds_new_words(engine)
    assert engine.ask(NEW_WORDS).hits[0].chunk.source_path.endswith("04-new.txt")


def test_force_rebuilds_an_unchanged_corpus(corpus, index_dir):
    open_engine([corpus], index_dir)
    build = current(index_dir)
    marker = index_dir / build / "marker"
    marker.write_text("from the first build", encoding="utf-8")
    engine, report = open_engine([corpus], index_dir, force=True)
    assert report.loaded_from_disk is False
    assert report.chunks == 24
    assert current(index_dir) == build  # same corpus, same fingerprint
    assert builds(index_dir) == [build]
    assert not marker.exists(), "force=True must write the build again"
    assert engine.ask("数字鸿沟").answered is True
    _, report = open_engine([corpus], index_dir)
    assert report.loaded_from_disk is True


# ------------------------------------------------------------- atomicity


class Crash(RuntimeError):
    pass


def _crash_on_save(monkeypatch, index_dir: Path, how: str) -> None:
    if how == "numpy.save":
        real_save = np.save
        calls = {"n": 0}

        def failing_save(path, *args, **kwargs):
            calls["n"] += 1
            if calls["n"] == 3:  # some arrays already written to the temporary folder
                raise Crash("disk full while writing arrays")
            return real_save(path, *args, **kwargs)

        monkeypatch.setattr(store.np, "save", failing_save)
        return

    real_replace = os.replace
    target = {"rename build": "build-", "rename CURRENT": "CURRENT"}[how]

    def failing_replace(src, dst, *args, **kwargs):
        if Path(dst).parent == index_dir and Path(dst).name.startswith(target):
            raise Crash(f"power cut during {how}")
        return real_replace(src, dst, *args, **kwargs)

    monkeypatch.setattr(store.os, "replace", failing_replace)


@pytest.mark.parametrize("how", ["numpy.save", "rename build", "rename CURRENT"])
def test_crash_during_save_keeps_the_previous_build(corpus, index_dir, monkeypatch, how):
    engine, _ = open_engine([corpus], index_dir)
    before = results(engine)
    old_build = current(index_dir)
    old_fingerprint = read_fingerprint(index_dir)

    edit(corpus)
    with monkeypatch.context() as patch:
        _crash_on_save(patch, index_dir, how)
        with pytest.raises(Crash):
            open_engine([corpus], index_dir)

    if how != "rename CURRENT":  # then the temporary folder was already renamed
        assert temporaries(index_dir) == [], "a failed save leaves its temporary folder behind"
        assert builds(index_dir) == [old_build]
    assert current(index_dir) == old_build
    assert read_fingerprint(index_dir) == old_fingerprint
    meta, model, chunks = load_index(index_dir)
    assert meta["fingerprint"] == old_fingerprint
    assert len(chunks) == 24
    assert not any(NEW_WORDS in chunk.text for chunk in chunks)

    # The original corpus (same relative names, same bytes, so the same
    # fingerprint) still loads the old build, with the same answers.
    original = corpus.parent / "again" / "corpus"
    shutil.copytree(ARTICLES, original)
    loaded, report = open_engine([original], index_dir)
    assert report.loaded_from_disk is True
    assert results(loaded) == before

    # The next successful save cleans up: new content live, one build, no temporaries.
    engine, report = open_engine([corpus], index_dir)
    assert report.loaded_from_disk is False
    assert finds_new_words(engine)
    assert builds(index_dir) == sorted([current(index_dir), old_build])
    assert temporaries(index_dir) == []


def test_stray_temporary_from_a_killed_save_is_removed(corpus, index_dir):
    open_engine([corpus], index_dir)
    stray = index_dir / ".tmp-build-killed"
    stray.mkdir()
    (stray / "tf_data.npy").write_bytes(b"half written")
    assert current(index_dir).startswith("build-")
    edit(corpus)
    open_engine([corpus], index_dir)
    assert temporaries(index_dir) == []
    assert not stray.exists()


# ------------------------------------------------------- unusable folders


def _prepare_empty(index_dir: Path) -> Path:
    index_dir.mkdir(parents=True)
    return index_dir


def _prepare_missing_build(index_dir: Path) -> Path:
    index_dir.mkdir(parents=True)
    (index_dir / "CURRENT").write_text("build-0123456789abcdef\n", encoding="utf-8")
    return index_dir


def _prepare_corrupt_meta(index_dir: Path, corpus: Path) -> Path:
    open_engine([corpus], index_dir)
    meta = index_dir / current(index_dir) / "meta.json"
    meta.write_text('{"format": 1, "fingerprint": "trunc', encoding="utf-8")
    return index_dir


@pytest.mark.parametrize("state", ["no index", "CURRENT names a missing build", "corrupt meta.json"])
def test_unusable_folder_raises_then_open_engine_rebuilds(corpus, index_dir, state):
    if state == "no index":
        _prepare_empty(index_dir)
    elif state == "CURRENT names a missing build":
        _prepare_missing_build(index_dir)
    else:
        _prepare_corrupt_meta(index_dir, corpus)

    with pytest.raises(IndexLoadError) as error:
        load_index(index_dir)
    assert str(index_dir) in str(error.value)
    assert read_fingerprint(index_dir) is None

    engine, report = open_engine([corpus], index_dir)
    assert report.loaded_from_disk is False
    assert report.chunks == 24
    assert engine.ask("数字鸿沟").answered is True

    meta, model, chunks = load_index(index_dir)
    assert len(chunks) == 24
    _, report = open_engine([corpus], index_dir)
    assert report.loaded_from_disk is True


def test_missing_folder_raises_index_load_error(tmp_path):
    missing = tmp_path / "does-not-exist"
    with pytest.raises(IndexLoadError) as error:
        load_index(missing)
    assert str(missing) in str(error.value)
    assert read_fingerprint(missing) is None
