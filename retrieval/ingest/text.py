"""``.txt`` and ``.md``: one document per file, with optional YAML front matter
(``title``, ``author``, ``source``, ``url``, ``id``, ``affiliation``).

The body stays plain text; the paragraph repair in ``retrieval.chunking``
finds its paragraphs and headings.
"""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from retrieval.ingest.decoding import DecodeError, decode_bytes
from retrieval.ingest.model import Document, Problem
from retrieval.sentences import looks_like_heading

METADATA_KEYS = ("title", "author", "source", "url", "affiliation")


def read(path: Path, name: str, limits=None, progress=None) -> tuple[list[Document], list[Problem]]:
    text, problems = read_text(path, name)
    if text is None:
        return [], problems
    try:
        document = parse_text_document(text, name, markdown=path.suffix.lower() != ".txt")
    except FrontMatterError as exc:
        return [], problems + [Problem(name, str(exc), exc.line)]
    if not document.text.strip():
        what = "has only front matter" if document.text_offset else ("is empty" if not text else "holds only whitespace")
        return [], problems + [Problem(name, f"{what}; nothing to index")]
    return [document], problems


def read_text(path: Path, name: str) -> tuple[str | None, list[Problem]]:
    """The file decoded (see ``decoding``), or None and the problem that stopped it."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        return None, [Problem(name, f"cannot read: {exc.strerror or exc}")]
    try:
        decoded = decode_bytes(data)
    except DecodeError as exc:
        return None, [Problem(name, str(exc))]
    # Old Mac files end lines with CR alone; as "\n" they keep every offset.
    text = _LONE_CR.sub("\n", decoded.text.lstrip("\ufeff"))
    problems = []
    if decoded.replaced:
        first_line = text.count("\n", 0, _char_position(data, decoded)) + 1
        problems.append(Problem(
            name,
            f"{decoded.replaced_summary()} {'are' if decoded.replaced_summary().startswith('bytes') else 'is'} "
            f"not valid {decoded.encoding.upper()} "
            "and became �; the rest of the file is indexed",
            first_line,
        ))
    return text, problems


_LONE_CR = re.compile(r"\r(?!\n)")


def _char_position(data: bytes, decoded) -> int:
    """Where the first replaced byte is, in characters."""
    start = decoded.replaced[0][0]
    return len(data[:start].decode(decoded.encoding, errors="replace"))


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
        extra={k: v for k, v in meta.items() if k not in METADATA_KEYS and k != "id"},
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
    sentence punctuation, the way articles and reports begin, unless a line
    about as long follows it directly: then it is the first line of a
    hard-wrapped or cut paragraph, whose text must stay in the body.
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
        if not markdown and looks_like_heading(line) and not _wrapped_on(text, end, line):
            return line, end, line_no + 1, text[end:]
        break
    return "", offset, line_no, text[offset:]


def _wrapped_on(text: str, position: int, line: str) -> bool:
    following = text[position:text.find("\n", position) if "\n" in text[position:] else len(text)].strip()
    return bool(following) and len(following) < 1.5 * len(line)


def split_lines(text: str) -> list[str]:
    """Lines with their endings, split on "\n" only, so that line numbers
    match an editor's (str.splitlines also breaks at form feeds and U+2028)."""
    lines = text.split("\n")
    out = [line + "\n" for line in lines[:-1]]
    if lines[-1]:
        out.append(lines[-1])
    return out
