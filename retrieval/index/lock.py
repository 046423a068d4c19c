"""One builder per index folder at a time.

Refreshing an index is check → build → switch. Two processes doing it at
once wrote into each other's temporary folders; with this lock the first
builds and the others wait, then find the index fresh and load it.
``flock`` is released by the kernel when the holder dies, even by
``kill -9``, so a crashed builder never leaves the folder locked.
"""

from __future__ import annotations

import fcntl
import os
import sys
import time
from contextlib import contextmanager
from pathlib import Path

LOCK_FILE = ".lock"


class ReadOnlyIndex(OSError):
    """The index folder cannot be written: serve what is there."""


@contextmanager
def index_lock(index_dir: Path, *, wait_message: bool = True):
    index_dir.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(index_dir / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        raise ReadOnlyIndex(exc.errno, f"cannot write to {index_dir}: {exc.strerror}") from exc
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if wait_message:
                print(f"waiting for another process that is building {index_dir} …", file=sys.stderr, flush=True)
            started = time.monotonic()
            fcntl.flock(fd, fcntl.LOCK_EX)
            if wait_message:
                print(f"… done after {time.monotonic() - started:.1f} s", file=sys.stderr, flush=True)
        yield
    finally:
        os.close(fd)  # releases the lock


def try_index_lock(index_dir: Path):
    """The lock if it is free right now, else None (close the returned fd to release)."""
    try:
        fd = os.open(index_dir / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        return None
    return fd
