"""Indexing at scale: parallel tokenization, the per-file token cache, chunks
read on demand, and the hash check for an unchanged corpus."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import retrieval.index.tokenizing as tokenizing
from retrieval.index.analyzer import Analyzer
from retrieval.index.chunk_file import ChunkFile
from retrieval.chunking.chunks import chunk_documents
from retrieval.ingest.documents import load_corpus
from retrieval.index.building import current_index, load_token_lists, open_engine
from retrieval.index.store import load_index

ROOT = Path(__file__).resolve().parent.parent
SENTENCES = [
    "城市治理需要数字化手段。", "农家书屋推进数字化建设。", "国有企业改革进入攻坚阶段。",
    "重庆推出“渝快办”服务平台。", "基层干部负担明显减轻。", "公共文化服务覆盖城乡。",
]


def write_corpus(folder: Path, files: int = 3, lines: int = 40) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for f in range(files):
        records = [
            {"id": f"f{f}-{i}", "title": f"文件{f}", "text": SENTENCES[(f + i) % 6] + SENTENCES[(f * 7 + i * 3) % 6]}
            for i in range(lines)
        ]
        (folder / f"part{f}.jsonl").write_text(
            "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8"
        )
    return folder


@pytest.fixture
def counted(monkeypatch):
    """How many chunk texts were actually tokenized (not taken from the cache)."""
    seen: list[int] = []
    real = tokenizing._tokenize

    def counting(analyzer, texts, workers):
        seen.append(len(texts))
        yield from real(analyzer, texts, workers)

    monkeypatch.setattr(tokenizing, "_tokenize", counting)
    return seen


def test_parallel_tokenization_equals_serial(monkeypatch):
    loaded = load_corpus([ROOT / "seeds"])
    chunks = chunk_documents(loaded.documents) * 20  # enough to be worth a pool
    analyzer = Analyzer(["八张报表", "渝快办"])
    monkeypatch.setattr(tokenizing, "PARALLEL_FROM", 10)
    monkeypatch.setattr(tokenizing, "BATCH", 7)
    parallel = tokenizing.tokenize_chunks(analyzer, chunks, workers=2)
    assert parallel == [analyzer.tokenize(c.text) for c in chunks]


def test_adding_a_file_tokenizes_only_that_file(tmp_path, counted):
    corpus = write_corpus(tmp_path / "corpus")
    index = tmp_path / "index"
    engine, _ = open_engine([corpus], index)
    assert sum(counted) == len(engine.chunks) == 120

    counted.clear()
    (corpus / "part9.jsonl").write_text(
        json.dumps({"id": "new", "title": "新文件", "text": "蓝鲸协议规定了新的合作方式。"}, ensure_ascii=False) + "\n",
        encoding="utf-8",
    )
    engine, report = open_engine([corpus], index)
    assert not report.loaded_from_disk and report.chunks == 121
    assert sum(counted) == 1  # the new file's one chunk
    # and what came from the cache is exactly what tokenizing now gives
    assert load_token_lists(index) == [engine.analyzer.tokenize(c.text) for c in engine.chunks]


def test_a_new_corpus_term_retokenizes_the_files_that_contain_it(tmp_path, counted):
    corpus = write_corpus(tmp_path / "corpus")
    index = tmp_path / "index"
    open_engine([corpus], index)
    counted.clear()
    # A new file quotes a term (a corpus term from now on) that part0 also uses.
    (corpus / "part9.jsonl").write_text(
        json.dumps({"id": "new", "title": "新", "text": "所谓“数字化建设”是新提法。"}, ensure_ascii=False) + "\n",
        encoding="utf-8",
    )
    engine, _ = open_engine([corpus], index)
    assert "数字化建设" in engine.analyzer.terms
    containing = {c.source_path for c in engine.chunks if "数字化建设" in c.text}
    assert {"corpus/part9.jsonl"} < containing  # older files too
    expected = sum(1 for c in engine.chunks if c.source_path in containing)
    assert sum(counted) == expected
    assert load_token_lists(index) == [engine.analyzer.tokenize(c.text) for c in engine.chunks]


def test_an_unchanged_corpus_is_only_a_hash_check(tmp_path):
    corpus = write_corpus(tmp_path / "corpus")
    index = tmp_path / "index"
    open_engine([corpus], index)
    meta = current_index([corpus], index)
    assert meta is not None and meta["n_chunks"] == 120
    (corpus / "part1.jsonl").write_text('{"id": "x", "text": "改过的内容。"}\n', encoding="utf-8")
    assert current_index([corpus], index) is None


def test_saved_chunks_are_read_on_demand(tmp_path):
    corpus = write_corpus(tmp_path / "corpus", files=1, lines=5)
    index = tmp_path / "index"
    engine, _ = open_engine([corpus], index)
    _, _, chunks = load_index(index)
    assert isinstance(chunks, ChunkFile)
    assert len(chunks) == 5 and chunks[-1] == engine.chunks[-1] and chunks[1:3] == engine.chunks[1:3]
    assert list(chunks) == list(engine.chunks)
    with pytest.raises(IndexError):
        chunks[5]
