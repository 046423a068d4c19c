"""``python -m retrieval``: ask, index, chunks, tokenize, chat."""

from __future__ import annotations

import argparse
import json
import os
import stat
import sys
import time
from dataclasses import asdict
from pathlib import Path

from retrieval.index.analyzer import Analyzer
from retrieval.chunking.chunks import chunk_documents
from retrieval.index.corpus import default_corpus_paths, tokenize
from retrieval.ingest.documents import list_corpus_files, read_corpus_files
from retrieval.index.building import current_index, open_engine
from retrieval.present.render import answer_to_json, answer_to_text
from retrieval.answer.search import COVERAGE_WEIGHT, DEFAULT_TOP_K, RERANK_DEPTH
from retrieval.answer.second_stage import Weights
from retrieval.index.bm25 import B, K1
from retrieval.index.store import IndexLoadError
from retrieval.backends import BackendConfigError, SearchUnavailable, SolrSetupError
from retrieval.backends.configure import attach, solr_from_settings
from retrieval.present.terminal import progress_printer, utf8_stdio

EXAMPLES = """\
examples:
  python -m retrieval ask "重庆提出的885工作机制是什么？"
  python -m retrieval ask --json "數位鴻溝怎麼解決"
  printf '八张报表\\n渝快办\\n' | python -m retrieval ask --json
  python -m retrieval index --corpus docs/ news.jsonl --index .index
  python -m retrieval ask --index .index --top-k 3 "国企改革"
  python -m retrieval chunks --json | head -n 2
  python -m retrieval tokenize "重慶的黨建引領"
  python -m retrieval chat

The corpus defaults to the bundled seeds/ (or $RETRIEVAL_CORPUS).
Supported files: .pdf (text layer; citations name the page), .docx, .html
and .htm, .epub, .txt and .md (optional YAML front matter: title, author,
source, url), .jsonl (one {"id", "text", ...} object per line).
"""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m retrieval",
        description="Answer questions about Chinese documents with cited paragraphs (BM25).",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def corpus_options(sub: argparse.ArgumentParser, *, index_required: bool = False) -> None:
        sub.add_argument("--corpus", nargs="+", action="extend", metavar="PATH", type=Path,
                         help="files or folders to index (default: the bundled seeds/)")
        sub.add_argument("--index", type=Path, metavar="DIR", required=index_required,
                         help="index folder: reused while the corpus is unchanged, rebuilt when it changes")

    def backend_options(sub: argparse.ArgumentParser) -> None:
        sub.add_argument("--backend", choices=("local", "solr"), default=os.environ.get("SEARCH_BACKEND", "local") or "local",
                         help="where chunks are searched: the embedded index (default) or SolrCloud ($SEARCH_BACKEND)")
        sub.add_argument("--solr-url", metavar="URL[,URL]", help="Solr node URLs, e.g. http://127.0.0.1:8983/solr ($SOLR_URL)")
        sub.add_argument("--solr-collection", metavar="NAME", help="the collection ($SOLR_COLLECTION)")
        sub.add_argument("--solr-timeout", type=float, metavar="S", help="seconds a query may take ($SOLR_TIMEOUT, default 5)")

    ask = commands.add_parser("ask", help="answer a question (or one per line from stdin)",
                              epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    corpus_options(ask)
    ask.add_argument("--top-k", type=_positive_int, default=DEFAULT_TOP_K, metavar="N",
                     help=f"hits per question (default {DEFAULT_TOP_K})")
    ask.add_argument("--json", action="store_true", help="one JSON object per question")
    ask.add_argument("question", nargs="?", help="the question; omit it to read questions from stdin")
    backend_options(ask)

    index = commands.add_parser("index", help="build and save an index")
    corpus_options(index, index_required=True)
    index.add_argument("--force", action="store_true", help="rebuild even if the corpus is unchanged")
    backend_options(index)
    index.add_argument("--workers", type=_positive_int, metavar="N",
                       help="processes that tokenize (default: every core); tokens of unchanged files are reused")

    chunks = commands.add_parser("chunks", help="show how the corpus is cut into cited paragraphs")
    chunks.add_argument("--corpus", nargs="+", action="extend", metavar="PATH", type=Path)
    chunks.add_argument("--json", action="store_true", help="JSON Lines with every citation field")

    tok = commands.add_parser("tokenize", help="print the analyzer's tokens as a JSON list")
    tok.add_argument("text")

    chat = commands.add_parser("chat", help="interactive console: a question in, a cited answer out")
    corpus_options(chat)

    def with_examples(name: str, help: str, examples: str) -> argparse.ArgumentParser:
        return commands.add_parser(name, help=help, epilog=examples,
                                   formatter_class=argparse.RawDescriptionHelpFormatter)

    evaluate = with_examples("eval", "retrieval quality on a SQuAD-format QA set (each paragraph a document)",
                             EVAL_EXAMPLES)
    evaluate.add_argument("dataset", type=Path, help="SQuAD-format JSON (CMRC 2018, DRCD)")
    backend_options(evaluate)
    evaluate.add_argument("--top-k", type=_positive_int, default=10, metavar="N",
                          help="paragraphs considered per question (default 10)")
    evaluate.add_argument("--json", action="store_true", help="print the metrics as one JSON object")
    evaluate.add_argument("--no-rerank", dest="rerank", action="store_false",
                          help="rank by BM25 alone, without the coverage second stage (for the study)")
    evaluate.add_argument("--rerank-depth", type=_positive_int, metavar="N",
                          help=f"hits the second stage reorders (default {RERANK_DEPTH})")
    evaluate.add_argument("--coverage-weight", type=float, metavar="W",
                          help=f"weight of coverage against BM25 share in the second stage (default {COVERAGE_WEIGHT})")
    evaluate.add_argument("--k1", type=float, metavar="K", help=f"BM25's k1, for a study (default {K1})")
    evaluate.add_argument("--b", type=float, metavar="B", help=f"BM25's b, for a study (default {B})")
    evaluate.add_argument("--second-stage", type=_second_stage_weights, default={}, metavar="NAME=W,...",
                          help="change second-stage feature weights for a study (0 switches one off): "
                               + ", ".join(f"{k} (default {v})" for k, v in asdict(Weights()).items()))
    evaluate.add_argument("--expansion", metavar="SOURCE",
                          help="synonym expansion for the second stage: cilin, a synonym-set file, or none "
                               "(default: $RETRIEVAL_EXPANSION, else none)")
    evaluate.add_argument("--analyzer", type=_analyzer_options, default={}, metavar="NAME=BOOL,...",
                          help="override analyzer choices for a study: "
                               + ", ".join(f"{k} (default {str(v).lower()})" for k, v in ANALYZER_DEFAULTS.items()))

    solr = with_examples("solr", "set up a SolrCloud collection for --backend solr", SOLR_EXAMPLES)
    solr_commands = solr.add_subparsers(dest="solr_command", required=True, metavar="ACTION")
    setup = solr_commands.add_parser("setup", help="upload the configset and create the collection")
    setup.add_argument("--url", required=True, metavar="URL", help="any node, e.g. http://127.0.0.1:8983/solr")
    setup.add_argument("--collection", required=True, metavar="NAME")
    setup.add_argument("--shards", type=_positive_int, default=2, metavar="N")
    setup.add_argument("--replicas", type=_positive_int, default=2, metavar="R")

    calibrate = with_examples("calibrate",
                              'measure the "not found" decision: answerable vs unanswerable questions per threshold',
                              CALIBRATE_EXAMPLES)
    calibrate.add_argument("first", type=Path, help="a SQuAD-format set (e.g. CMRC 2018 dev)")
    calibrate.add_argument("second", type=Path, help="another one, for crossed questions (e.g. DRCD dev)")
    calibrate.add_argument("--offtopic", type=Path, default=OFFTOPIC, metavar="FILE",
                           help="everyday questions, one per line, asked of the bundled corpus")
    calibrate.add_argument("--sample", type=_positive_int, default=1000, metavar="N",
                           help="questions per set (default 1000)")
    return parser


OFFTOPIC = Path(__file__).resolve().parent.parent / "tests" / "data" / "offtopic_questions.txt"
CALIBRATE_EXAMPLES = """example:
  python -m retrieval calibrate ../shared/eval/data/cmrc2018/squad-style-data/cmrc2018_dev.json \\
      ../shared/eval/data/drcd/DRCD_dev.json
"""
ANALYZER_DEFAULTS = {**Analyzer.OPTIONS, "corpus_dictionary": True}
ANALYZER_CHOICES = tuple(ANALYZER_DEFAULTS)
SOLR_EXAMPLES = """examples:
  python -m retrieval solr setup --url http://127.0.0.1:8983/solr --collection docs --shards 2 --replicas 2
  python -m retrieval index --index .index --backend solr --solr-url http://127.0.0.1:8983/solr --solr-collection docs
  python -m retrieval ask --index .index --backend solr --solr-url http://127.0.0.1:8983/solr --solr-collection docs "八张报表"
Credentials for basic auth come from $SOLR_USER and $SOLR_PASSWORD (never printed).
"""
EVAL_EXAMPLES = """examples:
  python -m retrieval eval ../shared/eval/data/cmrc2018/squad-style-data/cmrc2018_dev.json
  python -m retrieval eval ../shared/eval/data/drcd/DRCD_dev.json --json
  python -m retrieval eval DRCD_dev.json --analyzer word_pairs=false,search_mode=false
"""


def _analyzer_options(value: str) -> dict[str, bool]:
    options: dict[str, bool] = {}
    for item in filter(None, (part.strip() for part in value.split(","))):
        name, _, flag = item.partition("=")
        name, flag = name.strip(), flag.strip().lower()
        if name not in ANALYZER_CHOICES:
            raise argparse.ArgumentTypeError(f"unknown analyzer option {name!r}; choose from {', '.join(ANALYZER_CHOICES)}")
        if flag not in ("true", "false", "1", "0", "yes", "no", "on", "off"):
            raise argparse.ArgumentTypeError(f"{name}: {flag!r} is not true or false")
        options[name] = flag in ("true", "1", "yes", "on")
    return options


def _second_stage_weights(value: str) -> dict[str, float]:
    weights: dict[str, float] = {}
    for item in filter(None, (part.strip() for part in value.split(","))):
        name, _, number = item.partition("=")
        name = name.strip()
        if name not in Weights.names():
            raise argparse.ArgumentTypeError(f"unknown second-stage feature {name!r}; choose from {', '.join(Weights.names())}")
        try:
            weights[name] = float(number)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{name}: {number.strip()!r} is not a number") from None
    return weights


def _positive_int(value: str) -> int:
    number = int(value)
    if number < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return number


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    _question_after_corpus(args)
    utf8_stdio()
    try:
        return COMMANDS[args.command](args)
    except (IndexLoadError, BackendConfigError, SearchUnavailable, SolrSetupError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted; the saved index, if any, is as it was", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `… | head`: the reader has what it wanted
        return 0
    except OSError as exc:  # an unwritable index folder, a full disk …
        where = f" {exc.filename}" if exc.filename else ""
        print(f"error:{where}: {exc.strerror or exc}", file=sys.stderr)
        return 2


def _question_after_corpus(args) -> None:
    """`ask --corpus DIR "question"`: --corpus takes several paths, so
    argparse hands it the question too. A last "path" that does not exist
    while no question was given is the question."""
    if getattr(args, "question", "") is None and args.corpus and not args.corpus[-1].exists():
        args.question = str(args.corpus.pop())


def _open(args, *, quiet: bool = False, always_progress: bool = False):
    progress = None if quiet else progress_printer(always=always_progress)
    engine, report = open_engine(
        args.corpus, args.index, progress=progress,
        force=getattr(args, "force", False), workers=getattr(args, "workers", None),
    )
    for problem in report.problems:
        print(f"warning: {problem}", file=sys.stderr)
    if report.chunks == 0:
        corpus = ", ".join(str(p) for p in (args.corpus or default_corpus_paths()))
        print(f"error: no readable documents in {corpus}", file=sys.stderr)
        raise SystemExit(2)
    if getattr(args, "backend", "local") == "solr" and args.command != "index":
        attach(engine, _solr(args))
    return engine, report


def _solr(args):
    return solr_from_settings(args.solr_url, args.solr_collection, timeout=args.solr_timeout)


def cmd_ask(args) -> int:
    engine, _ = _open(args, quiet=args.json)
    if args.question is None and sys.stdin.isatty():
        print("Reading questions from standard input, one per line (Ctrl-D to end).", file=sys.stderr)
    questions = [args.question] if args.question is not None else _stdin_lines()
    # A program reading the answers through a pipe gets each as it is made;
    # a file is written in blocks. The question itself is analysed once,
    # in ask(); nothing here tokenizes or normalises again.
    flush = not _is_regular_file(sys.stdout)
    color = sys.stdout.isatty()
    encode = json.JSONEncoder(ensure_ascii=False).encode
    first = True
    for question in questions:
        answer = engine.ask(question, top_k=args.top_k)
        if args.json:
            print(encode(answer_to_json(answer)), flush=flush)
        else:
            if not first:
                print()
            if args.question is None:
                print(f"问：{question}")
            print(answer_to_text(answer, color=color), flush=flush)
        first = False
    return 0


def _is_regular_file(stream) -> bool:
    try:
        return stat.S_ISREG(os.fstat(stream.fileno()).st_mode)
    except (AttributeError, OSError, ValueError):  # a StringIO, a closed stream
        return False


def _stdin_lines():
    for line in sys.stdin:
        line = line.rstrip("\r\n")
        if line.strip():
            yield line


def cmd_index(args) -> int:
    started = time.perf_counter()
    if args.backend == "solr":
        return _index_into_solr(args)
    if not args.force and (meta := current_index(args.corpus, args.index)) is not None:
        print(
            f"index unchanged: {meta['n_documents']} documents, {meta['n_chunks']} chunks, "
            f"{meta['n_tokens']} tokens, {time.perf_counter() - started:.2f} s (hash check) → {args.index}"
        )
        return 0
    _, report = _open(args, always_progress=True)
    if report.kept_previous:
        print(f"error: {args.index} was not updated (see above)", file=sys.stderr)
        return 2
    how = "unchanged, loaded" if report.loaded_from_disk else "built"
    print(
        f"index {how}: {report.documents} documents, {report.chunks} chunks, "
        f"{report.tokens} tokens, {report.seconds:.2f} s → {args.index}"
    )
    return 0


def _index_into_solr(args) -> int:
    """The local index first (its token cache holds every chunk's tokens),
    then only the files that changed since the last run go to Solr."""
    from retrieval.backends.solr_indexing import send_index
    from retrieval.index.building import token_reader
    from retrieval.index.store import read_meta

    if args.index is None:
        print("error: --backend solr needs --index DIR: the local index records what was sent", file=sys.stderr)
        return 2
    backend = _solr(args)
    engine, report = _open(args, always_progress=True)
    digests = (read_meta(args.index) or {}).get("files") or {}
    progress = progress_printer(always=True)
    sent = send_index(backend, engine.chunks, token_reader(args.index), digests, args.index,
                      progress=(lambda done, total: progress("sending to Solr", done, total)) if progress else None)
    print(
        f"solr collection {backend.collection}: {sent.files_sent} files sent ({sent.chunks_sent} chunks), "
        f"{sent.files_deleted} deleted, {sent.files_unchanged} unchanged, {sent.seconds:.2f} s"
    )
    return 0


def cmd_solr(args) -> int:
    from retrieval.backends.solr_admin import setup_collection

    auth = (os.environ["SOLR_USER"], os.environ.get("SOLR_PASSWORD", "")) if os.environ.get("SOLR_USER") else None
    state = setup_collection(args.url, args.collection, shards=args.shards, replicas=args.replicas, auth=auth,
                             progress=lambda line: print(line, file=sys.stderr))
    replicas = sum(len(shard["replicas"]) for shard in state["shards"].values())
    print(f"collection {args.collection}: {len(state['shards'])} shards, {replicas} replicas, all active")
    return 0


def cmd_chunks(args) -> int:
    files, problems = list_corpus_files(args.corpus or default_corpus_paths())
    progress = progress_printer()
    loaded = read_corpus_files(files, (lambda done, total: progress("reading files", done, total)) if progress else None)
    for problem in problems + loaded.problems:
        print(f"warning: {problem}", file=sys.stderr)
    for chunk in chunk_documents(loaded.documents):
        if args.json:
            record = asdict(chunk)
            record["citation"] = chunk.citation
            print(json.dumps(record, ensure_ascii=False))
        else:
            where = f"{chunk.source_path}:{chunk.line}" if chunk.line else f"{chunk.source_path}, p. {chunk.pages}"
            print(f"[{chunk.chunk_id}] {chunk.citation}  ({where})")
            print(f"  {chunk.text[:80]}{'…' if len(chunk.text) > 80 else ''}")
    return 0


def cmd_eval(args) -> int:
    from retrieval.evaluation.squad import DatasetError, evaluate, load_squad, metrics_json

    try:
        dataset = load_squad(args.dataset)
    except DatasetError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if not dataset.questions:
        print(f"error: {args.dataset}: no questions to ask (the set's paragraphs have no 'qas')", file=sys.stderr)
        return 2
    progress = progress_printer(always=not args.json)
    report = (lambda done, total: progress("questions", done, total)) if progress else None
    if args.backend == "solr":
        args.engine = _eval_engine_on_solr(args, dataset)
    second_stage = {"rerank_depth": args.rerank_depth, "coverage_weight": args.coverage_weight}
    bm25 = {k: v for k, v in (("k1", args.k1), ("b", args.b)) if v is not None}
    try:
        metrics = evaluate(dataset, top_k=args.top_k, progress=report, rerank=args.rerank, bm25=bm25,
                           engine=getattr(args, "engine", None),
                           second_stage=args.second_stage, expansion=args.expansion, **second_stage, **args.analyzer)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    options = {**ANALYZER_DEFAULTS, **args.analyzer, "rerank": args.rerank,
               "rerank_depth": args.rerank_depth or RERANK_DEPTH,
               "coverage_weight": COVERAGE_WEIGHT if args.coverage_weight is None else args.coverage_weight,
               "k1": args.k1 if args.k1 is not None else K1, "b": args.b if args.b is not None else B,
               "second_stage": {**asdict(Weights()), **args.second_stage}, "expansion": args.expansion or "none"}
    if args.json:
        print(metrics_json(metrics, options))
    else:
        changes = {**args.analyzer, **({} if args.rerank else {"rerank": False}),
                   **{k: v for k, v in second_stage.items() if v is not None}, **bm25, **args.second_stage,
                   **({"expansion": args.expansion} if args.expansion else {})}
        changed = ", ".join(f"{k}={str(v).lower()}" for k, v in changes.items()) or "defaults"
        print(metrics.table())
        print(f"{'analyzer':<26}  {changed}")
    return 0


def _eval_engine_on_solr(args, dataset):
    """The set's paragraphs, tokenized here, replace whatever the collection held."""
    import tempfile

    from retrieval.backends.solr_indexing import send_index
    from retrieval.index.building import build_engine

    backend = _solr(args)
    engine, _ = build_engine(dataset.documents)
    backend.request("update", {"commit": "true", "wt": "json"}, json_body={"delete": {"query": "*:*"}}, method="POST")
    with tempfile.TemporaryDirectory() as record:
        sent = send_index(backend, engine.chunks, lambda source, texts: map(engine.analyzer.tokenize, texts), {},
                          Path(record))
    print(f"sent {sent.chunks_sent} chunks to Solr collection {backend.collection} ({sent.seconds:.1f} s)", file=sys.stderr)
    attach(engine, backend)
    return engine


def cmd_calibrate(args) -> int:
    from retrieval.answer import relevance
    from retrieval.evaluation.calibration import KEEP_ANSWERED, calibrate, read_questions
    from retrieval.evaluation.squad import DatasetError, load_squad

    try:
        first, second = load_squad(args.first), load_squad(args.second)
        offtopic = read_questions(args.offtopic)
    except (DatasetError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    result = calibrate(first, second, offtopic, sample=args.sample)
    print(result.table())
    best = result.best_threshold()
    print(f"\nhighest threshold answering ≥{KEEP_ANSWERED:.0%} of every answerable set: {best:.2f}"
          f" (current default {relevance.MIN_COVERAGE:.2f})")
    return 0


def cmd_tokenize(args) -> int:
    print(json.dumps(tokenize(args.text), ensure_ascii=False))
    return 0


def cmd_chat(args) -> int:
    from retrieval.present.console import run_chat

    engine, _ = _open(args)
    return run_chat(engine)


COMMANDS = {
    "ask": cmd_ask,
    "index": cmd_index,
    "chunks": cmd_chunks,
    "tokenize": cmd_tokenize,
    "chat": cmd_chat,
    "eval": cmd_eval,
    "calibrate": cmd_calibrate,
    "solr": cmd_solr,
}
