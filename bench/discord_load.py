"""Many Discord users at once against the stand-ins: each runs ``/edit prompt:… video:<clip>`` (a
streamed reply: a tool call, a second of work, the answer) and then ``/export`` (a render of a few
polls; the MP4 comes back as a link and as a file). The stand-ins and the users run in a child
process (``discord_stage.py``), so the peak RSS printed is the bot's own (core + discord.py + surface).

Printed: whether every /edit's status message reached its final text, and whether every /export's
status message became the result and its video reached the user (the MP4 attached, or its link);
how fast interactions were acknowledged (defer) and got their first status (Discord's 3 s rule);
the surface's latency from the core's send/edit/deliver call to Discord's answer (p50/p99: what is
added on top of the deliberate status throttle, which is not counted); peak RSS; the 429s the
stand-in answered (none are forced) and the most bot-token requests in any second (Discord's global
limit is 50/s; interaction webhooks are not counted against it); how late the bot's event loop woke a
50 ms sleep (p50/p99/max: the time nothing else could run); with ``--profile``, where the loop's
thread spent its time (a stack sample every 10 ms). OK needs every result delivered, every
interaction acknowledged within 3 s and no warning logged (discord.py's "can't keep up" included).

Every setting is at its default (status every 5 s, render poll 30 s); the stand-in enforces Discord's
3 s interaction deadline, its per-route buckets and its global limit, and answers 429 on its own.

    python bench/discord_load.py [--n 1000] [--profile]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pydantic import SecretStr

from bench.measure import LoopLag, StackSampler, Timed, cpu_seconds, current_rss_mb, peak_rss_mb, percentile
from bots.app import running_core
from bots.discord.app import build_client, serve
from bots.discord.port import DiscordPort
from core.logs import setup_logging
from core.settings import BotSettings, DiscordSettings, NemoSettings, Settings

HERE = Path(__file__).resolve().parent


class Count(logging.Handler):
    """Warnings and errors of the bot's own code and of discord.py's gateway ("can't keep up", "heartbeat
    blocked"), not the libraries' start-up notes."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.records: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.name.startswith(("core", "bots", "asyncio", "discord.gateway")):
            self.records.append(f"{record.name}: {record.getMessage()[:200]}")


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms"


async def run(n: int, profile: bool) -> int:
    stage = await asyncio.create_subprocess_exec(
        sys.executable, str(HERE / "discord_stage.py"), "--serve", "--users", str(n), *(["--profile"] if profile else []),
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE)
    try:
        return await measure(stage, n, profile)
    finally:
        if stage.returncode is None:
            stage.kill()
            await stage.wait()


async def measure(stage: asyncio.subprocess.Process, n: int, profile: bool) -> int:
    assert stage.stdout is not None and stage.stdin is not None
    addresses = json.loads(await stage.stdout.readline())
    env = addresses["env"]
    counter = Count()
    setup_logging("WARNING", secrets=[env["DISCORD_TOKEN"]])  # tokens redacted, as in the bot
    logging.getLogger().addHandler(counter)
    timed = Timed(DiscordPort, ("send", "edit", "deliver"))
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(
            bot=BotSettings(backend="cloud", db_path=Path(tmp) / "bot.db"),
            nemo=NemoSettings(base_url=addresses["nemo"]),
            discord=DiscordSettings(token=SecretStr(env["DISCORD_TOKEN"]), api_base_url=env["DISCORD_API_BASE_URL"],
                                    gateway_url=env["DISCORD_GATEWAY_URL"],
                                    dev_guilds=json.loads(env["DISCORD_DEV_GUILDS"])),
        )
        async with running_core(settings) as core:
            client = build_client(core, settings)
            task = asyncio.create_task(serve(client))
            while not client.is_ready():  # type: ignore[attr-defined]
                if task.done():
                    task.result()
                await asyncio.sleep(0.05)
            ready_rss = current_rss_mb()
            cpu_before = cpu_seconds()
            lag = LoopLag()
            lag.start()
            sampler = StackSampler() if profile else None
            if sampler is not None:
                sampler.start()
            result = json.loads(await stage.stdout.readline())
            await core.idle(timeout=60)
            lag.stop()
            if sampler is not None:
                sampler.stop()
            peak = peak_rss_mb()
            cpu = cpu_seconds() - cpu_before
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
    stage.stdin.write(b"stop\n")
    await stage.stdin.drain()
    await stage.wait()

    ok = (result["all_edits"] and result["all_exports"] and not any(timed.failures.values())
          and result["unacknowledged"] == 0 and result["ack_late"] == 0 and not counter.records)
    print(f"users: {n} (default settings: status every {settings.bot.status_interval:g} s, render poll "
          f"{settings.nemo.render_poll_interval:g} s)")
    print(f"  /edit  final replies: {result['edits_final']}/{n} in {result['edit_phase_seconds']} s "
          f"({result['edit_progress_edits']} edits of the original responses)")
    print(f"  /export result in the status message: {result['exports_done']}/{n}; the video delivered (MP4 "
          f"attached, or its link): {result['videos_delivered']}/{n} in {result['export_phase_seconds']} s")
    print(f"  interaction -> deferred:     p50 {ms(result['ack_p50'])}, p99 {ms(result['ack_p99'])}, "
          f"max {ms(result['ack_max'])} (Discord wants < 3 s; the stand-in refuses later ones); "
          f"later than 3 s: {result['ack_late']}; never acknowledged: {result['unacknowledged']}")
    print(f"  interaction -> first status: p50 {ms(result['first_status_p50'])}, "
          f"p99 {ms(result['first_status_p99'])}")
    for name in timed.latency:
        values = timed.latency[name]
        print(f"  port.{name:<7} core call -> Discord answer: p50 {ms(percentile(values, 50))}, "
              f"p99 {ms(percentile(values, 99))} ({len(values)} calls, {timed.failures[name]} failed)")
    print(f"  REST calls: {result['rest_calls']} {result['status_counts']}; 429s (none scripted): "
          f"{result['count_429']} {result['refusals_by_scope']}; "
          f"bot-token calls: {result['bot_token_calls']} (peak {result['bot_token_peak_per_second']}/s)")
    print(f"  CDN downloads by the bot: {result['cdn_downloads']} (NEMO took the signed URLs)")
    print(f"  RSS: {ready_rss:.0f} MB when connected, peak {peak:.0f} MB; bot CPU {cpu:.1f} s "
          f"over {result['edit_phase_seconds'] + result['export_phase_seconds']:.1f} s of load")
    print(f"  event loop lag (a 50 ms sleep woken late): {lag.summary()}")
    print(f"  the stand-ins' process: loop lag {result['stage_lag']}; CPU {result['stage_cpu_seconds']} s")
    if result["stage_profile"]:
        print(result["stage_profile"])
    if sampler is not None:
        print(sampler.report())
    if counter.records:
        print(f"  warnings/errors logged: {len(counter.records)}, e.g. {counter.records[:3]}")
    print("OK" if ok else "NOT OK")
    return 0 if ok else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=1000, help="users, each an /edit and an /export")
    parser.add_argument("--profile", action="store_true",
                        help="sample the loop thread's stack every 10 ms and print where it spends its time")
    args = parser.parse_args()
    return asyncio.run(run(args.n, args.profile))


if __name__ == "__main__":
    sys.exit(main())
