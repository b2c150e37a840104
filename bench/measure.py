"""Measuring helpers shared by the benches: percentiles, memory, CPU, timed surface calls."""

from __future__ import annotations

import resource
import time
from collections.abc import Awaitable, Callable, Sequence
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
