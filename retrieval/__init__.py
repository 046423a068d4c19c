"""Cited paragraph retrieval over Chinese documents.

The pipeline, one subpackage per stage::

    ingest      files → Document (one reader per format)   retrieval.ingest
    chunking    Document → Chunk (paragraph repair)         retrieval.chunking
    index       Chunk → tokens → BM25 index on disk         retrieval.index
    answer      question → Answer (hits, snippets)          retrieval.answer
    present     Answer → console text / JSON                retrieval.present
    evaluation  quality on SQuAD-format sets                retrieval.evaluation

Typical use::

    from retrieval import open_engine
    engine, report = open_engine()          # the bundled corpus
    answer = engine.ask("重庆提出的885工作机制是什么？")
    answer.answered, answer.hits[0].citation
"""

from retrieval.index.analyzer import Analyzer, normalize
from retrieval.index.corpus import tokenize
from retrieval.chunking.chunks import Chunk, chunk_document, chunk_documents
from retrieval.ingest.documents import Document, Problem, load_corpus
from retrieval.index.building import IndexReport, open_engine
from retrieval.answer.search import Answer, Hit, SearchEngine
from retrieval.answer.snippets import Snippet

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
