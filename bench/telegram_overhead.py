"""Per-message overhead of the nemobot Telegram bot against bare python-telegram-bot echo bots, on the same
strict stand-in (Telegram's flood limits enforced), in one run, every nemobot setting at its default
(its flood limit of 20 messages a minute per user included).

Workload: C chats at once, each sending K text messages, the next one ``--think`` seconds after the
answer to the previous one (3 s: under the default per-user limit and Telegram's per-chat rate, so
no side is slowed by a limit and latency is the bots' own). Latency is from ``user_sends`` to the
answer recorded, measured in the stand-in's process (``telegram_stage.py``), so every bot is timed
by the same clock through the same long poll. The echo bots answer every text with a fixed text
(the help text, with the same three buttons):
  echo, PTB defaults         httpx, one update at a time (``concurrent_updates`` off)
  echo, as nemobot           aiohttp with nemobot's connection pool, updates handled concurrently
nemobot answers:
  /help     the core's help text (no backend call): the surface + core dispatch
  credits   one FakeNemo call (GET /api/credits/...), then the answer (a chat's first also fetches the
            chat's NEMO token, as a new user's does)
Latency depends on what else the shared machine runs at the time; the CPU the bot's process spends per
answered message (this process: the stand-ins run in their own) does not, so both are printed.
Each round runs every side once, in an order that alternates from round to round; medians over the
rounds are printed, with the spread (lowest-highest round).

    python bench/telegram_overhead.py [--chats 20] [--messages 5] [--think 3] [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import logging
import statistics
import sys
import tempfile
from collections.abc import Awaitable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pydantic import SecretStr
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import ApplicationBuilder, ContextTypes, MessageHandler, filters

from bench.measure import cpu_seconds
from bench.telegram_stage import Stage
from bots.app import running_core
from bots.telegram.app import running_bot
from bots.telegram.request import AiohttpRequest
from bots.telegram.sender import IN_FLIGHT
from core.i18n import say
from core.settings import BotSettings, NemoSettings, Settings, TelegramSettings

HELP = say("en", "help", modes="edit", formats="mp4")
KEYBOARD = InlineKeyboardMarkup([[InlineKeyboardButton(label, callback_data=f"a:{label.lower()}:1")
                                  for label in ("Export", "Status", "Credits")]])
_chat_ids = itertools.count(20_000, 1)
# Telegram counts its overall limit (about 30 a second) over one second, across everything the bot
# sends. Every phase starts after the previous phase's last second has passed: otherwise its first
# burst of answers lands in the same second as the previous phase's last one, and the side that
# comes second pays for the other (an echo bot with 429s and lost answers, nemobot with a second's
# wait in its own pacing, ~5x its mean latency on 'credits').
SETTLE = 1.5


def next_chats(n: int) -> list[int]:
    return [next(_chat_ids) for _ in range(n)]


async def costed(run: Awaitable[dict[str, Any]]) -> dict[str, Any]:
    """The stage's figures, plus the CPU this process (the bot under test) spent per answered message: a cost
    that, unlike latency, does not depend on what else the shared machine is running."""
    before = cpu_seconds()
    result = await run
    result["cpu"] = (cpu_seconds() - before) / max(result["n"], 1)
    return result


async def echo_round(stage: Stage, chats: int, messages: int, think: float, as_nemobot: bool) -> dict[str, Any]:
    async def answer(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.message is not None
        await update.message.reply_text(HELP, reply_markup=KEYBOARD)

    info = stage.info
    builder = ApplicationBuilder().token(info["token"]).base_url(info["base_url"]).base_file_url(
        info["file_base_url"])
    if as_nemobot:  # the same networking backend and concurrency as nemobot's
        builder = builder.request(AiohttpRequest(IN_FLIGHT)).get_updates_request(AiohttpRequest(1, read_timeout=10))
        builder = builder.concurrent_updates(True)
    app = builder.build()
    app.add_handler(MessageHandler(filters.TEXT, answer))
    async with app:
        await app.start()
        assert app.updater is not None
        await app.updater.start_polling(poll_interval=0.0, timeout=10)
        try:
            await asyncio.sleep(SETTLE)
            return await costed(stage.run(cmd="overhead", chats=next_chats(chats), messages=messages, text="/help",
                                          think=think))
        finally:
            await app.updater.stop()
            await app.stop()


async def nemobot_round(stage: Stage, chats: int, messages: int, think: float, db: Path) -> dict[str, dict[str, Any]]:
    info = stage.info
    settings = Settings(
        bot=BotSettings(backend="cloud", db_path=db),
        nemo=NemoSettings(base_url=info["nemo"]),
        telegram=TelegramSettings(token=SecretStr(info["token"]), api_base_url=info["base_url"],
                                  file_base_url=info["file_base_url"]),
    )
    async with running_core(settings) as core, running_bot(core, settings):
        results = {}
        for text in ("/help", "credits"):
            await asyncio.sleep(SETTLE)
            results[text] = await costed(stage.run(cmd="overhead", chats=next_chats(chats), messages=messages,
                                                   text=text, think=think))
        await core.idle()
        return results


SIDES = ("echo, PTB defaults", "echo, as nemobot", "nemobot")


async def run(chats: int, messages: int, think: float, rounds: int) -> None:
    logging.basicConfig(level=logging.WARNING)
    stage = Stage()
    results: dict[str, list[dict[str, Any]]] = {"echo, PTB defaults": [], "echo, as nemobot": [],
                                                "nemobot /help": [], "nemobot credits (+1 NEMO call)": []}
    try:
        with tempfile.TemporaryDirectory() as tmp:
            await echo_round(stage, 2, 2, think, False)  # warm up every side once
            await nemobot_round(stage, 2, 2, think, Path(tmp) / "warm.db")
            for n in range(rounds):
                order = SIDES[n % len(SIDES):] + SIDES[:n % len(SIDES)]  # alternate who goes first
                for side in order:
                    if side == "nemobot":
                        both = await nemobot_round(stage, chats, messages, think, Path(tmp) / f"{n}.db")
                        results["nemobot /help"].append(both["/help"])
                        results["nemobot credits (+1 NEMO call)"].append(both["credits"])
                    else:
                        results[side].append(await echo_round(stage, chats, messages, think,
                                                              side == "echo, as nemobot"))
    finally:
        stage.close()

    def med(side: str, key: str) -> float:
        return statistics.median(r[key] for r in results[side])

    def spread(side: str, key: str) -> str:
        values = [r[key] * 1000 for r in results[side]]
        return f"{min(values):.1f}-{max(values):.1f}"

    print(f"Telegram per-message overhead: {chats} chats x {messages} messages, {think:g} s between a chat's "
          f"messages, {rounds} rounds alternating the sides (medians, spread = lowest-highest round); latency = "
          "user_sends -> answer recorded by the stand-in")
    base, same = med("echo, PTB defaults", "mean"), med("echo, as nemobot", "mean")
    for side, runs in results.items():
        lost = sum(r.get("unanswered", 0) for r in runs)
        refused: dict[str, int] = {}
        for r in runs:
            for reason, count in r.get("refused", {}).items():
                refused[reason] = refused.get(reason, 0) + count
        print(f"  {side:32} mean {med(side, 'mean') * 1000:6.2f} ms ({spread(side, 'mean')})  "
              f"p50 {med(side, 'p50') * 1000:6.2f} ms  p99 {med(side, 'p99') * 1000:6.2f} ms "
              f"({spread(side, 'p99')}); CPU {med(side, 'cpu') * 1000:.2f} ms a message ({spread(side, 'cpu')}); "
              f"unanswered {lost}, 429s by limit {refused or 0}")
    for side in ("nemobot /help", "nemobot credits (+1 NEMO call)"):
        print(f"  {side}: mean latency {med(side, 'mean') / base:.2f}x the echo bot with PTB's defaults, "
              f"{med(side, 'mean') / same:.2f}x the echo bot with nemobot's transport and concurrency; CPU a message "
              f"{med(side, 'cpu') / med('echo, PTB defaults', 'cpu'):.2f}x / {med(side, 'cpu') / med('echo, as nemobot', 'cpu'):.2f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--chats", type=int, default=20)
    parser.add_argument("--messages", type=int, default=5)
    parser.add_argument("--think", type=float, default=3.0, help="seconds between a chat's messages")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    asyncio.run(run(args.chats, args.messages, args.think, args.rounds))


if __name__ == "__main__":
    main()
