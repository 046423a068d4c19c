"""What a reader made of a file, kept beside an index, so that adding one PDF
to a large corpus parses only that PDF.

An entry is keyed by the file's content hash, the name it is cited under
(ids and citations derive from it), the reader's version and the limits it
ran under. Entries are JSON, written atomically; a damaged entry is a miss.
Only the slow, isolated formats are cached: text and JSONL are re-read
faster than a cache entry could be checked.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import asdict
from pathlib import Path

from retrieval.ingest.model import Block, CorpusFile, Document, Problem
from retrieval.ingest.readers import ISOLATED_SUFFIXES, Limits, reader_version


class DocumentCache:
    def __init__(self, folder: Path, digests: dict[str, str], limits: Limits):
        self.folder = Path(folder)
        self.digests = digests  # relative name → content hash
        self.limits_key = json.dumps(asdict(limits), sort_keys=True)
        self.used: set[str] = set()

    def _key(self, corpus_file: CorpusFile) -> str | None:
        if corpus_file.path.suffix.lower() not in ISOLATED_SUFFIXES:
            return None
        digest = self.digests.get(corpus_file.relative)
        if digest is None:
            return None
        material = "\n".join([digest, corpus_file.relative, reader_version(corpus_file.path.suffix), self.limits_key])
        return hashlib.sha256(material.encode()).hexdigest()[:32]

    def lookup(self, corpus_file: CorpusFile) -> tuple[list[Document], list[Problem]] | None:
        key = self._key(corpus_file)
        if key is None:
            return None
        self.used.add(key)
        try:
            record = json.loads((self.folder / f"{key}.json").read_text(encoding="utf-8"))
            documents = [_document(d) for d in record["documents"]]
            problems = [Problem(**p) for p in record["problems"]]
        except (OSError, ValueError, KeyError, TypeError):
            return None
        return documents, problems

    def store(self, corpus_file: CorpusFile, documents: list[Document], problems: list[Problem]) -> None:
        key = self._key(corpus_file)
        if key is None:
            return
        self.used.add(key)
        if any(_transient(p) for p in problems):
            return  # a time-out or a crash may not happen next time
        record = {"documents": [asdict(d) for d in documents], "problems": [asdict(p) for p in problems]}
        target = self.folder / f"{key}.json"
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            temporary = target.with_suffix(f".tmp{os.getpid()}")
            temporary.write_text(json.dumps(record, ensure_ascii=False), encoding="utf-8")
            os.replace(temporary, target)
        except OSError:
            pass  # best effort: a missing entry only costs a re-parse

    def prune(self) -> None:
        """Forget files that are no longer in the corpus."""
        try:
            for entry in self.folder.glob("*.json"):
                if entry.stem not in self.used:
                    entry.unlink(missing_ok=True)
        except OSError:
            pass


def _transient(problem: Problem) -> bool:
    return "took longer than" in problem.message or "the parser was killed" in problem.message \
        or "the parser stopped" in problem.message


def _document(record: dict) -> Document:
    blocks = tuple(
        Block(**{**b, "position": tuple(b["position"]) if b.get("position") is not None else None})
        for b in record.pop("blocks", ())
    )
    return Document(**record, blocks=blocks)
