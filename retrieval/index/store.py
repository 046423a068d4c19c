"""Saving and loading an index folder.

Layout of ``DIR``::

    CURRENT                 name of the live build (replaced atomically)
    build-<fingerprint>/    one complete build
        meta.json           format, fingerprint, analyzer config (with coined terms), BM25 parameters
        chunks.jsonl        chunk texts and citation fields, one per line
        vocabulary.json     terms in id order
        *.npy               sparse term frequencies, doc_freq, doc_len, idf (memory-mapped on load)

A build is written in full under a temporary name, renamed into place, and
only then named in ``CURRENT``; an interrupted save leaves the previous build
live and at worst a stray temporary folder, which the next save removes.
Arrays are plain ``.npy`` files, loaded with ``mmap_mode="r"``: no pickle.
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

from retrieval.index.bm25 import BM25Model
from retrieval.index.chunk_file import ChunkFile, line_offsets
from retrieval.chunking.chunks import Chunk

FORMAT_VERSION = 2  # 2: term frequencies instead of float64 weights
CURRENT = "CURRENT"
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
    index_dir.mkdir(parents=True, exist_ok=True)
    _remove_stale_temporaries(index_dir)
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
        }
        _write_text(tmp / "meta.json", json.dumps(meta, ensure_ascii=False, indent=1))
        build = index_dir / f"build-{fingerprint}"
        if build.exists():
            shutil.rmtree(build)
        os.replace(tmp, build)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    _write_text(index_dir / CURRENT, build.name + "\n", atomic=True)
    for old in index_dir.glob("build-*"):
        if old != build:
            shutil.rmtree(old, ignore_errors=True)
    return build


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
        arrays = {name: np.load(build / f"{name}.npy", mmap_mode="r", allow_pickle=False) for name in _ARRAYS}
        vocabulary_list = json.loads((build / "vocabulary.json").read_text(encoding="utf-8"))
        offsets = np.load(build / "chunk_offsets.npy", mmap_mode="r", allow_pickle=False)
        chunks = ChunkFile(build / "chunks.jsonl", offsets)
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


def _remove_stale_temporaries(index_dir: Path) -> None:
    for stale in index_dir.glob(".tmp-build-*"):
        shutil.rmtree(stale, ignore_errors=True)


def _write_text(path: Path, text: str, *, atomic: bool = False) -> None:
    target = path.with_name(path.name + ".tmp") if atomic else path
    with open(target, "w", encoding="utf-8") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    if atomic:
        os.replace(target, path)
