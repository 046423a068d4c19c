"""Choosing the sentences to show, and marking the matched words."""

from retrieval import Analyzer
from retrieval.answer.relevance import number_test
from retrieval.answer.snippets import GAP, Snippet, best_snippet

ANALYZER = Analyzer([])
TEXT = "洛拉出生于罗马，是知名演员。她的父亲是作家。洛拉在大学研究当代舞蹈。她后来移居美国。"


def weights(*terms):
    return {t: 1.0 for t in terms}


def test_the_sentence_with_the_question_words_is_chosen_with_the_next():
    snippet = best_snippet(ANALYZER, TEXT, weights("大学", "研究"))
    assert snippet.text == "洛拉在大学研究当代舞蹈。她后来移居美国。"


def test_title_words_say_which_paragraph_not_which_sentence():
    # (The best sentence does not start with 她: one that does brings the sentence before it.)
    text = "帕尼亚尼是意大利演员。她的父亲是作家。大学时研究舞蹈。"
    name = frozenset(ANALYZER.tokenize("帕尼亚尼"))  # the document's title
    terms = {**weights(*name), "大学": 2.0}
    assert len(name) >= 3  # a name of several tokens outweighs one word unless discounted
    assert best_snippet(ANALYZER, text, terms).text.startswith("帕尼亚尼")
    discounted = best_snippet(ANALYZER, text, terms, topic_terms=name).text
    assert discounted.endswith("大学时研究舞蹈。")  # the best sentence is there …
    assert "她的父亲是作家" not in discounted  # … and not as the one after the title sentence


def test_a_second_matching_sentence_elsewhere_joins_after_a_gap():
    text = "洛拉出生于罗马。她的父亲是作家。她喜欢绘画。洛拉在大学研究舞蹈。她后来移居美国。"
    both = best_snippet(ANALYZER, text, {"罗马": 1.5, "大学": 1.2, "研究": 1.0})
    assert both.text == f"洛拉出生于罗马。{GAP}洛拉在大学研究舞蹈。她后来移居美国。"
    assert "【罗马】" in both.marked() and "【大学研究】" in both.marked()
    weak = best_snippet(ANALYZER, text, {"罗马": 0.2, "大学": 1.2, "研究": 1.0})
    assert weak.text == "洛拉在大学研究舞蹈。她后来移居美国。"  # matches under half as well: left out


def test_how_many_questions_prefer_a_matching_sentence_with_a_number():
    text = "该馆藏书丰富，服务读者。馆长是张三。馆内有咖啡厅。该馆藏书达到三百万册，读者众多。"
    plain = best_snippet(ANALYZER, text, weights("藏书", "读者"))
    counted = best_snippet(ANALYZER, text, weights("藏书", "读者"), wants_number=number_test("该馆藏书有多少？"))
    # The best sentence comes with the one after it; without the number
    # preference the first of two equal sentences is the best.
    assert plain.text.startswith("该馆藏书丰富，服务读者。馆长是张三。")
    assert counted.text == f"该馆藏书丰富，服务读者。{GAP}该馆藏书达到三百万册，读者众多。"
    assert number_test("该馆在哪里？") is None


def test_marks_wrap_every_highlight_and_escape_the_rest():
    snippet = Snippet("a<b>c", [(1, 2)])
    assert snippet.marked("[", "]") == "a[<]b>c"
    assert snippet.marked("<b>", "</b>", escape=lambda s: s.replace("<", "&lt;").replace(">", "&gt;")) == "a<b>&lt;</b>b&gt;c"


def test_highlights_are_the_question_words_in_the_snippet():
    snippet = best_snippet(ANALYZER, TEXT, weights("大学", "舞蹈"))
    marked = snippet.marked()
    assert "【大学】" in marked and "【舞蹈】" in marked


def test_a_question_word_the_paragraph_lacks_is_found_by_its_characters():
    # 谥号 is not written; 追谥 is, in the sentence that answers.
    text = "魏裔介，字石生，号贞庵。直隶柏乡县人，清初政治家。后入祀贤良祠，追谥文毅。高祖魏谦光曾任知县。"
    snippet = best_snippet(ANALYZER, text, {"魏裔介": 0.3, "谥号": 2.0}, topic_terms=frozenset({"魏裔介"}))
    assert "追谥文毅" in snippet.text
    assert "【" not in snippet.marked().replace("【魏裔介】", "")  # characters count, but are not marked


def test_a_sentence_leaning_on_the_one_before_brings_it():
    text = "张三于1990年加入球队。随后十年间他屡获殊荣。但他在2001年因伤退役，转任教练，带领青年队夺得冠军。球队后来迁往上海。"
    snippet = best_snippet(ANALYZER, text, weights("退役", "教练"))
    assert snippet.text.startswith("随后十年间他屡获殊荣。但他在2001年因伤退役")


def test_a_short_best_sentence_brings_the_next_even_when_long():
    long_next = "该书共三十六回，" + "讲述雍正年间广东的一件大命案，" * 15 + "结构精巧。"
    text = "九命奇冤是吴沃尧所著。" + long_next + "后世评价甚高。"
    snippet = best_snippet(ANALYZER, text, weights("吴沃尧"))
    assert len("九命奇冤是吴沃尧所著。" + long_next) > 240  # over the ordinary budget for the next sentence
    assert snippet.text.startswith("九命奇冤是吴沃尧所著。该书共三十六回")
