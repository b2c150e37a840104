"""Measuring helpers shared by the benches: percentiles, memory, CPU, timed surface calls."""

from __future__ import annotations

import asyncio
import resource
import sys
import threading
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from types import FrameType
from typing import Any


def percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))]


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def current_rss_mb() -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


class Timed:
    """Wraps methods of a surface's port class to time each call (core call -> platform's answer)
    and count failures."""

    def __init__(self, cls: type, names: Sequence[str]) -> None:
        self.latency: dict[str, list[float]] = {name: [] for name in names}
        self.failures: dict[str, int] = dict.fromkeys(names, 0)
        for name in names:
            self._wrap(cls, name)

    def _wrap(self, cls: type, name: str) -> None:
        original: Callable[..., Awaitable[Any]] = getattr(cls, name)
        latency, failures = self.latency[name], self.failures

        async def timed(port: Any, *args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                result = await original(port, *args, **kwargs)
            except Exception:
                failures[name] += 1
                raise
            latency.append(time.perf_counter() - started)
            return result

        setattr(cls, name, timed)


class LoopLag:
    """How late the event loop wakes a task that sleeps ``every`` seconds: the time nothing else could
    run (a callback holding the loop, or the GIL held by another thread). Started inside the loop."""

    def __init__(self, every: float = 0.05) -> None:
        self.every = every
        self.lags: list[float] = []
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def _run(self) -> None:
        while True:
            started = time.perf_counter()
            await asyncio.sleep(self.every)
            self.lags.append(max(time.perf_counter() - started - self.every, 0.0))

    def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()

    def summary(self) -> str:
        worst = max(self.lags, default=0.0)
        over = sum(1 for lag in self.lags if lag > 1.0)
        return (f"p50 {percentile(self.lags, 50) * 1000:.0f} ms, p99 {percentile(self.lags, 99) * 1000:.0f} ms, "
                f"max {worst * 1000:.0f} ms, {over} of {len(self.lags)} samples over 1 s")


class StackSampler:
    """A sampling profiler for the loop's thread: every ``every`` seconds another thread reads the main
    thread's stack and counts the innermost frame of the project's own code, and of any code."""

    def __init__(self, every: float = 0.01, own: Sequence[str] = ("/core/", "/bots/", "/engine/")) -> None:
        self.every = every
        self.own = tuple(own)
        self.innermost: Counter[str] = Counter()
        self.own_frames: Counter[str] = Counter()
        self.samples = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="stack-sampler", daemon=True)
        self._main = threading.get_ident()

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.wait(self.every):
            frame = sys._current_frames().get(self._main)
            if frame is None:
                continue
            self.samples += 1
            self.innermost[_where(frame)] += 1
            inner = frame
            while inner is not None and not any(part in inner.f_code.co_filename for part in self.own):
                inner = inner.f_back
            if inner is not None:
                self.own_frames[_where(inner)] += 1

    def report(self, top: int = 12) -> str:
        def lines(counter: Counter[str]) -> str:
            return "\n".join(f"    {n / max(self.samples, 1):6.1%}  {where}" for where, n in counter.most_common(top))
        return (f"  stack samples of the loop's thread: {self.samples}\n  innermost frame:\n{lines(self.innermost)}\n"
                f"  innermost frame of our own code:\n{lines(self.own_frames)}")


def _where(frame: FrameType) -> str:
    code = frame.f_code
    return f"{code.co_name} ({'/'.join(code.co_filename.split('/')[-2:])}:{frame.f_lineno})"
