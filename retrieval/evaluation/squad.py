"""Retrieval quality on SQuAD-format QA sets (CMRC 2018, DRCD).

Every paragraph of the set becomes a document and every question is asked;
a question is a hit at k when its own paragraph is among the first k
distinct paragraphs returned.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

from retrieval.ingest.documents import Document
from retrieval.index.building import build_engine
from retrieval.answer.search import SearchEngine


class DatasetError(ValueError):
    """The file is not a SQuAD-format dataset."""


@dataclass(frozen=True)
class Question:
    text: str
    paragraph_id: str
    answers: tuple[str, ...]


@dataclass(frozen=True)
class Dataset:
    name: str
    documents: list[Document]
    questions: list[Question]


@dataclass
class Metrics:
    dataset: str
    paragraphs: int
    questions: int
    hit_at_1: float
    hit_at_5: float
    mrr_at_10: float
    answered: float  # share of (answerable) questions the engine did not decline
    snippet_has_answer: float  # among Hit@1 questions, snippet contains an answer text
    ms_per_question: float
    index_seconds: float

    def table(self) -> str:
        rows = [
            ("dataset", self.dataset),
            ("paragraphs", self.paragraphs),
            ("questions", self.questions),
            ("Hit@1", f"{self.hit_at_1:.4f}"),
            ("Hit@5", f"{self.hit_at_5:.4f}"),
            ("MRR@10", f"{self.mrr_at_10:.4f}"),
            ("answered", f"{self.answered:.4f}"),
            ("snippet has answer (Hit@1)", f"{self.snippet_has_answer:.4f}"),
            ("ms/question", f"{self.ms_per_question:.2f}"),
            ("index seconds", f"{self.index_seconds:.1f}"),
        ]
        width = max(len(name) for name, _ in rows)
        return "\n".join(f"{name:<{width}}  {value}" for name, value in rows)


def load_squad(path: str | Path) -> Dataset:
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8-sig"))
        documents: list[Document] = []
        questions: list[Question] = []
        seen: set[str] = set()
        for article in data["data"]:
            for number, paragraph in enumerate(article["paragraphs"], start=1):
                paragraph_id = str(paragraph.get("id") or f"{article.get('id', len(documents))}-{number}")
                if paragraph_id in seen:
                    paragraph_id = f"{paragraph_id}~{len(documents)}"
                seen.add(paragraph_id)
                documents.append(Document(
                    doc_id=paragraph_id,
                    text=paragraph["context"],
                    source_path=path.name,
                    title=str(article.get("title") or paragraph_id),
                ))
                for qa in paragraph["qas"]:
                    answers = tuple(a["text"] for a in qa.get("answers", []) if a.get("text"))
                    questions.append(Question(qa["question"], paragraph_id, answers))
    except (OSError, UnicodeDecodeError) as exc:
        raise DatasetError(f"{path}: cannot read ({exc})") from exc
    except json.JSONDecodeError as exc:
        raise DatasetError(f"{path}:{exc.lineno}: invalid JSON ({exc.msg})") from exc
    except (KeyError, TypeError) as exc:
        raise DatasetError(f"{path}: not SQuAD format (missing {exc})") from exc
    return Dataset(path.name, documents, questions)


def evaluate(
    dataset: Dataset,
    *,
    top_k: int = 10,
    progress: Callable[[int, int], None] | None = None,
    engine: SearchEngine | None = None,
    rerank: bool = True,
    rerank_depth: int | None = None,
    coverage_weight: float | None = None,
    bm25: dict[str, float] | None = None,
    second_stage: dict[str, float] | None = None,
    expansion: str | None = None,
    **analyzer_options: bool,
) -> Metrics:
    """``bm25`` (k1, b), ``second_stage`` (feature weights to change, see
    ``retrieval.answer.second_stage.Weights``) and ``expansion`` (a synonym
    source, see ``retrieval.answer.expansion``) exist for the studies in
    docs/retrieval-quality.md."""
    started = time.perf_counter()
    if engine is None:
        engine, _ = build_engine(dataset.documents, bm25=bm25, **analyzer_options)
        engine.rerank = rerank
        if rerank_depth is not None:
            engine.rerank_depth = rerank_depth
        if coverage_weight is not None:
            engine.coverage_weight = coverage_weight
        if second_stage:
            engine.second_stage_weights = engine.second_stage_weights.with_changes(second_stage)
            if "coverage" in second_stage:
                engine.coverage_weight = second_stage["coverage"]
        if expansion is not None:
            from retrieval.answer.expansion import load_expansion

            engine.expansion = load_expansion(expansion)
            if engine.expansion is None and expansion.lower() not in ("none", "off"):
                raise ValueError(f"synonym expansion {expansion!r} is not available (see retrieval.answer.expansion)")
    index_seconds = time.perf_counter() - started

    hits_1 = hits_5 = answered = snippet_ok = 0
    reciprocal = 0.0
    asking = 0.0
    for done, question in enumerate(dataset.questions, start=1):
        t0 = time.perf_counter()
        # Long paragraphs are split into parts: ask for more chunks than
        # paragraphs needed, then rank paragraphs by their best part.
        answer = engine.ask(question.text, top_k=2 * top_k)
        asking += time.perf_counter() - t0
        ranked = list(dict.fromkeys(hit.chunk.doc_id for hit in answer.hits))[:top_k]
        answered += answer.answered
        if question.paragraph_id in ranked:
            rank = ranked.index(question.paragraph_id) + 1
            reciprocal += 1 / rank
            hits_5 += rank <= 5
            if rank == 1:
                hits_1 += 1
                snippet = answer.hits[0].snippet.text
                snippet_ok += any(a in snippet for a in question.answers)
        if progress and (done % 200 == 0 or done == len(dataset.questions)):
            progress(done, len(dataset.questions))

    n = max(1, len(dataset.questions))
    return Metrics(
        dataset=dataset.name,
        paragraphs=len(dataset.documents),
        questions=len(dataset.questions),
        hit_at_1=hits_1 / n,
        hit_at_5=hits_5 / n,
        mrr_at_10=reciprocal / n,
        answered=answered / n,
        snippet_has_answer=snippet_ok / max(1, hits_1),
        ms_per_question=1000 * asking / n,
        index_seconds=index_seconds,
    )


def metrics_json(metrics: Metrics, options: dict) -> str:
    return json.dumps({**asdict(metrics), "analyzer": options}, ensure_ascii=False)
