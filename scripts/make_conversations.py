"""Build follow-up conversations from a SQuAD-format set, for tuning and
checking `retrieval.answer.followup` (never from the blind set).

Usage:
  python scripts/make_conversations.py CORPUS_NAME SQUAD.json [--other SQUAD2.json] [--n 150] [--seed 1] > out.jsonl
  (the commands behind the README's numbers are in its Quality section)

Each conversation chains questions about one paragraph: the first as the
set has it, later ones made elliptical the way people shorten a second
question — the words they share with the first question (or the article
title) become a pronoun (“它……”), disappear (“那……”, or without a word
at all), or all that is left is the new word (“那X呢？”). Some conversations then switch to another
paragraph's question (``new_topic``; half of these are questions of at most
three content words, which look like follow-ups), followed by an
elliptical question about that one, and some end with a question from the other data set
(half of these short), which the corpus should decline (evidence null). Evidence is the
answer's clause of the paragraph, checked to occur in it.

Output: one JSON object a line, in the format of
tests/data/blind2/conversations.jsonl: {"id", "corpus", "context_id",
"turns": [{"question", "evidence", "new_topic"?, "form"?}]}.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import jieba  # noqa: E402
import jieba.posseg as posseg  # noqa: E402

from retrieval.evaluation.squad import load_squad  # noqa: E402
from retrieval.index.analyzer import Analyzer  # noqa: E402

jieba.setLogLevel(60)

# Stretches shared by two questions that are only question phrasing.
_PHRASING = re.compile(
    r"^(?:什么|什麼|哪些|哪个|哪個|哪一|多少|是什么|是什麼|为什么|為什麼|怎么|怎麼|如何|的是|是哪|时候|時候|"
    r"哪里|哪裡|哪位|哪年|哪一年|主要|有什么|有什麼|是谁|是誰|被称为|被稱為|称为|稱為|的|是|在|有|和|与|與)+$"
)
_CLAUSE_END = re.compile(r"[。！？；!?;]")
_PUNCT = "？?。！!，,、：:；; "


def words(text: str) -> list[tuple[str, str, int, int]]:
    """(word, part of speech, start, end) by jieba's tagger."""
    out, at = [], 0
    for pair in posseg.cut(text):
        out.append((pair.word, pair.flag, at, at + len(pair.word)))
        at += len(pair.word)
    return out


def longest_shared(a: str, b: str) -> str:
    """The longest stretch of whole words of ``a`` that also occurs in ``b``
    (content, not question phrasing)."""
    tagged = words(a)
    starts = [s for _, _, s, _ in tagged]
    ends = {e for _, _, _, e in tagged}
    best = ""
    for i in starts:
        for j in sorted((e for e in ends if e > i), reverse=True):
            piece = a[i:j]
            if len(piece) <= len(best):
                break
            if piece in b:
                stripped = piece.strip(_PUNCT + "“”「」《》")
                named = any((f.startswith("n") or f == "eng") and i <= s and e <= j for _, f, s, e in tagged)
                if len(stripped) >= 2 and named and not _PHRASING.match(stripped):
                    best = piece
                break
    return best.strip(_PUNCT + "“”「」")


def new_words(text: str) -> str | None:
    """The question's own noun phrase, for “那X呢？”: the longest run of
    nouns (at most two words), else None."""
    runs, run = [], []
    for word, flag, _, _ in words(text):
        if (flag.startswith("n") or flag in {"vn", "eng"}) and word.strip() and word != "\0":
            run.append(word)
        else:
            if run:
                runs.append(run[-2:])
            run = []
    if run:
        runs.append(run[-2:])
    best = max(("".join(r) for r in runs), key=len, default="")
    return best if len(best) >= 2 else None


def evidence(context: str, answer: dict) -> str | None:
    """The clause holding the answer: specific enough to find one paragraph."""
    start = answer.get("answer_start", -1)
    text = answer.get("text") or ""
    if start < 0 or context[start:start + len(text)] != text:
        start = context.find(text)
    if start < 0 or not text:
        return None
    left = max((m.end() for m in _CLAUSE_END.finditer(context, 0, start)), default=0)
    right_match = _CLAUSE_END.search(context, start + len(text))
    right = right_match.start() if right_match else len(context)
    clause = context[left:right].strip()
    if len(clause) > 60:  # a long sentence: the answer with a little around it
        clause = context[max(left, start - 15): min(right, start + len(text) + 15)].strip()
    return clause if len(clause) >= 6 and clause in context else None


