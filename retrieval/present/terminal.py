"""Terminal niceties shared by the CLI, the console chat and the bot's start-up."""

from __future__ import annotations

import sys


def utf8_stdio() -> None:
    for stream in (sys.stdout, sys.stderr):
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(encoding="utf-8", errors="replace")
    if hasattr(sys.stdin, "reconfigure"):
        sys.stdin.reconfigure(encoding="utf-8", errors="replace")


def progress_printer(*, always: bool = False):
    """A tqdm bar per stage on a terminal; plain lines every 10% elsewhere
    (``always``), so logs of long indexing runs show it is alive."""
    if not sys.stderr.isatty():
        return _plain_progress() if always else None
    from tqdm import tqdm

    bars: dict[str, tqdm] = {}

    def update(stage: str, done: int, total: int) -> None:
        bar = bars.get(stage)
        if bar is None:
            bar = bars[stage] = tqdm(total=total, desc=stage, unit="file" if stage == "reading files" else "chunk", file=sys.stderr, leave=False)
        bar.update(done - bar.n)
        if done >= total:
            bar.close()

    return update


QUIET_BELOW = 1000  # a few files index in a blink; a progress report is noise


def _plain_progress():
    last_tenth: dict[str, int] = {}

    def update(stage: str, done: int, total: int) -> None:
        if total < QUIET_BELOW:
            return
        tenth = done * 10 // max(total, 1)
        if tenth != last_tenth.get(stage):
            last_tenth[stage] = tenth
            print(f"{stage}: {done}/{total}", file=sys.stderr, flush=True)

    return update
