"""The upload status message: progress from the build thread, edits throttled
to Telegram's limits, the last word always shown."""

from __future__ import annotations

import asyncio
import threading
import time

from bot.handlers_library import Status
from bot.texts import ZH


class FakeMessage:
    def __init__(self):
        self.text = "正在下载《a.pdf》……"
        self.edits: list[tuple[float, str]] = []

    async def edit_text(self, text, reply_markup=None):
        self.edits.append((time.monotonic(), text))
        self.text = text

    async def reply_text(self, text, reply_markup=None):
        raise AssertionError("the status message was there to edit")


def test_progress_edits_are_throttled_and_the_final_text_always_lands():
    async def scenario():
        message = FakeMessage()
        status = Status(message, private=True)
        status.interval = 0.3
        progress = status.progress_for("a.pdf", ZH.library)

        def build_thread():  # 200 pages read as fast as the reader can
            for page in range(1, 201):
                progress("reading", page, 200)
                time.sleep(0.005)

        worker = threading.Thread(target=build_thread)
        started = time.monotonic()
        worker.start()
        while worker.is_alive():
            await asyncio.sleep(0.02)
        await asyncio.sleep(0.4)  # the last progress edit is due
        elapsed = time.monotonic() - started
        await status.finish("已加入本群文档库：第1篇《a》")
        return message, elapsed

    message, elapsed = asyncio.run(scenario())
    progress_edits = [t for _, t in message.edits[:-1]]
    assert progress_edits and all("页" in t for t in progress_edits)
    # At most one edit per interval (plus the first), however often progress came.
    assert len(progress_edits) <= elapsed / 0.3 + 1
    times = [at for at, _ in message.edits[:-1]]
    assert all(b - a >= 0.29 for a, b in zip(times, times[1:]))
    assert "第 200/200 页" in progress_edits[-1]  # the latest state, not a stale one
    assert message.edits[-1][1] == "已加入本群文档库：第1篇《a》"


def test_an_unchanged_text_is_not_edited_again():
    async def scenario():
        message = FakeMessage()
        status = Status(message, private=False)
        status.interval = 0.05
        status.show(message.text)  # what it already says
        await asyncio.sleep(0.2)
        return message

    assert asyncio.run(scenario()).edits == []
