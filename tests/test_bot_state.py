"""bot.state: the SQLite store behind the buttons and the 👍/👎 feedback."""

from __future__ import annotations

import json
import sqlite3
import threading

import pytest

from bot.state import AskedQuestion, StateStore

CHUNKS = ["重庆治理.md#p4", "国企改革.md#p1.2", "文件/子目录/说明.txt#p12"]


@pytest.fixture
def store():
    s = StateStore()  # in memory
    yield s
    s.close()


def test_record_answer_hands_out_increasing_ids(store):
    ids = [store.record_answer(1001, 1001, f"问题{i}", [f"d#p{i}"]) for i in range(5)]
    assert all(isinstance(i, int) for i in ids)
    assert ids == sorted(ids) and len(set(ids)) == 5
    assert ids[0] >= 1


def test_question_round_trips_chinese_text_and_chunk_ids(store):
    answer_id = store.record_answer(-1009, 1001, "重庆提出的885工作机制是什么？", CHUNKS)
    assert store.question(answer_id) == AskedQuestion(answer_id, -1009, "重庆提出的885工作机制是什么？", CHUNKS)


def test_question_round_trips_an_empty_chunk_list_and_no_user(store):
    answer_id = store.record_answer(5, None, "什么", [])
    asked = store.question(answer_id)
    assert asked is not None and asked.chunk_ids == [] and asked.chat_id == 5


def test_an_unknown_answer_id_has_no_question(store):
    assert store.question(12345) is None


def test_a_second_vote_by_the_same_user_replaces_the_first(store):
    answer_id = store.record_answer(1, 1, "问题", CHUNKS)
    assert store.record_vote(answer_id, 1001, helpful=True)
    assert store.votes(answer_id) == {1001: 1}
    assert store.counts() == (1, 1, 0)

    assert store.record_vote(answer_id, 1001, helpful=False)
    assert store.votes(answer_id) == {1001: -1}
    assert store.counts() == (1, 0, 1)


def test_votes_by_different_users_are_kept_apart(store):
    first = store.record_answer(1, 1, "问题一", ["a#p1"])
    second = store.record_answer(1, 1, "问题二", ["b#p2"])
    store.record_vote(first, 1, helpful=True)
    store.record_vote(first, 2, helpful=False)
    store.record_vote(second, 1, helpful=True)
    assert store.votes(first) == {1: 1, 2: -1}
    assert store.votes(second) == {1: 1}
    assert store.counts() == (2, 2, 1)


def test_a_vote_on_an_unknown_answer_is_refused_and_not_stored(store):
    assert store.record_vote(999, 1001, helpful=True) is False
    assert store.votes(999) == {}
    assert store.counts() == (0, 0, 0)


def test_counts_start_at_zero(store):
    assert store.counts() == (0, 0, 0)


def test_a_vote_keeps_the_question_and_the_cited_chunks(tmp_path):
    path = tmp_path / "state.sqlite3"
    s = StateStore(path)
    answer_id = s.record_answer(1, 2, "党建引领是什么", CHUNKS)
    s.record_vote(answer_id, 2, helpful=False)
    s.close()
    with sqlite3.connect(path) as db:
        row = db.execute("SELECT answer_id, user_id, vote, question, chunk_ids FROM feedback").fetchone()
    assert row[:4] == (answer_id, 2, -1, "党建引领是什么")
    assert json.loads(row[4]) == CHUNKS


def test_answers_and_votes_survive_reopening_the_file(tmp_path):
    path = tmp_path / "nested" / "dir" / "bot.sqlite3"  # parents are created
    first = StateStore(path)
    answer_id = first.record_answer(-1009, 7, "问题", CHUNKS)
    first.record_vote(answer_id, 7, helpful=True)
    first.close()

    second = StateStore(path)
    try:
        assert second.question(answer_id) == AskedQuestion(answer_id, -1009, "问题", CHUNKS)
        assert second.votes(answer_id) == {7: 1}
        assert second.counts() == (1, 1, 0)
        assert second.record_answer(1, 1, "下一个", []) > answer_id
    finally:
        second.close()


