"""An open bot on one box for weeks, compressed into half an hour: thousands of simulated users on the
built-in engine (in-process, as the default install runs it), each uploading a clip, editing it and
exporting, then going idle; some come back days later (in simulated time) and ask for their video again.

Time is compressed by scaling the day: with ``--day-seconds 60`` a simulated day lasts a minute, so the
engine's default retention (the link lifetime, 7 days) becomes 7 minutes, the bot's store keeps records 7
simulated days, and the pruner runs every 30 s. The disk budget is set small (``--budget-mb``) so that it,
too, is exercised. Everything else is at its default.

Printed: users, flows finished and lost (goal 0), returning users told their footage expired (and served
when it had not), the data dir's size against the budget (max, and the last sample), the process's RSS and
open files (first, last, and the slope over the second half in MB or files per 10 minutes: flat is ~0),
beside RSS glibc's heap (in use, and free but kept by the allocator) and Python's allocated blocks, which
tell a leak from memory the allocator holds, and what a collect + ``malloc_trim`` gives back at the end.
``--trace`` adds what grew between the middle and the end (tracemalloc by allocation site, ten frames
deep, shown as the allocating line and the nearest line of ours; objects by type). The harness keeps only
what users in a turn are shown, so what grows is the bot's and the engine's, not its own.

    python bench/soak.py [--users 3000] [--minutes 30] [--day-seconds 60] [--budget-mb 200] [--trace]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import os
import random
import re
import shutil
import sys
import tempfile
import time
import tracemalloc
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.measure import current_rss_mb
from bots.app import running_core
from core.conversation import Core, dispatch
from core.memory import give_back, heap_mb
from core.ports import Attachment, Button, Incoming, MessageRef, Picture, Target, Video
from core.settings import BotSettings, Settings
from engine.sample import make_sample_clip
from tests.recording import RecordingPort

TRACE_FRAMES = 10  # deep enough to reach our code from inside a library
OURS = re.compile(r"/(bots|core|engine)/")
EDITS = ("cut the first second", "make it 9:16", "add the title 'Soak'", "reverse it", "make it black and white",
         "把速度加快一倍", "加标题“测试”")


@dataclass
class Tally:
    outcomes: Counter[str] = field(default_factory=Counter)
    lost: list[str] = field(default_factory=list)
    samples: list[tuple[float, float, int, int]] = field(default_factory=list)  # t, rss MB, open files, disk B
    heap: list[tuple[float, float, float, int]] = field(default_factory=list)  # t, malloc used/kept MB, py blocks
    in_memory: list[int] = field(default_factory=list)  # conversations the core holds, at each sample


def open_files() -> int:
    return len(os.listdir("/proc/self/fd"))


def tree_size(path: Path) -> int:
    """Bytes of the files under ``path``; files and folders removed while it counts (the pruner, a render's
    scratch folder) are passed over."""
    total = 0
    for folder, _, names in os.walk(path):
        for name in names:
            with contextlib.suppress(OSError):
                total += os.stat(os.path.join(folder, name)).st_size
    return total


def slope_per_10min(points: list[tuple[float, float]]) -> float:
    """Least-squares slope of (t, value) over the second half of the run, per 10 minutes."""
    half = points[len(points) // 2:]
    if len(half) < 2:
        return 0.0
    n = len(half)
    mt = sum(t for t, _ in half) / n
    mv = sum(v for _, v in half) / n
    var = sum((t - mt) ** 2 for t, _ in half)
    return 0.0 if var == 0 else sum((t - mt) * (v - mv) for t, v in half) / var * 600


class SoakPort(RecordingPort):
    """A ``RecordingPort`` that keeps only what users in the middle of a turn are shown. What comes after a
    turn (a late picture, the "ready to export" line, a notice) is let go as a chat app would let it go to the
    user's phone: the harness itself must hold no growing history, or the soak measures its own memory."""

    def __init__(self) -> None:
        super().__init__()
        self.listening: set[str] = set()  # conversations in a turn

    def let_go(self) -> None:
        self.messages[:] = [m for m in self.messages if m.target.conversation in self.listening]
        self.deliveries[:] = [d for d in self.deliveries if d[0].conversation in self.listening]

    async def send(self, target: Target, text: str, buttons: Sequence[Button] = ()) -> MessageRef:
        ref = await super().send(target, text, buttons)
        self.let_go()
        return ref

    async def edit(self, message: MessageRef, text: str, buttons: Sequence[Button] = ()) -> MessageRef:
        ref = await super().edit(message, text, buttons)
        self.let_go()
        return ref

    async def send_picture(self, target: Target, picture: Picture, caption: str = "",
                           buttons: Sequence[Button] = ()) -> MessageRef:
        ref = await super().send_picture(target, picture, caption, buttons)
        self.let_go()
        return ref

    async def deliver(self, target: Target, text: str, video: Video | None, buttons: Sequence[Button] = (),
                      status: MessageRef | None = None) -> None:
        await super().deliver(target, text, video, buttons, status)
        self.let_go()

    async def notify(self, target: Target, text: str) -> None:
        return None  # no flow waits for a notice: none is kept


