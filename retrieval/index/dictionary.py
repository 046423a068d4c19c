"""jieba's own dictionary, loaded in a fraction of the time jieba takes.

A question cannot be segmented before jieba's prefix dictionary (half a
million entries) is in memory, so its loading is most of the wait for a
process's first answer. jieba reads it from a marshal file in the temp
folder in 1–1.5 s, and the part-of-speech tags we need for names take
another 0.8 s (``jieba.posseg`` parses the 5 MB dict.txt each time). Here
both are cached once per user as plain arrays (words joined in one UTF-8
block, frequencies as integers): no pickle, so a cache file cannot run code,
and about 0.3 s to load.

The entries are jieba's, unchanged: the cache is built from
``jieba.Tokenizer.initialize`` and jieba's dict.txt, and is keyed by jieba's
version and that file's size and modification time.
"""

from __future__ import annotations

import hashlib
import logging
import os
import sys
import tempfile
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np


def _import_jieba():
    """jieba, imported without pkg_resources.

    jieba imports pkg_resources only to open its own data files, and falls
    back to plain paths without it; importing pkg_resources scans every
    installed distribution, 0.15–0.4 s, a fifth of a process's wait for its
    first answer. Blocked only for jieba's import, and only if nobody has
    imported pkg_resources already.
    """
    blocked = "pkg_resources" not in sys.modules
    if blocked:
        sys.modules["pkg_resources"] = None  # makes `import pkg_resources` raise ImportError
    try:
        import jieba
    finally:
        if blocked and sys.modules.get("pkg_resources", 0) is None:
            del sys.modules["pkg_resources"]
    return jieba


jieba = _import_jieba()
log = logging.getLogger(__name__)

CACHE_DIR_ENV = "RETRIEVAL_CACHE_DIR"
FORMAT = 1

# jieba's tags for people (nr, nrt, nrfg), places (ns), organisations (nt),
# other proper nouns (nz) and foreign words (eng).
NAME_TAGS = frozenset({"nr", "nrt", "nrfg", "ns", "nt", "nz", "eng"})
PLACE_TAG = "ns"


@dataclass(frozen=True)
class BaseDictionary:
    frequencies: dict[str, int]  # jieba's FREQ: words, and their prefixes at 0
    total: int
    name_words: frozenset[str]  # dictionary words tagged with a NAME_TAGS tag
    place_words: frozenset[str]  # dictionary words tagged as places

    def knows(self, word: str) -> bool:
        """A word of jieba's dictionary (a prefix alone is not)."""
        return bool(self.frequencies.get(word))


def source_path() -> Path:
    return Path(jieba.__file__).with_name(jieba.DEFAULT_DICT_NAME)


def cache_dir() -> Path:
    if os.environ.get(CACHE_DIR_ENV):
        return Path(os.environ[CACHE_DIR_ENV])
    if os.environ.get("XDG_CACHE_HOME"):
        return Path(os.environ["XDG_CACHE_HOME"]) / "retrieval"
    home = os.path.expanduser("~")
    if home == "~":  # no home (a service account): not a folder named "~" in the working directory
        return Path(tempfile.gettempdir()) / f"retrieval-cache-{os.getuid()}"
    return Path(home) / ".cache" / "retrieval"


def cache_path() -> Path:
    stat = source_path().stat()
    key = f"{FORMAT}:{jieba.__version__}:{stat.st_size}:{stat.st_mtime_ns}"
    return cache_dir() / f"jieba-{hashlib.sha1(key.encode()).hexdigest()[:16]}.npz"


@lru_cache(maxsize=1)
def load() -> BaseDictionary:
    """The dictionary, from the cache when there is one (else built and cached)."""
    path = cache_path()
    try:
        return _read(path)
    except FileNotFoundError:
        pass
    except Exception as error:  # a cache is disposable: any damage means rebuild it
        log.warning("rebuilding jieba's dictionary cache %s: %s", path, error)
    dictionary = _build()
    try:
        _write(dictionary, path)
    except (OSError, ValueError) as error:
        # A read-only home still works, only each start is slower.
        log.info("cannot cache jieba's dictionary in %s: %s", path.parent, error)
    return dictionary


def _build() -> BaseDictionary:
    tokenizer = jieba.Tokenizer()
    tokenizer.initialize()
    tags: dict[str, str] = {}
    # The same parsing as jieba.posseg's, where a later line wins.
    with open(source_path(), encoding="utf-8") as lines:
        for line in lines:
            parts = line.split()
            if len(parts) == 3:
                tags[parts[0]] = parts[2]
    return BaseDictionary(
        frequencies=tokenizer.FREQ,
        total=tokenizer.total,
        name_words=frozenset(w for w, tag in tags.items() if tag in NAME_TAGS),
        place_words=frozenset(w for w, tag in tags.items() if tag == PLACE_TAG),
    )


def _blob(words: list[str]) -> np.ndarray:
    text = "\n".join(words)
    if text.count("\n") != max(len(words) - 1, 0):
        raise ValueError("a dictionary word contains a line break")
    return np.frombuffer(text.encode("utf-8"), dtype=np.uint8)


def _words(blob: np.ndarray) -> list[str]:
    text = blob.tobytes().decode("utf-8")
    return text.split("\n") if text else []


def _write(dictionary: BaseDictionary, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    words = list(dictionary.frequencies)
    handle, temporary = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as out:
            np.savez(
                out,
                words=_blob(words),
                frequencies=np.fromiter(dictionary.frequencies.values(), dtype=np.int64, count=len(words)),
                total=np.int64(dictionary.total),
                name_words=_blob(sorted(dictionary.name_words)),
                place_words=_blob(sorted(dictionary.place_words)),
            )
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _read(path: Path) -> BaseDictionary:
    with np.load(path, allow_pickle=False) as saved:
        words = _words(saved["words"])
        frequencies = saved["frequencies"].tolist()
        if len(words) != len(frequencies):
            raise ValueError(f"{len(words)} words but {len(frequencies)} frequencies")
        return BaseDictionary(
            frequencies=dict(zip(words, frequencies)),
            total=int(saved["total"]),
            name_words=frozenset(_words(saved["name_words"])),
            place_words=frozenset(_words(saved["place_words"])),
        )
