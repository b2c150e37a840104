"""The queue: work that changes the timeline runs one operation at a time per conversation;
later requests wait (the user sees their position) and ``/cancel`` stops the running one.

Several bot processes may share one store (PostgreSQL): each keeps its own queue of the work it
received, runs it under the store's lock for the conversation (so one job at a time wherever the
updates landed), counts positions over every process's jobs, and passes a /cancel on to them."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from core.i18n import say
from core.nemo.errors import NemoError, SessionNotFound
from core.nemo.upload import safe_filename
from core.ports import Button, Target
from core.routing import Route
from core.status import StatusMessage

from .chat import Chat
from .context import Context
from .export import Exports
from .state import Conversation, Operation
from .upload import Uploads

log = logging.getLogger(__name__)

SHUTDOWN_NOTICE_WAIT = 3.0
JOB_LEASE = 30.0  # a process's jobs count in others' queue positions while it renews them this often
ALL = 2**62       # a job id after every job: ``jobs_before(key, ALL)`` counts them all
START_RETRY = 1.0  # seconds before a job that could not start (the store failed) is tried again


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
        op.job_id = await ctx.store.add_job(key, ctx.owner, JOB_LEASE)
        ahead = await ctx.store.jobs_before(key, op.job_id)  # the running job and the waiting ones
        if ahead > ctx.settings.bot.queue_limit:
            await ctx.store.end_job(op.job_id)
            await ctx.reply(op.incoming.target, say(lang, "queue_full", limit=ctx.settings.bot.queue_limit))
            return
        conv.queue.append(op)
        if ahead:
            try:
                op.message = await ctx.port(op.incoming.target).send(
                    op.incoming.target, say(lang, "queued", position=ahead))
            except Exception:
                log.warning("could not show the queue position", exc_info=True)
        if conv.worker is None or conv.worker.done():
            conv.worker = asyncio.create_task(self._work(conv), name=f"conversation:{key}")

    async def _work(self, conv: Conversation) -> None:
        key = conv.record.key
        while conv.queue:
            op = conv.queue[0]
            try:
                async with self.ctx.store.conversation_lock(key):  # another process may be running one
                    if not conv.queue or conv.queue[0] is not op:  # cancelled while waiting
                        continue
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
            try:
                await self.ctx.store.end_job(job_id)
            except Exception:  # it stops counting when its heartbeat lapses
                log.warning("could not end job %s", job_id, exc_info=True)

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
            if incoming.command == "new":
                await nemo.new_session()
                await status.finish(say(lang, "new_session"), ctx.main_buttons(lang, owner))
            elif op.kind is Route.UPLOAD:
                if incoming.command == "edit":  # /edit with a video: that video is what gets edited
                    await nemo.new_session()
                    names = ", ".join(safe_filename(a.filename) for a in incoming.attachments)
                    await ctx.reply(incoming.target, say(lang, "fresh_from_files", names=names[:200]))
                await self.uploads.run(conv, nemo, incoming, status, lang)
            elif op.kind is Route.EXPORT:
                await self.exports.run(conv, nemo, incoming, status, lang)
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
