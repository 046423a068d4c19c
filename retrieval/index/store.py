"""Saving and loading an index folder.

Layout of ``DIR``::

    CURRENT                 name of the live build (replaced atomically)
    corpus.json             which corpus the index belongs to (survives a damaged build)
    .lock                   held while a process builds (see ``retrieval.index.lock``)
    build-<fingerprint>/    one complete build
        meta.json           format, fingerprint, analyzer config (with coined terms), BM25 parameters,
                            and every other file's size and SHA-256
        chunks.jsonl        chunk texts and citation fields, one per line
        vocabulary.json     terms in id order
        *.npy               sparse term frequencies, doc_freq, doc_len, idf (memory-mapped on load)
        char_pairs_v1.npy   which character pairs chunks.jsonl holds, hashed (builds before
                            3 December lack it; see ``retrieval.index.char_pairs``)
        char_counts_v1.npy  how many chunks hold each character (builds before 4 December lack
                            it: rebuilt when their corpus is at hand, else served without the
                            second stage's *characters*; see ``retrieval.index.char_counts``)

A build is written in full under a temporary name, renamed into place, and
only then named in ``CURRENT``; an interrupted save leaves the previous build
live and at worst a stray temporary folder, which the next build removes.
The build before the live one is kept until the next save, so a reader that
read ``CURRENT`` just before the switch still finds its files. Loading checks
every file's size (cheap, catches truncation); ``verify_build`` also checks
the hashes. Arrays are plain ``.npy`` files, loaded with ``mmap_mode="r"``:
no pickle.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from pathlib import Path

import numpy as np
from scipy import sparse

from retrieval.chunking.chunks import Chunk
from retrieval.index.bm25 import BM25Model
from retrieval.index.char_counts import CharCounts
from retrieval.index.char_pairs import CharPairs
from retrieval.index.chunk_file import ChunkFile, line_offsets

FORMAT_VERSION = 2  # 2: term frequencies instead of float64 weights
CURRENT = "CURRENT"
CORPUS_FILE = "corpus.json"
_ARRAYS = ("tf_data", "tf_indices", "tf_indptr", "doc_freq", "doc_len", "idf")


class IndexLoadError(RuntimeError):
    """The folder holds no usable index."""


def file_digest(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()[:32]


def fingerprint(files: list[tuple[str, Path]], settings: dict, digests: dict[str, str] | None = None) -> str:
    """Content hash of the corpus files and of every setting that shapes the index."""
    digest = hashlib.sha256()
    digest.update(json.dumps({"format": FORMAT_VERSION, **settings}, sort_keys=True).encode())
    for relative, path in sorted(files):
        file_hash = (digests or {}).get(relative) or file_digest(path)
        digest.update(relative.encode() + b"\0" + file_hash.encode() + b"\0")
    return digest.hexdigest()[:32]


def save_index(
    index_dir: Path,
    *,
    fingerprint: str,
    model: BM25Model,
    chunks: list[Chunk],
    analyzer: dict,
    extra: dict | None = None,
) -> Path:
    """Write a build and make it live. The caller holds the index's lock."""
    index_dir.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".tmp-build-", dir=index_dir))
    try:
        arrays = {
            "tf_data": model.tf.data,
            "tf_indices": model.tf.indices,
            "tf_indptr": model.tf.indptr,
            "doc_freq": model.doc_freq,
            "doc_len": model.doc_len,
            "idf": model.idf,
        }
        for name, array in arrays.items():
            np.save(tmp / f"{name}.npy", np.ascontiguousarray(array))
        vocabulary = sorted(model.vocabulary, key=model.vocabulary.__getitem__)
        _write_text(tmp / "vocabulary.json", json.dumps(vocabulary, ensure_ascii=False))
        lines = [(json.dumps(vars(c), ensure_ascii=False) + "\n").encode("utf-8") for c in chunks]
        (tmp / "chunks.jsonl").write_bytes(b"".join(lines))
        CharPairs.from_lines(lines, sum(map(len, lines))).save(tmp)
        CharCounts.from_texts(c.text for c in chunks).save(tmp)
        np.save(tmp / "chunk_offsets.npy", line_offsets(lines))
        meta = {
            "format": FORMAT_VERSION,
            "fingerprint": fingerprint,
            "analyzer": analyzer,
            "k1": model.k1,
            "b": model.b,
            "epsilon": model.epsilon,
            "n_chunks": len(chunks),
            "n_terms": len(vocabulary),
            **(extra or {}),
            "checks": {entry.name: _file_check(entry) for entry in sorted(tmp.iterdir())},
        }
        _write_text(tmp / "meta.json", json.dumps(meta, ensure_ascii=False, indent=1))
        _fsync_folder(tmp)
        build = index_dir / f"build-{fingerprint}"
        previous = _live_build_or_none(index_dir)
        if build.exists():
            if previous == build:  # rebuilding the live build in place: point elsewhere first
                previous = None
            shutil.rmtree(build)
        os.replace(tmp, build)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    _write_text(index_dir / CURRENT, build.name + "\n", atomic=True)
    _fsync_folder(index_dir)
    if "corpus" in meta:
        _write_text(index_dir / CORPUS_FILE, json.dumps({"corpus": meta["corpus"]}, ensure_ascii=False), atomic=True)
    for old in index_dir.glob("build-*"):
        if old not in (build, previous):
            shutil.rmtree(old, ignore_errors=True)
    return build