class Users:
    """The simulated users and what each is shown during a turn."""

    def __init__(self, core: Core, port: SoakPort, clip: bytes, tally: Tally) -> None:
        self.core = core
        self.port = port
        self.clip = clip
        self.tally = tally

    async def _turn(self, target: Target, incoming: Incoming, timeout: float = 180.0) -> list[str]:
        """Send one thing and wait until the conversation is quiet again; the texts it was shown."""
        self.port.listening.add(target.conversation)
        try:
            return await self._wait_turn(target, incoming, timeout)
        finally:
            self.port.listening.discard(target.conversation)
            self.port.let_go()

    async def _wait_turn(self, target: Target, incoming: Incoming, timeout: float) -> list[str]:
        await self.core.handle(incoming)
        deadline = time.monotonic() + timeout
        await asyncio.sleep(0.05)
        while time.monotonic() < deadline:
            conv = self.core.conversations.get(target.conversation)
            if conv is None or (conv.running is None and not conv.queue):
                break
            await asyncio.sleep(0.1)
        shown = [m.text for m in self.port.messages if m.target == target]
        delivered = [text for t, text, _ in self.port.deliveries if t == target]
        return shown + delivered

    async def flow(self, n: int, comes_back_after: float | None) -> None:
        target = Target("test", f"chat-{n}", f"user-{n}")
        step = "upload"
        try:
            data = self.clip

            async def chunks():  # type: ignore[no-untyped-def]
                yield data

            shown = await self._turn(target, Incoming(target, attachments=[
                Attachment("clip.mp4", len(data), "video/mp4", open=chunks)]))
            if not any("Uploaded" in t or "已上传" in t for t in shown):
                raise RuntimeError(f"upload: {shown[-1:]}")
            step = "edit"
            edit = random.choice(EDITS)
            shown = await self._turn(target, Incoming(target, text=edit))
            if not shown or any("went wrong" in t or "出错" in t for t in shown):
                raise RuntimeError(f"edit {edit!r}: {shown[-1:]}")
            step = "export"
            shown = await self._turn(target, Incoming(target, text="export"))
            if not any("ready" in t or "已就绪" in t or "完成" in t for t in shown):
                raise RuntimeError(f"export: {shown[-2:]}")
            self.tally.outcomes["exported"] += 1
            if comes_back_after is None:
                return
            await asyncio.sleep(comes_back_after)
            step = "return"
            shown = await self._turn(target, Incoming(target, text="export"))
            if any("expired" in t or "过期" in t for t in shown):
                self.tally.outcomes["returned: told the footage expired"] += 1
            elif any("ready" in t for t in shown):
                self.tally.outcomes["returned: served again"] += 1
            else:
                raise RuntimeError(f"return: {shown[-2:]}")
        except Exception as exc:  # noqa: BLE001 - a lost flow is what this bench counts
            self.tally.lost.append(f"#{n} {step}: {type(exc).__name__}: {exc}"[:300])


def object_counts() -> Counter[str]:
    return Counter(type(o).__qualname__ for o in gc.get_objects())


def print_growth(before: tuple[tracemalloc.Snapshot, Counter[str]]) -> None:
    """What grew since ``before``: the allocation sites and the object types (``--trace``)."""
    snapshot, counts = before
    print("  grown since the middle, by allocation site (the innermost line, then the nearest of ours):")
    for stat in tracemalloc.take_snapshot().compare_to(snapshot, "traceback")[:15]:
        frames = list(reversed(stat.traceback))  # the allocating line first
        ours = next((f for f in frames if OURS.search(f.filename)), None)
        print(f"    {stat.size_diff / 1024:+9.0f} KiB {stat.count_diff:+7d} blocks  {frames[0]}"
              + (f"  <- {ours}" if ours is not None and ours is not frames[0] else ""))
    print("  grown since the middle, by object type:")
    for name, diff in (object_counts() - counts).most_common(15):
        print(f"    {diff:+8d}  {name}")


async def sample(tally: Tally, core: Core, engine_dir: Path, started: float, stop: asyncio.Event) -> None:
    while not stop.is_set():
        disk = await asyncio.to_thread(tree_size, engine_dir)
        at = time.monotonic() - started
        tally.samples.append((at, current_rss_mb(), open_files(), disk))
        used, kept = heap_mb() or (0.0, 0.0)
        tally.heap.append((at, used, kept, sys.getallocatedblocks()))
        tally.in_memory.append(len(core.conversations))
        try:
            await asyncio.wait_for(stop.wait(), 10)
        except TimeoutError:
            pass


