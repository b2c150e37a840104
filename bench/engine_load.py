"""The built-in engine alone under N conversations at once, driven through the real NEMO client over HTTP.

Each conversation: an anonymous token, a session, an upload of a short generated clip, one edit
("make it 9:16 and add the title …", a streamed chat), and an export (submit, then follow the render
as the bot does: held status requests where the engine offers them, else polls at the bot's default
cadence). The engine runs in this process with its default settings on a loopback port.

Printed: failed flows (goal 0) with their first reasons, p50/p99 of each step, and the whole run's
wall time. The export step is measured two ways: until the engine marked the render completed (read
from its own record) and until the client saw it.

With ``--render-ahead both`` the same load runs with render-ahead on (the default) and off, alternated
``--rounds`` times, and prints the real exports' p99 of each and their ratio (render-ahead must never slow
a real export: goal within 10%).

    python bench/engine_load.py [--conversations 100] [--clip-seconds 2] [--render-ahead on|off|both] [--rounds 2]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.measure import peak_rss_mb, percentile
from core.nemo.client import NemoClient
from core.nemo.events import Text
from core.nemo.upload import UploadSource
from core.settings import NemoSettings
from engine.sample import make_sample_clip
from engine.server import EngineServer
from engine.settings import EngineSettings

SKILL = "free-editing-with-ai"
EDIT = "make it 9:16 and add the title 'Load test'"
STEPS = ("token", "session", "upload", "edit", "export_engine", "export_seen")
T = TypeVar("T")


@dataclass
class LoadResult:
    conversations: int
    wall: float
    latency: dict[str, list[float]] = field(default_factory=lambda: {s: [] for s in STEPS})
    failures: list[str] = field(default_factory=list)
    replies: int = 0

    @property
    def failed(self) -> int:
        return len(self.failures)


async def _conversation(
    n: int, client: NemoClient, eng: EngineServer, clip: Path, poll: float, out: LoadResult
) -> None:
    step = "token"

    async def timed(name: str, call: Callable[[], Awaitable[T]]) -> T:
        nonlocal step
        step = name
        started = time.perf_counter()
        value = await call()
        out.latency[name].append(time.perf_counter() - started)
        return value

    try:
        tok = (await timed("token", lambda: client.anonymous_token(str(uuid.uuid4()), skill=SKILL))).token
        sid = (await timed("session", lambda: client.create_session(tok, skill=SKILL))).session_id
        files = await timed(
            "upload", lambda: client.upload_files(tok, sid, [UploadSource.from_path(clip)], skill=SKILL)
        )
        if not files:
            raise RuntimeError("upload answered no file")

        async def edit() -> list[str]:
            return [e.text async for e in client.chat(tok, sid, EDIT, skill=SKILL) if isinstance(e, Text)]

        if await timed("edit", edit):
            out.replies += 1
        state = await client.state(tok, sid, skill=SKILL)
        if not state.draft.ready:
            raise RuntimeError("the edit left no timeline")
        step = "export_seen"
        submitted = time.time()
        started = time.perf_counter()
        rid = await client.submit_render(tok, sid, state.draft.raw, skill=SKILL)
        status = await client.render_status(tok, rid, skill=SKILL)
        while not status.final:  # as the bot follows it: a held request where offered, else its cadence
            if status.wait_max <= 0:
                await asyncio.sleep(poll)
            status = await client.render_status(tok, rid, skill=SKILL, seen=status)
        out.latency["export_seen"].append(time.perf_counter() - started)
        if status.status != "completed" or not status.url:
            raise RuntimeError(f"render {status.status}: {status.error}")
        rec = await eng.store.get_render(rid)
        if rec is not None:
            out.latency["export_engine"].append(rec.updated - submitted)
    except Exception as exc:  # noqa: BLE001 - a failed flow is what this bench counts
        out.failures.append(f"#{n} {step}: {type(exc).__name__}: {exc}"[:300])


async def run_load(
    conversations: int, clip: Path, data_dir: Path, *, poll: float | None = None, render_ahead: bool = True
) -> LoadResult:
    """N conversations at once against a fresh engine with default settings (in ``data_dir``)."""
    poll = NemoSettings().render_poll_interval if poll is None else poll
    settings = EngineSettings(port=0, data_dir=data_dir, render_ahead=render_ahead)
    async with EngineServer(settings) as eng, NemoClient(eng.url) as client:
        out = LoadResult(conversations, 0.0)
        started = time.perf_counter()
        await asyncio.gather(*(_conversation(n, client, eng, clip, poll, out) for n in range(conversations)))
        out.wall = time.perf_counter() - started
    return out


def report(res: LoadResult) -> None:
    print(f"conversations {res.conversations}, failed flows {res.failed}, wall {res.wall:.1f} s")
    for reason in res.failures[:5]:
        print("  ", reason)
    for name in STEPS:
        values = res.latency[name]
        if values:
            print(
                f"  {name:14} n={len(values):4}  p50 {percentile(values, 50):7.2f} s"
                f"  p99 {percentile(values, 99):7.2f} s  max {max(values):7.2f} s"
            )
    print(f"  replies with text {res.replies}, peak RSS {peak_rss_mb():.0f} MB")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--conversations", type=int, default=100)
    ap.add_argument("--clip-seconds", type=float, default=2.0)
    ap.add_argument("--render-ahead", choices=("on", "off", "both"), default="on")
    ap.add_argument("--rounds", type=int, default=2, help="with --render-ahead both: on/off pairs")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        clip = make_sample_clip(Path(tmp) / "clip.mp4", args.clip_seconds, (320, 180))
        if args.render_ahead != "both":
            report(asyncio.run(run_load(args.conversations, clip, Path(tmp) / "engine",
                                        render_ahead=args.render_ahead == "on")))
            return
        p99: dict[bool, list[float]] = {True: [], False: []}
        for n in range(args.rounds):
            for ahead in (True, False) if n % 2 == 0 else (False, True):  # alternated: the machine is shared
                res = asyncio.run(run_load(args.conversations, clip, Path(tmp) / f"engine-{n}-{ahead}",
                                           render_ahead=ahead))
                print(f"render-ahead {'on' if ahead else 'off'}:", end=" ")
                report(res)
                p99[ahead].append(percentile(res.latency["export_seen"], 99))
        on, off = sorted(p99[True])[len(p99[True]) // 2], sorted(p99[False])[len(p99[False]) // 2]
        print(f"real exports' p99 (median of {args.rounds}): render-ahead on {on:.2f} s, off {off:.2f} s: "
              f"{on / off:.2f}x (goal <= 1.10x)")


if __name__ == "__main__":
    main()
