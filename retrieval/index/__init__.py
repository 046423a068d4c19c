"""Chunks → tokens → the BM25 index, saved and reopened (and the bundled corpus's defaults)."""
