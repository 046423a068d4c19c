"""Files → documents.

A corpus is any mix of files and folders. Supported files:

* ``.txt`` and ``.md``: one document each, with optional YAML front matter
  (``title``, ``author``, ``source``, ``url``, ``id``, ``affiliation``);
* ``.jsonl``: one document per line, ``{"id", "text"}`` plus the optional
  ``title``, ``author``, ``source``, ``url``.

A file that cannot be decoded or parsed becomes a :class:`Problem` naming the
file (and line) and the rest of the corpus is still read.
"""

from __future__ import annotations

import fnmatch
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

import yaml

from retrieval.ingest.decoding import DecodeError, decode_bytes
from retrieval.sentences import looks_like_heading

TEXT_SUFFIXES = {".txt", ".md", ".markdown"}
JSONL_SUFFIXES = {".jsonl"}
SUPPORTED_SUFFIXES = TEXT_SUFFIXES | JSONL_SUFFIXES
IGNORE_FILE = ".corpusignore"
_METADATA_KEYS = ("title", "author", "source", "url", "affiliation")


@dataclass(frozen=True)
class Document:
    doc_id: str
    text: str
    source_path: str  # relative, posix style: what a citation shows
    title: str = ""
    author: str = ""
    publication: str = ""  # the ``source`` metadata: column, newspaper, site
    url: str = ""
    affiliation: str = ""
    markdown: bool = False
    text_offset: int = 0  # where ``text`` starts in the decoded file
    first_line: int = 1  # the file line on which ``text`` starts
    jsonl_line: int | None = None
    extra: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Problem:
    path: str
    message: str
    line: int | None = None

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        return f"{where}: {self.message}"


@dataclass
class LoadResult:
    documents: list[Document]
    problems: list[Problem]
    files: list[Path]


@dataclass(frozen=True)
class CorpusFile:
    path: Path
    relative: str  # how the file is named in citations


def list_corpus_files(paths: Iterable[str | Path]) -> tuple[list[CorpusFile], list[Problem]]:
    """Expand corpus arguments into files, in a stable order."""
    files: list[CorpusFile] = []
    problems: list[Problem] = []
    for raw in paths:
        root = Path(raw)
        if root.is_dir():
            files.extend(_walk(root))
        elif root.is_file():
            if root.suffix.lower() in SUPPORTED_SUFFIXES:
                files.append(CorpusFile(root, root.name))
            else:
                problems.append(Problem(str(root), _unsupported(root)))
        else:
            problems.append(Problem(str(root), "no such file or folder"))
    return files, problems


def _unsupported(path: Path) -> str:
    kinds = ", ".join(sorted(SUPPORTED_SUFFIXES))
    return f"unsupported file type {path.suffix or '(none)'!r}; supported: {kinds}"


def _walk(root: Path) -> Iterator[CorpusFile]:
    # Cited as "<folder name>/<path inside it>": a symlink is cited where it
    # stands, not where it points.
    prefix = Path(root.resolve().name)
    ignore = _ignore_patterns(root)
    for path in sorted(root.rglob("*")):
        rel_to_root = path.relative_to(root).as_posix()
        if any(part.startswith(".") for part in path.relative_to(root).parts):
            continue
        if not path.is_file() or path.suffix.lower() not in SUPPORTED_SUFFIXES:
            continue
        if _ignored(rel_to_root, ignore):
            continue
        yield CorpusFile(path, (prefix / rel_to_root).as_posix())


def _ignore_patterns(root: Path) -> list[str]:
    ignore_file = root / IGNORE_FILE
    if not ignore_file.is_file():
        return []
    lines = ignore_file.read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def _ignored(relative: str, patterns: list[str]) -> bool:
    for pattern in patterns:
        if pattern.endswith("/"):
            if relative.startswith(pattern) or f"/{pattern}" in f"/{relative}":
                return True
        elif fnmatch.fnmatch(relative, pattern) or fnmatch.fnmatch(Path(relative).name, pattern):
            return True
    return False


def load_corpus(paths: Iterable[str | Path]) -> LoadResult:
    files, problems = list_corpus_files(paths)
    result = read_corpus_files(files)
    result.problems[:0] = problems
    return result


def read_corpus_files(files: list[CorpusFile], progress=None) -> LoadResult:
    """Read listed files into documents; ``progress(done, total)`` after each file."""
    documents: list[Document] = []
    problems: list[Problem] = []
    seen_ids: set[str] = set()
    for done, corpus_file in enumerate(files, start=1):
        if progress:
            progress(done, len(files))
        docs, file_problems = read_file(corpus_file)
        problems.extend(file_problems)
        for doc in docs:
            doc_id = _unique_id(doc.doc_id, seen_ids)
            if doc_id != doc.doc_id:
                problems.append(Problem(
                    doc.source_path,
                    f"document id {doc.doc_id!r} is used twice; this one is {doc_id!r}",
                    doc.jsonl_line,
                ))
                doc = replace(doc, doc_id=doc_id)
            seen_ids.add(doc_id)
            documents.append(doc)
    return LoadResult(documents, problems, [f.path for f in files])


