"""Cited paragraph retrieval over Chinese documents.

The pipeline, one module per stage::

    documents  (files → Document)        retrieval.documents
    chunking   (Document → Chunk)        retrieval.chunking
    analyzer   (text → tokens)           retrieval.analyzer
    bm25       (tokens → scores)         retrieval.bm25
    store      (index ↔ folder)          retrieval.store
    search     (question → Answer)       retrieval.search
    render     (Answer → text / JSON)    retrieval.render

Typical use::

    from retrieval import open_engine
    engine, report = open_engine()          # the bundled corpus
    answer = engine.ask("重庆提出的885工作机制是什么？")
    answer.answered, answer.hits[0].citation
"""

from retrieval.analyzer import Analyzer, normalize, tokenize
from retrieval.chunking import Chunk, chunk_document, chunk_documents
from retrieval.documents import Document, Problem, load_corpus
from retrieval.indexing import IndexReport, open_engine
from retrieval.search import Answer, Hit, SearchEngine
from retrieval.snippets import Snippet

__all__ = [
    "Analyzer",
    "Answer",
    "Chunk",
    "Document",
    "Hit",
    "IndexReport",
    "Problem",
    "SearchEngine",
    "Snippet",
    "chunk_document",
    "chunk_documents",
    "load_corpus",
    "normalize",
    "open_engine",
    "tokenize",
]
