"""Re-indexing an unchanged PDF parses nothing, and adding one PDF to a
corpus parses only that PDF: what the readers made of each file is cached
beside the index by content hash."""

from __future__ import annotations

import pytest

from pdf_fixtures import build_article, seed_article
from retrieval.index.building import open_engine
from retrieval.ingest import isolation


@pytest.fixture
def parsed(monkeypatch):
    """Names of the files sent to a parsing worker."""
    names: list[str] = []
    real_send = isolation._Worker.send

    def send(self, index, corpus_file, limits):
        names.append(corpus_file.relative)
        return real_send(self, index, corpus_file, limits)

    monkeypatch.setattr(isolation._Worker, "send", send)
    return names


def test_an_added_pdf_is_the_only_one_parsed(tmp_path, parsed):
    corpus = tmp_path / "pdfs"
    corpus.mkdir()
    for number in (1, 2):
        build_article(corpus / f"a{number}.pdf", seed_article(number))
    index = tmp_path / "index"
    first, _ = open_engine([corpus], index)
    assert sorted(parsed) == ["pdfs/a1.pdf", "pdfs/a2.pdf"]

    parsed.clear()
    again, report = open_engine([corpus], index)
    assert report.loaded_from_disk and parsed == []  # unchanged: the hash check alone

    build_article(corpus / "a3.pdf", seed_article(3))
    grown, report = open_engine([corpus], index)
    assert not report.loaded_from_disk
    assert parsed == ["pdfs/a3.pdf"]
    assert len(grown.chunks) > len(first.chunks)
    assert [c.text for c in grown.chunks if c.source_path != "pdfs/a3.pdf"] == [c.text for c in first.chunks]
    assert all(c.page_start for c in grown.chunks)

    parsed.clear()
    (corpus / "a1.pdf").unlink()
    open_engine([corpus], index)
    assert parsed == []  # a removed file costs no parsing either
    assert len(list((index / "document-cache").glob("*.json"))) == 2
