"""From "export" to the delivered link with the built-in engine and default settings, against the
engine's own render time (its ffmpeg run) in the same exports.

A 12 s 720p sample clip is uploaded once through the console surface, then exported N times. For each
export it records: the ffmpeg run (start, end), the first status edit showing a percentage above 0, and
the moment the result (the link) is handed to the surface. Nothing is shortened: the render poll
interval is the default (30 s, NEMO's cloud cadence); the engine pushes progress and completion.

    python bench/export_latency.py [--exports 10] [--seconds 12]

Goal: link within render time + 1 s (p50); first percentage shown within 1 s of the render starting.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import engine.jobs
from bots.app import running_core
from bots.console.app import file_attachment
from bots.console.port import ConsolePort
from core.ports import Button, Incoming, MessageRef, Target, Video
from core.settings import BotSettings, Settings
from engine.sample import make_sample_clip_async

PERCENT = re.compile(r"(\d+)%")


class TimedConsole(ConsolePort):
    """The console surface, noting when a percentage is first shown and when the result arrives."""

    def __init__(self) -> None:
        super().__init__(io.StringIO())
        self.first_percent: float | None = None
        self.delivered: float | None = None
        self.text = ""

    async def edit(self, message: MessageRef, text: str, buttons: Sequence[Button] = ()) -> MessageRef:
        match = PERCENT.search(text)
        if self.first_percent is None and match and int(match.group(1)) > 0:
            self.first_percent = time.monotonic()
        return await super().edit(message, text, buttons)

    async def deliver(self, target: Target, text: str, video: Video | None, buttons: Sequence[Button] = (),
                      status: MessageRef | None = None) -> None:
        self.delivered, self.text = time.monotonic(), text
        await super().deliver(target, text, video, buttons, status)


def timed_ffmpeg(runs: list[tuple[float, float]]) -> None:
    """Note the start and end of every render's ffmpeg run."""
    original = engine.jobs.render

    async def render(*args: Any, **kwargs: Any) -> None:
        started = time.monotonic()
        await original(*args, **kwargs)
        runs.append((started, time.monotonic()))

    engine.jobs.render = render  # type: ignore[assignment]


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def line(name: str, values: list[float]) -> str:
    return (f"{name:<34} p50 {pct(values, 0.5):6.2f} s   p90 {pct(values, 0.9):6.2f} s   "
            f"min {min(values):6.2f}   max {max(values):6.2f}   spread {statistics.pstdev(values):5.2f}")


async def main(exports: int, seconds: float) -> None:
    with tempfile.TemporaryDirectory(prefix="nemobot-latency-") as folder:
        root = Path(folder)
        clip = await make_sample_clip_async(root / "clip.mp4", seconds, (1280, 720))
        settings = Settings(bot=BotSettings(backend="engine", db_path=root / "bot.db"))  # defaults otherwise
        print(f"render poll interval {settings.nemo.render_poll_interval:g} s, status interval "
              f"{settings.bot.status_interval:g} s (defaults); {exports} exports of a {seconds:g} s 720p clip")
        runs: list[tuple[float, float]] = []
        timed_ffmpeg(runs)
        to_link, render, gap, first = [], [], [], []
        async with running_core(settings, engine_dir=root / "engine", engine_port=0) as core:
            target = Target("console", "bench", "bench")
            upload = TimedConsole()
            core.register(upload)
            await core.handle(Incoming(target, attachments=[file_attachment(clip)]))
            await core.idle(timeout=120)
            for _ in range(exports):
                port = TimedConsole()
                core.register(port)
                before = len(runs)
                asked = time.monotonic()
                await core.handle(Incoming(target, text="export"))
                await core.idle(timeout=300)
                assert port.delivered is not None and "http" in port.text, port.text
                started, ended = runs[before]
                to_link.append(port.delivered - asked)
                render.append(ended - started)
                gap.append(port.delivered - ended)
                if port.first_percent is not None:
                    first.append(port.first_percent - started)
        print(line("export -> link delivered", to_link))
        print(line("engine render (ffmpeg run)", render))
        print(line("gap: link after render end", gap))
        if first:
            print(line("first percentage after start", first) + f"   ({len(first)}/{exports} showed one)")
        else:
            print("first percentage after start: never shown (every render ended before its first percent)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--exports", type=int, default=10)
    parser.add_argument("--seconds", type=float, default=12.0)
    args = parser.parse_args()
    asyncio.run(main(args.exports, args.seconds))
