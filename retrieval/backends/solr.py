"""The SolrCloud backend: the project's own tokens, scored by Lucene's BM25 in Solr.

Solr never analyses Chinese here: the index holds the analyzer's tokens,
space-separated, in a field split by ``WhitespaceTokenizer``
(``solr/configset``), and a question is sent as those tokens. With
``ExactStatsCache`` every shard scores with the collection's statistics, so
sharding does not change scores.

Any node can answer for the whole collection; the client tries the
configured nodes in turn, so one node down costs nothing but a retry. A
query is time-boxed; when no node answers, `SearchUnavailable` says why.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Collection, Sequence

import httpx
import numpy as np

from retrieval.backends import Candidates, SearchUnavailable

log = logging.getLogger(__name__)

from retrieval.backends.configure import DEFAULT_TIMEOUT
# The analyzer's word pairs hold a space ("穹顶 温室"); in Solr a space splits
# tokens, so pairs travel with an invisible separator instead.
PAIR_SEPARATOR_IN_SOLR = "\u2063"
_SPECIAL = re.compile(r'(["\\])')


def solr_token(token: str) -> str:
    return token.replace(" ", PAIR_SEPARATOR_IN_SOLR)


def term_query(terms: Sequence[str], counts: Sequence[int]) -> str:
    """One quoted term per token (a single-token phrase is a term query),
    boosted by how often the question repeats it: BM25Okapi sums a repeated
    query token twice, and so does a boost of 2."""
    parts = []
    for term, count in zip(terms, counts):
        quoted = '"' + _SPECIAL.sub(r"\\\1", solr_token(term)) + '"'
        parts.append(quoted if count == 1 else f"{quoted}^{int(count)}")
    return " ".join(parts)


def library_filter(libraries: Collection[str]) -> str:
    values = " OR ".join('"' + _SPECIAL.sub(r"\\\1", name) + '"' for name in sorted(libraries))
    return f"library:({values})"


class SolrBackend:
    name = "solr"

    def __init__(self, urls: Sequence[str], collection: str, *, auth: tuple[str, str] | None = None,
                 timeout: float = DEFAULT_TIMEOUT, client: httpx.Client | None = None):
        if not urls:
            raise ValueError("SOLR_URL: at least one node URL is needed")
        self.urls = [u.rstrip("/") for u in urls]
        self.collection = collection
        self.timeout = timeout
        self._client = client or httpx.Client(auth=auth, timeout=timeout)
        self._preferred = 0  # the node that answered last: asked first next time
        self._ordinals: dict[str, int] = {}

    def bind(self, chunk_ids: Sequence[str]) -> None:
        """The engine's chunk list: Solr answers chunk ids, the shared stages want positions."""
        self._ordinals = {chunk_id: index for index, chunk_id in enumerate(chunk_ids)}

    def candidates(self, terms: list[str], counts: list[int], depth: int,
                   libraries: Collection[str] | None = None) -> Candidates:
        """Lucene's scores, best first; ties by position in the corpus."""
        if not terms:
            return Candidates(np.zeros(0, dtype=np.int64), np.zeros(0))
        params = {
            "q": term_query(terms, counts),
            "df": "tokens",
            "q.op": "OR",
            "rows": str(depth),
            "fl": "id,score",
            "sort": "score desc,ordinal asc",
            "wt": "json",
            "timeAllowed": str(int(self.timeout * 1000)),
        }
        if libraries is not None:
            params["fq"] = library_filter(libraries)
        body = self.request("select", params)
        ordinals, scores = [], []
        for doc in body["response"]["docs"]:
            ordinal = self._ordinals.get(doc["id"])
            if ordinal is None:  # indexed in Solr but not in this engine's chunk list: out of date
                log.warning("Solr returned chunk %s, which this index does not have; re-run index --backend solr", doc["id"])
                continue
            ordinals.append(ordinal)
            scores.append(float(doc["score"]))
        return Candidates(np.array(ordinals, dtype=np.int64), np.array(scores, dtype=np.float64))

    def request(self, handler: str, params: dict, *, json_body=None, method: str = "GET") -> dict:
        """One request to the collection, trying every node before giving up."""
        failures = []
        for step in range(len(self.urls)):
            index = (self._preferred + step) % len(self.urls)
            url = f"{self.urls[index]}/{self.collection}/{handler}"
            try:
                if method == "POST":
                    response = self._client.post(url, params=params, json=json_body)
                else:
                    response = self._client.get(url, params=params)
            except httpx.HTTPError as exc:
                failures.append(f"{self.urls[index]}: {type(exc).__name__}")
                continue
            if response.status_code >= 500 or response.status_code in (404, 503):
                failures.append(f"{self.urls[index]}: HTTP {response.status_code}")
                continue
            if response.status_code in (401, 403):
                raise SearchUnavailable(f"Solr refused the credentials (HTTP {response.status_code}); check SOLR_USER and SOLR_PASSWORD")
            response.raise_for_status()
            self._preferred = index
            return response.json()
        raise SearchUnavailable("no Solr node answered: " + "; ".join(failures))

    def close(self) -> None:
        self._client.close()
