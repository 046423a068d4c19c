"""What a question asks, for the second stage: its asking words, its numbers
in any form, and the kind of answer its best sentence should hold."""

from __future__ import annotations

import pytest

from retrieval import Analyzer, Document, SearchEngine, chunk_documents
from retrieval.answer import answer_type, proximity, second_stage

normalize = Analyzer([]).normalize


# ---------------------------------------------------------------- asking words


def test_asking_words_are_found():
    def asked(q):
        return [q[a:b] for a, b in answer_type.asking_spans(q)]

    assert asked("欧洲的铁幕维持了多久?") == ["多久"]
    assert asked("哪一座城市位于台湾最北端?") == ["哪一座"]
    assert asked("苏联于何年解体?") == ["何年"]
    assert asked("珍珠港事件的策画人是谁?") == ["谁"]
    # 时间 of 什么时间 asks as 时候 does; 啥 is a colloquial 什么.
    assert asked("吴少诚在什么时间病逝?") == ["什么时间"]
    assert asked("会议啥时候开?") == ["啥时候"]
    assert asked("柏林围墙是德国分裂期间修筑的。") == []


def test_words_only_in_the_asking_words_are_left_out():
    weights = {"欧洲": 2.4, "铁幕": 5.7, "维持": 3.3, "多久": 6.0}
    assert answer_type.without_asking(weights, "欧洲的铁幕维持了多久?") == {"欧洲": 2.4, "铁幕": 5.7, "维持": 3.3}
    # 一座 of 哪一座 goes, the noun it asks about stays.
    kept = answer_type.without_asking({"一座": 3.7, "城市": 2.0, "台湾": 2.2}, "哪一座城市位于台湾最北端?")
    assert kept == {"城市": 2.0, "台湾": 2.2}
    # A word the question also uses outside its asking words stays.
    assert "一年" in answer_type.without_asking({"一年": 3.1, "战争": 2.0}, "战争持续一年后，哪一年结束?")
    # Nothing left: the words are kept rather than none.
    assert answer_type.without_asking({"多久": 6.0}, "多久?") == {"多久": 6.0}


def test_pairs_are_also_taken_without_de():
    content, unlinked = answer_type.pair_sources("网球比赛会在什么时候交换发球的权力?")
    assert "什么" not in content and "时候" not in content
    assert "球权" in proximity.question_pairs(unlinked)
    assert "球权" not in proximity.question_pairs(content)


# ---------------------------------------------------------------- numbers


@pytest.mark.parametrize("numeral, value", [
    ("十六", 16), ("两千一百五十四", 2154), ("一九九七", 1997), ("三万五千", 35000), ("九千", 9000), ("十", 10),
])
def test_chinese_numerals_have_their_values(numeral, value):
    assert answer_type.chinese_value(numeral) == value


def test_one_number_in_several_forms_has_one_value():
    def values(text):
        return [v for _, v in answer_type.numbers(text)]

    assert values("有九成是进口") == values("占90%") == [90]
    assert values("人口只有九千") == values("约9,000人") == values("约9000人") == [9000]
    assert values("约1.25亿") == [125000000]
    assert values("约占本岛总面积的十六分之一") == [("of", 1, 16)]
    assert values("一种方式") == [] and values("万一出事") == []  # words, not numbers


def test_number_share_counts_numbers_written_another_way():
    asked = answer_type.QuestionNumbers(normalize("多倫多市的人口在什麼時候為約9000人？"))
    assert asked
    assert asked.share("当时的人口只有九千,包括逃自美国的奴隶。") == 1.0
    assert asked.share("人口约9000人。") == 1.0
    assert asked.share("人口只有八千。") == 0.0
    none = answer_type.QuestionNumbers("柏林围墙在哪一年倒塌?")
    assert not none and none.share("1989年柏林围墙倒塌。") == 0.0


@pytest.mark.parametrize("question, text", [
    # as the rest of the whole
    ("韓國只有百分之三的能源不是怎麼而來的？", "韩国97%的能源消费依赖进口。"),
    ("韓國的什麼東西有九成是進口而來的？", "工业原料主要依靠进口,自给率仅为10%。"),
    ("關島有四分之三的土地不是什麼？", "美军基地占地约全岛的四分之一。"),
    # a fraction as the percentage it is, both ways, and its rest
    ("哪一種恆星中有四分之一被發現擁有伴星？", "只有25%的红矮星被发现有伴星。"),
    ("哪一種恆星有25%被發現擁有伴星？", "只有四分之一的红矮星被发现有伴星。"),
    ("關島有四分之三的土地不是什麼？", "美军基地占地约全岛的25%。"),
])
def test_a_proportion_is_held_in_any_of_its_forms(question, text):
    assert answer_type.QuestionNumbers(normalize(question)).share(text) == 1.0


def test_a_fraction_is_no_other_percentage():
    assert answer_type.QuestionNumbers(normalize("有四分之一的人參加？")).share("有30%的人参加。") == 0.0


