"""Health and Prometheus metrics for the bot process (``bot.metrics_port``).

``GET /metrics``: updates handled, jobs by state, NEMO errors by code, render durations, users at a quota.
``GET /healthz``: ``ok`` while the core runs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiohttp import web
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

if TYPE_CHECKING:
    from core.conversation import Core


class Metrics:
    """The bot's metrics, in a registry of their own (several cores can live in one test process)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.updates = Counter("nemobot_updates_total", "User actions handled", ["platform", "kind"],
                               registry=self.registry)
        self.nemo_errors = Counter("nemobot_nemo_errors_total", "NEMO errors by code (or error class)", ["code"],
                                   registry=self.registry)
        self.renders = Histogram("nemobot_render_seconds", "Seconds from export to delivered link",
                                 buckets=(5, 15, 30, 60, 90, 120, 300, 600, 1800), registry=self.registry)
        self.users_over_quota = Gauge("nemobot_users_over_quota", "Users who used all of a day's quota today",
                                      registry=self.registry)

    def watch(self, core: Core) -> None:
        self.registry.register(_JobsCollector(core))


class _JobsCollector(Collector):
    def __init__(self, core: Core) -> None:
        self.core = core

    def collect(self):  # type: ignore[no-untyped-def]
        family = GaugeMetricFamily("nemobot_jobs", "Jobs by state", labels=["state"])
        convs = list(self.core.conversations.values())
        family.add_metric(["running"], sum(1 for c in convs if c.running is not None))
        family.add_metric(["queued"], sum(len(c.queue) for c in convs))
        family.add_metric(["rendering"], len(self.core.renders.active()))
        yield family


def error_label(exc: BaseException) -> str:
    code = getattr(exc, "code", None) or getattr(exc, "status", None)
    return str(code) if code else type(exc).__name__


async def serve_metrics(core: Core, host: str, port: int) -> web.AppRunner:
    """Start the health and metrics endpoint; returns the runner to clean up."""

    async def metrics(_: web.Request) -> web.Response:
        body = generate_latest(core.metrics.registry)
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})

    async def health(_: web.Request) -> web.Response:
        return web.Response(text="ok\n")

    app = web.Application()
    app.router.add_get("/metrics", metrics)
    app.router.add_get("/healthz", health)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, host, port).start()
    return runner
