"""A local two-node SolrCloud for tests and benchmarks.

The cluster is solr/launcher (MiniSolrCloudCluster from solr-test-framework:
embedded ZooKeeper + Jetty nodes on 127.0.0.1, random ports) run as a child
JVM that speaks one JSON line per command on stdin/stdout:

    with SolrCluster() as cluster:
        upload_configset(cluster.nodes[0], "zhdocqa")
        create_collection(cluster.nodes[0], "chunks", "zhdocqa")
        cluster.stop_node(1); cluster.start_node(1)

The JVM also exits on its own when its stdin closes, so a crashed test run
cannot leave a cluster behind.
"""

from __future__ import annotations

import atexit
import hashlib
import io
import json
import os
import queue
import shutil
import subprocess
import tempfile
import threading
import time
import zipfile
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
LAUNCHER_DIR = ROOT / "solr" / "launcher"
CONFIGSET_DIR = ROOT / "solr" / "configset" / "conf"
_CLASSES = LAUNCHER_DIR / "target" / "classes"
_CLASSPATH_FILE = LAUNCHER_DIR / "target" / "classpath.txt"
_MAIN_CLASS = "projsolr.SolrCloudLauncher"


_STAMP = LAUNCHER_DIR / "target" / "inputs.sha256"


def _inputs_digest() -> str:
    # Content hash, not mtimes: Maven leaves unchanged outputs (classpath.txt) untouched.
    h = hashlib.sha256()
    for p in sorted([LAUNCHER_DIR / "pom.xml", *(LAUNCHER_DIR / "src").rglob("*")]):
        if p.is_file():
            h.update(p.relative_to(LAUNCHER_DIR).as_posix().encode() + b"\0" + p.read_bytes())
    return h.hexdigest()


def _is_built() -> bool:
    if not (_STAMP.exists() and _CLASSPATH_FILE.exists()):
        return False
    if _STAMP.read_text() != _inputs_digest():
        return False
    # The classpath points into ~/.m2: a wiped cache means a rebuild.
    jars = _CLASSPATH_FILE.read_text().strip().split(os.pathsep)
    return all(os.path.exists(j) for j in jars)


def build_launcher(java_opts: tuple[str, ...] = ("-Xmx1g",)) -> list[str]:
    """Build solr/launcher if needed and return the command that runs it.

    Up to date (stamp matches a hash of pom.xml + src/, classpath jars present):
    no Maven at all. Otherwise try Maven offline first (no network round trips
    on a warm cache), then online if something is missing from ~/.m2.
    """
    if not _is_built():
        base = ["mvn", "-q", "-B", "-f", str(LAUNCHER_DIR / "pom.xml"), "package"]
        done = subprocess.run([*base, "-o"], capture_output=True, text=True)
        if done.returncode != 0:
            done = subprocess.run(base, capture_output=True, text=True)
        if done.returncode != 0:
            raise RuntimeError(f"maven build of {LAUNCHER_DIR} failed:\n{done.stdout}\n{done.stderr}")
        _STAMP.write_text(_inputs_digest())
    classpath = os.pathsep.join([str(_CLASSES), _CLASSPATH_FILE.read_text().strip()])
    return ["java", *java_opts, "-cp", classpath, _MAIN_CLASS]