def test_ids_are_not_reused_after_reopening(tmp_path):
    path = tmp_path / "bot.sqlite3"
    s = StateStore(path)
    ids = [s.record_answer(1, 1, "q", []) for _ in range(3)]
    s.close()
    s = StateStore(path)
    try:
        assert s.record_answer(1, 1, "q", []) > max(ids)
    finally:
        s.close()


def test_concurrent_writers_get_distinct_ids(tmp_path):
    s = StateStore(tmp_path / "bot.sqlite3")
    threads, per_thread = 8, 25
    results: list[list[int]] = [[] for _ in range(threads)]
    errors: list[BaseException] = []
    start = threading.Barrier(threads)

    def work(n: int) -> None:
        try:
            start.wait()
            for i in range(per_thread):
                answer_id = s.record_answer(n, n, f"线程{n}问题{i}", [f"d#p{i}"])
                results[n].append(answer_id)
                assert s.record_vote(answer_id, n, helpful=i % 2 == 0)
                assert s.question(answer_id).question == f"线程{n}问题{i}"
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    workers = [threading.Thread(target=work, args=(n,)) for n in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(timeout=30)
    try:
        assert not errors, errors
        all_ids = [i for ids in results for i in ids]
        assert len(all_ids) == threads * per_thread
        assert len(set(all_ids)) == len(all_ids)
        up = sum((per_thread + 1) // 2 for _ in range(threads))
        assert s.counts() == (threads * per_thread, up, threads * per_thread - up)
    finally:
        s.close()


# ----------------------------------------------------------------- follow-ups


def test_a_follow_ups_interpretation_round_trips_and_is_what_is_searched(store):
    plain_id = store.record_answer(1, 1, "数字鸿沟怎么解决", ["hou-jinliang#p3"])
    follow_id = store.record_answer(1, 1, "农村呢？", ["hou-jinliang#p3"], interpreted_as="农村 数字鸿沟 解决")
    assert store.question(plain_id).interpreted_as is None
    assert store.question(plain_id).query == "数字鸿沟怎么解决"
    asked = store.question(follow_id)
    assert asked.question == "农村呢？" and asked.query == "农村 数字鸿沟 解决"


def test_the_bots_messages_map_to_their_answers_per_chat(store):
    answer_id = store.record_answer(-1009, 1001, "问题", CHUNKS)
    store.record_message(-1009, 5000, answer_id)
    assert store.answer_of_message(-1009, 5000).answer_id == answer_id
    assert store.answer_of_message(-2000, 5000) is None  # the same message id in another chat
    assert store.answer_of_message(-1009, 5001) is None


def test_a_state_file_from_before_follow_ups_gains_the_column(tmp_path):
    path = tmp_path / "old.sqlite3"
    db = sqlite3.connect(path)
    db.executescript(
        "CREATE TABLE answers (id INTEGER PRIMARY KEY AUTOINCREMENT, chat_id INTEGER NOT NULL, user_id INTEGER,"
        " question TEXT NOT NULL, chunk_ids TEXT NOT NULL, created_at REAL NOT NULL);"
        "INSERT INTO answers (chat_id, user_id, question, chunk_ids, created_at) VALUES (1, 1, '旧问题', '[\"a#p1\"]', 0);"
    )
    db.commit()
    db.close()
    s = StateStore(path)
    try:
        assert s.question(1) == AskedQuestion(1, 1, "旧问题", ["a#p1"])
        new_id = s.record_answer(1, 1, "新问题", [], interpreted_as="新问题 旧")
        assert s.question(new_id).interpreted_as == "新问题 旧"
    finally:
        s.close()
    StateStore(path).close()  # opening it again changes nothing
