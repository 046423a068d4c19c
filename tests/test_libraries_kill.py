"""`kill -9` in the middle of uploads and removals: after the next start the
library's manifest, its files and its index agree, and every document the
manifest lists is answered."""

from __future__ import annotations

import asyncio
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bot.libraries import Libraries, scope_for_chat
from bot.libraries.storage import UPLOADED, LibraryFolder
from retrieval import open_engine

REPO = Path(__file__).resolve().parents[1]
WRITER = r'''
import asyncio, sys
from pathlib import Path
from bot.libraries import Libraries, Uploader, scope_for_chat
from retrieval import open_engine

shared, _ = open_engine()
libraries = Libraries(Path(sys.argv[1]), lambda: shared, [Path("seeds")])
scope = scope_for_chat("supergroup", -1)

async def main():
    for i in range(10_000):
        staged = libraries.staging_path(scope, f"星球{i}.txt")
        staged.write_text(f"星球{i}号档案\n\n编号为{i}的星球叫做“天枢{i}号”，它的轨道周期是{i + 7}天。\n", encoding="utf-8")
        await libraries.add(scope, staged, f"星球{i}.txt", Uploader(1, "writer"))
        print("added", i, flush=True)
        if i % 3 == 2:
            await libraries.remove(scope, libraries.documents(scope)[0].doc_id)
            print("removed", flush=True)

asyncio.run(main())
'''


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_kill_9_during_writes_leaves_a_library_that_agrees_with_itself(tmp_path, seed):
    rng = random.Random(seed)
    data = tmp_path / "data"
    writer = subprocess.Popen([sys.executable, "-c", WRITER, str(data)], cwd=REPO, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True, env={**os.environ, "PYTHONPATH": str(REPO)})
    try:
        wanted = rng.randint(3, 9)
        seen = 0
        deadline = time.monotonic() + 120
        while seen < wanted and time.monotonic() < deadline:
            line = writer.stdout.readline()
            if not line:
                pytest.fail("the writer stopped: " + writer.stderr.read()[-2000:])
            seen += line.startswith("added")
        time.sleep(rng.uniform(0.0, 0.3))  # somewhere inside the next add or remove
        writer.send_signal(signal.SIGKILL)
    finally:
        writer.wait(timeout=30)

    shared, _ = open_engine()
    libraries = Libraries(data, lambda: shared, [REPO / "seeds"])
    libraries.recover()  # what the bot does at start
    scope = scope_for_chat("supergroup", -1)
    folder = LibraryFolder(data / "libraries" / scope.key)
    documents = folder.documents()
    assert documents, "at least the first uploads were complete"
    assert sorted(p.name for p in folder.files.iterdir()) == sorted(d.doc_id for d in documents)
    assert not folder.staging.exists() and not any(folder.trash.glob("*"))
    view = asyncio.run(libraries.view(scope))
    indexed = {c.source_path for c in view.engine.chunks if c.source_path.startswith(UPLOADED)}
    assert indexed == {d.stored for d in documents}
    for document in documents:
        number = document.name.removeprefix("星球").removesuffix(".txt")
        answer = view.engine.ask(f"天枢{number}号的轨道周期是多少天？")
        assert answer.answered and answer.hits[0].chunk.source_path == document.stored
    libraries.close()