def _unique_id(doc_id: str, seen: set[str]) -> str:
    candidate, n = doc_id, 2
    while candidate in seen:
        candidate, n = f"{doc_id}~{n}", n + 1
    return candidate


def read_file(corpus_file: CorpusFile) -> tuple[list[Document], list[Problem]]:
    """Read one file into documents; never raises for bad content."""
    name = corpus_file.relative
    try:
        data = corpus_file.path.read_bytes()
    except OSError as exc:
        return [], [Problem(name, f"cannot read: {exc.strerror or exc}")]
    try:
        text = decode_bytes(data).text
    except DecodeError as exc:
        return [], [Problem(name, str(exc))]
    text = text.lstrip("\ufeff")
    if corpus_file.path.suffix.lower() in JSONL_SUFFIXES:
        return parse_jsonl(text, name)
    try:
        return [parse_text_document(text, name, markdown=corpus_file.path.suffix.lower() != ".txt")], []
    except FrontMatterError as exc:
        return [], [Problem(name, str(exc), exc.line)]


class FrontMatterError(ValueError):
    def __init__(self, message: str, line: int | None):
        super().__init__(message)
        self.line = line


def parse_text_document(text: str, source_path: str, *, markdown: bool) -> Document:
    meta, body_offset, body_line = _split_front_matter(text)
    body = text[body_offset:]
    title = str(meta.get("title") or "").strip()
    if not title:
        title, body_offset, body_line, body = _title_from_body(text, body_offset, body_line, markdown)
    doc_id = str(meta.get("id") or "").strip() or _id_from_path(source_path)
    return Document(
        doc_id=doc_id,
        text=body,
        source_path=source_path,
        title=title or Path(source_path).stem,
        author=_meta_str(meta, "author"),
        publication=_meta_str(meta, "source"),
        url=_meta_str(meta, "url"),
        affiliation=_meta_str(meta, "affiliation"),
        markdown=markdown,
        text_offset=body_offset,
        first_line=body_line,
        extra={k: v for k, v in meta.items() if k not in _METADATA_KEYS and k != "id"},
    )


def _meta_str(meta: dict, key: str) -> str:
    value = meta.get(key)
    if value is None:
        return ""
    if isinstance(value, list):
        return "、".join(str(v) for v in value)
    return str(value).strip()


def _id_from_path(source_path: str) -> str:
    path = Path(source_path)
    return path.with_suffix("").as_posix()


def _split_front_matter(text: str) -> tuple[dict, int, int]:
    """Return (metadata, offset of the body, line number of the body)."""
    if not (text.startswith("---\n") or text.startswith("---\r\n")):
        return {}, 0, 1
    lines = split_lines(text)
    offset = len(lines[0])
    for index, line in enumerate(lines[1:], start=1):
        if line.strip() == "---":
            block = "".join(lines[1:index])
            body_offset = offset + len(line)
            return _parse_yaml(block), body_offset, index + 2
        offset += len(line)
    raise FrontMatterError("front matter opened with '---' on line 1 is never closed", 1)


def _parse_yaml(block: str) -> dict:
    try:
        meta = yaml.safe_load(block) if block.strip() else {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 2 if mark is not None else None
        problem = getattr(exc, "problem", None) or "invalid YAML"
        raise FrontMatterError(f"front matter: {problem}", line) from None
    if not isinstance(meta, dict):
        raise FrontMatterError("front matter must be 'key: value' lines", 2)
    return {str(k).lower(): v for k, v in meta.items()}


def _title_from_body(text: str, offset: int, line_no: int, markdown: bool) -> tuple[str, int, int, str]:
    """Take the first line as the title when it looks like one.

    Markdown: a leading ``# Title``. Plain text: a short first line without
    sentence punctuation, the way articles and reports begin.
    """
    position = offset
    while position < len(text):
        end = text.find("\n", position)
        end = len(text) if end < 0 else end + 1
        line = text[position:end].strip()
        if not line:
            position, line_no = end, line_no + 1
            continue
        if markdown and line.startswith("# "):
            return line[2:].strip(), end, line_no + 1, text[end:]
        if not markdown and looks_like_heading(line):
            return line, end, line_no + 1, text[end:]
        break
    return "", offset, line_no, text[offset:]


def split_lines(text: str) -> list[str]:
    """Lines with their endings, split on "\n" only, so that line numbers
    match an editor's (str.splitlines also breaks at form feeds and U+2028)."""
    lines = text.split("\n")
    out = [line + "\n" for line in lines[:-1]]
    if lines[-1]:
        out.append(lines[-1])
    return out


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
    for key in _METADATA_KEYS:
        if key in record and record[key] is not None and not isinstance(record[key], (str, int, float)):
            return f"{key!r} must be a string"
    return None
