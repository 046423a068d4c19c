"""Does the best chunk answer the question, or should we say the documents don't?

Tests on the best hit, in the order ``judge`` applies them:

* **places**: a question about a place the corpus never names (上海, 深圳)
  is about somewhere else, whatever else matches.
* **coverage**: the share of the question's weight that the chunk (with its
  title, author and section) contains. A term the corpus knows weighs its
  idf; an unknown name weighs like the rarest term, because a question about
  深圳 is not answered by a chunk about 重庆; an unknown everyday word weighs
  little, because users paraphrase (老百姓 for 群众, 搞 for 推进).
* **one general word**: a match carried by a single everyday word (資訊科技
  met by a paragraph with 科技 only) takes RULE_PENALTY off the evidence, and
  is no answer at all when the question has words the corpus never uses.
* **answer type**: a question asking how many, how much, which year or
  when is answered only by a sentence holding the question's words (or the
  one before it) and a number (digits or Chinese numerals) or, for "when",
  a time, that the question did not bring itself.
* **evidence**: coverage plus how much of the question's known terms, word
  pairs and BM25 score the chunk holds, and what it alone of the first hits
  holds, less what single characters and sub-words carry
  (``Evidence.support``), which tells a paragraph that states the asked fact
  from one that shares its subject.

Thresholds and weights were chosen on CMRC 2018 dev and DRCD dev with
``python -m retrieval calibrate`` (docs/retrieval-quality.md). Questions
about an author are decided in ``claims``; what a declined question is told
in ``near_miss``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from retrieval.index.analyzer import is_place_name, looks_like_name, normalize, quoted

# A floor under the evidence below: with it, 0.30 keeps 97% of the CMRC 2018
# and DRCD dev questions answered (`python -m retrieval calibrate`,
# docs/retrieval-quality.md); alone it was 0.40.
MIN_COVERAGE = 0.3
# An unknown everyday word weighs like a term found in half the chunks.
UNKNOWN_WORD_WEIGHT = 0.75

_QUANTITY_QUESTION = re.compile(
    r"多少|哪一?年|何年|什么时候|什么时间|啥时候|何时|哪一?天|何日|多久|多长时间|how (?:many|much)|\bwhen\b",
    re.IGNORECASE,
)
# 几 + a classifier asks a count, but not after a digit or a demonstrative
# (20几所 "twenty-some", 这几年 "these years"), nor in a question that asks
# something else (北朝几个朝代中，哪个朝代……; 哪位皇帝发动了几次战役): there it
# describes. On CMRC 2018 and DRCD dev these were a third of the answerable
# questions the number test declined.
_HOW_MANY = re.compile(r"(?<![哪这那\d])几(?:个|年|月|天|次|家|种|项|条|位|名|岁|成|倍|万|亿|座|所|张|件|届|批)")
_OTHER_QUESTION = re.compile(r"哪(?!一?年|几)|谁|什么(?!时候)|为什么|怎么|如何")
# Numbers as digits or in Chinese numerals (两千一百五十四, 三百, 十几, 几十).
# A lone 一 is "a/one" (一个人, 一种方式) far more often than a count.
_CN_DIGITS = "零〇一二两三四五六七八九"
_CN_MARKERS = "十百千万亿"
_CN = _CN_DIGITS + _CN_MARKERS
# A lone 百, 千, 万 or 亿 is a word more often than a number (百年变局, 千家万户).
_NUMERAL = rf"(?:\d[\d,.]*|几[{_CN_MARKERS}][{_CN}]*|(?!一(?![{_CN}])|[百千万亿](?![{_CN}]))[{_CN}]+)"
# About so many: 三百余, 二十多, 十几, 十来.
_ABOUT = r"(?:余|多|几|来)?"
# What a number counts or measures.
_UNITS = (
    "个|年|月|日|天|次|家|种|项|条|位|名|岁|元|万|亿|倍|成|张|座|所|件|届|批|%|％"
    "|米|公里|千米|厘米|毫米|平方公里|平方千米|平方米|公顷|亩|里|英尺|英里|海里|公尺"
    "|吨|公斤|千克|克|斤|升|毫升|度|摄氏度|人|户|口|辆|架|艘|本|册|部|首|篇|层|栋|间"
    "|头|只|匹|株|棵|周|小时|分钟|秒|美元|块"
)
# A numeral of several characters is a number by itself (两千一百五十四,
# 三十); 万一 (in case) and 一一 (one by one) are not.
_WRITTEN_NUMBER = rf"(?!万一|一一)(?=[{_CN}]*[{_CN_DIGITS}])(?=[{_CN}]*[{_CN_MARKERS}])[{_CN}]{{2,}}"
# A number by itself: any digit, 百分之…, a numeral of several characters,
# about so many (三百余, 十几, 几十).
_BARE_NUMBER = re.compile(
    rf"\d|百分之[{_CN}]|[{_CN}]+分之[{_CN}]|{_WRITTEN_NUMBER}|[{_CN}](?:余|多|几|来)|几[{_CN_MARKERS}]"
)
# A numeral before what it counts or measures (五吨, 三人, 二十多个).
_COUNTED = re.compile(rf"(?P<n>{_NUMERAL}){_ABOUT}\s*(?:{_UNITS})")
# "how many <unit>" wants a number of that unit: 24小时 does not count 书屋.
# 多少个小时 asks hours, not a count of something.
_ASKED_UNIT = re.compile(
    r"(?:多少|(?<!哪)几)(?:个(?=小时|星期))?(小时|星期|个|天|次|家|项|条|位|名|岁|倍|座|所|张|件|届|批|元|钱)"
)
# Money is also counted in a named currency (5800日元, 5,000,000美元).
_MONEY = "元|块|钱|日元|美元|港元|欧元|英镑"
_UNIT_SPELLINGS = {"钱": _MONEY, "元": _MONEY}
# A count of things (个) or of money may be given as a magnitude alone: 1.25亿.
_MAGNITUDE_UNITS = ("个", "钱", "元")
# "Which year" wants a year; "when" also takes a time named in words: a
# period (江户时代, 康熙年间, 中世纪, 侏罗纪), a dynasty (元朝, 东汉, 南宋), a
# season, a solar term, a festival or a part of the day (秋季, 夏至, 元宵,
# 傍晚), a clock time (12时26分), or an event (出征陈友谅时，, 四国征伐后，,
# 高二的时候, 那一刻). 新时代 and 这一时期 name no time.
_YEAR_QUESTION = re.compile(r"哪一?年|何年|几年|哪几年")
_WHEN_QUESTION = re.compile(r"什么时候|什么时间|啥时候|何时|哪一?天|何日|几月|几号|\bwhen\b", re.IGNORECASE)
_DATE = rf"(?P<n>{_NUMERAL})\s*(?:年|月|日|号|世纪|年代)|(?P<y>\d{{4}})"
_YEAR = re.compile(_DATE)
_TIME = re.compile(
    _DATE + r"|(?<![新这那此该同一])(?:时期|时代)|年间|中世纪|[早中晚末初]期"
    r"|[东西南北前后]?[夏商周秦汉晋隋唐宋元明清](?:朝|代)|[东西南北][汉晋宋魏周齐](?![a-z])"
    r"|[春夏秋冬](?:季|天)|[早初仲晚深暮][春夏秋冬]|春节|清晨|凌晨|上午|中午|下午|傍晚|晚上|夜间|当天|当晚"
    r"|\d+\s*[时点](?:\d+\s*分)?|正午|午夜|[夏冬]至|[春秋]分|元宵|除夕|中秋|端午"
    r"|(?:寒武|奥陶|志留|泥盆|石炭|二叠|三叠|侏罗|白垩|古近|新近|第四)纪"
    r"|的时候|之时|之际|那一刻|(?<=[\u4e00-\u9fff])[时后](?=[，,])"
)


@dataclass(frozen=True)
class Decision:
    answered: bool
    reason: str  # "answered", "low_coverage", "no_number" or "unknown_place"
    coverage: float


def unknown_places(tokens: list[str], vocabulary: dict[str, int], parts: list[str] = ()) -> list[str]:
    """Place names the question uses and the corpus never mentions. With
    ``parts`` (the question's tokens, sub-words included), a place whose
    sub-words the corpus all has is not unknown: 舟山群岛 asked, 舟山 and
    群岛 written."""
    known_parts = [p for p in parts if p in vocabulary]
    return [
        t for t in dict.fromkeys(tokens)
        if t not in vocabulary and is_place_name(t) and not _covered(t, known_parts)
    ]


def _covered(word: str, parts: list[str]) -> bool:
    covered = [False] * len(word)
    for part in parts:
        if 2 <= len(part) < len(word):
            at = word.find(part)
            while at != -1:
                covered[at:at + len(part)] = [True] * len(part)
                at = word.find(part, at + 1)
    return all(covered)


def term_weights(tokens: list[str], vocabulary: dict[str, int], idf: np.ndarray, n_docs: int) -> dict[str, float]:
    rarest = float(np.log1p((n_docs + 0.5) / 0.5))
    weights: dict[str, float] = {}
    for term in dict.fromkeys(tokens):
        term_id = vocabulary.get(term)
        if term_id is not None:
            weights[term] = float(idf[term_id])
        elif looks_like_name(term):
            weights[term] = rarest
        else:
            weights[term] = UNKNOWN_WORD_WEIGHT
    return weights


def coverage(weights: dict[str, float], found: set[str]) -> float:
    total = sum(weights.values())
    return sum(w for t, w in weights.items() if t in found) / total if total else 0.0


_normal_question = lru_cache(maxsize=1024)(normalize)


def asks_for_quantity(question: str) -> bool:
    question = _normal_question(question)
    if _QUANTITY_QUESTION.search(question):
        return True
    return bool(_HOW_MANY.search(question)) and not _OTHER_QUESTION.search(question)


# A short quoted term: a number inside one names something (“1361”整体构架,
# “八张报表”, “三会”解“三事”) rather than counting it.
_QUOTED_TERM = quoted(1, 12)


def number_span(pattern: re.Pattern, match: re.Match) -> tuple[int, int]:
    """Where the number of a match of one of ``wanted_numbers``' patterns
    stands: its group "n" or "y", else the whole match (the unit is not
    part of it)."""
    group = next((g for g in ("n", "y") if g in pattern.groupindex and match.group(g) is not None), 0)
    return match.span(group)


def _outside(pattern: re.Pattern, text: str, highlights: list[tuple[int, int]]) -> bool:
    """A match of ``pattern`` whose number (``number_span``) is not one of
    the question's own words, nor inside a quoted term. The unit may be:
    "多少座" highlights 座 in "81座"."""
    quoted = None
    for match in pattern.finditer(text):
        start, end = number_span(pattern, match)
        if any(a < end and start < b for a, b in highlights):
            continue
        if quoted is None:
            quoted = [m.span(1) for m in _QUOTED_TERM.finditer(text)]
        if not any(a <= start and end <= b for a, b in quoted):
            return True
    return False


def has_new_number(snippet: str, highlights: list[tuple[int, int]], question: str = "") -> bool:
    """A number of the kind ``question`` asks for, in ``snippet`` outside the
    words the question itself used: a date for "when", a count of the asked
    unit for "how many <unit>", any number otherwise. Traditional characters
    and full-width digits count as their normal forms (兩萬個, ３个)."""
    text = normalize(snippet)
    if len(text) != len(snippet):  # the highlights would no longer line up
        text = snippet
    return any(_outside(pattern, text, highlights) for pattern in wanted_numbers(question))


@lru_cache(maxsize=1024)
def wanted_numbers(question: str) -> tuple[re.Pattern, ...]:
    question = _normal_question(question)
    if _YEAR_QUESTION.search(question):
        return (_YEAR,)
    if _WHEN_QUESTION.search(question):
        return (_TIME,)
    unit = _ASKED_UNIT.search(question)
    if unit:
        spelling = _UNIT_SPELLINGS.get(unit.group(1), re.escape(unit.group(1)))
        if unit.group(1) in _MAGNITUDE_UNITS:
            spelling += "|(?<=[万亿])"
        return (re.compile(rf"(?P<n>{_NUMERAL}){_ABOUT}\s*(?:万|亿)?{_ABOUT}\s*(?:{spelling})"),)
    return (_BARE_NUMBER, _COUNTED)


def rule_out(
    question: str,
    snippet: str,
    highlights: list[tuple[int, int]],
    places_unknown: list[str] = (),
) -> str | None:
    """Why the best hit cannot answer whatever its coverage, or None."""
    if places_unknown:
        return "unknown_place"
    if asks_for_quantity(question) and not has_new_number(snippet, highlights, question):
        return "no_number"
    return None


def number_test(question: str):
    """For a how-many or when question, a test of whether a sentence holds a
    number of the asked kind; None for other questions."""
    if not asks_for_quantity(question):
        return None
    return lambda sentence: has_new_number(sentence, [], question)


def decide(
    question: str,
    hit_coverage: float,
    snippet: str,
    highlights: list[tuple[int, int]],
    places_unknown: list[str] = (),
    *,
    min_coverage: float | None = None,
) -> Decision:
    threshold = MIN_COVERAGE if min_coverage is None else min_coverage
    reason = rule_out(question, snippet, highlights, places_unknown)
    if reason == "unknown_place":
        return Decision(False, reason, hit_coverage)
    if hit_coverage < threshold:
        return Decision(False, "low_coverage", hit_coverage)
    if reason:
        return Decision(False, reason, hit_coverage)
    return Decision(True, "answered", hit_coverage)


# ------------------------------------------------------------------ evidence
#
# Coverage says how much of the question the best chunk holds; it cannot
# say whether the chunk says it the way an answer would. A question whose
# own paragraph is missing (python -m retrieval calibrate, "removed") is
# usually met by a chunk that shares its subject's words but not the asked
# fact: it holds few of the question's word pairs, its BM25 score is a small
# share of what the question's terms could score, and the question's
# heaviest term is often the one missing. ``Evidence`` measures these on the
# best hit; ``Evidence.support`` combines them with weights chosen on CMRC
# 2018 dev and DRCD dev (docs/retrieval-quality.md).


@dataclass(frozen=True)
class QueryTerms:
    """What a question's terms weigh, for judging a hit."""

    weights: dict[str, float]  # coverage weights of its words and sub-words (see term_weights)
    known: dict[str, float]  # every term the corpus has (word pairs too): its positive idf
    okapi_total: float  # Σ Okapi idf of the known terms: what a chunk could score, roughly

    @classmethod
    def of(cls, tokens: list[str], vocabulary: dict[str, int], positive_idf: np.ndarray,
           okapi_idf: np.ndarray, n_docs: int, is_pair) -> "QueryTerms":
        weights = term_weights([t for t in tokens if not is_pair(t)], vocabulary, positive_idf, n_docs)
        ids = {t: vocabulary[t] for t in dict.fromkeys(tokens) if t in vocabulary}
        known = {t: float(positive_idf[i]) for t, i in ids.items()}
        okapi_total = float(sum(float(okapi_idf[i]) for i in ids.values()))
        return cls(weights, known, okapi_total)


# Support = coverage + the weighted features below; an answer needs
# MIN_SUPPORT. Weights and threshold: docs/retrieval-quality.md.
#
# Two shares of the matched weight count against it, because coverage
# counts them as if they were words of the asked fact: what single
# characters carry (杜拜 asked, 杜 and 拜 found anywhere), and what the
# sub-words of another matched word carry (罗马尼亚 found brings 罗马, 尼亚,
# 罗马尼, 马尼亚: a paragraph that only names the subject looks like one that
# holds half the question).
#
# And one counts for it: the share of the known terms' idf that this chunk
# holds and none of the next hits do ("distinct"), when it holds the
# question's heaviest word. An asked fact is usually said in one place; a
# paragraph that shares only the subject with its siblings holds what they
# hold too. (Without the heaviest word it says nothing: in a corpus of three
# articles most words are in one chunk only, 世界 of 世界杯 too.) Measured on
# the first EVIDENCE_HITS hits, whatever top_k the caller asked for.
SUPPORT_WEIGHTS = {"known_coverage": 1.25, "pair_coverage": 1.0, "saturation": 1.25, "top_found": 0.25, "specific": 0.25,
                   "single_characters": -0.25, "sub_words": -0.5, "distinct": 0.75}
EVIDENCE_HITS = 5
MIN_SUPPORT = 2.45
SATURATION_CAP = 1.5
# A rule against the best hit takes this much off the evidence rather than
# declining outright. One general word carrying the match: a paragraph that
# holds the question's subject word for word (理想国为谁所写, 操场的定义是什么)
# is still answered. A count, a year or a time missing declines outright:
# on the bundled corpus of three articles the evidence of 重庆有多少人口 or
# 会议是什么时候召开的 would outweigh any penalty. (A missing time once took
# 0.75 off instead, while _TIME did not read times told by an event, 出征陈友谅时,
# or a period, 侏羅紀; docs/retrieval-quality.md.)
RULE_PENALTY = {"weak_match": 0.75}


@dataclass(frozen=True)
class Evidence:
    coverage: float
    # Share of the known terms' idf (word pairs included) the chunk holds,
    # the question's words the corpus lacks counting against it.
    known_coverage: float
    pair_coverage: float | None  # share of the known word pairs' idf; None without any
    # BM25 score ÷ Σ idf of the known terms (1 where Okapi's idf cannot
    # say: a tiny corpus), times the share of the question's weight the corpus knows.
    saturation: float
    lead: float  # BM25 score ÷ the next hit's
    top_found: bool  # the question's heaviest word is in the chunk or its citation
    matched: tuple[str, ...]  # the question's words the chunk holds, sub-words of others left out
    specific: bool = False  # one of them is a name or a coined term, not an everyday word
    # Shares of the matched coverage weight carried by single characters and
    # by sub-words of another matched word.
    single_characters: float = 0.0
    sub_words: float = 0.0
    # Share of the known terms' idf no other of the first EVIDENCE_HITS hits holds (0 without the heaviest word).
    distinct: float = 0.0

    def support(self, weights: dict[str, float] | None = None) -> float:
        weights = SUPPORT_WEIGHTS if weights is None else weights
        values = {
            "known_coverage": self.known_coverage,
            # Without word pairs to compare, the pairs say what the words say.
            "pair_coverage": self.coverage if self.pair_coverage is None else self.pair_coverage,
            "saturation": self.saturation,
            "top_found": float(self.top_found),
            "specific": float(self.specific),
            "lead": float(np.log(min(max(self.lead, 0.5), 20.0))),
            "single_characters": self.single_characters,
            "sub_words": self.sub_words,
            "distinct": self.distinct,
        }
        return self.coverage + sum(w * values[name] for name, w in weights.items())


def evidence(query: QueryTerms, hits, *, degenerate: bool = False, is_common_word=lambda word: True) -> Evidence:
    """The evidence of ``hits[0]`` (hits carry ``found``, ``score``, ``coverage``)."""
    best = hits[0]
    found = best.found
    known_total = sum(query.known.values())
    # Words the corpus does not have (an everyday word, a name) weigh as in coverage.
    lacking = sum(w for t, w in query.weights.items() if t not in query.known)
    total = known_total + lacking
    known_coverage = sum(w for t, w in query.known.items() if t in found) / total if total else 0.0
    weight_total = sum(query.weights.values())
    known_share = 1.0 - lacking / weight_total if weight_total else 0.0
    pairs = {t: w for t, w in query.known.items() if t not in query.weights}
    pair_total = sum(pairs.values())
    pair_coverage = sum(w for t, w in pairs.items() if t in found) / pair_total if pair_total else None
    # Okapi's idf is zero or negative for a term in most chunks of a small
    # corpus: the score then says nothing, and only the known share counts.
    measurable = not degenerate and query.okapi_total > 0 and best.score > 0
    raw = min(best.score / query.okapi_total, SATURATION_CAP) if measurable else 1.0
    saturation = known_share * raw
    second = hits[1].score if len(hits) > 1 else 0.0
    lead = best.score / second if second > 0 else 20.0
    top = max(query.weights, key=query.weights.get) if query.weights else None
    held = [t for t in query.weights if t in found]
    inside = {t for t in held if any(t != u and t in u for u in held)}
    matched = tuple(t for t in held if t not in inside)
    specific = any(looks_like_name(t) or not is_common_word(t) for t in matched)
    held_weight = sum(query.weights[t] for t in held)
    single = sum(query.weights[t] for t in held if len(t) == 1) / held_weight if held_weight else 0.0
    sub_words = sum(query.weights[t] for t in inside) / held_weight if held_weight else 0.0
    others = frozenset().union(*(hit.found for hit in hits[1:EVIDENCE_HITS]))
    distinct = 0.0
    if known_total and top in found:
        distinct = sum(w for t, w in query.known.items() if t in found and t not in others) / known_total
    return Evidence(best.coverage, known_coverage, pair_coverage, saturation, lead, top in found, matched, specific,
                    single, sub_words, distinct)


def weak_match(ev: Evidence, query: QueryTerms, is_common_word) -> str | None:
    """The one general word that carries the match, if that is all there is:
    資訊科技 met by a paragraph that only has 科技, 老百姓怎么看书 by one that
    only has 百姓. A name or a coined term is specific enough to carry it."""
    if len(ev.matched) != 1 or ev.coverage >= 1.0:
        return None
    word = ev.matched[0]
    if looks_like_name(word) or not is_common_word(word):
        return None
    return word


def examine(
    question: str,
    query: QueryTerms,
    hits,
    places_unknown: list[str] = (),
    *,
    is_common_word=lambda word: True,
    degenerate: bool = False,
) -> tuple[Evidence, str | None, str, float]:
    """The evidence of ``hits[0]``; the first rule against it ("unknown_place",
    "weak_match", "no_number") or None; for "weak_match" the one word
    matched; and what the rules take off the evidence (RULE_PENALTY; inf
    when one declines whatever the evidence)."""
    ev = evidence(query, hits, degenerate=degenerate, is_common_word=is_common_word)
    if places_unknown:
        return ev, "unknown_place", "", float("inf")
    word = weak_match(ev, query, is_common_word)
    no_number = asks_for_quantity(question) and not number_in_matching_sentences(hits[0].passage, question)
    penalty = float("inf") if no_number else 0.0
    if word is not None:
        # A question word the corpus never uses says the question is about
        # something else (最近有什么好看的电影 asked of three articles on
        # culture): then one general word is no answer, however strong.
        lacking = any(t not in query.known for t in query.weights if t not in hits[0].found)
        return ev, "weak_match", word, float("inf") if lacking else penalty + RULE_PENALTY["weak_match"]
    return ev, "no_number" if no_number else None, "", penalty


def number_in_matching_sentences(passage, question: str) -> bool:
    """A number of the asked kind in a sentence of the chunk that holds one
    of the question's words, or in the sentence before one: any such
    sentence, not only the snippet's (the snippet chooses by words; on CMRC
    and DRCD dev this declines half as many answerable questions), but not a
    number that stands among none of them (24小时 does not say how much a
    subsidy is)."""
    from retrieval.sentences import sentence_spans

    text, highlights = passage.text, passage.highlights
    if not highlights:
        return False
    kept = [" "] * len(text)
    spans = sentence_spans(text) or [(0, len(text))]
    for i, (start, end) in enumerate(spans):
        if any(a < end and start < b for a, b in highlights):
            kept[start:end] = text[start:end]
            # The sentence before too: it often holds the date the matching
            # one refers back to (2003年……。同年……林振强也辞世). On DRCD dev
            # this answered two more answerable questions.
            if i:
                kept[spans[i - 1][0]:spans[i - 1][1]] = text[spans[i - 1][0]:spans[i - 1][1]]
    return has_new_number("".join(kept), highlights, question)


def judge(
    question: str,
    query: QueryTerms,
    hits,
    places_unknown: list[str] = (),
    *,
    is_common_word=lambda word: True,
    degenerate: bool = False,
    min_coverage: float | None = None,
    min_support: float | None = None,
    support_weights: dict[str, float] | None = None,
) -> "Judgement":
    """Whether ``hits[0]`` answers. Declined, in this order of reasons: a
    place the corpus never names, coverage below MIN_COVERAGE, then the
    combined evidence below MIN_SUPPORT, less RULE_PENALTY for one general
    word carrying the match or no number of the asked kind in the chunk
    (the status names that rule, else "weak_evidence")."""
    ev, rule, word, penalty = examine(question, query, hits, places_unknown,
                                      is_common_word=is_common_word, degenerate=degenerate)
    floor = MIN_COVERAGE if min_coverage is None else min_coverage
    threshold = MIN_SUPPORT if min_support is None else min_support
    if rule == "unknown_place":
        return Judgement(False, rule, ev)
    if ev.coverage < floor:
        return Judgement(False, "low_coverage", ev)
    if penalty == float("inf") or ev.support(support_weights) - penalty < threshold:
        if rule is not None:
            return Judgement(False, rule, ev, word)
        return Judgement(False, "weak_evidence", ev)
    return Judgement(True, "answered", ev)


@dataclass(frozen=True)
class Judgement:
    answered: bool
    reason: str  # "answered", "unknown_place", "low_coverage", "weak_match", "no_number", "weak_evidence"
    evidence: Evidence | None
    matched_word: str = ""  # for "weak_match": the one word the best chunk shares with the question


def query_terms(engine, tokens: list[str]) -> QueryTerms:
    from retrieval.index.analyzer import is_word_pair

    model = engine.model
    return QueryTerms.of(tokens, model.vocabulary, engine._positive_idf, model.idf, model.n_docs, is_word_pair)


@dataclass(frozen=True)
class Outcome:
    """SearchEngine.ask's decision: what to show and why."""

    answered: bool
    status: str
    hits: list
    claim: object | None = None  # "author_only": claims.AuthorClaim
    matched_word: str = ""
    evidence: Evidence | None = None


def assess_answer(engine, question: str, tokens: list[str], words: list[str], hits, *,
                  from_metadata: bool = False) -> Outcome:
    """The decision for ``hits`` (best first): a question about an author
    (claims), a hit found only in the metadata (coverage and the number
    test, as BM25 scores it 0), else judge()."""
    from retrieval.answer import claims

    verdict = claims.review(engine, question, words, hits, from_metadata=from_metadata)
    if verdict is not None:
        return Outcome(verdict.answered, verdict.status, verdict.hits, claim=verdict.claim)
    places = unknown_places(words, engine.model.vocabulary, tokens)
    if from_metadata:
        best = hits[0]
        decision = decide(question, best.coverage, best.snippet.text, best.snippet.highlights, places)
        return Outcome(decision.answered, decision.reason, hits)
    judgement = judge(
        question, query_terms(engine, tokens), hits, places,
        is_common_word=engine.analyzer.is_common_word, degenerate=engine.model.degenerate,
    )
    return Outcome(judgement.answered, judgement.reason, hits, matched_word=judgement.matched_word,
                   evidence=judgement.evidence)
