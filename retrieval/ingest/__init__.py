"""Files → documents with structure: one reader module per format."""
