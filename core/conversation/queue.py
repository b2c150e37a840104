"""The queue: work that changes the timeline runs one operation at a time per conversation;
later requests wait (the user sees their position) and ``/cancel`` stops the running one.

Several bot processes may share one store (PostgreSQL): each keeps its own queue of the work it
received, runs it under the store's lock for the conversation (so one job at a time wherever the
updates landed), counts positions over every process's jobs, and passes a /cancel on to them.

Every job row holds what runs it again (``jobs.payload_of``) and the surface's order of the update: a
conversation's jobs start in that order whichever process holds them, and the jobs of a process that
died are taken over by another (or by the next run, on SQLite) and run once (``resume``): a chat message
NEMO already had is not sent again (what it changed is reported instead), an export whose render is
recorded is left to the renders (one that may have been submitted is submitted again under the same id,
which the backend takes once), anything else runs again."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from dataclasses import replace

from core.i18n import say
from core.nemo.client import new_render_id
from core.nemo.draft import Draft
from core.nemo.errors import NemoError, SessionNotFound
from core.nemo.upload import safe_filename
from core.ports import Button, Target
from core.routing import Route
from core.status import StatusMessage
from core.store.base import JobRecord, job_position

from .chat import Chat
from .context import Context
from .export import Exports
from .jobs import SENT, STARTED, operation_of, payload_of, reattached
from .state import Conversation, Operation
from .upload import Uploads

log = logging.getLogger(__name__)

SHUTDOWN_NOTICE_WAIT = 3.0
JOB_LEASE = 30.0  # a process's jobs count in others' queue positions while it renews them this often
ALL = 2**62       # a job id after every job: ``jobs_before(key, ALL)`` counts them all
START_RETRY = 1.0  # seconds before a job that could not start (the store failed) is tried again
ORDER_WAIT = 0.2  # seconds between looks at whether the jobs before one (in other processes) are done
RESUME_NOTICE = 10.0  # a job taken over this long after it came in tells its user it is going on
PORT_WAIT = 120.0  # a job taken over at start-up waits this long for its surface to be up
ORDER_SETTLE = 0.5
"""Seconds a new job waits, with other processes on the store, before it may start: an earlier update of the
same chat (a clip sent with /export) may have gone to another replica and not be noted yet. Webhooks are
delivered in parallel, so the later one can be noted first by as much as the two replicas' time from the
update to its job row differs (store round trips on a loaded machine: tenths of a second). A job that waited
in line is older than this already; only one for an idle conversation pays it."""


class OperationQueue:
    def __init__(self, ctx: Context, chat: Chat, uploads: Uploads, exports: Exports) -> None:
        self.ctx = ctx
        self.chat = chat
        self.uploads = uploads
        self.exports = exports
        self.stopping = False
        """Set on shutdown: a cancelled operation was interrupted, not cancelled by its user."""

    async def enqueue(self, conv: Conversation, op: Operation) -> None:
        ctx = self.ctx
        key = conv.record.key
        lang = ctx.language(conv, op.incoming)
        if op.kind is Route.EXPORT:
            op.render_id = new_render_id()
        op.job_id = await ctx.store.add_job(key, ctx.owner, JOB_LEASE, payload_of(op), op.incoming.order,
                                            handled=ctx.updates_of(op.incoming))
        ctx.handed_on(op.incoming)  # from here the job row carries it, not the surface's update
        ahead = await ctx.store.jobs_before(key, op.job_id)  # the running job and the waiting ones
        if ahead > ctx.settings.bot.queue_limit:
            await ctx.store.end_job(op.job_id)
            await ctx.reply(op.incoming.target, say(lang, "queue_full", limit=ctx.settings.bot.queue_limit))
            return
        self._line_up(conv, op)
        if ahead:
            try:
                op.message = await ctx.port(op.incoming.target).send(
                    op.incoming.target, say(lang, "queued", position=ahead))
            except Exception:
                log.warning("could not show the queue position", exc_info=True)
            else:
                await ctx.record_job(op)  # a process taking it over edits this message

    def _line_up(self, conv: Conversation, op: Operation) -> None:
        """Into this process's queue of ``conv`` in the surface's order, and its worker started."""
        mine = job_position(op.incoming.order, op.job_id or 0)
        later = next((i for i, queued in enumerate(conv.queue)
                      if job_position(queued.incoming.order, queued.job_id or 0) > mine), None)
        if later is None:
            conv.queue.append(op)
        else:  # (a worker waiting to start the job now second sees it is no longer first)
            conv.queue.insert(later, op)
        conv.lined_up()
        if conv.worker is None or conv.worker.done():
            conv.worker = asyncio.create_task(self._work(conv), name=f"conversation:{conv.record.key}")

    async def resume(self, jobs: list[JobRecord]) -> int:
        """Run the jobs taken over from a process that stopped (``Store.claim_jobs``), each in its
        conversation's order; how many were lined up (a payload this version cannot read is dropped)."""
        lined_up = 0
        told: set[str] = set()
        for job in jobs:
            try:
                op = operation_of(job.payload or {})
            except ValueError:
                log.warning("dropping job %s of %s", job.id, job.conversation, exc_info=True)
                await self._end_job(job.id)
                continue
            op.job_id, op.stage, op.resumed_from = job.id, job.stage, job.created_at
            op.tell_resumed = job.conversation not in told
            log.info("taking over job %s of %s (%s, stage %r)", job.id, job.conversation, op.kind.value, job.stage)
            told.add(job.conversation)
            op.incoming = replace(op.incoming, order=job.order)
            conv = await self.ctx.conversation(op.incoming.target)
            self._line_up(conv, op)
            lined_up += 1
        return lined_up

    async def _first(self, key: str, op: Operation) -> bool:
        """No job of the conversation comes before ``op`` in any process (nor may still be on its way)."""
        if self.ctx.store.several_processes and op.incoming.order is not None and op.resumed_from is None:
            await asyncio.sleep(op.noted_at + ORDER_SETTLE - time.monotonic())  # (no wait once it has passed)
        return op.job_id is None or await self.ctx.store.jobs_before(key, op.job_id) == 0

    async def _work(self, conv: Conversation) -> None:
        key = conv.record.key
        while conv.queue:
            op = conv.queue[0]
            try:
                if not await self._first(key, op):  # an earlier update's job, in another process
                    await asyncio.sleep(ORDER_WAIT)
                    continue
                async with self.ctx.store.conversation_lock(key):  # another process may be running one
                    if not conv.queue or conv.queue[0] is not op or not await self._first(key, op):
                        continue  # cancelled, or an earlier job came in, while it waited
                    conv.queue.popleft()
                    conv.running = op
                    # another process may have changed the conversation since it was read
                    conv.record = await self.ctx.store.get_conversation(key) or conv.record
                    op.task = asyncio.create_task(self._run(conv, op), name=f"op:{key}:{op.kind.value}")
                    try:
                        await asyncio.shield(op.task)
                    except asyncio.CancelledError:
                        if not op.task.done():  # the worker itself is stopping
                            op.task.cancel()
                            raise
            except Exception:  # the store failed (the lock, the read): the job stays first in line
                log.warning("could not start a job of %s; trying again", key, exc_info=True)
                await asyncio.sleep(START_RETRY)
            finally:  # the job row ends first: a /cancel meanwhile finds neither it nor a job elsewhere
                if op.job_id is not None and op not in conv.queue and (op.task is None or op.task.done()):
                    await self._end(op)
                conv.running = None

    async def _end(self, op: Operation) -> None:
        job_id, op.job_id = op.job_id, None
        if job_id is not None:
            await self._end_job(job_id)

    async def _end_job(self, job_id: int) -> None:
        for attempt in range(3):  # a job row left behind holds its conversation's later jobs back
            try:
                await self.ctx.store.end_job(job_id)
                return
            except Exception:
                log.warning("could not end job %s", job_id, exc_info=True)
                await asyncio.sleep(START_RETRY * (attempt + 1))

    async def cancel(self, conv: Conversation, lang: str, target: Target) -> None:
        """Stop the running operation and drop the queued ones, in this process and in any other
        that holds this conversation's work; ``target`` is where the request came from (its answer
        goes there, with the surface's reply details)."""
        ctx = self.ctx
        key = conv.record.key
        here = len(conv.queue) + (conv.running is not None)
        elsewhere = await ctx.store.jobs_before(key, ALL) - here
        if elsewhere > 0:
            await ctx.store.request_cancel(key, ctx.owner)
        dropped, stopped = await self.cancel_here(conv, lang)
        if stopped or elsewhere > 0:
            return  # the running job's status message says "Cancelled."
        if dropped:
            await ctx.reply(target, say(lang, "cancelled_queue", count=dropped))
        else:
            await ctx.reply(target, say(lang, "nothing_to_cancel"))

    async def cancel_here(self, conv: Conversation, lang: str) -> tuple[int, bool]:
        """Drop this process's waiting jobs of ``conv`` and stop its running one: (dropped, stopped)."""
        dropped = list(conv.queue)
        conv.queue.clear()
        for op in dropped:
            await self._end(op)
            if op.message is not None:
                try:
                    await self.ctx.port(op.message.target).edit(op.message, say(lang, "cancelled"))
                except Exception:
                    log.warning("could not mark a queued job cancelled", exc_info=True)
        running = conv.running
        if running is None or running.task is None or running.task.done() or running.task.cancelling():
            return len(dropped), False  # (a job already stopping is saying "Cancelled." itself)
        running.task.cancel()
        return len(dropped), True

    async def _run(self, conv: Conversation, op: Operation) -> None:
        ctx = self.ctx
        resumed = op.resumed_from is not None
        if resumed:  # taken over from a process that stopped: its surface may still be starting here
            async with asyncio.timeout(PORT_WAIT):
                await ctx.port_ready.setdefault(op.incoming.target.platform, asyncio.Event()).wait()
            op.incoming = reattached(op.incoming, ctx.port(op.incoming.target))
            if op.render_id and await ctx.store.get_render(op.render_id) is not None:
                return  # the export's render is in the store: whoever follows it delivers it
        incoming = op.incoming
        lang = ctx.language(conv, incoming)
        owner = incoming.target.user_id
        status = StatusMessage(
            ctx.port(incoming.target), incoming.target, lang, interval=ctx.settings.bot.status_interval,
            still_after=ctx.settings.bot.still_working_interval, message=op.message,
            buttons=[Button(say(lang, "button_cancel"), action="cancel", owner=owner)],
        )
        nemo = ctx.nemo(conv, lang)
        try:
            await status.start()
            stage, op.stage = op.stage, op.stage or STARTED
            await ctx.record_job(op)  # with its status message
            if op.tell_resumed and time.time() - (op.resumed_from or 0) > RESUME_NOTICE:
                await ctx.reply(incoming.target, say(lang, "job_resumed"))
            if resumed and stage == SENT:  # NEMO had the message: what it changed, not a second send
                await self.chat.report_applied(conv, nemo, Draft.parse(conv.record.draft), status, lang, "silent")
            elif incoming.command == "new":
                await nemo.new_session()
                await status.finish(say(lang, "new_session"), ctx.main_buttons(lang, owner))
            elif op.kind is Route.UPLOAD:
                if incoming.command == "edit":  # /edit with a video: that video is what gets edited
                    await nemo.new_session()
                    names = ", ".join(safe_filename(a.filename) for a in incoming.attachments)
                    await ctx.reply(incoming.target, say(lang, "fresh_from_files", names=names[:200]))
                await self.uploads.run(conv, nemo, incoming, status, lang)
            elif op.kind is Route.EXPORT:
                await self.exports.run(conv, nemo, incoming, status, lang, op.render_id)
            elif op.kind is Route.PREVIEW:  # in turn: a look at the draft the edits before it made
                await ctx.previews.show(conv, incoming.target, lang, status)
            else:
                await self.chat.run(conv, nemo, incoming.text, status, lang)
        except asyncio.CancelledError:
            if self.stopping:  # a shutdown, not /cancel: the render goes on and is resumed on start
                if not conv.render_id:
                    with contextlib.suppress(Exception, asyncio.CancelledError):
                        async with asyncio.timeout(SHUTDOWN_NOTICE_WAIT):
                            await status.finish(say(lang, "interrupted"))
                raise
            await status.finish(say(lang, "cancelled"))
            if conv.render_id:
                await self.exports.cancel(conv, nemo)
        except NemoError as exc:
            await status.finish(ctx.error_text(exc, lang, nemo))
            if nemo.restarted and not isinstance(exc, SessionNotFound):
                await ctx.reply(incoming.target, say(lang, "error_session_restarted"))
        except Exception:
            log.exception("operation failed in %s", conv.record.key)
            await status.finish(say(lang, "error_internal"))
        finally:
            await status.stop()
