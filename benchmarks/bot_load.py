"""Reply latency of the real bot under load, on loopback only.

Starts the local Bot API server (tests/botapi_server.py) in this process and
the real bot as a subprocess (`python -m bot`, configured by environment
variables only), then sends QUESTIONS questions from CHATS private chats and
GROUPS groups (`/ask …`), spread over INJECT seconds and interleaved across
chats. Prints the p50/p95/max latency from a question's arrival at the
server to its answer, the API calls per second by method, and any breach of
Telegram's limits the server saw (30 messages/s, 1/s per chat, 20/min per
group). Bounded: gives up after --timeout seconds.

    .venv/bin/python benchmarks/bot_load.py                 # 1,000 questions, 100 chats, 5 groups
    .venv/bin/python benchmarks/bot_load.py --repo /tmp/old # the same against another checkout

A private chat's answers are matched to its questions in order (the oldest
unanswered question first); a group's answers quote their question.
"""

from __future__ import annotations

import argparse
import collections
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.botapi_server import FakeBotApi  # noqa: E402

QUESTIONS = [
    "重庆提出的885工作机制是什么？",
    "八张报表是什么？",
    "数字鸿沟怎么解决？",
    "国有企业改革怎么推进？",
    "枫桥经验是什么？",
    "渝快办是什么？",
    "三改攻坚一盘活是什么？",
    "大城市病怎么治理？",
    "适老化改造怎么做？",
    "红岩先锋是什么？",
]
APOLOGY = "出了点问题"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--questions", type=int, default=1000)
    parser.add_argument("--chats", type=int, default=100, help="private chats")
    parser.add_argument("--groups", type=int, default=5)
    parser.add_argument("--group-share", type=float, default=0.1, help="share of the questions asked in groups")
    parser.add_argument("--inject", type=float, default=6.0, help="seconds over which the questions arrive")
    parser.add_argument("--timeout", type=float, default=240.0, help="give up waiting for answers after this")
    parser.add_argument("--histogram", action="store_true", help="also print sendMessage calls per second")
    parser.add_argument("--repo", type=Path, default=REPO, help="the checkout whose `python -m bot` runs")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="bot-load-") as tmp, FakeBotApi() as server:
        bot = _start_bot(server, Path(tmp), args.repo)
        try:
            _wait_for_polling(server, bot, timeout=120)
            questions = _plan(server, args)
            started = time.monotonic()
            arrived = _inject(server, questions, args.inject)
            latencies, missing, apologies = _collect(server, arrived, started, args.timeout)
            finished = time.monotonic()
        finally:
            bot.terminate()
            try:
                bot.wait(timeout=20)
            except subprocess.TimeoutExpired:
                bot.kill()
        _report(server, args, latencies, missing, apologies, started, finished)
    return 0 if not missing else 1


def _start_bot(server: FakeBotApi, tmp: Path, repo: Path) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "CORPUS_", "ALLOWED_", "WEBHOOK_"))}
    env.update(
        TELEGRAM_BOT_TOKEN=server.token, TELEGRAM_API_BASE_URL=server.base_url, PYTHONPATH=str(repo),
        STATE_PATH=str(tmp / "state.sqlite3"), INDEX_DIR=str(tmp / "index"), LOG_LEVEL="WARNING",
    )
    log = open(tmp / "bot.log", "w")
    return subprocess.Popen([sys.executable, "-m", "bot"], cwd=tmp, env=env, stdout=log, stderr=subprocess.STDOUT)


