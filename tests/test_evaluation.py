"""`python -m retrieval eval` on small SQuAD-format files."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from retrieval.evaluation.squad import DatasetError, evaluate, load_squad

ROOT = Path(__file__).resolve().parent.parent

PARAGRAPHS = [
    ("重庆是中国西南的直辖市，以山城和火锅闻名，长江与嘉陵江在此交汇。", "重庆以什么闻名？", "山城和火锅"),
    ("杭州西湖是著名的风景名胜区，苏堤和白堤横贯湖面，春天桃花盛开。", "西湖上有哪两条堤？", "苏堤和白堤"),
    ("大熊猫主要生活在四川的竹林里，以竹子为主要食物，是国家一级保护动物。", "大熊猫吃什么？", "竹子"),
    ("敦煌莫高窟开凿于十六国时期，保存了大量佛教壁画和彩塑艺术。", "莫高窟保存了什么艺术？", "佛教壁画和彩塑"),
]


@pytest.fixture
def squad_file(tmp_path):
    data = {"version": "test", "data": [{
        "title": "测试",
        "id": "A",
        "paragraphs": [
            {"id": f"P{i}", "context": context,
             "qas": [{"id": f"Q{i}", "question": question, "answers": [{"text": answer, "answer_start": context.index(answer)}]}]}
            for i, (context, question, answer) in enumerate(PARAGRAPHS)
        ],
    }]}
    path = tmp_path / "tiny.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


def test_each_paragraph_is_a_document_and_each_question_is_asked(squad_file):
    dataset = load_squad(squad_file)
    assert [d.doc_id for d in dataset.documents] == ["P0", "P1", "P2", "P3"]
    assert [q.paragraph_id for q in dataset.questions] == ["P0", "P1", "P2", "P3"]
    metrics = evaluate(dataset)
    assert metrics.questions == 4 and metrics.paragraphs == 4
    assert metrics.hit_at_1 == 1.0 and metrics.mrr_at_10 == 1.0
    assert metrics.snippet_has_answer == 1.0
    assert metrics.ms_per_question > 0


def test_a_question_about_another_paragraph_is_a_miss(tmp_path, squad_file):
    data = json.loads(squad_file.read_text(encoding="utf-8"))
    data["data"][0]["paragraphs"][0]["qas"][0]["question"] = "大熊猫生活在哪里？"  # asked of P0, answered by P2
    squad_file.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    metrics = evaluate(load_squad(squad_file))
    assert metrics.hit_at_1 == pytest.approx(0.75)
    assert metrics.mrr_at_10 < 1.0


def test_broken_files_are_named(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("{not json", encoding="utf-8")
    with pytest.raises(DatasetError, match="bad.json"):
        load_squad(bad)
    wrong = tmp_path / "wrong.json"
    wrong.write_text('{"items": []}', encoding="utf-8")
    with pytest.raises(DatasetError, match="not SQuAD"):
        load_squad(wrong)


def run_cli(*args):
    return subprocess.run([sys.executable, "-m", "retrieval", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)


def test_cli_prints_the_metrics(squad_file):
    result = run_cli("eval", str(squad_file))
    assert result.returncode == 0, result.stderr
    for label in ("Hit@1", "Hit@5", "MRR@10", "ms/question"):
        assert label in result.stdout
    as_json = run_cli("eval", str(squad_file), "--json", "--analyzer", "word_pairs=false,t2s=false")
    record = json.loads(as_json.stdout)
    assert record["hit_at_1"] == 1.0
    assert record["analyzer"]["word_pairs"] is False and record["analyzer"]["search_mode"] is True


def test_cli_rejects_unknown_analyzer_options(squad_file):
    result = run_cli("eval", str(squad_file), "--analyzer", "stemming=true")
    assert result.returncode == 2 and "stemming" in result.stderr
