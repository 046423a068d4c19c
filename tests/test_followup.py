"""retrieval.answer.followup: follow-up questions read with the previous turn."""

from __future__ import annotations

import io

import pytest

from retrieval.answer.followup import (
    DEFAULT_TIMEOUT,
    FIRST_PAGE,
    PAGE_SIZE,
    Conversation,
    context_terms,
    has_pronoun,
    is_strong,
    is_more_request,
    named_subject,
    points_back,
    stands_alone,
    with_context,
)
from retrieval.present.console import run_chat

ARCHITECTURE = "数字重庆建设的整体构架是什么？"  # liu-sifang#p6: “1361”整体构架为牵引，“141”基层智治体系为抓手
ITS_LEVER = "抓手呢？"
P6 = "liu-sifang#p6"


@pytest.fixture
def engine(qa):
    return qa.engine


def first(answer) -> str:
    return answer.hits[0].chunk.chunk_id


def conversation(engine, *turns: str, top_k: int = 15) -> Conversation:
    c = Conversation(engine, top_k=top_k)
    for n, question in enumerate(turns):
        c.ask(question, now=float(n))
    return c


# ----------------------------------------------------------------- reading with the context


def test_a_follow_up_with_its_context_finds_the_paragraph_it_misses_alone(engine):
    alone = engine.ask(ITS_LEVER, 15)
    assert first(alone) != P6  # alone, 抓手 is in several paragraphs and another comes first

    c = conversation(engine, ARCHITECTURE)
    assert first(c.last.answer) == P6
    answer, interpreted = c.ask(ITS_LEVER, now=30.0)
    assert answer.answered and first(answer) == P6
    assert interpreted == "抓手 整体构架"  # the question without 呢, then the previous question's key terms


def test_the_interpretation_is_a_plain_question_that_gives_the_same_answer_again(engine):
    c = conversation(engine, ARCHITECTURE)
    answer, interpreted = c.ask(ITS_LEVER, now=30.0)
    again = engine.ask(interpreted, 15)
    assert [h.chunk.chunk_id for h in again.hits] == [h.chunk.chunk_id for h in answer.hits]


def test_who_proposed_it_is_read_with_the_885_question(engine):
    c = conversation(engine, "重庆提出的885工作机制是什么？")
    answer, interpreted = c.ask("谁提出的？", now=30.0)
    assert interpreted is not None and "885" in interpreted
    assert "重庆创造性地提出党建引领“885”工作机制" in answer.hits[0].chunk.text


def test_the_context_carries_only_terms_the_previous_answer_holds(engine):
    c = conversation(engine, "八张报表 农家书屋")  # two topics; one paragraph wins
    best = c.last.answer.hits[0].chunk.text
    terms = context_terms("怎么做", c.last, engine, 2)
    assert terms and all(term in best for term in terms)
    assert len(terms) == 1  # the other topic's term is not in that paragraph


def test_a_follow_up_about_a_place_the_documents_never_name_is_still_declined(engine):
    c = conversation(engine, "智慧图书馆体系怎么建设？")
    answer, interpreted = c.ask("深圳呢？", now=30.0)
    assert not answer.answered and interpreted is None


# ----------------------------------------------------------------- taken alone


def test_a_standalone_new_topic_is_not_rewritten(engine):
    c = conversation(engine, "数字鸿沟怎么解决")
    answer, interpreted = c.ask("重庆提出的885工作机制是什么？", now=30.0)
    assert interpreted is None
    assert first(answer) == "liu-sifang#p4"
    # and it is now the context
    _, then = c.ask("谁提出的？", now=60.0)
    assert then is not None and "885" in then


def test_a_short_question_with_a_strong_match_is_taken_alone(engine):
    c = conversation(engine, "数字鸿沟怎么解决")
    assert not stands_alone("八张报表是什么？", engine)  # short …
    answer, interpreted = c.ask("八张报表是什么？", now=30.0)
    assert interpreted is None  # … but alone it matches one paragraph far better than any other
    assert first(answer) == "liu-sifang#p4"


