"""One parsing worker: reads tasks from stdin, writes outcomes to the pipe it was given.

Started by ``retrieval.ingest.isolation``; not meant to be run by hand.
"""

from __future__ import annotations

import resource
import sys


def _limit_memory(megabytes: int) -> None:
    limit = megabytes * 1024 * 1024
    try:
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    except (ValueError, OSError):
        pass  # a hard limit already lower than ours: keep it


def main() -> None:
    fd, megabytes = int(sys.argv[1]), int(sys.argv[2])
    _limit_memory(megabytes)
    results = open(fd, "wb")
    # A parser that prints must not write into anything we read.
    sys.stdout = sys.stderr
    import importlib
    from pathlib import Path

    from retrieval.ingest.isolation import read_frame, write_frame
    from retrieval.ingest.model import Problem

    tasks = sys.stdin.buffer
    while True:
        task = read_frame(tasks)
        if task is None:
            return
        module, path, name, limits = task
        path = Path(path)

        def progress(done: int, total: int) -> None:
            write_frame(results, ("progress", done, total))

        try:
            documents, problems = importlib.import_module(module).read(path, name, limits, progress)
        except MemoryError:
            documents, problems = [], [Problem(
                name, f"needs more than {limits.memory_mb} MB to parse; nothing indexed from it "
                "(raise RETRIEVAL_PARSE_MEMORY_MB to allow more)")]
        except RecursionError:
            documents, problems = [], [Problem(name, "is nested too deeply to parse; nothing indexed from it")]
        except Exception as exc:  # a reader's bug or a library's: one file, one line
            documents, problems = [], [Problem(name, f"could not be read ({type(exc).__name__}: {exc}); nothing indexed from it")]
        write_frame(results, ("done", documents, problems))


if __name__ == "__main__":
    main()