async def run(args: argparse.Namespace, tmp: Path) -> None:
    day = args.day_seconds
    os.environ.update({  # the engine's settings are read from the environment, as a deployment sets them
        "NEMOBOT_ENGINE_LINK_TTL_HOURS": str(7 * day / 3600),  # timing is the point: 7 simulated days
        "NEMOBOT_ENGINE_PRUNE_INTERVAL_MINUTES": "0.5",  # timing is the point: 10 min of a day, compressed
        "NEMOBOT_ENGINE_DISK_BUDGET_GB": str(args.budget_mb / 1024),
    })
    clip_path = make_sample_clip(tmp / "clip.mp4", args.clip_seconds, (320, 180))
    settings = Settings(bot=BotSettings(backend="engine", db_path=tmp / "bot.db",
                                        keep_records_days=7 * day / 86400))
    # the core keeps an idle conversation 15 minutes: in a day compressed to a minute, under a second
    dispatch.CONVERSATION_KEPT = 900 * day / 86400  # timing is the point: 15 min of a compressed day
    engine_dir = tmp / "engine"
    tally = Tally()
    random.seed(7)
    async with running_core(settings, engine_dir=engine_dir, engine_port=0) as core:
        port = SoakPort()
        core.register(port)
        users = Users(core, port, clip_path.read_bytes(), tally)
        started = time.monotonic()
        stop = asyncio.Event()
        sampler = asyncio.create_task(sample(tally, core, engine_dir, started, stop))
        span = args.minutes * 60
        flows: set[asyncio.Task[None]] = set()
        middle: tuple[tracemalloc.Snapshot, Counter[str]] | None = None
        for n in range(args.users):
            if args.trace and middle is None and n >= args.users // 2:
                middle = (tracemalloc.take_snapshot(), object_counts())
            await asyncio.sleep(max(0.0, started + n * span / args.users - time.monotonic()))
            back = random.uniform(1, 14) * day if random.random() < args.returning else None
            if back is not None and (time.monotonic() - started) + back > span:
                back = None  # would come back after the run ends
            task = asyncio.create_task(users.flow(n, back))
            flows.add(task)
            task.add_done_callback(flows.discard)
            if n % 250 == 0:
                print(f"  {time.monotonic() - started:6.0f} s: {n} users started, {len(flows)} in flight, "
                      f"RSS {current_rss_mb():.0f} MB, open files {open_files()}", flush=True)
        if flows:
            await asyncio.wait(flows, timeout=600)
        stop.set()
        await sampler
        if middle is not None:
            print_growth(middle)
        wall = time.monotonic() - started
        pruned = tree_size(engine_dir)
    report(args, tally, wall, pruned)


def report(args: argparse.Namespace, tally: Tally, wall: float, disk_end: int) -> None:
    budget = args.budget_mb * 1024 * 1024
    rss = [(t, r) for t, r, _, _ in tally.samples]
    fds = [(t, float(f)) for t, _, f, _ in tally.samples]
    disk = [d for *_, d in tally.samples]
    print(f"users {args.users} over {wall / 60:.1f} min (a simulated day = {args.day_seconds:g} s: "
          f"{wall / args.day_seconds:.0f} days)")
    for what, count in sorted(tally.outcomes.items()):
        print(f"  {what}: {count}")
    print(f"  lost flows: {len(tally.lost)}")
    for reason in tally.lost[:5]:
        print("    ", reason)
    print(f"  disk: max {max(disk, default=0) / 1e6:.1f} MB, end {disk_end / 1e6:.1f} MB, budget "
          f"{budget / 1e6:.1f} MB: {'under' if max(disk, default=0) <= budget * 1.05 else 'OVER'}")
    print(f"  RSS: first {rss[0][1]:.0f} MB, last {rss[-1][1]:.0f} MB, slope over the second half "
          f"{slope_per_10min(rss):+.1f} MB / 10 min")
    if tally.heap:
        first, last = tally.heap[0], tally.heap[-1]
        for name, index, unit in (("malloc in use", 1, "MB"), ("malloc free but kept", 2, "MB"),
                                  ("Python objects' blocks", 3, "")):
            points = [(h[0], float(h[index])) for h in tally.heap]
            print(f"    {name}: first {first[index]:.0f}{unit}, last {last[index]:.0f}{unit}, slope over the second "
                  f"half {slope_per_10min(points):+.1f}{unit} / 10 min")
    before = current_rss_mb()
    gc.collect()
    trimmed = give_back()
    print(f"    after the run, collected{' and trimmed (malloc_trim)' if trimmed else ''}: RSS {before:.0f} -> "
          f"{current_rss_mb():.0f} MB")
    print(f"  open files: first {fds[0][1]:.0f}, last {fds[-1][1]:.0f}, slope over the second half "
          f"{slope_per_10min(fds):+.1f} / 10 min")
    print(f"  conversations in the core's memory: max {max(tally.in_memory, default=0)}, "
          f"last {tally.in_memory[-1] if tally.in_memory else 0} (the rest are in the store)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--users", type=int, default=3000)
    ap.add_argument("--minutes", type=float, default=30)
    ap.add_argument("--day-seconds", type=float, default=60)
    ap.add_argument("--budget-mb", type=float, default=200)
    ap.add_argument("--returning", type=float, default=0.3, help="share of users who come back")
    ap.add_argument("--clip-seconds", type=float, default=2)
    ap.add_argument("--trace", action="store_true",
                    help="print what grew between the middle and the end (tracemalloc; slows the run)")
    args = ap.parse_args()
    if args.trace:
        tracemalloc.start(TRACE_FRAMES)
    tmp = Path(tempfile.mkdtemp(prefix="soak-"))
    try:
        asyncio.run(run(args, tmp))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