def test_the_rest_of_the_whole_is_only_for_proportions():
    assert answer_type.complement("30%", 30.0) == 70.0
    assert answer_type.complement("四分之三", ("of", 3, 4)) == ("of", 1, 4)
    assert answer_type.complement("30", 30.0) is None  # 30 people have no rest
    assert answer_type.complement("100%", 100.0) is None
    assert answer_type.QuestionNumbers(normalize("有三十人參加？")).share("有七十人参加。") == 0.0


# ---------------------------------------------------------------- answer type


def test_best_sentence_with_a_year_for_a_which_year_question():
    question = "柏林围墙在哪一年倒塌?"
    wanted = answer_type.asked_numbers(question)
    assert wanted is not None
    weights = answer_type.without_asking({"柏林": 3.0, "围墙": 3.0, "倒塌": 3.0, "一年": 3.0}, question)

    def typed(text):
        return answer_type.best_sentence_typed(text, weights, wanted, question, proximity.sentence_ends(text))

    assert typed("1989年,柏林围墙倒塌。东德随后解体。") == 1.0
    # The year is in another sentence than the one that holds the question.
    assert typed("柏林围墙终于倒塌。东德在1990年并入西德。") == 0.0
    assert typed("柏林围墙倒塌。") == 0.0
    assert answer_type.asked_numbers("谁谱写了马赛曲?") is None


def test_a_year_the_question_brings_is_not_an_answer():
    question = "1961年建造的柏林围墙是什么时候倒塌的?"
    wanted = answer_type.asked_numbers(question)
    text = "柏林围墙始建于1961年,后来倒塌。"
    weights = {"柏林": 3.0, "围墙": 3.0, "倒塌": 3.0}
    assert answer_type.best_sentence_typed(text, weights, wanted, question, proximity.sentence_ends(text)) == 0.0


# ---------------------------------------------------------------- in the second stage


def test_asking_words_add_nothing_to_the_features():
    features = second_stage.QuestionFeatures(
        "欧洲的铁幕维持了多久?", {"欧洲": 2.0, "铁幕": 6.0, "维持": 3.0, "多久": 6.0}, normalize,
    )
    assert "多久" not in features.weights
    # 过没多久 holds the asking word only: neither proximity nor coverage count it.
    chance = features.of("过没多久,欧洲的殖民地被攻击。", "", (2.0 + 6.0) / 17.0, second_stage.Weights())
    assert chance.proximity == pytest.approx(2.0 / 11.0)
    assert chance.coverage == pytest.approx(2.0 / 11.0)


def test_the_second_stage_prefers_the_number_in_its_other_form():
    question = second_stage.QuestionFeatures("人口在什么时候为约9000人?", {"人口": 2.0, "9000": 6.0}, normalize)
    weights = second_stage.Weights()
    said = question.of("1834年成为市,当时的人口只有九千。", "", 0.25, weights)
    other = question.of("1834年成为市,当时的人口只有八千。", "", 0.25, weights)
    assert said.numbers == 1.0 and other.numbers == 0.0
    assert second_stage.order(
        [(1.0, 0.25, "1834年成为市,当时的人口只有八千。", ""), (1.0, 0.25, "1834年成为市,当时的人口只有九千。", "")],
        question, weights,
    ) == [1, 0]


def test_a_when_question_prefers_the_sentence_with_the_date():
    question = second_stage.QuestionFeatures(
        "抗日战争是在西元几年的时候结束?", {"抗日": 3.9, "战争": 2.1, "抗日战争": 4.4, "结束": 2.6, "几年": 4.5}, normalize,
    )
    candidates = [
        (1.0, 0.6, "中国抗日战争结束后,行营设在中南海。", ""),
        (1.0, 0.6, "1945年抗日战争结束后,矛盾凸显。", ""),
    ]
    assert second_stage.order(candidates, question, second_stage.Weights()) == [1, 0]
    # Everything else is equal: without the feature BM25's order stands.
    assert second_stage.order(candidates, question, second_stage.Weights(answer_type=0)) == [0, 1]


def test_a_when_question_is_answered_by_the_paragraph_with_the_date():
    texts = [
        "中国抗日战争结束后,国民政府军事委员会北平行营设在中南海,此后多有变迁。",
        "1945年抗日战争结束后,国共之间的矛盾再度凸显。",
    ]
    filler = ["杭州西湖春天桃花盛开。", "大熊猫生活在四川的竹林里。", "敦煌莫高窟保存了壁画。", "北京烤鸭色泽红润。"]
    documents = [Document(doc_id=f"d{i}", text=t, source_path=f"d{i}.txt", title=f"文档{i}")
                 for i, t in enumerate(texts + filler)]
    engine = SearchEngine.build(chunk_documents(documents), Analyzer([]))
    assert engine.ask("抗日战争是在西元几年的时候结束?").hits[0].chunk.doc_id == "d1"
