"""Faults that must never destroy or misattribute an index: a mistyped
corpus, a file that turned unreadable, damaged index files, concurrent
readers during a refresh, a read-only folder, and builds killed mid-save."""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from retrieval.index import lock
from retrieval.index.building import open_engine
from retrieval.index.store import load_index, verify_build

ROOT = Path(__file__).resolve().parent.parent
ARTICLES = ROOT / "seeds" / "articles"
OWN_QUESTION = "兰花种植需要注意什么"
OWN_TEXT = "兰花种植要注意通风和光照，浇水宜少不宜多，夏季要遮阴，冬季要保暖。"


def run(*args: str, check: bool = True, env=None) -> subprocess.CompletedProcess:
    done = subprocess.run([sys.executable, "-m", "retrieval", *args], capture_output=True, text=True,
                          cwd=ROOT, env=env, timeout=300)
    if check and done.returncode != 0:
        raise AssertionError(f"exit {done.returncode}\n{done.stderr}")
    return done


@pytest.fixture
def corpus(tmp_path) -> Path:
    """A user's own corpus: nothing in it is in the bundled seeds."""
    folder = tmp_path / "orchids"
    folder.mkdir()
    (folder / "care.txt").write_text(f"兰花养护\n\n{OWN_TEXT}\n", encoding="utf-8")
    (folder / "history.txt").write_text("兰花的历史\n\n中国人种植兰花已有两千多年的历史，古人称之为君子之花。\n", encoding="utf-8")
    return folder


@pytest.fixture
def index(tmp_path, corpus) -> Path:
    folder = tmp_path / "index"
    run("index", "--corpus", str(corpus), "--index", str(folder))
    return folder


def live(index: Path) -> Path:
    return index / (index / "CURRENT").read_text().strip()


def answers_own_question(index: Path) -> bool:
    [answer] = [json.loads(line) for line in run("ask", "--index", str(index), "--json", OWN_QUESTION).stdout.splitlines()]
    return answer["answered"] and "兰花" in answer["hits"][0]["text"]


def test_a_mistyped_corpus_path_leaves_the_index_as_it_was(index, tmp_path):
    before = live(index)
    done = run("index", "--corpus", str(tmp_path / "orchds"), "--index", str(index), check=False)
    assert done.returncode == 2
    assert "no such file or folder" in done.stderr and "kept" in done.stderr
    assert live(index) == before and verify_build(index) is None
    assert answers_own_question(index)


def test_a_file_that_became_unreadable_does_not_replace_the_index(index, corpus):
    before = live(index)
    (corpus / "care.txt").write_bytes(bytes(range(128, 256)) * 10)  # no encoding reads this
    done = run("index", "--corpus", str(corpus), "--index", str(index), check=False)
    assert "not updated" in done.stderr and "care.txt" in done.stderr
    assert live(index) == before
    assert answers_own_question(index)
    # Asked for, the replacement happens.
    run("index", "--corpus", str(corpus), "--index", str(index), "--force")
    assert live(index) != before or load_index(index)[0]["n_documents"] == 1


def test_corrupt_meta_rebuilds_from_the_index_own_corpus_not_the_seeds(index):
    (live(index) / "meta.json").write_text('{"format": 2, "fingerpr', encoding="utf-8")
    done = run("ask", "--index", str(index), "--json", OWN_QUESTION)
    answer = json.loads(done.stdout)
    assert answer["answered"] and "兰花" in answer["hits"][0]["text"]
    meta = load_index(index)[0]
    assert all("orchids" in path for path in meta["corpus"])


def test_a_truncated_array_is_not_reported_unchanged(index):
    array = live(index) / "tf_data.npy"
    array.write_bytes(array.read_bytes()[:-8])
    done = run("index", "--index", str(index))
    assert "index unchanged" not in done.stdout
    assert "damaged" in done.stderr
    assert verify_build(index) is None
    assert answers_own_question(index)


def test_a_damaged_index_that_does_not_say_its_corpus_is_an_error_not_the_seeds(index):
    (live(index) / "meta.json").write_text("{", encoding="utf-8")
    (index / "corpus.json").unlink()
    done = run("ask", "--index", str(index), OWN_QUESTION, check=False)
    assert done.returncode == 2
    assert "does not record which corpus" in done.stderr and "--force" in done.stderr


