"""Question → ranked hits with snippets, highlights and the decline decision."""
