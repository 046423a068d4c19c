"""The second stage: features of where the question's words stand, and the
order they give; synonym expansion; the eval options that measure them."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from retrieval import Analyzer, Document, SearchEngine, chunk_documents
from retrieval.answer import expansion, proximity, second_stage
from retrieval.answer.expansion import Expansion, load_expansion, read_sets
from retrieval.evaluation.squad import evaluate, load_squad

ROOT = Path(__file__).resolve().parent.parent


# Other subjects, so that the corpus is large enough for Okapi's idf.
FILLER = [
    "杭州西湖春天桃花盛开，游人如织。", "大熊猫生活在四川的竹林里，以竹子为食。", "敦煌莫高窟保存了大量佛教壁画。",
    "黄河是中国第二长河，流经九个省区。", "长城始建于春秋战国时期，绵延万里。", "北京烤鸭以果木烤制，色泽红润。",
]


def engine_over(texts: list[str], titles: list[str] | None = None, **kwargs) -> SearchEngine:
    titles = (titles or [f"文档{i}" for i in range(len(texts))]) + [f"其他{i}" for i in range(len(FILLER))]
    documents = [
        Document(doc_id=f"d{i}", text=text, source_path=f"d{i}.txt", title=titles[i])
        for i, text in enumerate(texts + FILLER)
    ]
    engine = SearchEngine.build(chunk_documents(documents), Analyzer([]))
    for name, value in kwargs.items():
        setattr(engine, name, value)
    return engine


def first(engine: SearchEngine, question: str) -> str:
    return engine.ask(question, top_k=5).hits[0].chunk.doc_id


def before(engine: SearchEngine) -> SearchEngine:
    """The same engine with the second stage as it was: coverage only, five hits."""
    engine.second_stage_weights = second_stage.COVERAGE_ONLY
    engine.coverage_weight = second_stage.COVERAGE_ONLY.coverage
    engine.rerank_depth = 5
    return engine


# ------------------------------------------------------------------ features


def test_window_share_is_high_only_where_the_words_stand_together():
    weights = {"水库": 2.0, "蓄水": 1.0}
    together = "三峡水库开始蓄水。" + "其他内容。" * 20
    apart = "三峡水库建成。" + "其他内容。" * 20 + "汛期后开始蓄水。"
    assert proximity.window_share(together, weights, 3.0) == pytest.approx(1.0)
    assert proximity.window_share(apart, weights, 3.0) == pytest.approx(2 / 3)
    assert proximity.window_share("", weights, 3.0) == 0.0


def test_longest_run_finds_the_longest_verbatim_stretch():
    assert proximity.longest_run("该频道每日以播放什么剧为主", "该频道每日以播放电影为主") == len("该频道每日以播放")
    assert proximity.longest_run("完全不同", "另一段文字") == 0


def test_sentence_pair_share_counts_character_pairs_of_two_neighbouring_sentences():
    pairs = proximity.question_pairs("一局比赛结束之后交换发球权")
    text = "网球比赛很受欢迎。选手站在球网两边。一局比赛结束之后交换发球权。发球手站在线后。"
    scattered = "网球比赛很受欢迎。一局很长。交换场地。发球权归对方。之后再说。"
    assert proximity.sentence_pair_share(pairs, text) > 0.9
    assert proximity.sentence_pair_share(pairs, scattered) < 0.6
    assert proximity.question_pairs("hbo频道2012") == {"hbo", "频道", "2012"}  # (questions come in normal form)


def test_sentence_char_share_weighs_the_rare_characters_two_neighbouring_sentences_hold():
    weights = {"策": 3.0, "划": 3.0, "人": 0.5}
    together = "攻击由山本策划。舰队随后出发。港口平静。天气晴朗。"
    apart = "策略很多。港口平静。天气晴朗。舰队随后出发。计划已定。"
    assert proximity.sentence_char_share(weights, 6.5, together) == pytest.approx(6 / 6.5)
    assert proximity.sentence_char_share(weights, 6.5, apart) == pytest.approx(3 / 6.5)
    assert proximity.sentence_char_share(weights, 6.5, "港口平静。") == 0.0
    assert proximity.sentence_char_share(weights, 0.0, together) == 0.0
    assert proximity.question_chars("hbo频道2012年") == {"频", "道", "年"}


def test_characters_meet_where_the_words_were_cut_differently():
    # 策画人 asked, 策划 written: the word is not there, its rare 策 is.
    weights = {"珍珠港": 3.0, "策画人": 3.0}
    rare = {"珍": 1.0, "珠": 1.0, "港": 1.0, "的": 0.1, "是": 0.1, "策": 4.0, "画": 4.0, "人": 0.5}
    question = second_stage.QuestionFeatures(
        "珍珠港的策画人是谁", weights, Analyzer([]).normalize, char_rarity=rare.__getitem__
    )
    assert question.chars == {c: rare[c] for c in "珍珠港的策画人是"}  # 谁 is the asking word
    plan = "偷袭珍珠港由山本五十六策划。"
    other = "珍珠港位于夏威夷瓦胡岛，是美国海军基地。"
    on = second_stage.Weights()
    planned, elsewhere = (question.of(t, "", 0.5, on) for t in (plan, other))
    assert planned.characters > elsewhere.characters > 0
    assert planned.characters == pytest.approx((3 + 4) / 11.7)  # 珍珠港 and 策 in one sentence
    assert elsewhere.characters == pytest.approx((3 + 0.1) / 11.7)  # 珍珠港 and 是
    assert second_stage.QuestionFeatures("珍珠港的策画人是谁", weights, Analyzer([]).normalize).of(
        plan, "", 0.5, on).characters == 0.0  # without the corpus's counts the feature is off
    candidates = [(6.0, 0.5, other, ""), (5.0, 0.5, plan, "")]
    off = second_stage.Weights(characters=0.0)
    gained = [a - b for a, b in zip(second_stage.keys(candidates, question, on), second_stage.keys(candidates, question, off))]
    assert gained == pytest.approx([on.characters * elsewhere.characters, on.characters * planned.characters])


def test_title_share_is_how_much_of_the_title_the_question_names():
    assert proximity.title_share("鑫诺卫星通信", "鑫诺卫星通信有限公司哪年成立？") == 1.0
    assert proximity.title_share("黑龙江龙 (sahaliyania)", "黑龙江龙的化石在哪里发现？") == 1.0  # disambiguation dropped
    assert proximity.title_share("网球", "谁发明了乒乓球？") == 0.0  # one character in common is not a name
    assert proximity.title_share("月", "月代是什么？") == 0.0


def test_spelled_out_share_finds_an_abbreviation_written_in_full():
    weights = {"国企": 2.0, "改革": 1.0}
    assert proximity.spelled_out_share("推动国有企业改革攻坚。", weights, 3.0) == pytest.approx(2 / 3)
    assert proximity.spelled_out_share("国企改革。", weights, 3.0) == 0.0  # there as written: not counted again
    assert proximity.spelled_out_share("国家。企业。", weights, 3.0) == 0.0  # not across punctuation


# Gaps of letters (有, 一, a), digits (3, ３), an underscore or punctuation.
_GAPS = st.text(alphabet="有一a3３_。 国企", max_size=3)


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet="国企校a", min_size=1, max_size=5), st.data())
def test_spells_out_finds_what_the_pattern_it_replaced_finds(word, data):
    # The word's characters with a drawn gap before each: often a spelling out, often nearly one.
    text = "".join(data.draw(_GAPS) + ch for ch in word) + data.draw(_GAPS)
    gap = rf"[^\W\d_]{{1,{proximity.MAX_GAP}}}"
    pattern = re.compile(gap.join(re.escape(ch) for ch in word))
    eligible = 2 <= len(word) <= 4 and all("\u4e00" <= ch <= "\u9fff" for ch in word)
    assert proximity.spells_out(text, word) == (eligible and pattern.search(text) is not None), text


def test_features_are_computed_only_when_weighed():
    question = second_stage.QuestionFeatures("三峡水库蓄水", {"水库": 1.0, "蓄水": 1.0}, Analyzer([]).normalize)
    off = second_stage.Weights(proximity=0, phrase=0, sentences=0, characters=0, title=0, abbreviations=0,
                                synonyms=0, numbers=0, answer_type=0, inherited=0)
    assert not off.positional
    features = question.of("三峡水库开始蓄水。", "三峡", 0.5, off)
    assert (features.proximity, features.phrase, features.sentences, features.title) == (0, 0, 0, 0)
    on = question.of("三峡水库开始蓄水。", "三峡", 0.5, second_stage.Weights())
    assert on.proximity == 1.0 and on.phrase == pytest.approx(0.4) and on.title == 1.0


def test_weights_reject_unknown_features():
    with pytest.raises(ValueError, match="stemming"):
        second_stage.Weights().with_changes({"stemming": 1.0})


# ---------------------------------------------------------------- the order


SCATTERED = (
    "数字经济、数字技术、数字产业发展迅速。政府部门、政府机构服务优化。城市建设、城市更新加快。"
    "治理能力、治理水平提升。推动发展。"
)
TOGETHER = (
    "近年来重庆各项事业取得长足进步，经济总量持续增长，民生保障更加有力，生态环境明显改善。"
    "重庆以数字政府推动城市治理，成效显著。"
)


def test_proximity_prefers_the_chunk_that_says_the_words_together():
    weights = {"数字": 1.0, "政府": 1.0, "推动": 1.0, "城市": 1.0, "治理": 1.0}
    question = second_stage.QuestionFeatures("数字政府怎样推动城市治理", weights, Analyzer([]).normalize)
    # Both hold every word, the scattered one a little more often (BM25 first).
    candidates = [(6.0, 1.0, SCATTERED, "文档"), (5.5, 1.0, TOGETHER, "文档")]
    assert second_stage.order(candidates, question, second_stage.COVERAGE_ONLY) == [0, 1]
    assert second_stage.order(candidates, question, second_stage.Weights()) == [1, 0]
    together, scattered = (question.of(t, "", 1.0, second_stage.Weights()) for t in (TOGETHER, SCATTERED))
    assert together.proximity > scattered.proximity and together.sentences > scattered.sentences
    assert together.phrase > scattered.phrase


def test_the_question_naming_a_title_prefers_that_document():
    texts = [
        "该公司主要经营卫星转发器租赁。鑫诺卫星通信有限公司成立于1994年。",
        "鑫诺二号通信卫星服务于鑫诺卫星通信有限公司，于2006年发射。",
    ]
    titles = ["鑫诺卫星通信", "鑫诺二号通信卫星"]
    question = "鑫诺卫星通信有限公司的业务范围？"
    assert first(before(engine_over(texts, titles)), question) == "d1"
    assert first(engine_over(texts, titles), question) == "d0"


def test_a_word_only_the_title_holds_is_inherited_by_the_documents_paragraphs():
    # A paragraph of the article 珍珠港事件 is about it without repeating the name;
    # BM25 sees the name only in siblings that do (on DRCD dev, +3 right first).
    weights = {"珍珠港事件": 3.0, "美方": 1.0, "谈判": 1.0, "代表": 1.0}
    question = second_stage.QuestionFeatures("珍珠港事件前美方的谈判代表是谁", weights, Analyzer([]).normalize)
    names_it = "珍珠港事件以后，美国国会通过决议，对日本宣战。"
    leaves_it = "事件发生前，日美谈判破裂，美方的代表是国务卿赫尔。"
    on = second_stage.Weights()
    assert question.of(leaves_it, "珍珠港事件", 1.0, on).inherited == pytest.approx(3 / 6)
    assert question.of(names_it, "珍珠港事件", 1.0, on).inherited == 0.0
    assert question.of(leaves_it, "东京审判", 1.0, on).inherited == 0.0  # another document's paragraph
    candidates = [(6.0, 0.5, names_it, "珍珠港事件"), (5.0, 1.0, leaves_it, "珍珠港事件")]
    off = second_stage.Weights(inherited=0.0)
    gained = [a - b for a, b in zip(second_stage.keys(candidates, question, on), second_stage.keys(candidates, question, off))]
    assert gained == pytest.approx([0.0, on.inherited * 3 / 6])


def test_an_abbreviation_meets_its_full_form():
    texts = ["深化改革需要长期坚持，方向决定成败。", "推动国有企业改革攻坚，提质增效。"]
    question = "国企改革有什么意义"
    assert first(before(engine_over(texts)), question) == "d0"
    assert first(engine_over(texts), question) == "d1"


def test_scores_stay_bm25_and_only_the_head_is_reordered():
    engine = engine_over([SCATTERED, TOGETHER, "城市绿化与公园建设。"])
    plain = SearchEngine(engine.chunks, engine.analyzer, engine.model, rerank=False).ask("数字政府怎样推动城市治理")
    staged = engine.ask("数字政府怎样推动城市治理")
    assert sorted(h.score for h in plain.hits) == sorted(h.score for h in staged.hits)
    assert [h.rank for h in staged.hits] == list(range(1, len(staged.hits) + 1))


# ------------------------------------------------------------------ synonyms


LAOBAIXING = ["重庆及时回应企业诉求，问题件件有着落。", "重庆及时回应群众诉求，问题件件有着落。"]


def test_expansion_maps_a_colloquial_word_to_the_documents_word(tmp_path):
    sets = tmp_path / "synonyms.txt"
    sets.write_text("Aa01B02= 群众 老百姓 民众\nAa01B03# 群众 观众\n", encoding="utf-8")
    expansion_data = Expansion(read_sets(sets))
    assert expansion_data.synonyms("老百姓") == ("民众", "群众")
    assert "观众" not in expansion_data.synonyms("群众")  # "#" sets are related words, not synonyms
    question = "重庆怎样回应老百姓的诉求"
    without = engine_over(LAOBAIXING)
    assert first(without, question) == "d0"
    with_synonyms = engine_over(LAOBAIXING, expansion=expansion_data)
    assert first(with_synonyms, question) == "d1"
    assert [h.score for h in with_synonyms.ask(question).hits] == [h.score for h in without.ask(question).hits]  # still BM25's


def test_expansion_is_off_unless_configured(monkeypatch, tmp_path):
    monkeypatch.delenv(expansion.ENVIRONMENT, raising=False)
    load_expansion.cache_clear()
    assert load_expansion() is None
    assert load_expansion("none") is None
    assert load_expansion(str(tmp_path / "missing.txt")) is None
    sets = tmp_path / "s.txt"
    sets.write_text("群众 老百姓\n", encoding="utf-8")
    monkeypatch.setenv(expansion.ENVIRONMENT, str(sets))
    load_expansion.cache_clear()
    try:
        assert load_expansion().synonyms("群众") == ("老百姓",)
    finally:
        load_expansion.cache_clear()


# ----------------------------------------------------------- the eval options


@pytest.fixture
def squad_file(tmp_path):
    contexts = [SCATTERED, TOGETHER, LAOBAIXING[1]]
    questions = ["数字政府怎样推动城市治理", "重庆各项事业有什么进步", "群众诉求怎样回应"]
    data = {"version": "t", "data": [{"title": "t", "id": "A", "paragraphs": [
        {"id": f"P{i}", "context": c, "qas": [{"id": f"Q{i}", "question": q, "answers": [{"text": c[:4], "answer_start": 0}]}]}
        for i, (c, q) in enumerate(zip(contexts, questions))
    ]}]}
    path = tmp_path / "set.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


def test_evaluate_takes_bm25_parameters_and_second_stage_weights(squad_file):
    dataset = load_squad(squad_file)
    assert evaluate(dataset).questions == 3
    changed = evaluate(dataset, bm25={"k1": 0.9, "b": 0.4}, second_stage={"proximity": 0.0, "coverage": 0.5})
    assert changed.questions == 3
    with pytest.raises(ValueError, match="not available"):
        evaluate(dataset, expansion=str(squad_file.parent / "missing.txt"))


def test_cli_eval_second_stage_options(squad_file):
    def run(*args):
        return subprocess.run([sys.executable, "-m", "retrieval", "eval", str(squad_file), *args],
                              cwd=ROOT, capture_output=True, text=True, timeout=120)

    result = run("--json", "--k1", "1.2", "--b", "0.6", "--second-stage", "proximity=0,title=0.5")
    assert result.returncode == 0, result.stderr
    record = json.loads(result.stdout)
    assert record["analyzer"]["k1"] == 1.2 and record["analyzer"]["b"] == 0.6
    assert record["analyzer"]["second_stage"]["proximity"] == 0.0 and record["analyzer"]["second_stage"]["title"] == 0.5
    bad = run("--second-stage", "stemming=1")
    assert bad.returncode == 2 and "stemming" in bad.stderr
