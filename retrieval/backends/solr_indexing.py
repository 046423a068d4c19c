"""Sending a built index's chunks and tokens to a Solr collection, incrementally.

``python -m retrieval index --backend solr`` first builds (or reuses) the
local index, whose token cache holds every chunk's tokens, then sends Solr
only the files whose content changed since the last run, and deletes those
that are gone. What was sent is recorded beside the local index
(``solr-sent.json``) after each commit.

An interrupted run leaves the collection consistent: each commit covers
whole files (their chunks are added, then the file's older chunks deleted,
then committed), and the record moves only after the commit, so the next
run sends again whatever had not been committed. The collection's
configset makes nothing visible without an explicit commit.
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import httpx

from retrieval.backends.solr import SolrBackend, solr_token
from retrieval.chunking.chunks import Chunk

log = logging.getLogger(__name__)

SENT_RECORD = "solr-sent.json"
BATCH_DOCUMENTS = 2000  # chunks per request and, for small files, per commit; a larger file is committed whole
RETRIES = 5


@dataclass
class SolrIndexReport:
    files_sent: int = 0
    files_deleted: int = 0
    files_unchanged: int = 0
    chunks_sent: int = 0
    seconds: float = 0.0


def solr_document(chunk: Chunk, tokens: list[str], ordinal: int, digest: str, library: str) -> dict:
    document = {
        "id": chunk.chunk_id,
        "ordinal": ordinal,
        "library": library,
        "tokens": " ".join(solr_token(t) for t in tokens),
        "source_path": chunk.source_path,
        "file_digest": digest,
        "doc_id": chunk.doc_id,
        "title": chunk.title,
        "author": chunk.author,
        "section": chunk.section,
        "publication": chunk.publication,
        "paragraph": chunk.paragraph,
        "text": chunk.text,
    }
    for name in ("page_start", "page_end", "page_label", "page_label_end"):
        value = getattr(chunk, name)
        if value is not None:
            document[name] = value
    return document


def send_index(
    backend: SolrBackend,
    chunks: list[Chunk],
    tokens_of: Callable[[str, list[str]], Iterable[list[str]]],
    digests: dict[str, str],
    record_dir: Path,
    *,
    library: str = "shared",
    progress: Callable[[int, int], None] | None = None,
) -> SolrIndexReport:
    started = time.perf_counter()
    record_path = Path(record_dir) / SENT_RECORD
    record = _read_record(record_path, backend)
    sent: dict[str, str] = record["files"]
    by_file: dict[str, list[int]] = {}
    for ordinal, chunk in enumerate(chunks):
        by_file.setdefault(chunk.source_path, []).append(ordinal)

    report = SolrIndexReport()
    changed = [f for f in by_file if sent.get(f) != digests.get(f, "")]
    gone = [f for f in sent if f not in by_file]
    report.files_unchanged = len(by_file) - len(changed)
    total = sum(len(by_file[f]) for f in changed)

    for source in gone:
        _post(backend, {"delete": {"query": _file_query(source, library)}}, commit=True)
        del sent[source]
        _write_record(record_path, record)
        report.files_deleted += 1

    batch: list[str] = []
    size = 0
    for source in changed:
        batch.append(source)
        size += len(by_file[source])
        if size >= BATCH_DOCUMENTS:
            _send_files(backend, batch, by_file, chunks, tokens_of, digests, library)
            _remember(record_path, record, batch, digests)
            report.chunks_sent += size
            if progress:
                progress(report.chunks_sent, total)
            batch, size = [], 0
    if batch:
        _send_files(backend, batch, by_file, chunks, tokens_of, digests, library)
        _remember(record_path, record, batch, digests)
        report.chunks_sent += size
        if progress:
            progress(report.chunks_sent, total)
    report.files_sent = len(changed)
    report.seconds = time.perf_counter() - started
    return report


def _send_files(backend, files, by_file, chunks, tokens_of, digests, library) -> None:
    """Whole files, then one commit. A large file (a JSONL archive) goes in
    several requests of BATCH_DOCUMENTS chunks, its tokens read as they are
    sent: nothing is visible before the commit, so it is still all or none."""
    pending: list[dict] = []
    for source in files:
        indices = by_file[source]
        tokens = tokens_of(source, [chunks[i].text for i in indices])
        for i, chunk_tokens in zip(indices, tokens):
            pending.append(solr_document(chunks[i], chunk_tokens, i, digests.get(source, ""), library))
            if len(pending) >= BATCH_DOCUMENTS:
                _post(backend, pending, commit=False)
                pending = []
    if pending:
        _post(backend, pending, commit=False)
    for source in files:
        # The file's chunks from an older version (other ids) go; its new ones stay.
        query = f"{_file_query(source, library)} AND -file_digest:{_quoted(digests.get(source, ''))}"
        _post(backend, {"delete": {"query": query}}, commit=False)
    _post(backend, {"commit": {}}, commit=False)


def _post(backend: SolrBackend, body, *, commit: bool) -> None:
    params = {"wt": "json"}
    if commit:
        params["commit"] = "true"
    for attempt in range(RETRIES):
        try:
            backend.request("update", params, json_body=body, method="POST")
            return
        except (httpx.HTTPError, Exception) as exc:  # noqa: BLE001 - any node failure: retry, then give up loudly
            if attempt == RETRIES - 1:
                raise
            wait = min(10.0, 0.5 * 2**attempt)
            log.warning("sending to Solr failed (%s); retrying in %.1f s", exc, wait)
            time.sleep(wait)


def _file_query(source: str, library: str) -> str:
    return f"source_path:{_quoted(source)} AND library:{_quoted(library)}"


def _quoted(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _read_record(path: Path, backend: SolrBackend) -> dict:
    where = {"collection": backend.collection}
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {**where, "files": {}}
    if record.get("collection") != backend.collection:
        return {**where, "files": {}}  # another collection: send everything
    record.setdefault("files", {})
    return record


def _remember(path: Path, record: dict, files: list[str], digests: dict[str, str]) -> None:
    for source in files:
        record["files"][source] = digests.get(source, "")
    _write_record(path, record)


def _write_record(path: Path, record: dict) -> None:
    temporary = path.with_name(f".{path.name}.tmp{os.getpid()}")
    temporary.write_text(json.dumps(record, ensure_ascii=False), encoding="utf-8")
    os.replace(temporary, path)
