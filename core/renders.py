"""The durable render loop: every render job in the store is polled until it ends, then
delivered once to where it was asked for, even across a restart of the bot.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable

from core.i18n import say
from core.nemo.client import NemoClient
from core.nemo.errors import (
    AuthError,
    NemoError,
    RateLimited,
    RenderFailed,
    RenderTimeout,
    Unavailable,
    error_for,
)
from core.nemo.models import RENDER_CANCELLED, RENDER_DONE, RenderStatus
from core.nemo.session import Tokens
from core.ports import Button, MessageRef, Target, Video
from core.store.base import RenderJob, Store

log = logging.getLogger(__name__)

Progress = Callable[[RenderStatus], Awaitable[None]]
DELIVERY_ATTEMPTS = 5
PUSH_RETRY = 1.0  # seconds before asking again after a failed request to a server that pushes
STATUS_FAILURES = 10  # answers in a row that say the render cannot be followed (not outages)
RENDER_LEASE = 10.0  # a render followed by a process that stops renewing this is taken over by another


class RenderWatcher:
    """Follows render jobs and hands finished ones to ``deliver``; one follower per job.

    The first status request goes out at once. A server that announces it can hold a status request
    (the engine) is then asked to answer when the render moves; any other (NEMO's cloud) is polled
    every ``poll_interval`` seconds, its documented cadence.

    Bot processes that share a store each follow the renders they lease (``owner``); a process
    that dies stops renewing, and another takes its renders over and delivers them."""

    def __init__(
        self,
        client: NemoClient,
        tokens: Tokens,
        store: Store,
        *,
        poll_interval: float,
        deadline: float,
        deliver: Callable[[RenderJob, RenderStatus | None, NemoError | None], Awaitable[None]],
        owner: str = "bot",
        lease: float = RENDER_LEASE,
    ) -> None:
        self.client = client
        self.tokens = tokens
        self.store = store
        self.poll_interval = poll_interval
        self.deadline = deadline
        self.deliver = deliver
        self.owner = owner
        self.lease = lease
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._progress: dict[str, Progress] = {}
        self._leasing: asyncio.Task[None] | None = None

    async def add(self, job: RenderJob) -> None:
        """Store a new job, leased to this process."""
        job.owner, job.lease_until = self.owner, time.time() + self.lease
        await self.store.add_render(job)

    async def resume(self) -> int:
        """Start following every job the store has open and no live process follows (after a restart,
        or another process's death), and keep doing so."""
        taken = await self._take_over()
        if self._leasing is None or self._leasing.done():
            self._leasing = asyncio.create_task(self._keep_leases(), name="render leases")
        return taken

    async def _take_over(self) -> int:
        jobs = [job for job in await self.store.lease_renders(self.owner, self.lease) if job.id not in self._tasks]
        for job in jobs:
            self.follow(job)
        return len(jobs)

    async def _keep_leases(self) -> None:
        while True:
            await asyncio.sleep(self.lease / 3)
            try:
                await self.store.renew_leases(self.owner, self.lease)
                taken = await self._take_over()
                if taken:
                    log.info("took over %d render(s) from a process that stopped", taken)
            except Exception:
                log.warning("could not renew render leases", exc_info=True)

    def follow(self, job: RenderJob, progress: Progress | None = None) -> asyncio.Task[None]:
        if progress is not None:
            self._progress[job.id] = progress
        task = self._tasks.get(job.id)
        if task is None or task.done():
            task = asyncio.create_task(self._watch(job), name=f"render:{job.id}")
            self._tasks[job.id] = task
        return task

    async def wait(self, job: RenderJob, progress: Progress | None = None) -> None:
        """Follow a job and wait until it has been delivered (shielded: a cancel of the
        caller does not stop the delivery of a finished render)."""
        await asyncio.shield(self.follow(job, progress))

    @property
    def followed(self) -> int:
        """How many renders this process holds: those being followed, and those it could not deliver."""
        return len(self._tasks)

    @property
    def busy(self) -> bool:
        return bool(self.active())

    def active(self) -> list[str]:
        """Ids of the renders being followed now."""
        return [rid for rid, task in self._tasks.items() if not task.done()]

    def cancel(self, render_id: str) -> None:
        task = self._tasks.get(render_id)
        if task is not None:
            task.cancel()

    async def stop(self) -> None:
        """Stop following; the open renders are let go at once, for the next start or another process."""
        tasks = list(self._tasks.values()) + ([self._leasing] if self._leasing else [])
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._tasks.clear()
        self._leasing = None
        try:
            await self.store.renew_leases(self.owner, 0)
        except Exception:
            log.warning("could not let go of the render leases", exc_info=True)

    async def _watch(self, job: RenderJob) -> None:
        try:
            status, error = await self._poll(job)
        except asyncio.CancelledError:
            raise
        except Exception:  # never lose the job: it stays open in the store for the next start
            log.exception("render %s: watcher failed", job.id)
            return
        finally:
            self._progress.pop(job.id, None)
        if status is not None:
            job.status, job.progress, job.url = status.status, status.progress, status.url
            job.error = status.error
        elif error is not None:
            job.status, job.error = "failed", error.message[:300]
        await self.store.update_render(job)
        if status is not None and status.status == RENDER_CANCELLED:
            await self._closed(job)
            return
        for attempt in range(DELIVERY_ATTEMPTS):
            try:
                await self.deliver(job, status, error)
                break
            except Exception:
                log.warning("render %s: delivery attempt %d failed", job.id, attempt + 1, exc_info=True)
                await asyncio.sleep(min(2.0**attempt, 30.0))
        else:
            return  # left open in the store: the next start delivers it (its task stays: not taken again here)
        await self._closed(job)

    async def _closed(self, job: RenderJob) -> None:
        """The job is done with: closed in the store, and no longer held here (an open bot follows thousands)."""
        await self.store.claim_delivery(job.id)
        if self._tasks.get(job.id) is asyncio.current_task():
            del self._tasks[job.id]

    async def _poll(self, job: RenderJob) -> tuple[RenderStatus | None, NemoError | None]:
        ends_at = (job.created_at or time.time()) + self.deadline
        failures = 0
        seen: RenderStatus | None = None  # the last answer: a server that can wait is asked to, past it
        while True:
            try:
                token = await self.tokens.get(job.conversation, job.skill)
                try:
                    status = await self.client.render_status(token, job.id, skill=job.skill, seen=seen)
                except AuthError:
                    token = await self.tokens.renew(job.conversation, job.skill, token)
                    status = await self.client.render_status(token, job.id, skill=job.skill, seen=seen)
                failures = 0
            except NemoError as exc:
                # an outage (5xx, timeouts, 429) may outlast any count: the render goes on meanwhile,
                # so only the deadline ends the wait; other errors in a row mean it cannot be followed
                if not isinstance(exc, (Unavailable, RateLimited)):
                    failures += 1
                log.warning("render %s: status check failed (%s)", job.id, exc)
                if failures >= STATUS_FAILURES:
                    return None, exc
                status = None
            if status is not None:
                if status.final:
                    if status.status == RENDER_DONE or status.status == RENDER_CANCELLED:
                        return status, None
                    if status.error_code is not None:  # e.g. the built-in engine's footage expired while queued
                        return status, error_for(code=status.error_code, message=status.error)
                    return status, RenderFailed(status.error or "unknown error")
                if status.progress != job.progress or status.status != job.status:
                    job.status, job.progress = status.status, status.progress
                    await self.store.update_render(job)
                progress = self._progress.get(job.id)
                if progress is not None:
                    await progress(status)
            if time.time() > ends_at:
                return None, RenderTimeout("the render did not finish in time")
            if status is not None and status.wait_max > 0:
                seen = status  # the next request itself waits for the render to move
                continue
            await asyncio.sleep(self.poll_interval if seen is None else PUSH_RETRY)
            seen = None


def render_buttons(lang: str, owner: str, url: str | None) -> list[Button]:
    buttons = [Button(say(lang, "button_status"), action="status", owner=owner)]
    if url:
        buttons.insert(0, Button(say(lang, "button_open"), url=url, owner=owner))
    return buttons


def job_target(job: RenderJob) -> Target:
    return Target.from_json(job.target)


def job_status_message(job: RenderJob) -> MessageRef | None:
    return MessageRef.from_json(job.status_message) if job.status_message else None


def video_of(status: RenderStatus) -> Video:
    return Video(url=status.url or "", size=status.size, duration=status.duration)