def test_silence_resets_the_context(engine):
    c = conversation(engine, ARCHITECTURE)
    _, interpreted = c.ask(ITS_LEVER, now=DEFAULT_TIMEOUT + 1)
    assert interpreted is None
    assert Conversation(engine, timeout=10).context(now=0) is None


def test_the_timeout_is_configurable(engine):
    c = Conversation(engine, timeout=5, top_k=15)
    c.ask(ARCHITECTURE, now=0)
    assert c.ask(ITS_LEVER, now=4)[1] is not None
    c.ask(ARCHITECTURE, now=100)
    assert c.ask(ITS_LEVER, now=106)[1] is None


def test_without_a_previous_turn_nothing_is_rewritten(engine):
    answer, interpreted = Conversation(engine).ask(ITS_LEVER)
    assert interpreted is None and answer.question == ITS_LEVER


def test_resume_starts_from_an_earlier_answer(engine):
    c = Conversation.resume(engine, ARCHITECTURE, top_k=15)
    assert first(c.last.answer) == P6
    answer, interpreted = c.ask(ITS_LEVER)
    assert interpreted is not None and first(answer) == P6


# ----------------------------------------------------------------- “还有吗”


def test_more_pages_through_the_previous_answer(engine):
    c = conversation(engine, "基层治理")
    hits = c.last.answer.hits
    assert len(hits) > FIRST_PAGE + PAGE_SIZE
    page1, _ = c.ask("还有吗", now=10)
    assert [h.chunk.chunk_id for h in page1.hits] == [h.chunk.chunk_id for h in hits[FIRST_PAGE:FIRST_PAGE + PAGE_SIZE]]
    assert page1.hits[0].rank == FIRST_PAGE + 1 and c.last.page == 1
    page2, _ = c.ask("还有呢？", now=20)
    assert page2.hits[0].rank == FIRST_PAGE + PAGE_SIZE + 1 and c.last.page == 2
    for n in range(10):
        last, _ = c.ask("more", now=30 + n)
    assert not last.answered and last.status == "no_more" and not last.hits


def test_more_keeps_a_follow_ups_interpretation(engine):
    c = conversation(engine, "数字鸿沟怎么解决")
    _, interpreted = c.ask("农村呢？", now=5)
    assert c.wants_more("还有吗", now=6)
    _, again = c.ask("还有吗", now=6)
    assert again == interpreted


def test_more_without_an_answer_before_is_just_a_question(engine):
    c = Conversation(engine)
    assert not c.wants_more("还有吗")
    answer, interpreted = c.ask("还有吗")
    assert answer.status == "empty" and interpreted is None


@pytest.mark.parametrize("text", ["还有吗", "还有吗？", "還有嗎", "还有呢", "more", "More?", " 更多 "])
def test_more_requests(text):
    assert is_more_request(text)


@pytest.mark.parametrize("text", ["还有五项机制是干什么的？", "更多的农家书屋", "", "more about 885"])
def test_not_more_requests(text):
    assert not is_more_request(text)


# ----------------------------------------------------------------- the form


@pytest.mark.parametrize(
    "question, pointing",
    [
        ("那八张报表具体指什么？", True),
        ("它有哪些特点？", True),
        ("农村呢？", True),
        ("还有五项机制是干什么的？", True),
        ("这对政府的角色有什么影响？", True),
        ("重庆提出的885工作机制是什么？", False),
        ("那不勒斯地區以前是誰的殖民地?", False),  # 那 of a name
        ("其他国家怎么做", False),
    ],
)
def test_pointing_back(engine, question, pointing):
    assert points_back(question, engine) is pointing


def test_long_questions_that_do_not_point_back_stand_alone(engine):
    assert stands_alone("重庆提出的885工作机制是什么？", engine)
    assert not stands_alone("谁提出的？", engine)  # short


# ----------------------------------------------------------------- the console


