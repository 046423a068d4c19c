"""Setting up a SolrCloud collection for the project: upload the configset in
``solr/configset`` and create the collection, N shards × R replicas.

    python -m retrieval solr setup --url http://127.0.0.1:8983/solr --collection docs --shards 2 --replicas 2
"""

from __future__ import annotations

import io
import time
import zipfile
from pathlib import Path

import httpx

from retrieval.backends import SolrSetupError

CONFIGSET_DIR = Path(__file__).resolve().parents[2] / "solr" / "configset" / "conf"
CONFIGSET_NAME = "retrieval-bm25"


def configset_zip(conf_dir: Path = CONFIGSET_DIR) -> bytes:
    if not conf_dir.is_dir():
        raise SolrSetupError(f"{conf_dir}: the configset folder is missing")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(conf_dir.rglob("*")):
            if path.is_file():
                archive.write(path, path.relative_to(conf_dir).as_posix())
    return buffer.getvalue()


def setup_collection(url: str, collection: str, *, shards: int = 2, replicas: int = 2,
                     auth: tuple[str, str] | None = None, configset: str = CONFIGSET_NAME,
                     timeout: float = 180.0, progress=print) -> dict:
    """Upload (or replace) the configset and create the collection if it is
    not there; returns the collection's status. Idempotent."""
    base = url.rstrip("/")
    with httpx.Client(auth=auth, timeout=60.0) as client:
        progress(f"uploading configset {configset}")
        response = client.post(
            f"{base}/admin/configs", params={"action": "UPLOAD", "name": configset, "overwrite": "true"},
            content=configset_zip(), headers={"Content-Type": "application/octet-stream"},
        )
        _check(response, "uploading the configset")
        existing = client.get(f"{base}/admin/collections", params={"action": "LIST", "wt": "json"})
        _check(existing, "listing collections")
        if collection in existing.json().get("collections", []):
            progress(f"collection {collection} exists; reloading it with the configset")
            _check(client.get(f"{base}/admin/collections", params={"action": "RELOAD", "name": collection}),
                   "reloading the collection")
        else:
            progress(f"creating collection {collection}: {shards} shards × {replicas} replicas")
            _check(client.get(f"{base}/admin/collections", params={
                "action": "CREATE", "name": collection, "numShards": shards, "replicationFactor": replicas,
                "collection.configName": configset, "waitForFinalState": "true", "wt": "json",
            }), "creating the collection")
        return wait_until_active(client, base, collection, timeout)


def wait_until_active(client: httpx.Client, base: str, collection: str, timeout: float) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        response = client.get(f"{base}/admin/collections",
                              params={"action": "CLUSTERSTATUS", "collection": collection, "wt": "json"})
        _check(response, "reading the cluster status")
        state = response.json()["cluster"]["collections"][collection]
        replicas = [r for shard in state["shards"].values() for r in shard["replicas"].values()]
        if replicas and all(r.get("state") == "active" for r in replicas):
            return state
        if time.monotonic() > deadline:
            raise SolrSetupError(f"collection {collection}: replicas not active after {timeout:.0f} s")
        time.sleep(0.5)


def _check(response: httpx.Response, step: str) -> None:
    if response.status_code >= 400:
        detail = response.text[:300].replace("\n", " ")
        raise SolrSetupError(f"{step} failed: HTTP {response.status_code}: {detail}")
