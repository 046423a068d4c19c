"""Token lists per source file, kept beside an index so a rebuild tokenizes
only the files that changed.

An entry is keyed by the file's content hash and by the analyzer's options;
it also records the corpus terms (coined words added to jieba) it was made
with. The terms of a corpus change when a file brings new ones, so an entry
stays valid only if none of the terms added or removed since occurs in the
file's text: jieba's segmentation elsewhere does not depend on them (the
analyzer keeps jieba's total frequency fixed when it adds terms).
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from retrieval.index.analyzer import Analyzer

SEPARATOR = "\x1f"  # never in a token: normalisation turns control characters into spaces


class TokenCache:
    def __init__(self, folder: Path, analyzer: Analyzer):
        options = json.dumps({k: v for k, v in analyzer.config.items() if k != "terms"}, sort_keys=True)
        self.folder = Path(folder) / hashlib.sha256(options.encode()).hexdigest()[:16]
        self.analyzer = analyzer
        self.terms = frozenset(analyzer.terms)
        self.terms_key = hashlib.sha256("\n".join(sorted(self.terms)).encode()).hexdigest()[:16]
        self.used: set[str] = set()
        self.stale: set[str] = set()  # reused, but recorded under an older term set: store again
        self._terms_by_key: dict[str, frozenset[str]] = {}

    def lookup(self, digest: str, texts: list[str]) -> list[list[str]] | None:
        """The file's token lists, or None when there is no valid entry."""
        lines = self.open(digest, texts)
        if lines is None:
            return None
        token_lists = list(lines)
        return token_lists if len(token_lists) == len(texts) else None

    def open(self, digest: str, texts: list[str]):
        """An iterator over the file's token lists, read as they are used
        (a large file's tokens need not all be in memory), or None. It may
        end early if the entry is damaged; the caller tokenizes the rest."""
        self.used.add(digest)
        try:
            handle = open(self.folder / f"{digest}.tokens", encoding="utf-8")
        except OSError:
            return None
        try:
            header = json.loads(handle.readline())
            valid = header.get("chunks") == len(texts)
            if valid and header.get("terms") != self.terms_key:
                valid = not self._terms_matter(header.get("terms"), texts)
                if valid:
                    self.stale.add(digest)
        except ValueError:
            valid = False
        if not valid:
            handle.close()
            return None
        return _read_lines(handle, len(texts))

    def writer(self, digest: str, chunks: int) -> "_EntryWriter":
        """Writes an entry chunk by chunk; it appears once the last is written."""
        self.used.add(digest)
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            self._store_terms()
        except OSError:
            return _EntryWriter(None, chunks)
        return _EntryWriter(self.folder / f"{digest}.tokens", chunks, self.terms_key)

    def prune(self) -> None:
        """Forget files no longer in the corpus (and term sets no entry uses)."""
        try:
            entries = list(self.folder.glob("*.tokens"))
            for entry in entries:
                if entry.stem not in self.used:
                    entry.unlink(missing_ok=True)
            wanted = {self.terms_key}
            for entry in self.folder.glob("terms-*.txt"):
                if entry.stem.removeprefix("terms-") not in wanted:
                    entry.unlink(missing_ok=True)
        except OSError:
            pass

    def _store_terms(self) -> None:
        path = self.folder / f"terms-{self.terms_key}.txt"
        if not path.exists():
            temporary = path.with_suffix(f".tmp{os.getpid()}")
            temporary.write_text("\n".join(sorted(self.terms)), encoding="utf-8")
            os.replace(temporary, path)

    def _terms_matter(self, key: str | None, texts: list[str]) -> bool:
        """Whether a term added or removed since the entry was made occurs in its text."""
        if key is None:
            return True
        if key not in self._terms_by_key:
            try:
                text = (self.folder / f"terms-{key}.txt").read_text(encoding="utf-8")
            except OSError:
                return True
            self._terms_by_key[key] = frozenset(filter(None, text.split("\n")))
        changed = self.terms ^ self._terms_by_key[key]
        if not changed:
            return False
        normalized = self.analyzer.normalize("\n".join(texts))
        return any(term in normalized for term in changed)


def _read_lines(handle, count: int):
    with handle:
        for _ in range(count):
            line = handle.readline()
            if not line:
                return
            line = line.rstrip("\n")
            yield line.split(SEPARATOR) if line else []


class _EntryWriter:
    """Best effort: an entry that cannot be written only costs time later."""

    def __init__(self, target: Path | None, chunks: int, terms_key: str = ""):
        self.remaining = chunks
        self._target = target
        self._handle = None
        if target is not None:
            self._temporary = target.with_suffix(f".tmp{os.getpid()}")
            try:
                self._handle = open(self._temporary, "w", encoding="utf-8")
                self._handle.write(json.dumps({"chunks": chunks, "terms": terms_key}) + "\n")
            except OSError:
                self._handle = None
        self._finish_if_done()

    def write(self, tokens: list[str]) -> None:
        self.remaining -= 1
        if self._handle is not None:
            try:
                self._handle.write(SEPARATOR.join(tokens) + "\n")
            except OSError:
                self._handle.close()
                self._handle = None
        self._finish_if_done()

    def _finish_if_done(self) -> None:
        if self.remaining > 0 or self._handle is None:
            return
        try:
            self._handle.close()
            os.replace(self._temporary, self._target)
        except OSError:
            pass
        self._handle = None
