"""``.jsonl``: one document per line, ``{"id", "text"}`` plus the optional
``title``, ``author``, ``source``, ``url``."""

from __future__ import annotations

import json
from pathlib import Path

from retrieval.ingest.model import Document, Problem
from retrieval.ingest.text import METADATA_KEYS, read_text


def read(path: Path, name: str, limits=None, progress=None) -> tuple[list[Document], list[Problem]]:
    text, problems = read_text(path, name)
    if text is None:
        return [], problems
    documents, record_problems = parse_jsonl(text, name)
    if not documents and not record_problems:
        record_problems = [Problem(name, "holds no records; nothing to index")]
    return documents, problems + record_problems


def parse_jsonl(text: str, source_path: str) -> tuple[list[Document], list[Problem]]:
    documents: list[Document] = []
    problems: list[Problem] = []
    # Split on "\n" only: json.dumps leaves U+2028 and U+0085 unescaped, and
    # str.splitlines() would cut records there.
    for line_no, line in enumerate(text.split("\n"), start=1):
        line = line.rstrip("\r")
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            problems.append(Problem(source_path, f"invalid JSON: {exc.msg} (column {exc.colno})", line_no))
            continue
        error = _jsonl_record_error(record)
        if error:
            problems.append(Problem(source_path, error, line_no))
            continue
        documents.append(Document(
            doc_id=str(record["id"]),
            text=record["text"],
            source_path=source_path,
            title=str(record.get("title") or record["id"]),
            author=str(record.get("author") or ""),
            publication=str(record.get("source") or ""),
            url=str(record.get("url") or ""),
            jsonl_line=line_no,
            first_line=line_no,
        ))
    return documents, problems


def _jsonl_record_error(record: object) -> str | None:
    if not isinstance(record, dict):
        return "each line must be a JSON object with 'id' and 'text'"
    if "id" not in record or record["id"] in (None, ""):
        return "missing 'id'"
    if isinstance(record["id"], bool) or not isinstance(record["id"], (str, int)):
        return "'id' must be a string or an integer"
    if not isinstance(record.get("text"), str):
        return "missing 'text' (a string)"
    if not record["text"].strip():
        return "'text' is empty; record skipped"
    for key in METADATA_KEYS:
        if key in record and record[key] is not None and not isinstance(record[key], (str, int, float)):
            return f"{key!r} must be a string"
    return None
