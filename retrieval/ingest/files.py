"""Corpus arguments (files and folders, mixed) → the files to read, in a stable order."""

from __future__ import annotations

import fnmatch
import os
from collections import Counter
from collections.abc import Iterable, Iterator
from pathlib import Path

from retrieval.ingest.decoding import DecodeError, decode_bytes
from retrieval.ingest.model import CorpusFile, Problem
from retrieval.ingest.readers import SUPPORTED_SUFFIXES

IGNORE_FILE = ".corpusignore"


def list_corpus_files(paths: Iterable[str | Path]) -> tuple[list[CorpusFile], list[Problem]]:
    """Expand corpus arguments into files, in a stable order. Files a folder
    holds in formats no reader knows are counted in one line per folder; a
    file reached twice (through symbolic links) is read once."""
    files: list[CorpusFile] = []
    problems: list[Problem] = []
    for raw in paths:
        root = Path(raw)
        if root.is_dir():
            skipped: Counter[str] = Counter()
            files.extend(_walk(root, skipped, problems))
            if skipped:
                counts = ", ".join(f"{n} {suffix}" for suffix, n in sorted(skipped.items(), key=lambda kv: (-kv[1], kv[0])))
                problems.append(Problem(str(root), f"skipped {counts}: unsupported format (readable: {_readable()})"))
        elif root.is_file():
            if root.suffix.lower() in SUPPORTED_SUFFIXES:
                files.append(CorpusFile(root, root.name))
            else:
                problems.append(Problem(str(root), _unsupported(root)))
        elif root.is_symlink():
            problems.append(Problem(str(root), f"is a broken symbolic link (to {os.readlink(root)}); nothing to read"))
        else:
            problems.append(Problem(str(root), "no such file or folder"))
    return _once_each(files, problems), problems


def _once_each(files: list[CorpusFile], problems: list[Problem]) -> list[CorpusFile]:
    first_name: dict[Path, str] = {}
    unique = []
    for corpus_file in files:
        try:
            real = corpus_file.path.resolve()
        except OSError:
            real = corpus_file.path
        if real in first_name:
            problems.append(Problem(corpus_file.relative, f"is the same file as {first_name[real]}; indexed once, as that"))
            continue
        first_name[real] = corpus_file.relative
        unique.append(corpus_file)
    return unique


def _readable() -> str:
    return ", ".join(sorted(SUPPORTED_SUFFIXES))


def _unsupported(path: Path) -> str:
    return f"unsupported file type {path.suffix or '(none)'!r}; supported: {_readable()}"


def _walk(root: Path, skipped: Counter, problems: list[Problem]) -> Iterator[CorpusFile]:
    # Cited as "<folder name>/<path inside it>": a symlink is cited where it
    # stands, not where it points.
    prefix = Path(root.resolve().name)
    ignore = _ignore_patterns(root, problems)
    for path in sorted(root.rglob("*")):
        rel_to_root = path.relative_to(root).as_posix()
        if any(part.startswith(".") for part in path.relative_to(root).parts):
            continue
        if _ignored(rel_to_root, ignore):
            continue
        if path.is_symlink() and not path.exists():
            problems.append(Problem((prefix / rel_to_root).as_posix(), f"is a broken symbolic link (to {os.readlink(path)}); nothing to read"))
            continue
        if not path.is_file():
            continue
        if path.suffix.lower() not in SUPPORTED_SUFFIXES:
            skipped[path.suffix.lower() or "(no extension)"] += 1
            continue
        yield CorpusFile(path, (prefix / rel_to_root).as_posix())


def _ignore_patterns(root: Path, problems: list[Problem]) -> list[str]:
    ignore_file = root / IGNORE_FILE
    if not ignore_file.is_file():
        return []
    try:
        text = decode_bytes(ignore_file.read_bytes()).text.lstrip("\ufeff")
    except (OSError, DecodeError) as exc:
        problems.append(Problem(str(ignore_file), f"cannot be read ({exc}); no file in {root} is ignored"))
        return []
    lines = text.splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def _ignored(relative: str, patterns: list[str]) -> bool:
    for pattern in patterns:
        if pattern.endswith("/"):
            if relative.startswith(pattern) or f"/{pattern}" in f"/{relative}":
                return True
        elif fnmatch.fnmatch(relative, pattern) or fnmatch.fnmatch(Path(relative).name, pattern):
            return True
    return False