def read_corpus_record(index_dir: Path) -> list[str] | None:
    """The corpus paths an index was built from, even when its build is damaged."""
    try:
        return list(json.loads((index_dir / CORPUS_FILE).read_text(encoding="utf-8"))["corpus"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def has_index(index_dir: Path) -> bool:
    """Whether the folder holds (or held) an index, damaged or not."""
    return (index_dir / CURRENT).exists() or (index_dir / CORPUS_FILE).exists() or any(index_dir.glob("build-*"))


def verify_build(index_dir: Path, *, hashes: bool = True) -> str | None:
    """What is wrong with the live build's files, or None when they are as saved."""
    try:
        build = _live_build(index_dir)
        meta = json.loads((build / "meta.json").read_text(encoding="utf-8"))
    except IndexLoadError as exc:
        return str(exc)
    except (OSError, ValueError) as exc:
        return f"meta.json is unreadable ({exc})"
    checks = meta.get("checks")
    if not isinstance(checks, dict):
        return "meta.json has no file checks (saved by an older version)"
    for name, (size, digest) in checks.items():
        path = build / name
        try:
            actual = path.stat().st_size
        except OSError:
            return f"{name} is missing"
        if actual != size:
            return f"{name} is {actual} bytes, {size} when saved"
        if hashes and _file_check(path)[1] != digest:
            return f"{name} does not match its checksum"
    return None


def read_fingerprint(index_dir: Path) -> str | None:
    """The fingerprint of the live build, or None when there is none."""
    try:
        build = _live_build(index_dir)
        return json.loads((build / "meta.json").read_text(encoding="utf-8"))["fingerprint"]
    except (OSError, ValueError, KeyError, IndexLoadError):
        return None


def read_meta(index_dir: Path) -> dict | None:
    """The live build's meta.json, or None when there is no readable build."""
    try:
        return json.loads((_live_build(index_dir) / "meta.json").read_text(encoding="utf-8"))
    except (OSError, ValueError, IndexLoadError):
        return None


def load_index(index_dir: Path) -> tuple[dict, BM25Model, list[Chunk]]:
    build = _live_build(index_dir)
    try:
        meta = json.loads((build / "meta.json").read_text(encoding="utf-8"))
        if meta.get("format") != FORMAT_VERSION:
            raise IndexLoadError(f"{build}: index format {meta.get('format')} is not {FORMAT_VERSION}; rebuild it")
        damage = verify_build(index_dir, hashes=False)
        if damage:
            raise IndexLoadError(f"{build}: damaged: {damage}")
        arrays = {name: np.load(build / f"{name}.npy", mmap_mode="r", allow_pickle=False) for name in _ARRAYS}
        vocabulary_list = json.loads((build / "vocabulary.json").read_text(encoding="utf-8"))
        offsets = np.load(build / "chunk_offsets.npy", mmap_mode="r", allow_pickle=False)
        chunks = ChunkFile(
            build / "chunks.jsonl", offsets, pairs=CharPairs.load(build), char_counts=CharCounts.load(build)
        )
    except (OSError, ValueError, TypeError, KeyError) as exc:
        raise IndexLoadError(f"{build}: cannot load index ({exc})") from exc
    tf = sparse.csr_matrix(
        (arrays["tf_data"], arrays["tf_indices"], arrays["tf_indptr"]),
        shape=(len(vocabulary_list), len(chunks)),
        copy=False,
    )
    model = BM25Model(
        vocabulary={term: i for i, term in enumerate(vocabulary_list)},
        tf=tf,
        doc_freq=arrays["doc_freq"],
        doc_len=arrays["doc_len"],
        idf=arrays["idf"],
        k1=meta["k1"],
        b=meta["b"],
        epsilon=meta["epsilon"],
    )
    return meta, model, chunks


def _live_build(index_dir: Path) -> Path:
    current = index_dir / CURRENT
    try:
        name = current.read_text(encoding="utf-8").strip()
    except OSError:
        raise IndexLoadError(f"{index_dir}: no index here (missing {CURRENT})") from None
    build = index_dir / name
    if not name.startswith("build-") or not build.is_dir():
        raise IndexLoadError(f"{current}: names {name!r}, which is not a build in {index_dir}")
    return build


def _live_build_or_none(index_dir: Path) -> Path | None:
    try:
        return _live_build(index_dir)
    except IndexLoadError:
        return None


def remove_stale_temporaries(index_dir: Path) -> int:
    """Remove what interrupted saves left. Only while holding the lock: then
    no other process is writing one. Returns how many there were."""
    stale = list(index_dir.glob(".tmp-build-*"))
    for folder in stale:
        shutil.rmtree(folder, ignore_errors=True)
    return len(stale)


def _file_check(path: Path) -> list:
    return [path.stat().st_size, file_digest(path)]


def _fsync_folder(folder: Path) -> None:
    """Make the renames inside ``folder`` durable (a power cut after the
    switch must not bring back a CURRENT naming nothing)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _write_text(path: Path, text: str, *, atomic: bool = False) -> None:
    target = path.with_name(path.name + ".tmp") if atomic else path
    with open(target, "w", encoding="utf-8") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    if atomic:
        os.replace(target, path)
