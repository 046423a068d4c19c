"""Parsing in worker processes: a reader that hangs, crashes, eats memory or
raises costs one file, with one clear line, and the other files are read."""

from __future__ import annotations

import textwrap
import time

import pytest

from retrieval.ingest import readers
from retrieval.ingest.isolation import IsolatedReaders
from retrieval.ingest.model import CorpusFile
from retrieval.ingest.readers import Limits

FAKE_READER = '''
import os, signal, time
from retrieval.ingest.model import Block, Document, Problem, blocks_text

def read(path, name, limits, progress=None):
    kind = path.read_text().strip()
    if kind == "hang":
        while True:
            time.sleep(0.1)
    if kind == "crash":
        os.kill(os.getpid(), signal.SIGSEGV)
    if kind == "memory":
        hog = [bytearray(64 * 1024 * 1024) for _ in range(1000)]
    if kind == "raise":
        raise ValueError("the library's own bug")
    if kind == "print":
        print("a library that prints to stdout")
    for page in range(1, 4):
        if progress:
            progress(page, 3)
    blocks = (Block("第一段正文内容，足够长的一句话。", page=1, page_end=1),)
    return [Document(doc_id=name, text=blocks_text(blocks), source_path=name, title=kind, blocks=blocks)], []
'''


@pytest.fixture
def fake_format(tmp_path, monkeypatch):
    """A reader for ``.fake`` files whose content says how to misbehave."""
    package = tmp_path / "plugins"
    package.mkdir()
    (package / "fake_reader.py").write_text(textwrap.dedent(FAKE_READER))
    monkeypatch.setenv("PYTHONPATH", str(package))
    monkeypatch.setitem(readers.READERS, ".fake", ("fake_reader", 1))

    def make(kind: str) -> CorpusFile:
        path = tmp_path / f"{kind}.fake"
        path.write_text(kind)
        return CorpusFile(path, path.name)

    return make


def read_all(files, limits):
    with IsolatedReaders(limits, workers=2) as isolated:
        return dict(isolated.read_all(files))


def test_a_good_file_is_read_and_reports_progress(fake_format):
    seen = []
    with IsolatedReaders(Limits(timeout_seconds=30)) as isolated:
        documents, problems = isolated.read_one(fake_format("good"), lambda f, done, total: seen.append((done, total)))
    assert problems == []
    assert [d.title for d in documents] == ["good"]
    assert documents[0].blocks[0].page == 1
    assert seen == [(1, 3), (2, 3), (3, 3)]


def test_a_hanging_parser_is_stopped_and_the_rest_is_read(fake_format):
    files = [fake_format("hang"), fake_format("good"), fake_format("print")]
    started = time.monotonic()
    outcomes = read_all(files, Limits(timeout_seconds=3))
    assert time.monotonic() - started < 20
    assert outcomes[0][0] == []
    [problem] = outcomes[0][1]
    assert problem.path == "hang.fake"
    assert "longer than 3 s" in problem.message and "RETRIEVAL_PARSE_TIMEOUT" in problem.message
    assert [d.title for d in outcomes[1][0]] == ["good"]
    assert [d.title for d in outcomes[2][0]] == ["print"]  # its stdout did not corrupt the results


def test_a_crashing_parser_costs_only_its_file(fake_format):
    outcomes = read_all([fake_format("crash"), fake_format("good")], Limits(timeout_seconds=30))
    [problem] = outcomes[0][1]
    assert "SIGSEGV" in problem.message and "nothing indexed" in problem.message
    assert [d.title for d in outcomes[1][0]] == ["good"]


def test_a_parser_that_eats_memory_is_refused(fake_format):
    outcomes = read_all([fake_format("memory"), fake_format("good")], Limits(timeout_seconds=60, memory_mb=512))
    [problem] = outcomes[0][1]
    assert "512 MB" in problem.message and "RETRIEVAL_PARSE_MEMORY_MB" in problem.message
    assert [d.title for d in outcomes[1][0]] == ["good"]


def test_a_reader_bug_is_one_line_not_a_traceback(fake_format):
    [(documents, [problem])] = read_all([fake_format("raise")], Limits(timeout_seconds=30)).values()
    assert documents == []
    assert problem.message == "could not be read (ValueError: the library's own bug); nothing indexed from it"


def test_a_file_over_the_size_limit_is_not_parsed(tmp_path):
    page = tmp_path / "huge.html"
    page.write_bytes(b"<html>" + b"x" * (3 * 1024 * 1024))
    [(documents, [problem])] = read_all([CorpusFile(page, "huge.html")], Limits(max_html_mb=2)).values()
    assert documents == []
    assert problem.message == "3 MB is over the 2 MB limit for .html files; nothing indexed from it (raise RETRIEVAL_MAX_HTML_MB to read it)"


def test_limits_come_from_the_environment():
    limits = Limits.from_env({"RETRIEVAL_PARSE_TIMEOUT": "7.5", "RETRIEVAL_MAX_PAGES": "40"})
    assert limits.timeout_seconds == 7.5 and limits.max_pages == 40
    with pytest.raises(ValueError, match="RETRIEVAL_MAX_PAGES: not a number"):
        Limits.from_env({"RETRIEVAL_MAX_PAGES": "many"})
    with pytest.raises(ValueError, match="RETRIEVAL_PARSE_TIMEOUT: must be positive"):
        Limits.from_env({"RETRIEVAL_PARSE_TIMEOUT": "0"})
