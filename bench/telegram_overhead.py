"""Per-message overhead of the nemobot Telegram bot against a bare python-telegram-bot echo bot, on the
same stand-in, in one run.

Workload: C chats at once, each sending K text messages one after another (the next one when the
answer to the previous one is recorded by the stand-in); latency is from ``user_sends`` to the answer
recorded, measured in the stand-in's process (``telegram_stage.py``), so both bots are timed by the
same clock through the same long poll. The echo bot answers every text with a fixed text (the help
text, with the same three buttons). nemobot answers:
  /help     the core's help text (no backend call): the surface + core dispatch
  credits   one FakeNemo call (GET /api/credits/...), then the answer
Rounds alternate echo and nemobot; medians over rounds are printed.

    python bench/telegram_overhead.py [--chats 10] [--messages 30] [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import logging
import statistics
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pydantic import SecretStr
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import ApplicationBuilder, ContextTypes, MessageHandler, filters

from bench.telegram_stage import Stage
from bots.telegram.app import running_bot
from bots.telegram.request import AiohttpRequest
from bots.telegram.sender import IN_FLIGHT
from bots.app import running_core
from core.i18n import say
from core.settings import BotSettings, NemoSettings, Settings, TelegramSettings

HELP = say("en", "help", modes="edit", formats="mp4")
KEYBOARD = InlineKeyboardMarkup([[InlineKeyboardButton(label, callback_data=f"a:{label.lower()}:1")
                                  for label in ("Export", "Status", "Credits")]])
_chat_ids = itertools.count(20_000, 1)


def next_chats(n: int) -> list[int]:
    return [next(_chat_ids) for _ in range(n)]


async def echo_round(stage: Stage, chats: int, messages: int, transport: str = "httpx") -> dict[str, Any]:
    async def answer(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.message is not None
        await update.message.reply_text(HELP, reply_markup=KEYBOARD)

    info = stage.info
    builder = ApplicationBuilder().token(info["token"]).base_url(info["base_url"]).base_file_url(
        info["file_base_url"])
    if transport == "aiohttp":  # the same networking backend as nemobot's
        builder = builder.request(AiohttpRequest(IN_FLIGHT)).get_updates_request(AiohttpRequest(1, read_timeout=10))
    app = builder.build()
    app.add_handler(MessageHandler(filters.TEXT, answer))
    async with app:
        await app.start()
        assert app.updater is not None
        await app.updater.start_polling(poll_interval=0.0, timeout=10)
        try:
            return await stage.run(cmd="overhead", chats=next_chats(chats), messages=messages, text="/help")
        finally:
            await app.updater.stop()
            await app.stop()


async def nemobot_round(stage: Stage, chats: int, messages: int, db: Path) -> dict[str, dict[str, Any]]:
    info = stage.info
    settings = Settings(
        bot=BotSettings(backend="cloud", db_path=db, rate_per_minute=0),
        nemo=NemoSettings(base_url=info["nemo"], request_timeout=30.0),
        telegram=TelegramSettings(token=SecretStr(info["token"]), api_base_url=info["base_url"],
                                  file_base_url=info["file_base_url"]),
    )
    async with running_core(settings) as core, running_bot(core, settings, poll_timeout=10):
        results = {}
        for text in ("/help", "credits"):
            results[text] = await stage.run(cmd="overhead", chats=next_chats(chats), messages=messages, text=text)
        await core.idle()
        return results


async def run(chats: int, messages: int, rounds: int) -> None:
    logging.basicConfig(level=logging.WARNING)
    stage = Stage()
    echo: list[dict[str, Any]] = []
    echo_aiohttp: list[dict[str, Any]] = []
    bot: dict[str, list[dict[str, Any]]] = {"/help": [], "credits": []}
    try:
        await echo_round(stage, 2, 3)  # warm up both sides once
        with tempfile.TemporaryDirectory() as tmp:
            await nemobot_round(stage, 2, 3, Path(tmp) / "warm.db")
            for n in range(rounds):
                echo.append(await echo_round(stage, chats, messages))
                echo_aiohttp.append(await echo_round(stage, chats, messages, "aiohttp"))
                for text, result in (await nemobot_round(stage, chats, messages, Path(tmp) / f"{n}.db")).items():
                    bot[text].append(result)
    finally:
        stage.close()

    def med(results: list[dict[str, Any]], key: str) -> float:
        return statistics.median(r[key] for r in results)

    n = chats * messages
    print(f"Telegram per-message overhead: {chats} chats x {messages} messages, closed loop, {rounds} rounds "
          "(medians); latency = user_sends -> answer recorded by the stand-in")
    base = med(echo, "mean")
    same = med(echo_aiohttp, "mean")
    rows = [("bare PTB echo (PTB defaults: httpx)", echo), ("bare PTB echo (aiohttp, as nemobot)", echo_aiohttp),
            ("nemobot /help", bot["/help"]), ("nemobot credits (+1 NEMO call)", bot["credits"])]
    for label, results in rows:
        print(f"  {label:36} mean {med(results, 'mean') * 1000:6.2f} ms  p50 {med(results, 'p50') * 1000:6.2f} ms  "
              f"p99 {med(results, 'p99') * 1000:6.2f} ms  {n / med(results, 'wall'):5.0f} msg/s  "
              f"ratio {med(results, 'mean') / base:.2f}")
    print(f"  overhead ratio, mean latency of nemobot /help: {med(bot['/help'], 'mean') / base:.2f} against the "
          f"default echo bot (target <= 1.25), {med(bot['/help'], 'mean') / same:.2f} against an echo bot on the "
          f"same transport; with one NEMO call (credits): {med(bot['credits'], 'mean') / base:.2f} / "
          f"{med(bot['credits'], 'mean') / same:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--chats", type=int, default=10)
    parser.add_argument("--messages", type=int, default=30)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    asyncio.run(run(args.chats, args.messages, args.rounds))


if __name__ == "__main__":
    main()