def elliptical(question: str, anchor: str, form: str, analyzer: Analyzer, traditional: bool) -> str | None:
    """``question`` without ``anchor``, in the given form; None when nothing is left."""
    rest = question.replace(anchor, "\0", 1)
    if form == "pronoun":
        person = any(flag.startswith("nr") for _, flag, _, _ in words(anchor))
        pronoun = "他" if person else "它"
        text = rest.replace("\0", pronoun)
    elif form in ("drop", "bare"):
        if not rest.lstrip("“”「」《》〈").startswith("\0"):
            return None  # only a sentence's subject goes without saying
        text = rest.replace("\0", "")
        text = text.lstrip("的之")
        if form == "drop" and not text.startswith("那"):
            text = "那" + text
    else:  # "ne": only the question's own new words
        found = new_words(rest.replace("\0", "，"))
        if not found:
            return None
        text = "那" + found + "呢？"
    text = re.sub(r"[《〈「“]\s*(它|他)?\s*[》〉」”]", r"\1", text)
    core = re.sub(r"[\s" + re.escape(_PUNCT) + "]", "", text).lstrip("那它")
    if len(core) < 2 or not analyzer.tokenize(text):
        return None
    return text


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("corpus", help="corpus name written into each conversation (cmrc_dev, drcd_dev, ...)")
    parser.add_argument("squad", type=Path)
    parser.add_argument("--other", type=Path, help="another SQuAD set whose questions should be declined")
    parser.add_argument("--n", type=int, default=150, help="conversations")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    rng = random.Random(args.seed)
    analyzer = Analyzer()
    data = json.loads(args.squad.read_text(encoding="utf-8-sig"))
    traditional = "drcd" in args.corpus
    paragraphs = []
    # The ids load_squad gives its documents, one per paragraph in file order.
    ids = iter(doc.doc_id for doc in load_squad(args.squad).documents)
    for article in data["data"]:
        for paragraph in article["paragraphs"]:
            pid = next(ids)
            qas = [qa for qa in paragraph["qas"] if qa.get("answers")]
            if len(qas) >= 3:
                paragraphs.append((pid, article.get("title") or "", paragraph["context"], qas))
    others: list[str] = []
    short_others: list[str] = []
    if args.other:
        other = json.loads(args.other.read_text(encoding="utf-8-sig"))
        others = [qa["question"] for a in other["data"] for p in a["paragraphs"] for qa in p["qas"]]
    short_others = [q for q in others if len(analyzer.analyze(q).words) <= 3]

    rng.shuffle(paragraphs)
    short_firsts = [p for p in paragraphs if len(analyzer.analyze(p[3][0]["question"]).words) <= 3]
    forms = ["pronoun", "drop", "bare", "ne"]
    out = []
    for pid, title, context, qas in paragraphs:
        if len(out) == args.n:
            break
        first = qas[0]
        first_evidence = evidence(context, first["answers"][0])
        if not first_evidence:
            continue
        turns = [{"question": first["question"], "evidence": first_evidence}]
        turns += _followups(qas[1:4], first["question"] + " " + title, context, analyzer, traditional, rng, forms)
        if len(turns) < 2:
            continue
        conversation = {"id": f"{args.corpus}-{len(out) + 1:03d}", "corpus": args.corpus, "context_id": pid}
        roll = rng.random()
        if roll < 0.45:
            # A new topic: another paragraph's question, in full, then a
            # follow-up about it. Half of them are questions short enough to
            # look like follow-ups (“博落回分布在哪些地区？”): the hard case.
            pool = short_firsts if roll < 0.2 and short_firsts else paragraphs
            opid, otitle, ocontext, oqas = rng.choice(pool)
            if opid != pid:
                oev = evidence(ocontext, oqas[0]["answers"][0])
                if oev:
                    turns.append({"question": oqas[0]["question"], "evidence": oev, "new_topic": True})
                    turns += _followups(oqas[1:2], oqas[0]["question"] + " " + otitle, ocontext, analyzer,
                                        traditional, rng, forms)
        elif roll < 0.65 and others:
            # A question the corpus cannot answer; half of them short ones
            # (“股票代码是多少？”), which look like follow-ups.
            pool = short_others if roll < 0.6 and short_others else others
            turns.append({"question": rng.choice(pool), "evidence": None, "new_topic": True, "form": "crossed"})
        conversation["turns"] = turns
        out.append(conversation)
    for conversation in out:
        print(json.dumps(conversation, ensure_ascii=False))
    print(f"{len(out)} conversations, {sum(len(c['turns']) - 1 for c in out)} later turns", file=sys.stderr)
    return 0


def _followups(qas, anchor_text, context, analyzer, traditional, rng, forms) -> list[dict]:
    turns = []
    for qa in qas:
        ev = evidence(context, qa["answers"][0])
        anchor = longest_shared(qa["question"], anchor_text)
        if not ev or not anchor:
            continue
        form = rng.choice(forms)
        text = elliptical(qa["question"], anchor, form, analyzer, traditional)
        if text is None and form != "pronoun":
            form, text = "pronoun", elliptical(qa["question"], anchor, "pronoun", analyzer, traditional)
        if text is None:
            continue
        turns.append({"question": text, "evidence": ev, "form": form, "original": qa["question"]})
    return turns


if __name__ == "__main__":
    raise SystemExit(main())
