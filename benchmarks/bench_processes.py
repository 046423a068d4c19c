"""Fresh child processes: run one, reap it with its own rusage (peak RSS),
and sample the summed RSS of a process tree (a parallel build)."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass

from bench_common import HERE, KIB_PER_MB, REPO


@dataclass
class ChildRun:
    argv: list[str]
    returncode: int
    wall_s: float
    max_rss_mb: float  # ru_maxrss of this child (the largest single process of its tree)
    tree_rss_mb: float | None  # peak of the summed RSS of the child and its descendants, sampled
    stdout: str
    stderr: str

    def check(self) -> "ChildRun":
        if self.returncode != 0:
            tail = "\n".join(self.stderr.strip().splitlines()[-5:])
            raise RuntimeError(f"{' '.join(self.argv[1:4])}… exited {self.returncode}: {tail}")
        return self


def _child_env() -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    return env


class TreeRssSampler:
    """Peak of the summed RSS of a process and its descendants, polled.

    ru_maxrss (from wait4) is the largest *single* process of a tree; a
    parallel build's footprint is the sum over its workers, which only
    polling can see. Shared (copy-on-write) pages count once per process,
    so this overstates a forked pool a little."""

    def __init__(self, pid: int, interval: float = 0.1):
        self.pid, self.interval, self.peak_kb = pid, interval, 0
        self._stop = threading.Event()
        self._page_kb = os.sysconf("SC_PAGE_SIZE") // 1024
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _tree(self) -> list[int]:
        children: dict[int, list[int]] = {}
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                with open(f"/proc/{entry}/stat", "rb") as handle:
                    stat = handle.read()
            except OSError:
                continue
            ppid = int(stat[stat.rindex(b")") + 2 :].split()[1])
            children.setdefault(ppid, []).append(int(entry))
        tree, todo = [], [self.pid]
        while todo:
            pid = todo.pop()
            tree.append(pid)
            todo.extend(children.get(pid, []))
        return tree

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            total = 0
            for pid in self._tree():
                try:
                    with open(f"/proc/{pid}/statm") as handle:
                        total += int(handle.read().split()[1]) * self._page_kb
                except (OSError, ValueError, IndexError):
                    pass
            self.peak_kb = max(self.peak_kb, total)

    def stop(self) -> float:
        self._stop.set()
        self._thread.join()
        return self.peak_kb / KIB_PER_MB


def run_child(argv: list[str], *, sample_tree: bool = False, timeout: float = 3600) -> ChildRun:
    """Run ``argv`` in a fresh process and reap it with os.wait4, which gives
    that child's own rusage (RUSAGE_CHILDREN would be a max over every child
    this benchmark ever ran)."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        proc = subprocess.Popen(argv, cwd=REPO, env=_child_env(), stdin=subprocess.DEVNULL, stdout=out, stderr=err)
        sampler = TreeRssSampler(proc.pid) if sample_tree else None
        killer = threading.Timer(timeout, proc.kill)
        killer.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        finally:
            killer.cancel()
        wall = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)  # reaped here, so Popen must not wait again
        tree = sampler.stop() if sampler else None
        out.seek(0)
        err.seek(0)
        return ChildRun(
            argv=argv,
            returncode=proc.returncode,
            wall_s=wall,
            max_rss_mb=usage.ru_maxrss / KIB_PER_MB,  # KiB on Linux
            tree_rss_mb=tree,
            stdout=out.read().decode("utf-8", "replace"),
            stderr=err.read().decode("utf-8", "replace"),
        )


def retrieval_cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "retrieval", *args]


def bench_child(*args: str) -> list[str]:
    """bench.py in child mode (see ``bench_fresh.child_main``)."""
    return [sys.executable, str(HERE / "bench.py"), "_child", *args]
