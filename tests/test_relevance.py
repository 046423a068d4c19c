"""The answer/decline decision, piece by piece."""

import numpy as np
import pytest

from retrieval.answer import relevance


@pytest.mark.parametrize(
    "question, expected",
    [
        ("重庆有多少人口？", True),
        ("这项政策是哪一年开始的？", True),
        ("全国有几个农家书屋？", True),
        ("How many people live there?", True),
        ("国企基层党组织需要提升哪几种能力？", False),  # which kinds: a list
        ("“八张报表”涉及哪些领域？", False),
        ("数字鸿沟", False),
        ("这几年他们称这手法是什么？", False),  # 这几年: "these years"
        ("北京20几所高校的学生在哪里集会？", False),  # twenty-some, and it asks where
        ("北朝几个朝代中，哪个朝代最积极建筑长城？", False),  # it asks which
        ("两栖动物的心脏有几个心室？", True),
        # "When" in other words than 什么时候 (tune3 and CMRC/DRCD dev ask so).
        ("市委全会是在哪一天召开的？", True),
        ("平安在哪天趁虚攻入北平？", True),
        ("吴三桂在什么时间称帝？", True),
        ("会议啥时候开？", True),
    ],
)
def test_quantity_questions(question, expected):
    assert relevance.asks_for_quantity(question) is expected


def test_a_number_the_question_brought_itself_does_not_count():
    snippet = "“八张报表”涉及经济、政治等领域。"
    highlight = (snippet.index("八张报表"), snippet.index("八张报表") + 4)
    assert not relevance.has_new_number(snippet, [highlight])
    assert relevance.has_new_number("为村民搭建24小时不间断的服务。", [])
    assert relevance.has_new_number("推动五项机制落实。", [])


def test_unknown_names_weigh_more_than_unknown_everyday_words():
    vocabulary = {"城市": 0, "治理": 1}
    idf = np.array([0.5, 0.7])
    weights = relevance.term_weights(["上海", "城市", "治理", "以后"], vocabulary, idf, n_docs=24)
    assert weights["城市"] == 0.5 and weights["治理"] == 0.7
    assert weights["以后"] == relevance.UNKNOWN_WORD_WEIGHT
    assert weights["上海"] > 3 * weights["以后"]


def test_unknown_places_are_found():
    assert relevance.unknown_places(["深圳", "数字化", "重庆"], {"数字化": 0, "重庆": 1}) == ["深圳"]


def test_coverage_is_the_found_share_of_the_weight():
    weights = {"a": 3.0, "b": 1.0}
    assert relevance.coverage(weights, {"a"}) == pytest.approx(0.75)
    assert relevance.coverage(weights, set()) == 0.0
    assert relevance.coverage({}, {"a"}) == 0.0


@pytest.mark.parametrize(
    "question, coverage, snippet, places, answered, reason",
    [
        ("八张报表", 1.0, "“八张报表”涉及经济。", [], True, "answered"),
        ("上海的治理", 0.9, "城市治理。", ["上海"], False, "unknown_place"),
        ("城市治理", relevance.MIN_COVERAGE - 0.01, "城市治理。", [], False, "low_coverage"),
        ("重庆有多少人口", 1.0, "重庆人口聚集度高。", [], False, "no_number"),
        ("重庆有多少人口", 1.0, "重庆有3000万人口。", [], True, "answered"),
    ],
)
def test_decide(question, coverage, snippet, places, answered, reason):
    decision = relevance.decide(question, coverage, snippet, [], places)
    assert (decision.answered, decision.reason) == (answered, reason)


@pytest.mark.parametrize(
    "question, snippet, expected",
    [
        ("全国一共有多少个农家书屋？", "为村民搭建24小时不间断的服务。", False),  # hours, not a count of 书屋
        ("全国一共有多少个农家书屋？", "全国共建成58万个农家书屋。", True),
        ("门票多少钱？", "门票50元。", True),
        ("门票多少钱？", "开放时间为9点。", False),
        ("这项政策是哪一年开始的？", "该政策涉及五项机制。", False),
        ("这项政策是哪一年开始的？", "该政策于2019年开始实施。", True),
        ("重庆有多少人口？", "重庆常住人口3191万。", True),
        ("新生儿一天要睡超过多少个小时？", "新生儿每天达到18小时以上。", True),  # hours, not 个
        ("新生儿一天要睡超过多少个小时？", "新生儿有3个阶段。", False),
        ("价格大约只需要多少钱？", "价格约为5800日元。", True),  # a named currency
        ("视网膜中共有多少个视杆细胞？", "视网膜约有1.25亿视杆细胞。", True),  # a magnitude alone
        ("荨麻什么时候开花？", "荨麻于晚春或初夏开花。", True),
        ("海洋什么时候过于温暖？", "在白垩纪中期，海洋底层温度较高。", True),
        ("大会是在哪一天召开的？", "大会于3月5日召开。", True),  # a date
        ("大会是在哪一天召开的？", "大会部署了五项任务。", False),  # a count is no time
        # A number inside a quoted term names something: it counts nothing.
        ("“渝快办”有多少注册用户？", "以数字重庆“1361”整体构架为牵引。", False),
        ("“渝快办”有多少注册用户？", "“渝快办”注册用户达到3000万。", True),
        ("一共设置了多少项指标？", "“五项机制”推动常态化服务基层。", False),
        ("一共设置了多少项指标？", "共设置五项指标。", True),
    ],
)
def test_the_number_must_be_of_the_kind_asked_for(question, snippet, expected):
    assert relevance.has_new_number(snippet, [], question) is expected
