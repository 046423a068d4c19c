"""Putting a search backend behind an engine, from settings or the CLI's options.

``SEARCH_BACKEND=solr`` (or ``--backend solr``) with ``SOLR_URL`` (one or
several node URLs, comma-separated), ``SOLR_COLLECTION`` and optionally
``SOLR_USER`` / ``SOLR_PASSWORD`` (basic auth) and ``SOLR_TIMEOUT``.
"""

from __future__ import annotations

import os
import re

from retrieval.backends import BackendConfigError

DEFAULT_TIMEOUT = 5.0


def solr_from_settings(urls: str | list[str] | None, collection: str | None, *, user: str | None = None,
                       password: str | None = None, timeout: float | None = None):
    """A SolrBackend (httpx is imported only when one is asked for: the CLI starts faster without)."""
    from retrieval.backends.solr import SolrBackend

    urls = urls if urls is not None else os.environ.get("SOLR_URL", "")
    if isinstance(urls, str):
        urls = [u for u in re.split(r"[,\s]+", urls) if u]
    if not urls:
        raise BackendConfigError("SOLR_URL: the Solr backend needs at least one node URL (--solr-url or SOLR_URL)")
    bad = [u for u in urls if not re.match(r"^https?://[^\s/]+", u)]
    if bad:
        raise BackendConfigError(f"SOLR_URL: not http(s) URLs: {', '.join(bad)}")
    collection = collection or os.environ.get("SOLR_COLLECTION", "")
    if not collection:
        raise BackendConfigError("SOLR_COLLECTION: the Solr backend needs a collection (--solr-collection or SOLR_COLLECTION)")
    user = user if user is not None else os.environ.get("SOLR_USER", "")
    password = password if password is not None else os.environ.get("SOLR_PASSWORD", "")
    if timeout is None:
        raw = os.environ.get("SOLR_TIMEOUT", "").strip()
        try:
            timeout = float(raw) if raw else DEFAULT_TIMEOUT
        except ValueError:
            raise BackendConfigError(f"SOLR_TIMEOUT: not a number of seconds: {raw!r}") from None
    return SolrBackend(urls, collection, auth=(user, password) if user else None, timeout=timeout)


def attach(engine, backend) -> None:
    """Answer ``engine``'s questions with ``backend``'s candidates."""
    backend.bind([chunk.chunk_id for chunk in engine.chunks])
    engine.backend = backend
