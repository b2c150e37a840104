"""Many Telegram chats at once against the stand-ins: each sends a video with a caption (a streamed
edit: two tool calls, ~2 s) and then "export" (a render of a few polls; the MP4 comes back as a link
and as a video). The stand-ins and the users run in a child process (``telegram_stage.py``), so the
peak RSS printed is the bot's own (core + PTB + surface).

Printed: whether every status message reached its final text and every link and video arrived; the
surface's latency from the core's send/edit call to the Bot API's answer (p50/p99; this is what is
added on top of the deliberate status throttle, which is not counted); flow durations; peak RSS;
the 429s the stand-in answered (none are forced) and the busiest chat's and the whole bot's
messages per second (what real Telegram would rate-limit).

    python bench/telegram_load.py [--chats 1000] [--status-interval 1.0]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import resource
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pydantic import SecretStr

from bench.measure import Timed, current_rss_mb, peak_rss_mb, percentile
from bench.telegram_stage import Stage
from bots.telegram.app import running_bot, surface_of
from bots.telegram.port import TelegramPort
from bots.app import running_core
from core.settings import BotSettings, NemoSettings, Settings, TelegramSettings


class Count(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.records: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(f"{record.name}: {record.getMessage()}"[:200])


async def run(chats: int, status_interval: float, db: Path) -> None:
    counter = Count()
    logging.basicConfig(level=logging.WARNING, handlers=[counter])
    stage = Stage()
    info = stage.info
    settings = Settings(
        bot=BotSettings(backend="cloud", db_path=db, status_interval=status_interval, still_working_interval=600,
                        rate_per_minute=0),
        nemo=NemoSettings(base_url=info["nemo"], render_poll_interval=0.5, request_timeout=120.0,
                          rate_limit_wait=1.0),
        telegram=TelegramSettings(token=SecretStr(info["token"]), api_base_url=info["base_url"],
                                  file_base_url=info["file_base_url"], attach_video=True),
    )
    timed = Timed(TelegramPort, ("send", "edit"))
    rss_idle = current_rss_mb()
    usage = resource.getrusage(resource.RUSAGE_SELF)
    cpu_before = usage.ru_utime + usage.ru_stime
    try:
        async with running_core(settings) as core, running_bot(core, settings, poll_timeout=10) as app:
            rss_started = current_rss_mb()
            result = await stage.run(cmd="load", chats=list(range(10_000, 10_000 + chats)))
            await core.idle(timeout=120)
            sender = surface_of(app).sender.stats
    finally:
        stage.close()
    peak = peak_rss_mb()
    usage = resource.getrusage(resource.RUSAGE_SELF)
    cpu = usage.ru_utime + usage.ru_stime - cpu_before
    edit, send = timed.latency["edit"], timed.latency["send"]
    t = result["timings"]
    print(f"Telegram load: {chats} chats at once, each a video + caption (streamed edit) then export "
          f"(status_interval {status_interval} s)")
    print(f"  finished edits {result['finished']}/{chats}, links {result['links']}/{chats}, "
          f"videos {result['videos']}/{chats}, failed flows {result['failed']} {result['failures']}")
    print(f"  status edits: {len(edit)} port edits, {timed.failures['edit']} failed; "
          f"{result['edit_calls']} editMessageText calls ({result['edits_not_modified']} 'not modified'); "
          f"Bot API calls lost: {result['lost_calls']}; mean edits per status message {result['status_edits_mean']:.1f}")
    print(f"  port call -> Bot API answer: edit p50 {percentile(edit, 50) * 1000:.1f} ms, "
          f"p99 {percentile(edit, 99) * 1000:.1f} ms; send p50 {percentile(send, 50) * 1000:.1f} ms, "
          f"p99 {percentile(send, 99) * 1000:.1f} ms")
    print("  flows (s, p50/p99): " + ", ".join(f"{k} {v['p50']:.2f}/{v['p99']:.2f}" for k, v in t.items())
          + f"; all done in {result['wall']:.1f} s")
    print(f"  bot process CPU {cpu:.1f} s ({cpu / max(result['wall'], 1e-9) * 100:.0f}% of one core over the run, "
          f"{cpu / chats * 1000:.0f} ms a chat)")
    print(f"  peak RSS of the bot process {peak:.0f} MB (after imports {rss_idle:.0f} MB, bot started "
          f"{rss_started:.0f} MB; target < 300 MB)")
    print(f"  429s from the stand-in: {result['count_429']}; flood waits {sender.flood_waits}, network retries "
          f"{sender.network_retries}; busiest chat {result['per_chat_peak_per_s']} msgs in 1 s; whole bot peak "
          f"{result['global_peak_per_s']} msgs/s, mean {result['global_mean_per_s']:.0f}/s")
    print(f"  the stage's own loop lag (stand-ins + users, other process): p50 {result['stage_lag']['p50_ms']:.1f} ms, "
          f"p99 {result['stage_lag']['p99_ms']:.1f} ms")
    if counter.records:
        print(f"  {len(counter.records)} warnings logged, e.g. {counter.records[:3]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--chats", type=int, default=1000)
    parser.add_argument("--status-interval", type=float, default=1.0,
                        help="the core's status throttle (production default 5 s; shorter here to edit more)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        asyncio.run(run(args.chats, args.status_interval, Path(tmp) / "bot.db"))


if __name__ == "__main__":
    main()