def test_parallel_readers_during_a_refresh_all_answer(index, corpus):
    (corpus / "new.txt").write_text("新的一篇\n\n" + "兰花分为国兰和洋兰两大类，国兰香气清幽。" * 40 + "\n", encoding="utf-8")
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda _: run("ask", "--index", str(index), "--json", OWN_QUESTION, check=False), range(4)))
    for done in results:
        assert done.returncode == 0, done.stderr
        assert json.loads(done.stdout)["answered"]
    assert not list(index.glob(".tmp-build-*"))


def test_a_read_only_index_is_served_stale_with_a_warning(tmp_path, corpus, monkeypatch):
    folder = tmp_path / "ro"
    open_engine([corpus], folder)
    (corpus / "new.txt").write_text("新的一篇\n\n新增的内容讲的是别的事情，比如种植月季的方法。\n", encoding="utf-8")

    def read_only(*args, **kwargs):
        raise lock.ReadOnlyIndex(30, f"cannot write to {folder}: Read-only file system")

    monkeypatch.setattr(lock.os, "open", read_only)
    engine, report = open_engine([corpus], folder)
    assert report.loaded_from_disk
    assert engine.ask(OWN_QUESTION).answered
    assert any("cannot be updated" in p.message and "out of date" in p.message for p in report.problems)


def test_a_stray_temporary_is_removed_at_the_next_start_even_when_nothing_changed(index):
    stray = index / ".tmp-build-killed"
    stray.mkdir()
    (stray / "tf_data.npy").write_bytes(b"x" * 1000)
    assert answers_own_question(index)
    assert not stray.exists()


SAVER = """
import sys
from retrieval.index.building import open_engine
open_engine([sys.argv[1]], sys.argv[2], force=True)
"""


@pytest.mark.parametrize("seed", range(6))
def test_kill_9_at_a_random_point_of_a_save_leaves_a_working_index(index, corpus, seed):
    """Whatever moment the builder dies at, the next reader gets one complete
    build (the old or the new), never a half-written one."""
    rng = random.Random(seed)
    (corpus / f"more{seed}.txt").write_text("补充\n\n" + "兰花喜欢湿润的环境，但是怕积水。" * 200 + "\n", encoding="utf-8")
    saver = subprocess.Popen([sys.executable, "-c", SAVER, str(corpus), str(index)], cwd=ROOT)
    time.sleep(rng.uniform(0.3, 2.5))
    saver.send_signal(signal.SIGKILL)
    saver.wait()
    assert verify_build(index) is None, "CURRENT names a complete, intact build"
    assert answers_own_question(index)
    assert not list(index.glob(".tmp-build-*"))


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.lists(st.tuples(st.integers(0, 2), st.integers(2, 5)), min_size=1, max_size=3))
def test_property_readers_racing_a_refresh_each_get_one_complete_build(tmp_path_factory, steps):
    """Edits, each followed by several processes' worth of readers at once
    (threads with their own lock descriptors): every reader gets the corpus
    as it now is, whole, and nobody fails on another's half-written build."""
    root = tmp_path_factory.mktemp("race")
    corpus = root / "c"
    corpus.mkdir()
    (corpus / "base.txt").write_text(f"兰花养护\n\n{OWN_TEXT}\n", encoding="utf-8")
    index = root / "index"
    open_engine([corpus], index)
    for version, (which, readers) in enumerate(steps):
        (corpus / f"f{which}.txt").write_text(
            f"第{version}版\n\n这是第{version}次修改写下的内容，兰花第{version}号品种喜欢半阴的环境。\n", encoding="utf-8")
        expected = sorted(p.name for p in corpus.iterdir())
        barrier = threading.Barrier(readers)

        def read(_):
            barrier.wait()
            engine, _ = open_engine([corpus], index)
            return sorted({c.source_path.split("/")[-1] for c in engine.chunks}), [c.text for c in engine.chunks]

        with ThreadPoolExecutor(readers) as pool:
            results = list(pool.map(read, range(readers)))
        for files, texts in results:
            assert files == expected
            assert any(f"第{version}次修改" in text for text in texts)
        assert verify_build(index) is None
        assert not list(index.glob(".tmp-build-*"))
