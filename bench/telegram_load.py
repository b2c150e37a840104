"""Many Telegram chats at once against the stand-ins, every setting at its default: each chat sends a video
with a caption (a streamed edit: two tool calls, ~2 s) and then "export" (a render of a few polls at the
cloud's 30 s cadence; the MP4 comes back as a link and as a video). The stand-in holds the bot to
Telegram's flood limits (a chat: a burst of 3 then 1 a second; a group: 20 a minute; the bot: 30 a
second) and answers 429 on its own. The stand-ins and the users run in a child process
(``telegram_stage.py``), so the peak RSS printed is the bot's own (core + PTB + surface).

Printed: whether every status message reached its final text and every link and video arrived; the
429s the stand-in gave (none are scripted: every one is unplanned) and the bot's busiest second
overall and in one chat, against Telegram's limits; the status lag (the core's edit call until
Telegram has it, p50/p99) and how often a status message changed (p50/p99 gap); the time until the
last result; peak RSS.

    python bench/telegram_load.py [--chats 1000]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pydantic import SecretStr

from bench.measure import Timed, cpu_seconds, current_rss_mb, peak_rss_mb, percentile
from bench.telegram_stage import Stage
from bots.app import running_core
from bots.telegram.app import running_bot, surface_of
from bots.telegram.port import TelegramPort
from core.settings import BotSettings, NemoSettings, Settings, TelegramSettings


class Count(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.records: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(f"{record.name}: {record.getMessage()}"[:200])


async def run(chats: int, db: Path) -> None:
    counter = Count()
    logging.basicConfig(level=logging.WARNING, handlers=[counter])
    stage = Stage()
    info = stage.info
    settings = Settings(
        bot=BotSettings(backend="cloud", db_path=db),
        nemo=NemoSettings(base_url=info["nemo"]),
        telegram=TelegramSettings(token=SecretStr(info["token"]), api_base_url=info["base_url"],
                                  file_base_url=info["file_base_url"]),
    )
    timed = Timed(TelegramPort, ("send", "edit", "edit_progress"))
    rss_idle = current_rss_mb()
    cpu_before = cpu_seconds()
    try:
        async with running_core(settings) as core, running_bot(core, settings) as app:
            rss_started = current_rss_mb()
            result = await stage.run(cmd="load", chats=list(range(10_000, 10_000 + chats)))
            await core.idle(timeout=120)
            sender = surface_of(app).sender
    finally:
        stage.close()
    peak = peak_rss_mb()
    cpu = cpu_seconds() - cpu_before
    lag = timed.latency["edit"] + timed.latency["edit_progress"]
    t, gap = result["timings"], result["status_gap"]
    print(f"Telegram load: {chats} chats at once, each a video + caption (streamed edit) then export; "
          f"default settings (status every {settings.bot.status_interval:g} s, render poll "
          f"{settings.nemo.render_poll_interval:g} s, send budget {settings.telegram.sends_per_second:g}/s)")
    print(f"  edits answered in their status message {result['finished']}/{chats}, 'video is ready' "
          f"{result['links']}/{chats}, "
          f"videos {result['videos']}/{chats}, failed flows {result['failed']} {result['failures']}")
    print(f"  unplanned 429s: {result['count_429']} from the stand-in ({result['flood_refusals']} for its flood "
          f"limits), {sender.stats.unplanned_429s} met by paced calls; Bot API calls lost: {result['lost_calls']}")
    print(f"  busiest second: whole bot {result['global_peak_per_s']} msgs (Telegram: about 30), one chat "
          f"{result['per_chat_peak_per_s']} msgs (Telegram: a burst of about 3, then 1/s); "
          f"mean {result['global_mean_per_s']:.1f} msgs/s")
    print(f"  status lag (core's edit call -> Telegram has it): p50 {percentile(lag, 50):.2f} s, "
          f"p99 {percentile(lag, 99):.2f} s over {len(lag)} edits; progress edits skipped while behind "
          f"{sender.pacer.progress_skipped}; gap between a status message's updates p50 {gap['p50']:.1f} s, "
          f"p99 {gap['p99']:.1f} s")
    print("  flows (s, p50/p99): " + ", ".join(f"{k} {v['p50']:.1f}/{v['p99']:.1f}" for k, v in t.items())
          + f"; last result after {result['wall']:.1f} s")
    print(f"  bot process CPU {cpu:.1f} s ({cpu / max(result['wall'], 1e-9) * 100:.0f}% of one core over the run, "
          f"{cpu / chats * 1000:.0f} ms a chat)")
    print(f"  peak RSS of the bot process {peak:.0f} MB (after imports {rss_idle:.0f} MB, bot started "
          f"{rss_started:.0f} MB)")
    print(f"  the stage's own loop lag (stand-ins + users, other process): p50 {result['stage_lag']['p50_ms']:.1f} ms, "
          f"p99 {result['stage_lag']['p99_ms']:.1f} ms")
    if counter.records:
        print(f"  {len(counter.records)} warnings logged, e.g. {counter.records[:3]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--chats", type=int, default=1000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        asyncio.run(run(args.chats, Path(tmp) / "bot.db"))


if __name__ == "__main__":
    main()
