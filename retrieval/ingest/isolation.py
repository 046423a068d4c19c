"""Parsing untrusted files in worker processes, so that a parser library that
hangs, crashes or eats memory costs one file and never the indexer or the bot.

Each worker is a fresh ``python -m retrieval.ingest.worker`` with an
address-space limit. Tasks and results travel as length-prefixed pickles
over a pipe of their own (a library that prints to stdout cannot corrupt
them). A worker that passes the time limit is killed and replaced; one that
dies takes only its current file with it.
"""

from __future__ import annotations

import logging
import os
import pickle
import select
import signal
import struct
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from retrieval.ingest.model import CorpusFile, Document, Problem
from retrieval.ingest.readers import READERS, Limits

log = logging.getLogger(__name__)

_HEADER = struct.Struct("!Q")
_PROJECT_ROOT = str(Path(__file__).resolve().parents[2])

Outcome = tuple[list[Document], list[Problem]]
PageProgress = Callable[[CorpusFile, int, int], None]


def size_problem(corpus_file: CorpusFile, limits: Limits) -> Problem | None:
    """The file is over its size limit: say so before parsing anything."""
    suffix = corpus_file.path.suffix.lower()
    limit = limits.max_bytes(suffix)
    try:
        size = corpus_file.path.stat().st_size
    except OSError as exc:
        return Problem(corpus_file.relative, f"cannot read: {exc.strerror or exc}")
    if limit is not None and size > limit:
        key = "RETRIEVAL_MAX_HTML_MB" if suffix in (".html", ".htm", ".xhtml") else "RETRIEVAL_MAX_FILE_MB"
        return Problem(
            corpus_file.relative,
            f"{size / 2**20:.0f} MB is over the {limit / 2**20:.0f} MB limit for {suffix} files; "
            f"nothing indexed from it (raise {key} to read it)",
        )
    return None


def write_frame(stream, message) -> None:
    body = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(_HEADER.pack(len(body)) + body)
    stream.flush()


def read_frame(stream):
    """The next message, or None when the other side is gone."""
    header = _read_exactly(stream, _HEADER.size)
    if header is None:
        return None
    (length,) = _HEADER.unpack(header)
    body = _read_exactly(stream, length)
    return None if body is None else pickle.loads(body)


def _read_exactly(stream, size: int) -> bytes | None:
    # The results pipe is unbuffered, so that select() sees every frame
    # not yet read; raw reads may return less than asked.
    parts, remaining = [], size
    while remaining:
        part = stream.read(remaining)
        if not part:
            return None
        parts.append(part)
        remaining -= len(part)
    return b"".join(parts)


class _Worker:
    def __init__(self, limits: Limits):
        read_end, write_end = os.pipe()
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [_PROJECT_ROOT, env.get("PYTHONPATH")]))
        env.setdefault("OPENBLAS_NUM_THREADS", "1")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "retrieval.ingest.worker", str(write_end), str(limits.memory_mb)],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            pass_fds=(write_end,),
            env=env,
            start_new_session=True,  # a Ctrl-C meant for the indexer does not hit the worker mid-file
        )
        os.close(write_end)
        self.results = os.fdopen(read_end, "rb", buffering=0)
        self.task: tuple[int, CorpusFile] | None = None
        self.started = 0.0

    def send(self, index: int, corpus_file: CorpusFile, limits: Limits) -> None:
        self.task, self.started = (index, corpus_file), time.monotonic()
        module = READERS[corpus_file.path.suffix.lower()][0]
        write_frame(self.process.stdin, (module, str(corpus_file.path), corpus_file.relative, limits))

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()
        self.results.close()
        if self.process.stdin:
            try:
                self.process.stdin.close()
            except OSError:
                pass

    def stop(self) -> None:
        try:
            write_frame(self.process.stdin, None)
            self.process.wait(timeout=5)
        except (OSError, subprocess.TimeoutExpired):
            pass
        self.kill()

    def death(self) -> str:
        code = self.process.wait()
        if code < 0:
            try:
                return f"the parser was killed by {signal.Signals(-code).name}"
            except ValueError:
                return f"the parser was killed by signal {-code}"
        return f"the parser stopped with exit code {code}"


class IsolatedReaders:
    """``with IsolatedReaders(limits) as readers: readers.read_all(files)``."""

    def __init__(self, limits: Limits | None = None, workers: int | None = None):
        self.limits = limits or Limits.from_env()
        self.size = workers or max(1, min(2, os.cpu_count() or 1))
        self._idle: list[_Worker] = []

    def __enter__(self) -> "IsolatedReaders":
        return self

    def __exit__(self, *exc) -> None:
        for worker in self._idle:
            worker.stop()
        self._idle.clear()

    def read_one(self, corpus_file: CorpusFile, page_progress: PageProgress | None = None) -> Outcome:
        return next(self.read_all([corpus_file], page_progress))[1]

    def read_all(self, files: list[CorpusFile], page_progress: PageProgress | None = None) -> Iterator[tuple[int, Outcome]]:
        """(index into ``files``, outcome) for every file, as each finishes."""
        queue = list(enumerate(files))
        queue.reverse()
        busy: list[_Worker] = []
        try:
            while queue or busy:
                while queue and len(busy) < self.size:
                    index, corpus_file = queue.pop()
                    problem = size_problem(corpus_file, self.limits)
                    if problem is not None:
                        yield index, ([], [problem])
                        continue
                    worker = self._idle.pop() if self._idle else _Worker(self.limits)
                    try:
                        worker.send(index, corpus_file, self.limits)
                    except OSError:  # died while idle; a new one takes the file
                        worker.kill()
                        worker = _Worker(self.limits)
                        worker.send(index, corpus_file, self.limits)
                    busy.append(worker)
                if not busy:
                    continue
                now = time.monotonic()
                wait = max(0.0, min(w.started + self.limits.timeout_seconds for w in busy) - now)
                ready, _, _ = select.select([w.results for w in busy], [], [], wait)
                for worker in list(busy):
                    index, corpus_file = worker.task
                    if worker.results in ready:
                        message = read_frame(worker.results)
                        if message is None:
                            busy.remove(worker)
                            reason = worker.death()
                            worker.kill()
                            log.warning("%s: %s", corpus_file.relative, reason)
                            yield index, ([], [Problem(corpus_file.relative, f"{reason} while reading it; nothing indexed from it")])
                        elif message[0] == "progress":
                            if page_progress:
                                page_progress(corpus_file, message[1], message[2])
                        else:
                            busy.remove(worker)
                            self._idle.append(worker)
                            yield index, (message[1], message[2])
                    elif time.monotonic() - worker.started >= self.limits.timeout_seconds:
                        busy.remove(worker)
                        worker.kill()
                        yield index, ([], [Problem(
                            corpus_file.relative,
                            f"parsing took longer than {self.limits.timeout_seconds:g} s and was stopped; "
                            "nothing indexed from it (raise RETRIEVAL_PARSE_TIMEOUT to allow more)",
                        )])
        finally:
            for worker in busy:  # interrupted: never leave a worker behind
                worker.kill()