class SolrCluster:
    """Context manager around one launcher process (its own temp data dir).

    Attributes after start: ``nodes`` (base URLs like http://127.0.0.1:PORT/solr,
    indexed as the launcher numbers them), ``zk`` (ZooKeeper host:port/solr,
    chroot included, usable as a zkHost), ``data_dir``, ``log_path`` (the JVM's
    stderr: Solr logs at WARN).
    """

    def __init__(
        self,
        num_nodes: int = 2,
        configset_dir: Path | str | None = None,
        configset_name: str | None = None,
        ready_timeout: float = 180.0,
        java_opts: tuple[str, ...] = ("-Xmx1g",),
    ):
        self.num_nodes = num_nodes
        self.configset = (str(configset_dir), configset_name) if configset_dir else None
        self.ready_timeout = ready_timeout
        self.java_opts = java_opts
        self.proc: subprocess.Popen | None = None
        self.nodes: list[str] = []
        self.zk = ""
        self.data_dir: Path | None = None
        self.log_path: Path | None = None
        self._lines: queue.Queue = queue.Queue()

    # -- lifecycle ---------------------------------------------------------
    def start(self) -> "SolrCluster":
        cmd = build_launcher(self.java_opts)
        self.data_dir = Path(tempfile.mkdtemp(prefix="solrcloud-"))
        self.log_path = self.data_dir / "launcher.log"
        args = [str(self.num_nodes), str(self.data_dir / "cluster")]
        if self.configset:
            args += list(self.configset)
        self._log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(
            cmd + args,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._log,  # a file, not a pipe: a chatty JVM must never block on it
            text=True,
            encoding="utf-8",
            bufsize=1,
        )
        atexit.register(self.close)
        # A reader thread turns stdout into a queue so every wait can have a timeout.
        threading.Thread(target=self._read, daemon=True).start()
        try:
            ready = self._next(self.ready_timeout)
            if not ready.get("ready"):
                raise RuntimeError(f"Solr launcher failed: {ready}")
        except BaseException:
            self.close()
            raise
        self.nodes, self.zk = ready["nodes"], ready["zk"]
        return self

    def _read(self) -> None:
        for line in self.proc.stdout:
            self._lines.put(line)
        self._lines.put(None)  # EOF: the JVM ended

    def _next(self, timeout: float) -> dict:
        try:
            line = self._lines.get(timeout=timeout)
        except queue.Empty:
            raise TimeoutError(f"no answer from Solr launcher in {timeout}s (log: {self.log_path})")
        if line is None:
            raise RuntimeError(f"Solr launcher exited; tail of {self.log_path}:\n{self._log_tail()}")
        return json.loads(line)

    def _log_tail(self, n: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-n:])
        except OSError:
            return ""

    def command(self, line: str, timeout: float = 120.0) -> dict:
        """Send one launcher command ("stop 1", "status", ...) and return its JSON answer."""
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()
        answer = self._next(timeout)
        if not answer.get("ok"):
            raise RuntimeError(f"launcher command {line!r} failed: {answer}")
        return answer

    def stop_node(self, i: int) -> dict:
        """Stop Jetty node i (returns once it left live_nodes); its port is kept."""
        return self.command(f"stop {i}")

    def start_node(self, i: int) -> dict:
        """Restart node i on its old port (returns once it is live again)."""
        return self.command(f"start {i}")

    def status(self) -> dict:
        return self.command("status")

    def close(self) -> None:
        """quit -> SIGTERM (clean shutdown hook) -> SIGKILL; then remove the data dir."""
        proc, self.proc = self.proc, None
        if proc is not None:
            if proc.poll() is None:
                try:
                    proc.stdin.write("quit\n")
                    proc.stdin.close()
                except (OSError, ValueError):
                    pass
                try:
                    proc.wait(30)
                except subprocess.TimeoutExpired:
                    proc.terminate()
                    try:
                        proc.wait(30)
                    except subprocess.TimeoutExpired:
                        proc.kill()
                        proc.wait()
            self._log.close()
            atexit.unregister(self.close)
        if self.data_dir is not None:
            shutil.rmtree(self.data_dir, ignore_errors=True)
            self.data_dir = None

    def __enter__(self) -> "SolrCluster":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.close()


# -- Solr admin APIs ---------------------------------------------------------
def _check(resp: httpx.Response) -> dict:
    try:
        body = resp.json()
    except ValueError:
        body = {}
    if resp.status_code != 200 or body.get("responseHeader", {}).get("status", 0) != 0:
        raise RuntimeError(f"Solr {resp.request.url} -> {resp.status_code}: {resp.text[:2000]}")
    return body


def upload_configset(node_url: str, name: str, conf_dir: Path | str = CONFIGSET_DIR) -> dict:
    """Zip conf_dir (files at the zip root) and upload it as configset `name` (overwriting)."""
    buf = io.BytesIO()
    conf_dir = Path(conf_dir)
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for path in sorted(conf_dir.rglob("*")):
            if path.is_file():
                zf.write(path, path.relative_to(conf_dir).as_posix())
    resp = httpx.post(
        f"{node_url}/admin/configs",
        params={"action": "UPLOAD", "name": name, "overwrite": "true", "cleanup": "true", "wt": "json"},
        content=buf.getvalue(),
        headers={"Content-Type": "application/octet-stream"},
        timeout=60,
    )
    return _check(resp)


def create_collection(
    node_url: str, name: str, configset: str, shards: int = 2, replicas: int = 2, timeout: float = 120.0
) -> dict:
    """Create a collection and wait until every replica is active on a live node."""
    resp = httpx.get(
        f"{node_url}/admin/collections",
        params={
            "action": "CREATE",
            "name": name,
            "collection.configName": configset,
            "numShards": shards,
            "replicationFactor": replicas,
            "waitForFinalState": "true",
            "wt": "json",
        },
        timeout=timeout,
    )
    body = _check(resp)
    wait_for_active(node_url, name, shards * replicas, timeout)
    return body


def wait_for_active(node_url: str, name: str, replicas: int | None = None, timeout: float = 120.0) -> None:
    """Poll CLUSTERSTATUS until all (or `replicas`) replicas of `name` are active and live."""
    deadline = time.monotonic() + timeout
    while True:
        status = httpx.get(
            f"{node_url}/admin/collections",
            params={"action": "CLUSTERSTATUS", "collection": name, "wt": "json"},
            timeout=30,
        ).json()
        cluster = status.get("cluster", {})
        live = set(cluster.get("live_nodes", []))
        coll = cluster.get("collections", {}).get(name, {})
        states = [
            r.get("state") == "active" and r.get("node_name") in live
            for shard in coll.get("shards", {}).values()
            for r in shard.get("replicas", {}).values()
        ]
        if states and all(states) and (replicas is None or len(states) == replicas):
            return
        if time.monotonic() > deadline:
            raise TimeoutError(f"collection {name} not active after {timeout}s: {coll}")
        time.sleep(0.5)


def delete_collection(node_url: str, name: str) -> dict:
    resp = httpx.get(
        f"{node_url}/admin/collections", params={"action": "DELETE", "name": name, "wt": "json"}, timeout=120
    )
    return _check(resp)


if __name__ == "__main__":  # `.ci/run`: build the launcher before the tests need it
    started = time.monotonic()
    build_launcher()
    print(f"solr launcher ready ({time.monotonic() - started:.1f} s)")
