"""Search backends: tokens in, candidate chunks with scores out.

Everything before (reading, chunking, the analyzer) and after (the second
stage, snippets, the decline decision, rendering) is shared; a backend only
finds the ``depth`` best chunks for a question's terms, under an optional
library filter, and scores them:

- ``local``: the embedded sparse BM25Okapi index (the default);
- ``solr``: a SolrCloud collection holding the same tokens (Lucene's BM25),
  for archives beyond one machine and for failover.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Protocol

import numpy as np


@dataclass(frozen=True)
class Candidates:
    ordinals: np.ndarray  # positions in the engine's chunk list, best first
    scores: np.ndarray  # the backend's score of each, for ranking and reporting


class SearchUnavailable(Exception):
    """The backend cannot be reached or did not answer in time; the message says which and why."""


class BackendConfigError(ValueError):
    """A backend setting that cannot work; the message names the key."""


class SolrSetupError(Exception):
    """Setting up a Solr collection failed; the message says at which step and why."""


class SearchBackend(Protocol):
    name: str

    def candidates(self, terms: list[str], counts: list[int], depth: int,
                   libraries: Collection[str] | None = None) -> Candidates:
        """The ``depth`` best chunks holding any of ``terms`` (each counted
        ``counts`` times in the question), among ``libraries`` if given."""
        ...
