"""Documents → repaired paragraph chunks carrying their citation fields."""

from retrieval.chunking.chunks import MAX_PARAGRAPH_CHARS, MIN_PARAGRAPH_CHARS, Chunk, chunk_document, chunk_documents

__all__ = ["MAX_PARAGRAPH_CHARS", "MIN_PARAGRAPH_CHARS", "Chunk", "chunk_document", "chunk_documents"]
