"""Measuring retrieval quality on SQuAD-format sets, and calibrating the decline threshold."""
