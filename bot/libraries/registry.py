"""Every chat's library: its engine for questions, and the one door for changes.

A chat with documents of its own is answered from an index over the shared
corpus plus those documents (built under DATA_DIR, its token and document
caches beside it, so adding a file tokenizes and parses only that file). A
chat without any is answered from the shared engine itself.

Writes to one library are queued on its lock and run in a build thread;
questions keep being answered from the engine in use until the new one is
switched in. A write that fails leaves the files, the manifest and the
index as they were.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import os
import secrets
import shutil
import time
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path

from bot.libraries import quotas as quota_rules
from bot.libraries.scopes import Scope
from bot.libraries.storage import UPLOADED, LibraryDamaged, LibraryDocument, LibraryFolder, safe_file_name
from retrieval.answer.examples import example_questions
from retrieval.answer.search import SearchEngine
from retrieval.chunking.chunks import chunk_documents
from retrieval.index.building import DOCUMENT_CACHE, open_engine, open_saved_engine
from retrieval.index.store import file_digest
from retrieval.ingest.cache import DocumentCache
from retrieval.ingest.documents import read_corpus_files
from retrieval.ingest.model import CorpusFile
from retrieval.ingest.readers import Limits
from retrieval.ingest.sniff import NotADocument, sniff_format

log = logging.getLogger(__name__)

ENGINES_IN_MEMORY = 32  # libraries' engines kept loaded; the rest are reopened from disk on use
PENDING_SECONDS = 15 * 60  # how long a "replace it?" question waits for its button
# (stage, done, total): "reading" pages, "indexing" chunks; called from the build thread.
Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class LibraryView:
    """What one chat is answered from."""

    engine: SearchEngine
    own: frozenset[str] = frozenset()  # source_path of the chat's own documents' chunks
    has_own: bool = False


@dataclass(frozen=True)
class Uploader:
    user_id: int | None
    name: str


@dataclass(frozen=True)
class Added:
    document: LibraryDocument
    number: int  # its place in the chat's own list (/sources, /remove N)
    examples: list[str]
    replaced: LibraryDocument | None = None


@dataclass(frozen=True)
class Duplicate:
    document: LibraryDocument
    number: int


@dataclass(frozen=True)
class NeedsConfirmation:
    """A file with the name of one already there: replace it? (a button)."""

    existing: LibraryDocument
    token: str


@dataclass(frozen=True)
class Rejected:
    reason: str  # "not_document", "unreadable", "quota", "damaged", "failed"
    detail: str = ""
    quota: quota_rules.QuotaExceeded | None = None


@dataclass
class _Pending:
    scope: Scope
    staged: Path
    sent_name: str
    uploader: Uploader
    replaces: str
    expires: float = field(default_factory=lambda: time.monotonic() + PENDING_SECONDS)


class Libraries:
    def __init__(
        self,
        data_dir: Path,
        shared_engine: Callable[[], SearchEngine],
        shared_paths: list[Path],
        quotas: quota_rules.Quotas | None = None,
    ):
        self.root = Path(data_dir) / "libraries"
        self._shared_engine = shared_engine
        self.shared_paths = [Path(p).resolve() for p in shared_paths]
        self.quotas = quotas or quota_rules.Quotas()
        self._engines: OrderedDict[str, LibraryView] = OrderedDict()
        self._locks: dict[str, asyncio.Lock] = {}
        self._pending: dict[str, _Pending] = {}
        # Whether a library has documents, once its manifest was read: most
        # chats have none, and a question should not cost them a disk read.
        self._has_documents: dict[str, bool] = {}
        self._builds = ThreadPoolExecutor(max_workers=2, thread_name_prefix="library")

    # ----------------------------------------------------------- reading

    def folder(self, scope: Scope) -> LibraryFolder:
        return LibraryFolder(self.root / scope.key)

    def documents(self, scope: Scope) -> list[LibraryDocument]:
        try:
            return self.folder(scope).documents()
        except LibraryDamaged:
            log.exception("library %s", scope.key)
            return []

    async def view(self, scope: Scope | None) -> LibraryView:
        """The engine a question in ``scope`` is answered from."""
        shared = LibraryView(self._shared_engine())
        if scope is None:
            return shared
        cached = self._engines.get(scope.key)
        if cached is not None:
            self._engines.move_to_end(scope.key)
            return cached
        if self._has_documents.get(scope.key) is False:
            return shared
        documents = self.documents(scope)
        self._has_documents[scope.key] = bool(documents)
        if not documents:
            return shared
        loop = asyncio.get_running_loop()
        if self._lock(scope.key).locked():
            # A write is under way: serve what is saved rather than wait for it.
            opened = await loop.run_in_executor(None, open_saved_engine, self.folder(scope).index)
            return self._view(opened[0], documents) if opened else shared
        async with self._lock(scope.key):
            if (cached := self._engines.get(scope.key)) is not None:
                return cached
            try:
                engine = await loop.run_in_executor(self._builds, self._open, scope, None)
            except Exception:
                log.exception("could not open the library of %s; answering from the shared library", scope.key)
                return shared
            view = self._view(engine, documents)
            self._remember(scope.key, view)
            return view

    def _view(self, engine: SearchEngine, documents: list[LibraryDocument]) -> LibraryView:
        return LibraryView(engine, frozenset(d.stored for d in documents), has_own=True)

    def _remember(self, key: str, view: LibraryView | None) -> None:
        self._has_documents.pop(key, None)  # a write happened: read the manifest again when asked
        if view is None:
            self._engines.pop(key, None)
            return
        self._engines[key] = view
        self._engines.move_to_end(key)
        while len(self._engines) > ENGINES_IN_MEMORY:
            self._engines.popitem(last=False)

    def _open(self, scope: Scope, progress: Progress | None) -> SearchEngine:
        folder = self.folder(scope)
        step = (lambda stage, done, total: progress("indexing", done, total)) if progress else None
        engine, report = open_engine([*self.shared_paths, folder.files], folder.index, progress=step)
        for problem in report.problems:
            log.info("library %s: %s", scope.key, problem)
        return engine

    def busy(self, scope: Scope) -> bool:
        """Whether a write to this library is under way (a new upload would queue)."""
        return self._lock(scope.key).locked()

    def forget_engines(self) -> None:
        """After the shared corpus changed: every library is reopened (and
        rebuilt, from its caches) on its next question."""
        self._engines.clear()

    # ----------------------------------------------------------- adding

    async def add(
        self, scope: Scope, staged: Path, sent_name: str, uploader: Uploader,
        progress: Progress | None = None, *, replaces: str | None = None,
    ):
        """Check, read and index a downloaded file; Added, Duplicate,
        NeedsConfirmation or Rejected. The staged file is consumed."""
        loop = asyncio.get_running_loop()
        async with self._lock(scope.key):
            outcome = await loop.run_in_executor(
                self._builds, self._add_consuming, scope, Path(staged), sent_name, uploader, progress, replaces
            )
            if isinstance(outcome, tuple):
                outcome, view = outcome
                self._remember(scope.key, view)
            return outcome

    def staging_path(self, scope: Scope, file_name: str) -> Path:
        """Where to download a file before it is checked."""
        return self.folder(scope).new_staging() / (safe_file_name(file_name, "") or "upload")

    def _add_consuming(self, scope, staged: Path, *args):
        """`_add`, then the staged download is deleted, unless it waits for a "replace?" button."""
        outcome = None
        try:
            outcome = self._add(scope, staged, *args)
            return outcome
        finally:
            if not isinstance(outcome, NeedsConfirmation):
                shutil.rmtree(staged.parent, ignore_errors=True)

    def _add(self, scope, staged: Path, sent_name: str, uploader: Uploader, progress, replaces):
        folder = self.folder(scope)
        try:
            documents = folder.documents()
        except LibraryDamaged as exc:
            return Rejected("damaged", str(exc))
        try:
            suffix = sniff_format(staged, sent_name)
        except NotADocument as exc:
            return Rejected("not_document", str(exc))
        size = staged.stat().st_size
        sha = _sha256(staged)
        for number, existing in enumerate(documents, start=1):
            if existing.sha256 == sha:
                return Duplicate(existing, number)
        name = safe_file_name(sent_name, suffix)
        same_name = next((d for d in documents if d.name == name), None)
        if replaces is not None:
            same_name = next((d for d in documents if d.doc_id == replaces), None)
        elif same_name is not None:
            token = secrets.token_hex(6)
            self._pending[token] = _Pending(scope, staged, sent_name, uploader, same_name.doc_id)
            return NeedsConfirmation(same_name, token)
        over = quota_rules.check_library(
            self.quotas, documents=len(documents), stored_bytes=sum(d.bytes for d in documents), new_bytes=size,
            replaced_bytes=same_name.bytes if same_name else 0, replacing=same_name is not None,
        ) or quota_rules.check_file_size(size, self.quotas, local_api=True)
        if over is not None:
            return Rejected("quota", quota=over)

        doc_id = sha[:16]
        relative = f"{UPLOADED}/{doc_id}/{name}"
        final = staged.parent / doc_id / name
        final.parent.mkdir()
        os.replace(staged, final)
        read = self._read(folder, final, relative, progress)
        if isinstance(read, Rejected):
            return read
        title, pages, paragraphs, problems = read
        over = quota_rules.check_pages(pages, self.quotas)
        if over is not None:
            return Rejected("quota", quota=over)

        record = LibraryDocument(
            doc_id=doc_id, sha256=sha, name=name, title=title, format=suffix, bytes=size, pages=pages,
            paragraphs=paragraphs, added_by_id=uploader.user_id, added_by_name=uploader.name,
            added_at=datetime.now(timezone.utc).isoformat(timespec="seconds"), problems=problems,
        )
        kept = [d for d in documents if same_name is None or d.doc_id != same_name.doc_id]
        try:
            engine = self._commit(scope, folder, add=final.parent, trash=same_name, documents=[*kept, record], progress=progress)
        except Exception as exc:
            log.exception("library %s: indexing %s failed; the library is unchanged", scope.key, doc_id)
            return Rejected("failed", type(exc).__name__)
        if progress:
            progress("examples", 0, 0)
        examples = example_questions(engine, 3, source_path=relative)
        added = Added(record, len(kept) + 1, examples, replaced=same_name)
        return added, self._view(engine, [*kept, record])

    def _read(self, folder: LibraryFolder, path: Path, relative: str, progress):
        """Parse the file (isolated) into the library's document cache, so
        indexing it next does not parse it again."""
        limits = Limits.from_env()
        cache = DocumentCache(folder.index / DOCUMENT_CACHE, {relative: file_digest(path)}, limits)
        pages = (lambda _file, page, total: progress("reading", page, total)) if progress else None
        loaded = read_corpus_files([CorpusFile(path, relative)], limits=limits, cache=cache, page_progress=pages)
        problems = [p.message if p.page is None else f"第{p.page}页：{p.message}" for p in loaded.problems]
        chunks = chunk_documents(loaded.documents)
        if not chunks:
            detail = "; ".join(problems[:3]) or "no text in it"
            return Rejected("unreadable", detail)
        page_counts = [d.pages for d in loaded.documents if d.pages]
        title = loaded.documents[0].title or Path(relative).stem
        return title, (sum(page_counts) if page_counts else None), len(chunks), problems[:10]

    def _commit(self, scope, folder: LibraryFolder, *, add: Path | None, trash: LibraryDocument | None,
                documents: list[LibraryDocument], progress) -> SearchEngine:
        """Move the files, build the index, then write the manifest; undo the
        moves if the build fails (the saved index was never replaced)."""
        folder.files.mkdir(parents=True, exist_ok=True)
        folder.trash.mkdir(parents=True, exist_ok=True)
        moved_in = None
        trashed = None
        try:
            if trash is not None:
                trashed = folder.trash / trash.doc_id
                shutil.rmtree(trashed, ignore_errors=True)
                os.replace(folder.files / trash.doc_id, trashed)
            if add is not None:
                moved_in = folder.files / add.name
                shutil.rmtree(moved_in, ignore_errors=True)
                os.replace(add, moved_in)
            engine = self._open(scope, progress) if documents else None
            folder.write_documents(documents)
        except BaseException:
            if moved_in is not None:
                shutil.rmtree(moved_in, ignore_errors=True)
            if trashed is not None and trashed.exists():
                os.replace(trashed, folder.files / trashed.name)
            raise
        if trashed is not None:
            shutil.rmtree(trashed, ignore_errors=True)
        return engine if engine is not None else self._shared_engine()

    # ----------------------------------------------------------- pending replacements

    def pending(self, token: str) -> _Pending | None:
        self._expire()
        return self._pending.get(token)

    async def confirm_replace(self, token: str, progress: Progress | None = None):
        pending = self._pending.pop(token, None)
        if pending is None:
            return None
        return await self.add(pending.scope, pending.staged, pending.sent_name, pending.uploader, progress,
                              replaces=pending.replaces)

    def cancel(self, token: str) -> bool:
        pending = self._pending.pop(token, None)
        if pending is not None:
            shutil.rmtree(pending.staged.parent, ignore_errors=True)
        return pending is not None

    def _expire(self) -> None:
        now = time.monotonic()
        for token in [t for t, p in self._pending.items() if p.expires < now]:
            self.cancel(token)

    # ----------------------------------------------------------- removing

    async def remove(self, scope: Scope, doc_id: str) -> LibraryDocument | None:
        """Remove one of the chat's documents; the removed record, or None if it was not there."""
        loop = asyncio.get_running_loop()
        async with self._lock(scope.key):
            result = await loop.run_in_executor(self._builds, self._remove, scope, doc_id)
            if result is None:
                return None
            removed, view = result
            self._remember(scope.key, view)
            return removed

    def _remove(self, scope: Scope, doc_id: str):
        folder = self.folder(scope)
        documents = folder.documents()
        removed = next((d for d in documents if d.doc_id == doc_id), None)
        if removed is None:
            return None
        kept = [d for d in documents if d.doc_id != doc_id]
        engine = self._commit(scope, folder, add=None, trash=removed, documents=kept, progress=None)
        return removed, (self._view(engine, kept) if kept else None)

    # ----------------------------------------------------------- upkeep

    async def migrate(self, old: Scope, new: Scope) -> bool:
        """A group that became a supergroup keeps its library (and its buttons)."""
        async with self._lock(old.key), self._lock(new.key):
            source, target = self.root / old.key, self.root / new.key
            if not source.exists():
                return False
            if target.exists() and any(target.iterdir()):
                log.warning("library %s: %s already exists; the old library is kept where it was", old.key, new.key)
                return False
            target.parent.mkdir(parents=True, exist_ok=True)
            if target.exists():
                target.rmdir()
            os.replace(source, target)
            for key in (old.key, new.key):
                self._engines.pop(key, None)
                self._has_documents.pop(key, None)
            log.info("library %s moved to %s with its group", old.key, new.key)
            return True

    def recover(self) -> None:
        """At start: undo what a crash left half done, in every library."""
        if not self.root.exists():
            return
        for root in sorted(self.root.iterdir()):
            if root.is_dir():
                for note in LibraryFolder(root).recover():
                    log.warning("%s", note)

    def totals(self) -> tuple[int, int, int]:
        """(libraries with documents, documents, bytes), for /stats."""
        libraries = documents = size = 0
        if self.root.exists():
            for root in self.root.iterdir():
                try:
                    listed = LibraryFolder(root).documents() if root.is_dir() else []
                except LibraryDamaged:
                    continue
                if listed:
                    libraries += 1
                    documents += len(listed)
                    size += sum(d.bytes for d in listed)
        return libraries, documents, size

    def close(self) -> None:
        self._builds.shutdown(wait=False, cancel_futures=True)

    def _lock(self, key: str) -> asyncio.Lock:
        lock = self._locks.get(key)
        if lock is None:
            lock = self._locks[key] = asyncio.Lock()
        return lock


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
