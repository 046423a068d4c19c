"""One chat's library on disk: its original files, its manifest and its index.

    DATA_DIR/libraries/<key>/
        manifest.json          the documents, in the order they were added
        uploaded/<id>/<name>   each original as it was sent (id: its content hash)
        index/                 the BM25 index over the shared corpus plus files/
        staging/               downloads and checks in progress
        trash/                 a removal in progress

The manifest is the truth: it is replaced atomically, after the index that
includes the change is saved. A crash in between is undone at the next
start by `LibraryFolder.recover`: a file the manifest does not list is an
upload that never finished, a trashed one it still lists is a removal that
never finished.
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path

log = logging.getLogger(__name__)

MANIFEST = "manifest.json"
MANIFEST_VERSION = 1
UPLOADED = "uploaded"  # a name no operator's corpus folder is likely to share: it prefixes citations' source paths


@dataclass(frozen=True)
class LibraryDocument:
    doc_id: str  # the first 16 hex digits of the file's SHA-256
    sha256: str
    name: str  # the file name as sent, its suffix set by its content
    title: str
    format: str  # the reader's suffix, e.g. ".pdf"
    bytes: int
    pages: int | None
    paragraphs: int
    added_by_id: int | None
    added_by_name: str
    added_at: str  # ISO 8601, UTC
    problems: list[str] = field(default_factory=list)

    @property
    def stored(self) -> str:
        """What its chunks' ``source_path`` is: the corpus reader names a
        folder's files "<folder name>/<path inside it>"."""
        return f"{UPLOADED}/{self.doc_id}/{self.name}"


class LibraryFolder:
    def __init__(self, root: Path):
        self.root = Path(root)
        self.files = self.root / UPLOADED
        self.index = self.root / "index"
        self.staging = self.root / "staging"
        self.trash = self.root / "trash"

    def documents(self) -> list[LibraryDocument]:
        try:
            raw = json.loads((self.root / MANIFEST).read_text(encoding="utf-8"))
        except FileNotFoundError:
            return []
        except (OSError, ValueError) as exc:
            # Never guess: a library whose manifest cannot be read is served
            # from its index as it is, and changes to it are refused.
            raise LibraryDamaged(f"{self.root / MANIFEST}: {exc}") from None
        return [LibraryDocument(**record) for record in raw.get("documents", [])]

    def write_documents(self, documents: list[LibraryDocument]) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        payload = json.dumps(
            {"version": MANIFEST_VERSION, "documents": [asdict(d) for d in documents]}, ensure_ascii=False, indent=1
        )
        atomic_write(self.root / MANIFEST, payload)

    def new_staging(self) -> Path:
        self.staging.mkdir(parents=True, exist_ok=True)
        return Path(tempfile.mkdtemp(dir=self.staging))

    def recover(self) -> list[str]:
        """Undo what a crash left half done; returns what was undone, for the log."""
        notes = []
        if self.staging.exists():
            shutil.rmtree(self.staging, ignore_errors=True)
        try:
            listed = {d.doc_id for d in self.documents()}
        except LibraryDamaged as exc:
            return [str(exc)]
        for trashed in list(self.trash.glob("*")) if self.trash.exists() else []:
            if trashed.name in listed and not (self.files / trashed.name).exists():
                os.replace(trashed, self.files / trashed.name)
                notes.append(f"{self.root.name}: restored {trashed.name}, whose removal did not finish")
            else:
                shutil.rmtree(trashed, ignore_errors=True)
        for folder in list(self.files.glob("*")) if self.files.exists() else []:
            if folder.name not in listed:
                shutil.rmtree(folder, ignore_errors=True)
                notes.append(f"{self.root.name}: dropped {folder.name}, whose upload did not finish")
        return notes

    def size_bytes(self) -> int:
        return sum(d.bytes for d in self.documents())


class LibraryDamaged(Exception):
    """The manifest cannot be read; the message names it."""


def atomic_write(path: Path, text: str) -> None:
    """Write-then-rename, fsynced: a reader sees the old file or the new one, never half."""
    temporary = path.with_name(f".{path.name}.tmp{os.getpid()}")
    with open(temporary, "w", encoding="utf-8") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)
    try:
        directory = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)
    except OSError:
        pass  # some filesystems cannot fsync a folder; the rename is still atomic


_UNSAFE = re.compile(r'[\x00-\x1f/\\:*?"<>|]+')


def safe_file_name(name: str, suffix: str) -> str:
    """A name that is one path component, ends in the format's suffix and
    keeps the sender's words (the title of a text file comes from it)."""
    cleaned = _UNSAFE.sub(" ", name or "").strip(" .")
    stem, dot, ending = cleaned.rpartition(".")
    if not dot or f".{ending.lower()}" not in _DOCUMENT_SUFFIXES:
        stem = cleaned  # "报告.v2" keeps its ".v2"; a wrong document suffix is replaced
    return f"{stem.strip()[:120] or 'document'}{suffix}"


_DOCUMENT_SUFFIXES = {".pdf", ".docx", ".doc", ".epub", ".html", ".htm", ".xhtml", ".txt", ".md", ".markdown", ".jsonl"}
