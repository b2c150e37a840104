"""The operator's view of the engine: renders queued and running, renders finished in the last hour, the
disk the data dir's files take against the budget, and what the pruner removed. Served as JSON at
``GET /api/engine/stats`` (the bot's ``/stats`` reads it) and as Prometheus gauges at ``GET /metrics``.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from .retention import Pruner
from .store import Store

HOUR = 3600.0
DISK_READ_EVERY = 60.0  # seconds a reading of the disk is reused (a walk of the data dir)


@dataclass(frozen=True)
class EngineStats:
    renders_queued: int
    renders_running: int
    renders_last_hour: int
    disk_used_bytes: int
    disk_budget_bytes: int
    pruned_files: int  # by this process since it started (the one pruner among the instances)
    pruned_bytes: int

    def to_json(self) -> dict[str, int]:
        return asdict(self)


class StatsReader:
    def __init__(self, store: Store, pruner: Pruner) -> None:
        self.store = store
        self.pruner = pruner
        self._disk: tuple[float, int] = (-DISK_READ_EVERY, 0)

    async def read(self) -> EngineStats:
        queued, running, finished = await self.store.render_counts(time.time() - HOUR)
        read_at, used = self._disk
        if time.monotonic() - read_at >= DISK_READ_EVERY:
            used = await asyncio.to_thread(self.pruner.disk_used)
            self._disk = (time.monotonic(), used)
        return EngineStats(queued, running, finished, used, self.pruner.budget_bytes(),
                           self.pruner.removed.files, self.pruner.removed.bytes)

    async def prometheus(self) -> bytes:
        registry = CollectorRegistry(auto_describe=False)
        registry.register(_Snapshot(await self.read()))
        return generate_latest(registry)


class _Snapshot(Collector):
    def __init__(self, stats: EngineStats) -> None:
        self.stats = stats

    def collect(self) -> Iterator[GaugeMetricFamily]:
        s = self.stats
        renders = GaugeMetricFamily("nemobot_engine_renders", "Renders by state", labels=["state"])
        renders.add_metric(["queued"], s.renders_queued)
        renders.add_metric(["running"], s.renders_running)
        yield renders
        yield GaugeMetricFamily("nemobot_engine_renders_last_hour", "Renders completed in the last hour",
                                value=s.renders_last_hour)
        yield GaugeMetricFamily("nemobot_engine_disk_used_bytes", "Bytes the data dir's media, renders, "
                                "analyses and tmp files take", value=s.disk_used_bytes)
        yield GaugeMetricFamily("nemobot_engine_disk_budget_bytes", "The disk budget (disk_budget_gb)",
                                value=s.disk_budget_bytes)
        yield GaugeMetricFamily("nemobot_engine_pruned_files", "Files the pruner removed since this process "
                                "started", value=s.pruned_files)
        yield GaugeMetricFamily("nemobot_engine_pruned_bytes", "Bytes the pruner removed since this process "
                                "started", value=s.pruned_bytes)