def test_the_console_says_how_a_follow_up_was_read(engine):
    out = io.StringIO()
    run_chat(engine, io.StringIO(f"{ARCHITECTURE}\n{ITS_LEVER}\n还有吗\n"), out)
    text = out.getvalue()
    first_reply, second_reply, third_reply = text.split("问：")[1:]
    assert "理解）" not in first_reply
    assert "（按“抓手 整体构架”理解）" in second_reply and "第6段" in second_reply
    assert "更多结果（第4–" in third_reply or "没有更多结果" in third_reply


def test_bare_keywords_are_a_search_of_their_own(engine):
    c = conversation(engine, "重庆提出的885工作机制是什么？")
    answer, interpreted = c.ask("基层治理", now=30.0)
    assert interpreted is None and answer.question == "基层治理"
    assert not stands_alone("基层治理？", engine)  # asked as a question, it may be a follow-up


def test_the_context_does_not_answer_a_question_about_words_the_documents_never_use(engine):
    c = conversation(engine, "重庆提出的885工作机制是什么？")
    answer, interpreted = c.ask("你们公司的股票代码是多少？", now=30.0)
    assert interpreted is None and not answer.answered


# ----------------------------------------------------------------- the subject carried over

LINES = [
    ("l17", "上海轨道交通17号线", "上海轨道交通17号线原称青浦线，2010年改名。\n\n上海轨道交通17号线的线路编号为17，标志色为浅粉红色。"),
    ("l16", "上海轨道交通16号线", "上海轨道交通16号线原称临港线。\n\n上海轨道交通16号线的线路编号为16，标志色为浅绿色。"),
    ("colour", "标志色", "标志色是城市轨道交通线路的识别颜色。各城市为每条线路规定标志色，标志色印在车厢和站牌上，乘客凭标志色换乘。"),
]


@pytest.fixture(scope="module")
def lines_engine():
    from retrieval.index.building import build_engine
    from retrieval.ingest.model import Document

    docs = [Document(doc_id=i, source_path=f"{i}.txt", title=t, text=x) for i, t, x in LINES]
    return build_engine(docs)[0]


def test_a_follow_up_carries_the_title_the_previous_question_named(lines_engine):
    c = conversation(lines_engine, "上海轨道交通17号线在2010年改名为什么？")
    assert c.last.answer.hits[0].chunk.doc_id == "l17"
    assert named_subject("那编号是多少？", c.last, lines_engine) == "上海轨道交通17号线"
    query = with_context("那编号是多少？", c.last, lines_engine)
    # the subject first, then the rarest words it does not already hold
    assert query.startswith("编号是多少 上海轨道交通17号线 ") and query.count("上海轨道交通") == 1


def test_the_title_is_not_carried_when_unnamed_or_already_asked(lines_engine):
    c = conversation(lines_engine, "哪条线在2010年改名？")  # the answer's title was not named
    assert named_subject("那编号是多少？", c.last, lines_engine) is None
    c = conversation(lines_engine, "上海轨道交通17号线在2010年改名为什么？")
    assert named_subject("上海轨道交通17号线的编号是多少？", c.last, lines_engine) is None


def test_a_question_with_a_pronoun_is_read_with_its_context_even_when_it_matches_strongly_alone(lines_engine):
    question = "它的标志色是什么颜色？"
    alone = lines_engine.ask(question, 15)
    assert is_strong(alone) and alone.hits[0].chunk.doc_id == "colour"  # alone: the article about 标志色
    c = conversation(lines_engine, "上海轨道交通17号线原称什么？")
    answer, interpreted = c.ask(question, now=30.0)
    assert interpreted is not None and "上海轨道交通17号线" in interpreted
    assert answer.answered and answer.hits[0].chunk.chunk_id == "l17#p2"  # 标志色为浅粉红色


def test_only_a_pronoun_outside_the_content_words_counts(engine):
    assert has_pronoun("它有哪些特点？", engine)
    assert not has_pronoun("那农村呢？", engine)  # pointing back, but no pronoun: strength still decides
    assert not has_pronoun("其他国家怎么做", engine)
