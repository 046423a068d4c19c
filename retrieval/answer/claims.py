"""Questions about an author: answer from the byline, or say what the documents do say.

An author's name usually stands only in the front matter (the citation),
not in any paragraph. "侯金亮是谁？" or "侯金亮的职务是什么？" is answered by
a byline paragraph — “（作者系……）”, “（作者单位：……）” — when the
article has one. When it has none, the first paragraph of the article is
no answer: nothing in it says who the author is. The documents then say
only that this person wrote that article, and the reply says exactly that
— "侯金亮是《大力提升现代公共文化数字化水平》一文的作者；文中没有他的职务"
— with the status "author_only", not answered.

Both ways a question can reach an author are handled: no paragraph has
any of the question's words (SearchEngine._byline_hits looked the name up
in the metadata), or paragraphs match only its everyday words (职务, 工作,
单位) while the name is matched by the citation alone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from functools import lru_cache, partial

from retrieval.answer.catalog import BYLINE

# What a question asks of a person, and what the reply says is missing.
_ASKS_POSITION = re.compile(r"职务|职位|职称|头衔|任职|是谁|身份|简介|介绍|背景|who\b", re.I)
_ASKS_AFFILIATION = re.compile(r"单位|机构|部门|工作|在哪")
PERSON_WORDS = re.compile(f"{_ASKS_POSITION.pattern}|{_ASKS_AFFILIATION.pattern}", re.I)
MISSING = {"position": "职务", "affiliation": "工作单位"}


@dataclass(frozen=True)
class AuthorClaim:
    """What the documents say of an author whose byline they lack."""

    name: str
    titles: tuple[str, ...]  # the documents they wrote
    missing: str  # "position" or "affiliation": what was asked and is not there

    def sentence(self) -> str:
        """侯金亮是《大力提升现代公共文化数字化水平》一文的作者；文中没有他的职务。"""
        return author_only_sentence(self, AUTHOR_ONLY_ZH, MISSING)


AUTHOR_ONLY_ZH = "{name}是{titles}{kind}的作者；文中没有他的{missing}。"
AUTHOR_KIND_ZH = ("一文", "等{n}篇文章")


def author_only_sentence(claim: AuthorClaim, template: str, missing: dict[str, str],
                         kinds: tuple[str, str] = AUTHOR_KIND_ZH, title_format: str = "《{}》") -> str:
    titles = "".join(title_format.format(t) for t in claim.titles[:3])
    kind = kinds[0] if len(claim.titles) == 1 else kinds[1].format(n=len(claim.titles))
    return template.format(name=claim.name, titles=titles, kind=kind, missing=missing[claim.missing])


@dataclass(frozen=True)
class Verdict:
    hits: list  # what to cite or show as near misses
    answered: bool
    status: str  # "answered" (a byline) or "author_only"
    claim: AuthorClaim | None = None


def review(engine, question: str, words: list[str], hits: list, *, from_metadata: bool) -> Verdict | None:
    """A verdict when the question asks who an author is, else None (the
    usual decision applies)."""
    from retrieval.answer.search import BYLINE_LOOKUP_MAX_CHUNKS  # the metadata lookup's own limit

    normalize = engine.analyzer.normalize
    said = "".join(words)  # cheap first: does the question name an author of these hits at all?
    named = ((hit, n) for hit in hits if hit.chunk.author for n in _author_names(normalize, hit.chunk.author) if n in said)
    best, name = next(named, (None, None))
    if best is None:
        return None
    plain = normalize(question)
    rest = plain.replace(name, "")
    asked = "position" if _ASKS_POSITION.search(rest) else "affiliation" if _ASKS_AFFILIATION.search(rest) else None
    if asked is None:
        return None
    if not from_metadata:
        # Paragraphs matched: this is about the author only if nothing but
        # the name and what one asks of a person matched (侯金亮的工作单位).
        if any(name not in w and not PERSON_WORDS.search(w) for w in words):
            return None
    if BYLINE.search(best.chunk.text):
        return Verdict([best] + [h for h in hits if h is not best], True, "answered")
    if len(engine.chunks) <= BYLINE_LOOKUP_MAX_CHUNKS:
        catalog = engine.catalog
        documents = catalog.by_author(lambda author: name in _author_names(normalize, author))
        byline = next((b for b in map(catalog.byline, documents) if b is not None), None)
        first_chunks = [] if byline is not None else [catalog.first_chunk(d) for d in documents]
    else:  # the catalog is for a library, not an archive: the hits' own document
        chunks = [hit.chunk for hit in hits if hit.chunk.doc_id == best.chunk.doc_id]
        byline = next((c for c in reversed(chunks) if BYLINE.search(c.text)), None)
        first_chunks = chunks[:1]
    if byline is not None:
        return Verdict([_as_hit(engine, best, byline)], True, "answered")
    titles = tuple(dict.fromkeys(chunk.title for chunk in first_chunks)) or (best.chunk.title,)
    firsts = [_as_hit(engine, best, chunk) for chunk in first_chunks] or [best]
    shown = [replace(hit, rank=rank) for rank, hit in enumerate(firsts, start=1)]
    return Verdict(shown, False, "author_only", AuthorClaim(best.chunk.author if len(_names(best.chunk.author)) == 1 else name, titles, asked))


@lru_cache(maxsize=4096)
def _author_names(normalize, author: str) -> tuple[str, ...]:
    return tuple(_names(normalize(author)))


def _names(author: str) -> list[str]:
    """The names in an author field: 张三、李四 is two people."""
    return [n for n in re.split(r"[、,，;；/\s]+|\band\b", author) if n]


def _as_hit(engine, template, chunk):
    """A hit on ``chunk`` shaped like ``template``: found in the metadata, it scores 0."""
    from retrieval.answer.snippets import Snippet, best_snippet

    if chunk is template.chunk:
        return template
    return replace(
        template, score=0.0, chunk=chunk,
        _make_snippet=partial(best_snippet, engine.analyzer, chunk.text, {}),
        _make_passage=partial(Snippet, chunk.text),
    )
