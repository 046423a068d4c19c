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

from retrieval.analyzer import Analyzer

SEPARATOR = "\x1f"  # never in a token: normalisation turns control characters into spaces


class TokenCache:
    def __init__(self, folder: Path, analyzer: Analyzer):
        options = json.dumps({k: v for k, v in analyzer.config.items() if k != "terms"}, sort_keys=True)
        self.folder = Path(folder) / hashlib.sha256(options.encode()).hexdigest()[:16]
        self.analyzer = analyzer
        self.terms = frozenset(analyzer.terms)
        self.terms_key = hashlib.sha256("\n".join(sorted(self.terms)).encode()).hexdigest()[:16]
        self.reused = 0  # files whose tokens came from the cache
        self.used: set[str] = set()
        self.stale: set[str] = set()  # reused, but recorded under an older term set: store again
        self._terms_by_key: dict[str, frozenset[str]] = {}

    def lookup(self, digest: str, texts: list[str]) -> list[list[str]] | None:
        self.used.add(digest)
        try:
            with open(self.folder / f"{digest}.tokens", encoding="utf-8") as handle:
                header = json.loads(handle.readline())
                if header.get("chunks") != len(texts):
                    return None
                if header.get("terms") != self.terms_key:
                    if self._terms_matter(header.get("terms"), texts):
                        return None
                    self.stale.add(digest)
                lines = handle.read().split("\n")[: len(texts)]
        except (OSError, ValueError):
            return None
        if len(lines) != len(texts):
            return None
        self.reused += 1
        return [line.split(SEPARATOR) if line else [] for line in lines]

    def store(self, digest: str, token_lists: list[list[str]]) -> None:
        """Best effort: a cache that cannot be written only costs time later."""
        self.used.add(digest)
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            self._store_terms()
            target = self.folder / f"{digest}.tokens"
            temporary = target.with_suffix(f".tmp{os.getpid()}")
            with open(temporary, "w", encoding="utf-8") as handle:
                handle.write(json.dumps({"chunks": len(token_lists), "terms": self.terms_key}) + "\n")
                handle.write("\n".join(SEPARATOR.join(tokens) for tokens in token_lists))
            os.replace(temporary, target)
        except OSError:
            pass

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
