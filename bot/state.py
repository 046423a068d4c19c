"""What the bot remembers between messages: asked questions and 👍/👎 votes, in SQLite.

A button press names an answer by its row id here, so buttons keep working
after a restart. A follow-up question read with its context records what
it was taken to mean (``interpreted_as``), which is what the buttons search
again; and each message the bot sent is mapped to its answer, so a reply to
it in a group can be read in that answer's context. Votes keep the question and the chunk ids that were cited,
which is what an evaluation needs later (`sqlite3 state/bot.sqlite3
'select * from feedback'`).
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path

SCHEMA = """
CREATE TABLE IF NOT EXISTS answers (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    chat_id INTEGER NOT NULL,
    user_id INTEGER,
    question TEXT NOT NULL,
    chunk_ids TEXT NOT NULL,           -- JSON list, best first
    created_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS feedback (
    answer_id INTEGER NOT NULL REFERENCES answers(id),
    user_id INTEGER NOT NULL,
    vote INTEGER NOT NULL,             -- +1 helpful, -1 not helpful
    question TEXT NOT NULL,
    chunk_ids TEXT NOT NULL,
    created_at REAL NOT NULL,
    PRIMARY KEY (answer_id, user_id)   -- a second press changes the vote
);
CREATE TABLE IF NOT EXISTS messages (  -- the bot's messages showing an answer
    chat_id INTEGER NOT NULL,
    message_id INTEGER NOT NULL,
    answer_id INTEGER NOT NULL REFERENCES answers(id),
    PRIMARY KEY (chat_id, message_id)
);
"""
# Added after the first release: older state files get the column on opening.
MIGRATIONS = {"answers": {"interpreted_as": "TEXT"}}  # the question with its context, when used


@dataclass(frozen=True)
class AskedQuestion:
    answer_id: int
    chat_id: int
    question: str
    chunk_ids: list[str]
    interpreted_as: str | None = None  # set when the question was read with its context

    @property
    def query(self) -> str:
        """What was searched, and is searched again for the buttons."""
        return self.interpreted_as or self.question


class StateStore:
    """Thread-safe: handlers call it through ``asyncio.to_thread``."""

    def __init__(self, path: Path | str | None = None):
        if path is not None:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(str(path) if path is not None else ":memory:", check_same_thread=False)
        self._lock = threading.Lock()
        with self._lock, self._db:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.executescript(SCHEMA)
            for table, columns in MIGRATIONS.items():
                present = {row[1] for row in self._db.execute(f"PRAGMA table_info({table})")}
                for column, kind in columns.items():
                    if column not in present:
                        self._db.execute(f"ALTER TABLE {table} ADD COLUMN {column} {kind}")

    def record_answer(
        self, chat_id: int, user_id: int | None, question: str, chunk_ids: list[str], interpreted_as: str | None = None
    ) -> int:
        with self._lock, self._db:
            cursor = self._db.execute(
                "INSERT INTO answers (chat_id, user_id, question, chunk_ids, created_at, interpreted_as)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (chat_id, user_id, question, json.dumps(chunk_ids, ensure_ascii=False), time.time(), interpreted_as),
            )
            return int(cursor.lastrowid)

    def question(self, answer_id: int) -> AskedQuestion | None:
        with self._lock:
            row = self._db.execute(
                "SELECT id, chat_id, question, chunk_ids, interpreted_as FROM answers WHERE id = ?", (answer_id,)
            ).fetchone()
        if row is None:
            return None
        return AskedQuestion(row[0], row[1], row[2], json.loads(row[3]), row[4])

    def record_message(self, chat_id: int, message_id: int, answer_id: int) -> None:
        """The bot's message ``message_id`` shows answer ``answer_id``."""
        with self._lock, self._db:
            self._db.execute(
                "INSERT OR REPLACE INTO messages (chat_id, message_id, answer_id) VALUES (?, ?, ?)",
                (chat_id, message_id, answer_id),
            )

    def answer_of_message(self, chat_id: int, message_id: int) -> AskedQuestion | None:
        """The answer a message of the bot shows, or None (not an answer, or not recorded)."""
        with self._lock:
            row = self._db.execute(
                "SELECT answer_id FROM messages WHERE chat_id = ? AND message_id = ?", (chat_id, message_id)
            ).fetchone()
        return self.question(row[0]) if row else None

    def record_vote(self, answer_id: int, user_id: int, helpful: bool) -> bool:
        """False when the answer is unknown (the state file was replaced)."""
        asked = self.question(answer_id)
        if asked is None:
            return False
        with self._lock, self._db:
            self._db.execute(
                "INSERT OR REPLACE INTO feedback (answer_id, user_id, vote, question, chunk_ids, created_at)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (
                    answer_id, user_id, 1 if helpful else -1, asked.question,
                    json.dumps(asked.chunk_ids, ensure_ascii=False), time.time(),
                ),
            )
        return True

    def votes(self, answer_id: int) -> dict[int, int]:
        with self._lock:
            rows = self._db.execute("SELECT user_id, vote FROM feedback WHERE answer_id = ?", (answer_id,)).fetchall()
        return dict(rows)

    def counts(self) -> tuple[int, int, int]:
        """(answers, helpful votes, unhelpful votes)."""
        with self._lock:
            answers = self._db.execute("SELECT COUNT(*) FROM answers").fetchone()[0]
            up, down = self._db.execute(
                "SELECT COALESCE(SUM(vote > 0), 0), COALESCE(SUM(vote < 0), 0) FROM feedback"
            ).fetchone()
        return int(answers), int(up), int(down)

    def close(self) -> None:
        with self._lock:
            self._db.close()
