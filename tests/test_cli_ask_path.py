"""`ask --json` with questions on stdin: each question is analysed once, and the output is one JSON line each."""

from __future__ import annotations

import io
import json

import pytest

from retrieval import cli, open_engine
from retrieval.index.analyzer import Analyzer

QUESTIONS = ["重庆提出的885工作机制是什么？", "数字鸿沟", "八张报表", "今天天气怎么样", "侯金亮是谁", "數位鴻溝怎麼解決"]


@pytest.fixture(scope="module")
def engine():
    engine, report = open_engine()
    return engine, report


def run_ask(monkeypatch, engine_and_report, questions, *args):
    monkeypatch.setattr(cli, "open_engine", lambda *a, **k: engine_and_report)
    monkeypatch.setattr("sys.stdin", io.StringIO("".join(q + "\n" for q in questions)))
    out = io.StringIO()
    monkeypatch.setattr("sys.stdout", out)
    calls = []
    real = Analyzer.analyze
    monkeypatch.setattr(Analyzer, "analyze", lambda self, text: calls.append(text) or real(self, text))
    assert cli.main(["ask", "--json", *args]) == 0
    return [json.loads(line) for line in out.getvalue().splitlines()], calls


def test_each_question_is_analysed_once(monkeypatch, engine):
    records, calls = run_ask(monkeypatch, engine, QUESTIONS)
    assert [r["question"] for r in records] == QUESTIONS
    # Cold: the questions, plus each citation field (title, author, section) the first time a hit has it.
    fields = {f for c in engine[0].chunks for f in (c.title, c.author, c.section, c.publication) if f}
    assert len(calls) <= len(QUESTIONS) + len(fields)
    assert calls[:1] == QUESTIONS[:1]
    # Warm: exactly one analysis per question, whatever is rendered.
    records, calls = run_ask(monkeypatch, engine, QUESTIONS)
    assert calls == QUESTIONS
    assert all(set(r) >= {"question", "answered", "status", "hits"} for r in records)


def test_a_title_is_tokenized_once_for_its_citation_and_its_snippet(engine):
    search = engine[0]
    search._field_terms.cache_clear()
    search._citation_terms.cache_clear()
    chunk = search.chunks[0]
    joint = frozenset(search.analyzer.tokenize(f"{chunk.title}\n{chunk.author}\n{chunk.section}"))
    assert search._citation_terms(chunk.title, chunk.author, chunk.section) == joint
    assert search._citation_terms(chunk.title, "", "") == frozenset(search.analyzer.tokenize(chunk.title))
    assert search._field_terms.cache_info().misses == len({chunk.title, chunk.author, chunk.section})  # "" once, too