def _wait_for_polling(server: FakeBotApi, bot: subprocess.Popen, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    # deleteWebhook comes right before the first long poll (which is only
    # recorded once it returns).
    while not any(c.method in ("deleteWebhook", "getUpdates") for c in list(server.calls)):
        if bot.poll() is not None or time.monotonic() > deadline:
            raise SystemExit("the bot did not start polling")
        time.sleep(0.1)
    time.sleep(0.5)


def _plan(server: FakeBotApi, args) -> list[tuple[dict, dict | None, str]]:
    """(chat, user, text) in arrival order, interleaved across chats."""
    in_groups = round(args.questions * args.group_share) if args.groups else 0
    private = args.questions - in_groups
    lanes: list[list[tuple[dict, dict | None, str]]] = []
    for c in range(args.chats):
        user = server.user(700_000 + c)
        chat = server.private_chat(user["id"])
        count = private // args.chats + (1 if c < private % args.chats else 0)
        lanes.append([(chat, user, QUESTIONS[(c + k) % len(QUESTIONS)]) for k in range(count)])
    for g in range(args.groups):
        chat = server.group_chat(chat_id=-100_900_000 - g, title=f"负载测试群{g}")
        count = in_groups // args.groups + (1 if g < in_groups % args.groups else 0)
        lanes.append([(chat, None, "/ask " + QUESTIONS[(g + k) % len(QUESTIONS)]) for k in range(count)])
    order = []
    for k in range(max(len(lane) for lane in lanes)):
        order += [lane[k] for lane in lanes if k < len(lane)]
    return order


def _inject(server: FakeBotApi, questions, seconds: float) -> list[tuple[int, int, float]]:
    """Sends the questions at an even pace; returns (chat id, message id, time)."""
    arrived = []
    start = time.monotonic()
    for n, (chat, user, text) in enumerate(questions):
        due = start + seconds * n / len(questions)
        if (delay := due - time.monotonic()) > 0:
            time.sleep(delay)
        update = server.send_text(text, chat=chat, user=user)
        arrived.append((chat["id"], update["message"]["message_id"], time.monotonic()))
    return arrived


def _collect(server: FakeBotApi, arrived, started: float, timeout: float):
    by_group = {(chat, mid): at for chat, mid, at in arrived if chat < 0}
    waiting = collections.defaultdict(collections.deque)
    for chat, _, at in arrived:
        if chat > 0:
            waiting[chat].append(at)
    expected = len(arrived)
    deadline = started + timeout
    latencies: list[float] = []
    apologies = 0
    seen = 0
    while len(latencies) + apologies < expected and time.monotonic() < deadline:
        calls = list(server.calls)
        for call in calls[seen:]:
            if call.method != "sendMessage" or not call.ok:
                continue
            message = call.result
            chat = message["chat"]["id"]
            if APOLOGY in message.get("text", ""):
                apologies += 1
                continue
            if chat < 0:
                quoted = (message.get("reply_to_message") or {}).get("message_id")
                at = by_group.pop((chat, quoted), None)
            else:
                at = waiting[chat].popleft() if waiting[chat] else None
            if at is not None:
                latencies.append(call.at - at)
        seen = len(calls)
        time.sleep(0.2)
    missing = expected - len(latencies) - apologies
    return latencies, missing, apologies


def _report(server: FakeBotApi, args, latencies, missing, apologies, started, finished) -> None:
    calls = [c for c in server.calls if started <= c.at <= finished]
    span = max(finished - started, 1e-9)
    by_method = collections.Counter(c.method for c in calls if c.method != "getUpdates")
    per_second = collections.Counter(int(c.at - started) for c in calls if c.method != "getUpdates")
    ordered = sorted(latencies)

    def pct(p: float) -> float:
        return ordered[min(len(ordered) - 1, int(p * len(ordered)))] if ordered else float("nan")

    print(f"questions: {args.questions} from {args.chats} private chats and {args.groups} groups, "
          f"arriving over {args.inject:.0f} s; bot: {args.repo}")
    print(f"answered: {len(latencies)}  apologies: {apologies}  missing: {missing}")
    if ordered:
        print(f"reply latency: p50 {pct(0.50):.1f} s  p95 {pct(0.95):.1f} s  max {ordered[-1]:.1f} s  "
              f"(mean {statistics.fmean(ordered):.1f} s)")
    total = sum(by_method.values())
    print(f"API calls (without getUpdates): {total} in {span:.1f} s = {total / span:.1f}/s; "
          f"busiest second {max(per_second.values(), default=0)}")
    print("  " + ", ".join(f"{method} {count} ({count / span:.1f}/s)" for method, count in by_method.most_common()))
    if args.histogram:
        sends = collections.Counter(int(c.at - started) for c in calls if c.method == "sendMessage" and c.ok)
        print("  sendMessage per second: " + " ".join(str(sends.get(t, 0)) for t in range(int(span) + 1)))
    violations = server.limit_violations
    print(f"Telegram limit breaches seen by the server: {len(violations)}"
          + (f" (first: {violations[0]})" if violations else ""))


if __name__ == "__main__":
    sys.exit(main())
