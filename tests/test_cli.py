"""End to end through ``python -m retrieval``, as a user or a script runs it."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from retrieval.answer.snippets import GAP

ROOT = Path(__file__).resolve().parent.parent
ARTICLES = ROOT / "seeds" / "articles"

Q_885 = "重庆提出的885工作机制是什么？"
Q_TRADITIONAL = "重慶的「八張報表」涉及哪些領域？"
Q_KEYWORD = "数字鸿沟"
Q_UNANSWERABLE = "今天天气怎么样"

PARAGRAPH_885 = "“八张报表”涉及经济、政治、文化、社会、生态文明等重点领域"
CITATION_885 = "出处：《重庆推动超大城市现代化治理的实践探索与机制创新》 · 刘嗣方 · 探索超大城市现代化治理的重庆实践价值 · 第4段"

ANSWER_KEYS = {"question", "answered", "hits"}
HIT_KEYS = {"rank", "score", "chunk_id", "doc_id", "title", "author", "section", "paragraph",
            "source", "text", "snippet", "citation"}
CHUNK_KEYS = {"chunk_id", "doc_id", "title", "author", "section", "paragraph", "source_path",
              "line", "char_start", "char_end", "citation"}


def run(*args: str, stdin: str | None = None, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    env.pop("RETRIEVAL_CORPUS", None)
    return subprocess.run(
        [sys.executable, "-m", "retrieval", *args],
        cwd=cwd, env=env, input=stdin if stdin is not None else "", capture_output=True,
        text=True, encoding="utf-8", timeout=120,
    )


def json_lines(stdout: str) -> list[dict]:
    return [json.loads(line) for line in stdout.splitlines() if line.strip()]


def citation_of(record: dict) -> str:
    parts = [f"《{record['title']}》"]
    parts += [record[key] for key in ("author", "section") if record[key]]
    parts.append(f"第{record['paragraph']}段")
    return " · ".join(parts)


# ------------------------------------------------------------------- ask


def test_ask_prints_answer_paragraph_and_citation():
    result = run("ask", Q_885)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("答：") and "885" in lines[0]
    assert CITATION_885 in lines
    assert any(PARAGRAPH_885 in line for line in lines), result.stdout
    assert "\x1b[" not in result.stdout  # no colour codes when stdout is not a terminal


STDIN_QUESTIONS = [Q_885, Q_TRADITIONAL, "", Q_KEYWORD, "   ", Q_UNANSWERABLE]


@pytest.fixture(scope="module")
def stdin_answers() -> list[dict]:
    result = run("ask", "--json", stdin="\n".join(STDIN_QUESTIONS) + "\n")
    assert result.returncode == 0, result.stderr
    return json_lines(result.stdout)


def test_ask_json_from_stdin_one_object_per_question(stdin_answers):
    assert [a["question"] for a in stdin_answers] == [Q_885, Q_TRADITIONAL, Q_KEYWORD, Q_UNANSWERABLE]
    assert [a["answered"] for a in stdin_answers] == [True, True, True, False]
    for answer in stdin_answers:
        assert ANSWER_KEYS <= answer.keys()
        assert len(answer["hits"]) <= 5  # the default --top-k
        assert [hit["rank"] for hit in answer["hits"]] == list(range(1, len(answer["hits"]) + 1))
        for hit in answer["hits"]:
            assert HIT_KEYS <= hit.keys(), HIT_KEYS - hit.keys()
            assert isinstance(hit["score"], float)
            assert hit["citation"] == citation_of(hit)
            for piece in hit["snippet"].replace("【", "").replace("】", "").split(GAP):
                assert piece in hit["text"]
            assert hit["chunk_id"].startswith(hit["doc_id"] + "#")
            assert hit["source"].startswith("seeds/articles/")


def test_ask_json_top_hits(stdin_answers):
    by_question = {a["question"]: a for a in stdin_answers}
    for question in (Q_885, Q_TRADITIONAL):
        best = by_question[question]["hits"][0]
        assert best["chunk_id"] == "liu-sifang#p4", question
        assert best["author"] == "刘嗣方"
        assert best["paragraph"] == 4
        assert PARAGRAPH_885 in best["text"]
    assert "【885】" in by_question[Q_885]["hits"][0]["snippet"]
    keyword = by_question[Q_KEYWORD]["hits"][0]
    assert keyword["doc_id"] == "hou-jinliang"
    assert "数字鸿沟" in keyword["text"]
    assert "【数字鸿沟】" in keyword["snippet"]
    assert len(by_question[Q_885]["hits"]) == 5


def test_ask_json_top_k_limits_hits():
    result = run("ask", "--json", "--top-k", "2", stdin=f"{Q_885}\n{Q_KEYWORD}\n")
    assert result.returncode == 0, result.stderr
    answers = json_lines(result.stdout)
    assert len(answers) == 2
    assert len(answers[0]["hits"]) == 2
    assert 1 <= len(answers[1]["hits"]) <= 2
    assert answers[0]["hits"][0]["chunk_id"] == "liu-sifang#p4"


def test_ask_empty_stdin_prints_nothing():
    result = run("ask", "--json", stdin="")
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
    assert result.stderr == ""


# ----------------------------------------------------------------- index


def test_index_then_ask_with_that_index(tmp_path):
    corpus = tmp_path / "docs"
    shutil.copytree(ARTICLES, corpus)
    index = tmp_path / "idx"

    result = run("index", "--corpus", str(corpus), "--index", str(index))
    assert result.returncode == 0, result.stderr
    summary = re.search(
        r"(\d+) documents, (\d+) chunks, (\d+) tokens, (\d+(?:\.\d+)?) s", result.stdout)
    assert summary, result.stdout
    documents, chunks, tokens = (int(summary.group(i)) for i in (1, 2, 3))
    assert (documents, chunks) == (3, 24)
    assert tokens > 1000
    assert float(summary.group(4)) >= 0
    assert (index / "CURRENT").is_file()
    build = index / (index / "CURRENT").read_text(encoding="utf-8").strip()
    stamp = (build / "meta.json").stat().st_mtime_ns

    result = run("ask", "--index", str(index), "--corpus", str(corpus), "--json", Q_KEYWORD)
    assert result.returncode == 0, result.stderr
    [answer] = json_lines(result.stdout)
    assert answer["answered"] is True
    assert answer["hits"][0]["doc_id"] == "hou-jinliang"
    assert answer["hits"][0]["source"] == "docs/03-hou-jinliang.md"
    assert (build / "meta.json").stat().st_mtime_ns == stamp, "the saved index was rebuilt instead of reused"


# ---------------------------------------------------------------- chunks


def test_chunks_json_has_every_citation_field():
    result = run("chunks", "--json")
    assert result.returncode == 0, result.stderr
    chunks = json_lines(result.stdout)
    assert len(chunks) == 24
    assert [c["doc_id"] for c in chunks].count("liu-sifang") == 13
    assert len({c["chunk_id"] for c in chunks}) == 24
    for record in chunks:
        assert CHUNK_KEYS <= record.keys(), CHUNK_KEYS - record.keys()
        assert record["citation"] == citation_of(record)
        source = (ROOT / record["source_path"]).read_text(encoding="utf-8")
        # The character range and line point at this paragraph in the source file.
        span = source[record["char_start"]:record["char_end"]]
        assert re.sub(r"\s", "", span) == re.sub(r"\s", "", record["text"]), record["chunk_id"]
        assert source.splitlines()[record["line"] - 1].strip() == span.splitlines()[0].strip()
    p4 = next(c for c in chunks if c["chunk_id"] == "liu-sifang#p4")
    assert "出处：" + p4["citation"] == CITATION_885
    assert p4["source_path"] == "seeds/articles/01-liu-sifang.md"


# -------------------------------------------------------------- tokenize


def test_tokenize_folds_traditional_characters():
    result = run("tokenize", "重慶的黨建引領")
    assert result.returncode == 0, result.stderr
    tokens = json.loads(result.stdout)
    assert isinstance(tokens, list)
    assert "重庆" in tokens
    assert "党建" in tokens
    assert "的" not in tokens


# ------------------------------------------------------------- bad input


def test_missing_corpus_path_exits_2_naming_it(tmp_path):
    missing = tmp_path / "no-such-folder"
    result = run("ask", "--corpus", str(missing), Q_885)
    assert result.returncode == 2
    assert str(missing) in result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout == ""


def test_undecodable_file_is_skipped_with_a_warning(tmp_path):
    corpus = tmp_path / "mixed"
    corpus.mkdir()
    (corpus / "good.txt").write_text(
        "重庆火锅以麻辣鲜香闻名，牛油锅底是山城人最喜欢的味道。\n", encoding="utf-8")
    (corpus / "bad.txt").write_bytes(bytes(range(256)) * 8)
    result = run("ask", "--corpus", str(corpus), "--json", "重庆火锅的锅底")
    assert result.returncode == 0, result.stderr
    assert "bad.txt" in result.stderr
    assert "good.txt" not in result.stderr
    [answer] = json_lines(result.stdout)
    assert answer["answered"] is True
    assert answer["hits"][0]["source"] == "mixed/good.txt"


def test_bad_jsonl_line_is_named_with_its_line_number(tmp_path):
    docs = tmp_path / "news.jsonl"
    docs.write_text(
        json.dumps({"id": "a", "title": "火锅", "text": "重庆火锅以麻辣鲜香闻名，牛油锅底是山城人最喜欢的味道。"},
                   ensure_ascii=False) + "\n"
        + '{"id": "b", "text": "没有结尾的\n'
        + json.dumps({"id": "c", "title": "茶馆", "text": "成都的茶馆历史悠久，竹椅盖碗茶是市民休闲的日常方式。"},
                     ensure_ascii=False) + "\n",
        encoding="utf-8",
    )
    result = run("ask", "--corpus", str(docs), "--json", "成都茶馆盖碗茶")
    assert result.returncode == 0, result.stderr
    assert "news.jsonl:2" in result.stderr
    assert "news.jsonl:1" not in result.stderr and "news.jsonl:3" not in result.stderr
    [answer] = json_lines(result.stdout)
    assert answer["hits"][0]["doc_id"] == "c"


def test_very_long_question_does_not_crash():
    question = ("重庆提出的885工作机制是什么" * 800)[:10_000]
    assert len(question) == 10_000
    result = run("ask", question)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert "问题太长" in result.stdout
    assert CITATION_885 in result.stdout.splitlines()


def test_html_and_control_characters_do_not_crash():
    html = "<b>重庆</b>\x00\x07"
    long = "数字鸿沟" * 2500
    result = run("ask", "--json", stdin=f"{html}\n{long}\n")
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    answers = json_lines(result.stdout)
    assert len(answers) == 2
    assert answers[0]["question"] == html
    assert answers[0]["hits"], "重庆 is in the corpus"
    assert all("重庆" in hit["text"] for hit in answers[0]["hits"])
    assert answers[1]["hits"][0]["doc_id"] == "hou-jinliang"


# ------------------------------------------------------------------ chat


def test_chat_answers_piped_questions_and_exits_at_end_of_input():
    result = run("chat", stdin=f"{Q_885}\n")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert f"问：{Q_885}" in lines
    assert CITATION_885 in lines
    assert any(PARAGRAPH_885 in line for line in lines)


# ------------------------------------------------------------------ help


@pytest.mark.parametrize("args", [["--help"], ["ask", "--help"]])
def test_help_shows_examples(args):
    result = run(*args)
    assert result.returncode == 0, result.stderr
    assert "examples:" in result.stdout
    assert 'python -m retrieval ask "重庆提出的885工作机制是什么？"' in result.stdout
    assert "python -m retrieval index --corpus" in result.stdout


def test_ask_with_only_an_index_serves_that_index_and_keeps_it_fresh(tmp_path):
    corpus = tmp_path / "docs"
    corpus.mkdir()
    shutil.copy(ARTICLES / "02-gan-di.md", corpus)
    index = tmp_path / "index"
    assert run("index", "--corpus", str(corpus), "--index", str(index)).returncode == 0

    def ask(question: str) -> dict:
        result = run("ask", "--index", str(index), "--json", question)
        assert result.returncode == 0, result.stderr
        return json.loads(result.stdout)

    assert ask("国企改革")["hits"][0]["doc_id"] == "gan-di"  # not the bundled corpus
    (corpus / "new.txt").write_text("蓝鲸协议规定了新的合作方式。\n", encoding="utf-8")
    assert ask("蓝鲸协议")["answered"]  # the index followed its corpus
    moved = tmp_path / "elsewhere"
    corpus.rename(moved)
    assert ask("蓝鲸协议")["answered"]  # corpus gone: the index is served as it is
    assert {hit["doc_id"] for hit in ask("重庆885工作机制")["hits"]} <= {"gan-di", "new.txt"}


def test_ask_takes_the_question_after_corpus_paths(tmp_path):
    (tmp_path / "a.txt").write_text("兰花\n\n兰花种植要注意通风和光照，浇水宜少不宜多。\n", encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "retrieval", "ask", "--corpus", str(tmp_path), "--json", "兰花怎么浇水"],
                          capture_output=True, text=True, cwd=ROOT, check=False)
    assert done.returncode == 0, done.stderr
    answer = json.loads(done.stdout)
    assert answer["question"] == "兰花怎么浇水" and answer["answered"]


def test_eval_on_a_set_without_questions_is_an_error(tmp_path):
    empty = tmp_path / "empty.json"
    empty.write_text(json.dumps({"data": [{"title": "t", "paragraphs": [{"id": "p", "context": "一段话。", "qas": []}]}]}), encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "retrieval", "eval", str(empty)], capture_output=True, text=True,
                          cwd=ROOT, check=False)
    assert done.returncode == 2
    assert "no questions" in done.stderr


def test_ctrl_c_during_index_prints_no_worker_tracebacks(tmp_path):
    lines = [json.dumps({"id": f"r{i}", "text": f"第{i}条：城市治理现代化是国家治理体系的重要内容。" * 20}, ensure_ascii=False)
             for i in range(20000)]
    (tmp_path / "big.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    process = subprocess.Popen([sys.executable, "-m", "retrieval", "index", "--corpus", str(tmp_path / "big.jsonl"),
                                "--index", str(tmp_path / "idx"), "--workers", "2"],
                               cwd=ROOT, stderr=subprocess.PIPE, text=True, start_new_session=True)
    seen = []
    for line in process.stderr:  # interrupt once the workers are tokenizing
        seen.append(line)
        if line.startswith("tokenizing:"):
            break
    os.killpg(process.pid, signal.SIGINT)  # what a terminal's Ctrl-C does: the whole group
    _, rest = process.communicate(timeout=60)
    stderr = "".join(seen) + rest
    assert process.returncode == 130, stderr
    assert "Traceback" not in stderr
    assert "interrupted" in stderr
