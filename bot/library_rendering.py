"""Library messages → Telegram HTML: upload results, /sources, refusals. Pure functions."""

from __future__ import annotations

from bot.libraries import Added, Duplicate, NeedsConfirmation, Rejected
from bot.libraries.scopes import PRIVATE, Scope
from bot.libraries.storage import LibraryDocument
from bot.library_texts import LibraryTexts
from bot.rendering import escape, split_message

MAX_PROBLEMS_SHOWN = 3


def where(scope: Scope, texts: LibraryTexts) -> str:
    return texts.where_private if scope.kind == PRIVATE else texts.where_group


def size_of(document: LibraryDocument, texts: LibraryTexts) -> str:
    if document.pages:
        return texts.size_pages.format(pages=document.pages, paragraphs=document.paragraphs)
    return texts.size_paragraphs.format(paragraphs=document.paragraphs)


def megabytes(size: int) -> str:
    return f"{size / 2**20:.1f} MB" if size >= 2**20 // 10 else f"{max(1, round(size / 1024))} KB"


def when(document: LibraryDocument) -> str:
    return document.added_at[:10]


def render_outcome(outcome, scope: Scope, name: str, texts: LibraryTexts) -> str:
    """The reply that replaces the progress message when an upload is done."""
    place = where(scope, texts)
    if isinstance(outcome, Added):
        document = outcome.document
        parts = [escape(texts.added.format(where=place, n=outcome.number, title=document.title, size=size_of(document, texts)))]
        if outcome.replaced is not None:
            parts[0] += "\n" + escape(texts.replaced.format(when=when(outcome.replaced)))
        if document.problems:
            shown = document.problems[:MAX_PROBLEMS_SHOWN]
            more = len(document.problems) - len(shown)
            lines = "\n".join(f"• {p}" for p in shown) + (f"\n• …（+{more}）" if more > 0 else "")
            parts.append(escape(texts.problems.format(problems=lines)))
        if outcome.examples:
            examples = "\n".join(f"• <code>{escape(q)}</code>" for q in outcome.examples)
            parts.append(texts.examples_html.format(examples=examples))
        else:
            parts.append(escape(texts.no_examples))
        return "\n\n".join(parts)
    if isinstance(outcome, Duplicate):
        d = outcome.document
        return escape(texts.duplicate.format(where=place, n=outcome.number, title=d.title, who=d.added_by_name, when=when(d)))
    if isinstance(outcome, NeedsConfirmation):
        d = outcome.existing
        return escape(texts.confirm_replace.format(where=place, title=d.title, who=d.added_by_name, when=when(d)))
    if isinstance(outcome, Rejected):
        return escape(render_rejection(outcome, place, name, texts))
    raise TypeError(f"not an upload outcome: {outcome!r}")


def render_rejection(outcome: Rejected, place: str, name: str, texts: LibraryTexts) -> str:
    if outcome.reason == "quota" and outcome.quota is not None:
        q = outcome.quota
        return texts.quota[q.kind].format(name=name, where=place, limit=q.limit, actual=q.actual)
    if outcome.reason == "not_document":
        return texts.not_document.format(name=name, why=outcome.detail)
    if outcome.reason == "unreadable":
        return texts.unreadable.format(name=name, why=outcome.detail)
    if outcome.reason == "damaged":
        return texts.damaged
    return texts.failed.format(name=name)


def render_sources(shared, own: list[LibraryDocument], scope: Scope, texts: LibraryTexts, *, may_manage: bool) -> list[str]:
    """/sources: the shared library, then the chat's own, numbered for /remove N."""
    lines = [escape(texts.sources_shared_header.format(documents=len(shared), chunks=sum(s.chunks for s in shared)))]
    lines += [escape(texts.sources_shared_line.format(title=s.title, author=s.author or "—", chunks=s.chunks)) for s in shared]
    lines.append("")
    place = where(scope, texts)
    if own:
        size = megabytes(sum(d.bytes for d in own))
        lines.append(escape(texts.sources_own_header.format(where=place, documents=len(own), size=size)))
        lines += [
            escape(texts.sources_own_line.format(n=n, title=d.title, size=size_of(d, texts), who=d.added_by_name or "—", when=when(d)))
            for n, d in enumerate(own, start=1)
        ]
    else:
        lines.append(escape(texts.sources_own_empty.format(where=place)))
    if may_manage:
        lines.append(escape(texts.sources_how_to_add))
    return split_message("\n".join(lines))
