"""Renders queued in PostgreSQL through procrastinate and run by any engine worker.

Every engine instance with a ``database_url`` shares the store, ADK's sessions and the data dir. An
instance whose role renders ("worker" or "all") runs a procrastinate worker taking
``concurrent_renders`` jobs at a time. Workers send heartbeats every quarter of ``render_lease``; each
one also looks, every quarter lease, for jobs of workers silent for a whole lease (killed, frozen,
unplugged) and gives each such render back to the queue once; a render whose worker stopped twice fails.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
from collections.abc import Awaitable, Callable
from typing import Any

from procrastinate import App, PsycopgConnector
from procrastinate.jobs import Status
from procrastinate.schema import SchemaManager

from .database import SETUP_LOCK
from .store import Store

log = logging.getLogger(__name__)

TASK = "nemobot.render"
QUEUE = "renders"
MAX_RUNS = 2  # a render is started at most twice: once, and once more after its worker stopped
TERMINAL = {"completed", "failed", "cancelled"}


async def prepare_database(url: str, warm_up: Callable[[], Awaitable[Any]] | None = None) -> None:
    """Create procrastinate's tables on a fresh database (and let ``warm_up`` create others), one
    process at a time: several instances may start at once on the same database."""
    import asyncpg

    conn = await asyncpg.connect(url)
    try:
        async with conn.transaction():
            await conn.execute("SELECT pg_advisory_xact_lock($1)", SETUP_LOCK)
            if await conn.fetchval("SELECT to_regclass('procrastinate_jobs')") is None:
                await conn.execute(SchemaManager.get_schema())
            if warm_up is not None:
                await warm_up()
    finally:
        await conn.close()


class SharedRenders:
    """The procrastinate side of the render queue: defer a render, and (on a worker) run them."""

    def __init__(
        self,
        url: str,
        store: Store,
        run: Callable[[str], Awaitable[None]],
        *,
        concurrency: int,
        lease: float,
    ) -> None:
        self.store = store
        self.lease = lease
        self.concurrency = concurrency
        self.app = App(connector=PsycopgConnector(conninfo=url, min_size=1, max_size=concurrency + 3))
        self._run = run
        self._tasks: list[asyncio.Task] = []

        async def render(render_id: str) -> None:
            await self._run(render_id)

        self.task = self.app.task(name=TASK, queue=QUEUE)(render)

    async def start(self, *, work: bool) -> None:
        await self.app.open_async()
        if not work:
            return
        name = f"{socket.gethostname()}-{os.getpid()}"
        self._tasks.append(
            asyncio.create_task(
                self.app.run_worker_async(
                    queues=[QUEUE],
                    name=name,
                    concurrency=self.concurrency,
                    install_signal_handlers=False,
                    update_heartbeat_interval=self.lease / 4,
                    stalled_worker_timeout=self.lease,
                    delete_jobs="successful",
                )
            )
        )
        self._tasks.append(asyncio.create_task(self._take_over_loop()))

    async def stop(self) -> None:
        for t in self._tasks:
            t.cancel()
        for t in self._tasks:
            with contextlib.suppress(BaseException):
                await t
        self._tasks.clear()
        with contextlib.suppress(Exception):
            await self.app.close_async()

    async def defer(self, render_id: str, priority: int = 0) -> None:
        """Queue a render; a worker takes the highest ``priority`` first, the earliest among equals."""
        await self.task.configure(priority=priority).defer_async(render_id=render_id)

    async def _take_over_loop(self) -> None:
        while True:
            await asyncio.sleep(self.lease / 4)
            try:
                await self.take_over()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("looking for stalled renders failed")

    async def take_over(self) -> int:
        """Give the renders of silent workers back to the queue; return how many."""
        taken = 0
        jm = self.app.job_manager
        for job in await jm.get_stalled_jobs(task_name=TASK, seconds_since_heartbeat=self.lease):
            render_id = str(job.task_kwargs.get("render_id", ""))
            rec = await self.store.get_render(render_id)
            if rec is None or rec.status in TERMINAL:
                with contextlib.suppress(Exception):
                    await jm.finish_job(job, Status.SUCCEEDED, delete_job=True)
                continue
            if rec.attempts >= MAX_RUNS:
                await self.store.update_render(
                    render_id, status="failed", error="the workers rendering it stopped twice"
                )
                with contextlib.suppress(Exception):
                    await jm.finish_job(job, Status.FAILED, delete_job=False)
                continue
            if not await self.store.requeue_render(render_id, rec.attempts):
                continue  # another worker took it over first
            try:
                await jm.retry_job(job)
            except Exception:  # noqa: BLE001 - one render's failed retry must not stop the sweep of the others
                log.warning("render %s: its job could not be retried", render_id)
                continue
            log.warning("render %s: its worker stopped; rendering it again", render_id)
            taken += 1
        return taken
