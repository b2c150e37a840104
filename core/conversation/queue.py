"""The queue: work that changes the timeline runs one operation at a time per conversation;
later requests wait (the user sees their position) and ``/cancel`` stops the running one."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from core.i18n import say
from core.nemo.errors import NemoError, SessionNotFound
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
        lang = ctx.language(conv, op.incoming)
        busy = conv.running is not None or bool(conv.queue)
        if busy and len(conv.queue) >= ctx.settings.bot.queue_limit:
            await ctx.reply(op.incoming.target, say(lang, "queue_full", limit=ctx.settings.bot.queue_limit))
            return
        conv.queue.append(op)
        if busy:
            try:
                op.message = await ctx.port(op.incoming.target).send(
                    op.incoming.target, say(lang, "queued", position=len(conv.queue)))
            except Exception:
                log.warning("could not show the queue position", exc_info=True)
        if conv.worker is None or conv.worker.done():
            conv.worker = asyncio.create_task(self._work(conv), name=f"conversation:{conv.record.key}")

    async def _work(self, conv: Conversation) -> None:
        while conv.queue:
            op = conv.queue.popleft()
            conv.running = op
            op.task = asyncio.create_task(self._run(conv, op), name=f"op:{conv.record.key}:{op.kind.value}")
            try:
                await asyncio.shield(op.task)
            except asyncio.CancelledError:
                if not op.task.done():  # the worker itself is stopping
                    op.task.cancel()
                    raise
            finally:
                conv.running = None

    async def cancel(self, conv: Conversation, lang: str, target: Target) -> None:
        """Stop the running operation and drop the queued ones; ``target`` is where the
        request came from (its answer goes there, with the surface's reply details)."""
        ctx = self.ctx
        dropped = list(conv.queue)
        conv.queue.clear()
        for op in dropped:
            if op.message is not None:
                try:
                    await ctx.port(op.message.target).edit(op.message, say(lang, "cancelled"))
                except Exception:
                    log.warning("could not mark a queued job cancelled", exc_info=True)
        running = conv.running
        if running is None or running.task is None or running.task.done():
            if dropped:
                await ctx.reply(target, say(lang, "cancelled_queue", count=len(dropped)))
            else:
                await ctx.reply(target, say(lang, "nothing_to_cancel"))
            return
        running.task.cancel()

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
