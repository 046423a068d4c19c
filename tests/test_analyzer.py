"""The one analyzer: normalisation, segmentation, filtering and the corpus's own terms."""

import pytest

from retrieval import Analyzer, tokenize
from retrieval.index.analyzer import corpus_terms, is_word_pair, normalize, stopwords


def words(tokens):
    return [t for t in tokens if not is_word_pair(t)]


def test_traditional_characters_meet_simplified():
    assert tokenize("重慶的黨建引領") == tokenize("重庆的党建引领")
    assert words(tokenize("重慶的黨建引領")) == ["重庆", "党建", "引领"]


def test_full_width_and_case_are_folded():
    assert words(tokenize("ＡＢＣ公司的８８５工作机制")) == ["abc", "公司", "885", "工作", "机制"]


def test_punctuation_and_stopwords_are_dropped():
    tokens = words(tokenize("请问，重庆的“885”工作机制是什么？！"))
    assert tokens == ["重庆", "885", "工作", "机制"]
    assert {"的", "是", "什么", "请问"} <= stopwords()


@pytest.mark.parametrize("text", ["", "   ", "？！，。", "\x00\x07\x1b", "的 是 什么"])
def test_nothing_to_search_for(text):
    assert tokenize(text) == []


def test_control_characters_do_not_glue_words():
    assert words(tokenize("重庆\x00党建")) == ["重庆", "党建"]


@pytest.mark.parametrize("term", ["八张报表", "渝快办", "一网统管", "三改攻坚一盘活"])
def test_coined_terms_of_the_bundled_corpus_stay_whole(term):
    tokens = tokenize(f"重庆的{term}是什么")
    assert term in tokens
    # search mode adds known sub-words, never pieces that overlap the term's edges
    assert all(t in term or t == "重庆" or t.startswith("重庆 ") for t in tokens)


def test_without_the_corpus_terms_jieba_cuts_them_apart():
    # Shows the corpus dictionary is what keeps them whole.
    assert "八张报表" not in Analyzer([]).tokenize("八张报表")


def test_corpus_terms_come_from_quotes_and_short_headings():
    texts = [
        "重庆提出“八张报表”和「渝快辦」，还有“民有所呼、我有所行”。",
        "这是一个很长的引号“这一段话太长了不能算作一个词语”。",
        "“2024”",
    ]
    terms = corpus_terms(texts, headings=["数字鸿沟", "一个很长的小节标题不会被当作一个词"])
    assert "八张报表" in terms
    assert "渝快办" in terms  # normalised to simplified
    assert "数字鸿沟" in terms
    assert not any("、" in t for t in terms)
    assert "2024" not in terms
    assert all(2 <= len(t) <= 8 for t in terms)
    assert corpus_terms(["城市"]) == []  # a short text that is not a heading is no term


def test_titles_in_book_title_marks_are_terms_and_keep_a_question_about_them_whole():
    terms = corpus_terms(["洛克著有《政府論》兩篇。", "《北海道旧土人保护法规定》", "《中》"])
    assert "政府论" in terms  # normalised to simplified
    assert not any("北海道" in t for t in terms)  # over 8 characters: a sentence more often than a title
    assert "中" not in terms
    question = "《政府論》的作者是誰?"
    assert "政府论" in Analyzer(terms).tokenize(question)
    assert "政府论" not in Analyzer([]).tokenize(question)


def test_analyzers_do_not_share_a_dictionary():
    with_term = Analyzer(["某某新词"])
    without = Analyzer([])
    assert "某某新词" in with_term.tokenize("某某新词")
    assert "某某新词" not in without.tokenize("某某新词")


def test_spans_point_into_the_original_text():
    text = "重慶的「八張報表」ＡＢＣ"
    spans = Analyzer(["八张报表"]).tokenize_spans(text)
    assert [(token, text[start:end]) for token, start, end in spans] == [
        ("重庆", "重慶"),
        ("八张", "八張"),
        ("报表", "報表"),
        ("八张报表", "八張報表"),
        ("abc", "ＡＢＣ"),
    ]


def test_normalize_is_idempotent():
    text = "重慶ＡＢＣ的「黨建」"
    assert normalize(normalize(text)) == normalize(text) == "重庆abc的「党建」"


def test_search_mode_adds_the_known_words_inside_long_words():
    tokens = tokenize("国有企业改革")
    assert {"国有", "企业", "国有企业", "改革"} <= set(tokens)


def test_neighbouring_words_of_a_sentence_are_paired():
    tokens = tokenize("创新“党建+”工作模式。推动党建")
    pairs = [t for t in tokens if is_word_pair(t)]
    # stopwords and punctuation are skipped over, sentence ends are not
    assert pairs == ["创新 党建", "党建 工作", "工作 模式", "推动 党建"]
    assert "模式 推动" not in tokens


def test_sub_words_are_not_paired():
    pairs = [t for t in tokenize("国有企业改革") if is_word_pair(t)]
    assert pairs == ["国有企业 改革"]
