"""The conversation core every surface drives.

``Core.handle(incoming)`` returns at once: quick requests (help, mode, language, credits,
status, cancel) are answered straight away; work that changes the timeline (upload, edit,
export, new session) runs one at a time per conversation, later requests wait in a queue
whose position the user sees, and ``/cancel`` stops the running one.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import time
import unicodedata
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field, replace

from core.i18n import LANGUAGES, describe_change, elapsed_text, pick_language, say
from core.metrics import Metrics, error_label
from core.nemo.client import NemoClient, check_upload
from core.nemo.draft import Draft, draft_changes, timeline_summary
from core.nemo.errors import NemoError, NoCredits, SessionNotFound, StreamDropped
from core.nemo.events import StateDelta, Text, ToolCall
from core.nemo.limits import SUPPORTED_FORMATS
from core.nemo.models import RenderStatus
from core.nemo.session import NemoSession, Tokens
from core.nemo.upload import UploadSource, safe_filename
from core.ports import Attachment, Button, ChatPort, Incoming, MessageRef, Target
from core.renders import RenderWatcher, job_status_message, job_target, render_buttons, video_of
from core.routing import Route, find_urls, link_problem, route, translate_gui
from core.secrets import RedactingPort, Redactor
from core.settings import Settings, settings_secrets
from core.skills import find_skill, mode_names, skill_or_default
from core.status import StatusMessage
from core.store.base import ConversationRecord, RenderJob, Store
from core.throttle import RateLimiter

log = logging.getLogger(__name__)

MAX_TEXT = 4000
_TOKEN_SHAPE = re.compile(r"[A-Za-z0-9_\-.]{8,512}")
PORT_WAIT = 120.0
SHUTDOWN_NOTICE_WAIT = 3.0
_FORMATS = ", ".join(SUPPORTED_FORMATS)
_TEMPORARY_ISSUE = re.compile(r"\s*I encountered a temporary issue[^\n]*$", re.I)
BUTTON_ACTIONS = frozenset({"export", "status", "credits", "cancel", "new", "help", "start"})


@dataclass(eq=False)
class Operation:
    """A queued piece of work for one conversation."""

    kind: Route
    incoming: Incoming
    message: MessageRef | None = None
    task: asyncio.Task[None] | None = None


@dataclass(eq=False)
class Conversation:
    record: ConversationRecord
    queue: deque[Operation] = field(default_factory=deque)
    running: Operation | None = None
    worker: asyncio.Task[None] | None = None
    render_id: str | None = None


def clean_text(text: str) -> str:
    """Drop control characters (keep newlines and tabs) and surrounding blanks.

    Format characters stay (the joiner inside an emoji, RTL marks, bidi isolates), and so do
    characters this Python's Unicode tables do not know yet (newer emoji): the text reaches NEMO
    intact. A text of nothing but blanks and invisible characters is empty.
    """
    kept = "".join(ch for ch in text if ch in "\n\t" or unicodedata.category(ch) not in ("Cc", "Cs")).strip()
    visible = any(not ch.isspace() and unicodedata.category(ch) != "Cf" for ch in kept)
    return kept if visible else ""


class Core:
    """One per process; every surface registers its ``ChatPort`` and hands in ``Incoming``."""

    def __init__(self, settings: Settings, store: Store, client: NemoClient) -> None:
        self.settings = settings
        self.store = store
        self.client = client
        token = settings.nemo.token.get_secret_value() if settings.nemo.token else None
        self.tokens = Tokens(client, store, token, renew_margin=settings.nemo.token_renew_margin)
        self.redactor = Redactor(settings_secrets(settings))
        self.ports: dict[str, ChatPort] = {}
        self.conversations: dict[str, Conversation] = {}
        self._locks: dict[str, asyncio.Lock] = {}
        self._live_status: dict[str, StatusMessage] = {}
        self._port_ready: dict[str, asyncio.Event] = {}
        self._stopping = False
        self.renders = RenderWatcher(
            client, self.tokens, store, poll_interval=settings.nemo.render_poll_interval,
            deadline=settings.nemo.render_deadline, deliver=self._deliver,
        )
        self.rate = RateLimiter(settings.bot.rate_per_minute)
        self.metrics = Metrics()
        self.metrics.watch(self)

    # -- lifecycle --------------------------------------------------------------------------

    def register(self, port: ChatPort) -> None:
        """Add a surface; everything the core shows through it passes the redactor."""
        self.ports[port.platform] = RedactingPort(port, self.redactor)
        self._port_ready.setdefault(port.platform, asyncio.Event()).set()

    async def start(self) -> None:
        """Resume the renders that were open when the bot stopped."""
        resumed = await self.renders.resume()
        if resumed:
            log.info("resumed %d open render(s)", resumed)

    async def stop(self) -> None:
        """Stop working: running edits are interrupted (and told so), renders are left running
        at NEMO and stay open in the store, so the next start delivers them."""
        self._stopping = True
        workers = [c.worker for c in self.conversations.values() if c.worker]
        for worker in workers:
            worker.cancel()
        await asyncio.gather(*workers, return_exceptions=True)
        await self.renders.stop()

    async def idle(self, timeout: float = 30.0) -> None:
        """Wait until no conversation has work running or queued (for tests and shutdown)."""
        async with asyncio.timeout(timeout):
            while self.renders.busy or any(c.worker and not c.worker.done() for c in self.conversations.values()):
                await asyncio.sleep(0.01)

    # -- conversations ----------------------------------------------------------------------

    async def conversation(self, target: Target) -> Conversation:
        key = target.conversation
        async with self._locks.setdefault(key, asyncio.Lock()):
            conv = self.conversations.get(key)
            if conv is None:
                record = await self.store.get_conversation(key) or ConversationRecord(
                    key=key, platform=target.platform, chat_id=target.chat_id, user_id=target.user_id
                )
                conv = self.conversations[key] = Conversation(record)
            return conv

    def language(self, conv: Conversation, incoming: Incoming | None = None) -> str:
        if conv.record.language in LANGUAGES:
            return conv.record.language  # type: ignore[return-value]
        return pick_language(incoming.locale if incoming else None, self.settings.bot.language)

    async def language_for(self, target: Target, locale: str | None = None) -> str:
        """The language to answer a user in (for surfaces' own texts)."""
        conv = await self.conversation(target)
        return self.language(conv, Incoming(target, locale=locale))

    def skill(self, conv: Conversation) -> str:
        return skill_or_default(conv.record.mode or self.settings.bot.mode).source

    def nemo(self, conv: Conversation, lang: str) -> NemoSession:
        return NemoSession(
            self.client, self.tokens, self.store, conv.record, skill=self.skill(conv), language=lang,
            rate_limit_wait=self.settings.nemo.rate_limit_wait,
        )

    def port(self, target: Target) -> ChatPort:
        return self.ports[target.platform]

    async def reply(self, target: Target, text: str, buttons: Sequence[Button] = ()) -> None:
        try:
            await self.port(target).send(target, text, buttons)
        except Exception:
            log.warning("could not send a message to %s", target.conversation, exc_info=True)

    # -- entry point ------------------------------------------------------------------------

    async def handle(self, incoming: Incoming) -> None:
        """Take one user action. Returns once it is answered or queued."""
        conv = await self.conversation(incoming.target)
        lang = self.language(conv, incoming)
        target = incoming.target
        action = "button" if incoming.button else "command" if incoming.command else "file" if incoming.attachments else "text"
        self.metrics.updates.labels(target.platform, action).inc()
        user = f"{target.platform}:{target.user_id}"
        if (incoming.command or "").lower().lstrip("/") != "cancel" and not self.rate.allow(user):
            if self.rate.warn_once(user):
                await self.reply(target, say(lang, "slow_down"))
            return
        if incoming.button:
            if incoming.button_owner and incoming.button_owner != target.user_id:
                await self.notify(target, say(lang, "not_yours"))
                return
            if incoming.button.lower().lstrip("/") not in BUTTON_ACTIONS:  # forged, or from an old layout
                await self.notify(target, say(lang, "stale_button"))
                return
            incoming = Incoming(target, command=incoming.button, locale=incoming.locale)
        command = (incoming.command or "").lower().lstrip("/")
        text = clean_text(incoming.text)
        args = clean_text(incoming.args)
        longest = max(len(text), len(args))
        if longest > MAX_TEXT:
            await self.reply(target, say(lang, "text_too_long", length=longest, limit=MAX_TEXT))
            return
        if command:
            await self._command(conv, command, args, incoming, lang)
            return
        kind = route(text, bool(incoming.attachments))
        refused = link_problem(text) if kind is Route.UPLOAD and not incoming.attachments else None
        if refused:
            await self.reply(target, say(lang, refused))
        elif kind is Route.UPLOAD and not incoming.attachments and not find_urls(text):
            await self.reply(target, say(lang, "upload_nothing"))
        elif kind is Route.CREDITS:
            await self._quick(conv, lang, self._credits, target)
        elif kind is Route.STATUS:
            await self._quick(conv, lang, self._status, target)
        elif kind is Route.CHAT and not text:
            await self.reply(target, say(lang, "empty_message"))
        else:
            await self.enqueue(conv, Operation(kind, Incoming(
                target, text, attachments=incoming.attachments, locale=incoming.locale)))

    async def notify(self, target: Target, text: str) -> None:
        port = self.port(target)
        notify = getattr(port, "notify", None)
        try:
            if notify is not None:
                await notify(target, text)
            else:
                await port.send(target, text)
        except Exception:
            log.warning("could not notify %s", target.conversation, exc_info=True)

    async def _command(self, conv: Conversation, command: str, args: str, incoming: Incoming, lang: str) -> None:
        target = incoming.target
        record = conv.record
        if command in ("start", "help"):
            key = "welcome" if command == "start" else "help"
            skill = skill_or_default(record.mode or self.settings.bot.mode)
            await self.reply(target, say(lang, key, mode=skill.alias, modes=mode_names(), formats=_FORMATS),
                             self.main_buttons(lang, target.user_id))
        elif command == "cancel":
            await self.cancel(conv, lang, target)
        elif command in ("lang", "language"):
            choice = pick_language(args, "") if args else ""
            if choice not in LANGUAGES:
                await self.reply(target, say(lang, "lang_unknown"))
                return
            record.language = choice
            await self.store.save_conversation(record)
            await self.reply(target, say(choice, "lang_set"))
        elif command == "mode":
            current = skill_or_default(record.mode or self.settings.bot.mode)
            if not args:
                await self.reply(target, say(lang, "mode_list", mode=current.alias, modes=mode_names()))
                return
            chosen = find_skill(args)
            if chosen is None:
                await self.reply(target, say(lang, "mode_unknown", mode=args[:40], modes=mode_names()))
                return
            record.mode = chosen.source
            await self.store.save_conversation(record)
            about = chosen.about_zh if lang == "zh" else chosen.about_en
            await self.reply(target, say(lang, "mode_set", mode=f"{chosen.alias} ({about})"))
        elif command == "token":
            await self._own_token(conv, args, target, lang)
        elif command == "stats":
            await self._stats(target, lang)
        elif command == "credits":
            await self._quick(conv, lang, self._credits, target)
        elif command == "status":
            await self._quick(conv, lang, self._status, target)
        elif command in ("export", "new", "upload"):
            kind = {"export": Route.EXPORT, "new": Route.CHAT, "upload": Route.UPLOAD}[command]
            op = Operation(kind, Incoming(target, args, command="new" if command == "new" else None,
                                          attachments=incoming.attachments, locale=incoming.locale))
            if kind is Route.UPLOAD and not incoming.attachments:
                refused = link_problem(args) or (None if find_urls(args) else "upload_nothing")
                if refused:
                    await self.reply(target, say(lang, refused))
                    return
            await self.enqueue(conv, op)
        elif command == "edit":
            if not args and not incoming.attachments:
                await self.reply(target, say(lang, "empty_message"))
                return
            kind = Route.UPLOAD if incoming.attachments else Route.CHAT
            await self.enqueue(conv, Operation(kind, Incoming(target, args, attachments=incoming.attachments,
                                                              locale=incoming.locale)))
        else:
            name = command if len(command) <= 32 else command[:32] + "…"
            await self.reply(target, say(lang, "unknown_command", command=name) + "\n\n"
                             + say(lang, "help", modes=mode_names(), formats=_FORMATS))

    async def _own_token(self, conv: Conversation, args: str, target: Target, lang: str) -> None:
        """/token: bring your own NEMO token (private chats only; never shown back)."""
        if target.group:
            await self.reply(target, say(lang, "token_private_only"))
        elif not args:
            await self.reply(target, say(lang, "token_usage"))
        elif args.lower() in ("clear", "reset", "off"):
            await self.tokens.set_own(conv.record.key, None)
            await self.reply(target, say(lang, "token_cleared"))
        elif not _TOKEN_SHAPE.fullmatch(args):
            await self.reply(target, say(lang, "token_invalid"))
        else:
            self.redactor.add([args])
            await self.tokens.set_own(conv.record.key, args)
            await self.reply(target, say(lang, "token_saved"))

    def is_operator(self, target: Target) -> bool:
        return f"{target.platform}:{target.user_id}" in self.settings.bot.operators

    async def _stats(self, target: Target, lang: str) -> None:
        if not self.is_operator(target):
            await self.notify(target, say(lang, "operators_only"))
            return
        counts = await self.store.stats()
        convs = list(self.conversations.values())
        await self.reply(target, say(
            lang, "stats", active=sum(1 for c in convs if c.running or c.queue),
            running=sum(1 for c in convs if c.running), queued=sum(len(c.queue) for c in convs), **counts))

    def main_buttons(self, lang: str, owner: str) -> list[Button]:
        return [Button(say(lang, "button_export"), action="export", owner=owner),
                Button(say(lang, "button_status"), action="status", owner=owner),
                Button(say(lang, "button_credits"), action="credits", owner=owner)]

    # -- the queue --------------------------------------------------------------------------

    async def enqueue(self, conv: Conversation, op: Operation) -> None:
        lang = self.language(conv, op.incoming)
        busy = conv.running is not None or bool(conv.queue)
        if busy and len(conv.queue) >= self.settings.bot.queue_limit:
            await self.reply(op.incoming.target, say(lang, "queue_full", limit=self.settings.bot.queue_limit))
            return
        conv.queue.append(op)
        if busy:
            try:
                op.message = await self.port(op.incoming.target).send(
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
        dropped = list(conv.queue)
        conv.queue.clear()
        for op in dropped:
            if op.message is not None:
                try:
                    await self.port(op.message.target).edit(op.message, say(lang, "cancelled"))
                except Exception:
                    log.warning("could not mark a queued job cancelled", exc_info=True)
        running = conv.running
        if running is None or running.task is None or running.task.done():
            if dropped:
                await self.reply(target, say(lang, "cancelled_queue", count=len(dropped)))
            else:
                await self.reply(target, say(lang, "nothing_to_cancel"))
            return
        running.task.cancel()

    # -- running one operation --------------------------------------------------------------

    async def _run(self, conv: Conversation, op: Operation) -> None:
        incoming = op.incoming
        lang = self.language(conv, incoming)
        owner = incoming.target.user_id
        status = StatusMessage(
            self.port(incoming.target), incoming.target, lang, interval=self.settings.bot.status_interval,
            still_after=self.settings.bot.still_working_interval, message=op.message,
            buttons=[Button(say(lang, "button_cancel"), action="cancel", owner=owner)],
        )
        nemo = self.nemo(conv, lang)
        try:
            await status.start()
            if incoming.command == "new":
                await nemo.new_session()
                await status.finish(say(lang, "new_session"), self.main_buttons(lang, owner))
            elif op.kind is Route.UPLOAD:
                await self._upload(conv, nemo, incoming, status, lang)
            elif op.kind is Route.EXPORT:
                await self._export(conv, nemo, incoming, status, lang)
            else:
                await self._chat(conv, nemo, incoming.text, status, lang)
        except asyncio.CancelledError:
            if self._stopping:  # a shutdown, not /cancel: the render goes on and is resumed on start
                if not conv.render_id:
                    with contextlib.suppress(Exception, asyncio.CancelledError):
                        async with asyncio.timeout(SHUTDOWN_NOTICE_WAIT):
                            await status.finish(say(lang, "interrupted"))
                raise
            await status.finish(say(lang, "cancelled"))
            if conv.render_id:
                await self._cancel_render(conv, nemo)
        except NemoError as exc:
            await status.finish(self.error_text(exc, lang, nemo))
            if nemo.restarted and not isinstance(exc, SessionNotFound):
                await self.reply(incoming.target, say(lang, "error_session_restarted"))
        except Exception:
            log.exception("operation failed in %s", conv.record.key)
            await status.finish(say(lang, "error_internal"))
        finally:
            await status.stop()

    def error_text(self, exc: NemoError, lang: str, nemo: NemoSession | None = None) -> str:
        self.metrics.nemo_errors.labels(error_label(exc)).inc()
        detail = (exc.message or "")[:200]
        if isinstance(exc, NoCredits):
            if self.settings.nemo.token:
                return say(lang, "error_no_credits_registered")
            return say(lang, "error_no_credits", register_url=self._register_url(nemo))
        if isinstance(exc, StreamDropped):
            return say(lang, exc.key)
        return say(lang, exc.key, detail=detail or "?")

    def _register_url(self, nemo: NemoSession | None) -> str:
        base = self.settings.nemo.register_url
        bind = nemo.record.task_id or nemo.record.session_id if nemo else None
        return f"{base}?bind={bind}" if bind else base

    async def _cancel_render(self, conv: Conversation, nemo: NemoSession) -> None:
        render_id, conv.render_id = conv.render_id, None
        if render_id is None:
            return
        self.renders.cancel(render_id)
        try:
            await nemo.client.cancel_render(await nemo.token(), render_id, skill=nemo.skill)
        except NemoError:
            log.warning("render %s: cancel failed", render_id)
        job = await self.store.get_render(render_id)
        if job is not None:
            job.status = "cancelled"
            await self.store.update_render(job)
            await self.store.claim_delivery(render_id)

    # -- upload -----------------------------------------------------------------------------

    async def _upload(self, conv: Conversation, nemo: NemoSession, incoming: Incoming,
                      status: StatusMessage, lang: str) -> None:
        names: list[str] = []
        # a user's file name travels in a multipart header and comes back in messages: made safe once
        attachments = [replace(a, filename=safe_filename(a.filename)) for a in incoming.attachments]
        for attachment in attachments:
            if attachment.url:
                status.set_step(say(lang, "step_uploading", name=attachment.filename[:60]), "upload_video")
                names.extend(await self._upload_one(conv, nemo, attachment))
        streamed = [a for a in attachments if not a.url]
        if streamed:  # in one request: an album is one upload
            label = ", ".join(a.filename for a in streamed)
            status.set_step(say(lang, "step_uploading", name=label[:60]), "upload_video")
            names.extend(await self._upload_streamed(conv, nemo, streamed))
        urls = find_urls(incoming.text)
        refused = link_problem(incoming.text) if urls and not incoming.attachments else None
        if refused:  # checked when the request came in; never ask NEMO to fetch a private address
            await status.finish(say(lang, refused))
            return
        if urls and not incoming.attachments:
            status.set_step(say(lang, "step_uploading", name=urls[0][:60]), "upload_video")
            files = await nemo.call(lambda t, s: nemo.client.upload_urls(t, s, urls, skill=nemo.skill))
            for f in files:
                await self.store.add_upload(conv.record.key, f.filename, f.cdn_url, None)
            names.extend(f.filename for f in files)
        instruction = _instruction_after_upload(incoming.text, bool(incoming.attachments))
        if instruction:
            await self._chat(conv, nemo, instruction, status, lang)
            return
        text = say(lang, "uploaded", names=", ".join(names) or "?")
        await status.finish(_restarted(nemo, lang, text), self.main_buttons(lang, incoming.target.user_id))

    async def _upload_one(self, conv: Conversation, nemo: NemoSession, attachment: Attachment) -> list[str]:
        check_upload(attachment.filename, attachment.size)
        files = None
        if attachment.url:
            try:
                files = await nemo.call(lambda t, s: nemo.client.upload_urls(t, s, [attachment.url or ""], skill=nemo.skill))
            except NemoError as exc:
                if attachment.open is None:
                    raise
                log.info("upload by URL failed (%s); streaming the file instead", exc)
        if files is None:
            if attachment.open is None:
                raise ValueError("attachment has neither a URL nor a way to read it")
            source = UploadSource(attachment.filename, attachment.open, attachment.size, attachment.content_type)
            files = await nemo.call(lambda t, s: nemo.client.upload_files(t, s, [source], skill=nemo.skill))
        for f in files:
            await self.store.add_upload(conv.record.key, f.filename or attachment.filename, f.cdn_url, attachment.size)
        return [f.filename or attachment.filename for f in files] or [attachment.filename]

    async def _upload_streamed(self, conv: Conversation, nemo: NemoSession,
                               attachments: Sequence[Attachment]) -> list[str]:
        """Attachments without a URL, streamed to NEMO in one multipart request."""
        for attachment in attachments:
            check_upload(attachment.filename, attachment.size)
            if attachment.open is None:
                raise ValueError("attachment has neither a URL nor a way to read it")
        sources = [UploadSource(a.filename, a.open, a.size, a.content_type) for a in attachments if a.open]
        files = await nemo.call(lambda t, s: nemo.client.upload_files(t, s, sources, skill=nemo.skill))
        sizes = {a.filename: a.size for a in attachments}
        for f in files:
            await self.store.add_upload(conv.record.key, f.filename, f.cdn_url, sizes.get(f.filename))
        return [f.filename for f in files if f.filename] or [a.filename for a in attachments]

    # -- chat -------------------------------------------------------------------------------

    async def _draft_before(self, conv: Conversation, nemo: NemoSession) -> Draft:
        if conv.record.draft is not None or not conv.record.session_id:
            return Draft.parse(conv.record.draft)
        state = await nemo.call(lambda t, s: nemo.client.state(t, s, skill=nemo.skill))
        return state.draft

    async def _chat(self, conv: Conversation, nemo: NemoSession, text: str, status: StatusMessage, lang: str) -> None:
        await nemo.session_id()
        before = await self._draft_before(conv, nemo)
        status.set_step(say(lang, "step_thinking"), "typing")
        parts: list[str] = []
        latest: Draft | None = None
        owner = status.target.user_id
        try:
            async for event in nemo.chat(text):
                if isinstance(event, Text):
                    parts.append(event.text)
                elif isinstance(event, ToolCall):
                    status.set_step(say(lang, "step_tool", name=event.name[:40] or "edit"))
                elif isinstance(event, StateDelta) and "draft" in event.delta:
                    latest = Draft.parse(event.delta["draft"])
        except StreamDropped as exc:
            log.warning("stream dropped in %s: %s", conv.record.key, exc)
            try:
                after = (await nemo.call(lambda t, s: nemo.client.state(t, s, skill=nemo.skill))).draft
            except NemoError as state_error:  # the message went out: never say "try again" blindly
                log.warning("state after a dropped stream unreadable in %s: %s", conv.record.key, state_error)
                await status.finish(say(lang, "edit_unconfirmed"), self.main_buttons(lang, owner))
                return
            await self._remember(conv, after)
            changes = self._changes(before, after, lang)
            summary = timeline_summary(after)
            key = "dropped_changes" if changes else "dropped_nothing"
            await status.finish(say(lang, key, changes=changes, summary=summary), self.main_buttons(lang, owner))
            return
        reply = "".join(parts).strip()
        if reply and latest is not None:
            reply = _TEMPORARY_ISSUE.sub("", reply).strip() or reply
        if latest is None:
            try:
                latest = (await nemo.call(lambda t, s: nemo.client.state(t, s, skill=nemo.skill))).draft
            except NemoError as state_error:  # the edit is done: keep its reply, never invite a resend
                log.warning("state after an edit unreadable in %s: %s", conv.record.key, state_error)
                if not reply:
                    await status.finish(say(lang, "edit_unconfirmed"), self.main_buttons(lang, owner))
                    return
        if latest is not None:
            await self._remember(conv, latest)
        if reply:
            translated = translate_gui(reply, lang)
            text_out = translated.text
            if translated.show_timeline and latest is not None:
                text_out += "\n" + timeline_summary(latest)
        elif latest is not None:
            changes = self._changes(before, latest, lang)
            key = "silent_changes" if changes else "silent_nothing"
            text_out = say(lang, key, changes=changes, summary=timeline_summary(latest))
        await status.finish(_restarted(nemo, lang, text_out), self.main_buttons(lang, owner))

    def _changes(self, before: Draft, after: Draft, lang: str) -> str:
        return "; ".join(describe_change(lang, c) for c in draft_changes(before, after)[:12])

    async def _remember(self, conv: Conversation, draft: Draft) -> None:
        conv.record.draft = draft.raw
        await self.store.save_conversation(conv.record)

    # -- quick requests ---------------------------------------------------------------------

    async def _quick(self, conv: Conversation, lang: str,
                     action: Callable[[Conversation, NemoSession, str], Awaitable[str]], target: Target) -> None:
        """Answer a quick request where it came from (``target`` keeps the surface's reply details)."""
        nemo = self.nemo(conv, lang)
        try:
            text = _restarted(nemo, lang, await action(conv, nemo, lang))
        except NemoError as exc:
            text = self.error_text(exc, lang, nemo)
        except Exception:
            log.exception("request failed in %s", conv.record.key)
            text = say(lang, "error_internal")
        await self.reply(target, text, self.main_buttons(lang, target.user_id))

    async def _credits(self, conv: Conversation, nemo: NemoSession, lang: str) -> str:
        credits = await nemo.authed(lambda t: nemo.client.credits(t, skill=nemo.skill))
        return say(lang, "credits", available=_number(credits.available), frozen=_number(credits.frozen),
                   total=_number(credits.total))

    async def _status(self, conv: Conversation, nemo: NemoSession, lang: str) -> str:
        if not conv.record.session_id:
            return say(lang, "timeline_empty")
        state = await nemo.call(lambda t, s: nemo.client.state(t, s, skill=nemo.skill))
        if not state.draft.ready:
            return say(lang, "timeline_empty")
        return say(lang, "timeline", summary=timeline_summary(state.draft))

    # -- export -----------------------------------------------------------------------------

    async def _export(self, conv: Conversation, nemo: NemoSession, incoming: Incoming,
                      status: StatusMessage, lang: str) -> None:
        if not conv.record.session_id:
            await status.finish(say(lang, "export_empty"))
            return
        state = await nemo.call(lambda t, s: nemo.client.state(t, s, skill=nemo.skill), retry_on_new_session=False)
        if not state.draft.ready:
            await status.finish(say(lang, "export_empty"))
            return
        status.set_step(say(lang, "step_rendering", progress=0), "upload_video")
        render_id = await nemo.call(
            lambda t, s: nemo.client.submit_render(t, s, state.draft.raw, skill=nemo.skill), retry_on_new_session=False)
        job = RenderJob(
            id=render_id, conversation=conv.record.key, session_id=conv.record.session_id or "",
            skill=nemo.skill, target=incoming.target.to_json(),
            status_message=status.message.to_json() if status.message else None,
            created_at=time.time(), extra={"lang": lang},
        )
        await self.store.add_render(job)
        conv.render_id = render_id

        async def progress(update: RenderStatus) -> None:
            status.set_step(say(lang, "step_rendering", progress=int(update.progress)))
            moved = status.message.to_json() if status.message else None
            if moved != job.status_message:  # the surface moved it (Discord, past the token's life)
                job.status_message = moved
                await self.store.update_render(job)

        self._live_status[render_id] = status
        try:
            await self.renders.wait(job, progress)
        finally:
            self._live_status.pop(render_id, None)
        conv.render_id = None

    async def _deliver(self, job: RenderJob, result: RenderStatus | None, error: NemoError | None) -> None:
        """Hand a finished render to its surface: the link always, the file where it fits."""
        target = job_target(job)
        lang = str(job.extra.get("lang") or self.settings.bot.language)
        ready = self._port_ready.setdefault(target.platform, asyncio.Event())
        async with asyncio.timeout(PORT_WAIT):  # after a restart the surface may still be starting
            await ready.wait()
        port = self.ports[target.platform]
        live = self._live_status.pop(job.id, None)
        if live is not None:
            await live.stop()
        message = live.message if live is not None else job_status_message(job)
        if error is not None or result is None or not result.url:
            text = self.error_text(error, lang) if error else say(lang, "error_render_failed", detail="?")
            await self._finish_message(port, target, message, text, [])
            return
        size = _size_text(result.size)
        key = "export_done_size" if size else "export_done"
        text = say(lang, key, url=result.url, size=size)
        self.metrics.renders.observe(max(time.time() - job.created_at, 0.0))
        await self._finish_message(port, target, message, say(lang, "done", elapsed=_ago(job.created_at)), [])
        await port.deliver(target, text, video_of(result), render_buttons(lang, target.user_id, result.url))

    async def _finish_message(self, port: ChatPort, target: Target, message: MessageRef | None, text: str,
                              buttons: Sequence[Button]) -> None:
        try:
            if message is not None:
                await port.edit(message, text, buttons)
            else:
                await port.send(target, text, buttons)
        except Exception:
            log.warning("could not update the status message", exc_info=True)
            if message is not None:
                await port.send(target, text, buttons)


def _restarted(nemo: NemoSession, lang: str, text: str) -> str:
    """``text``, told first that the timeline restarted when NEMO had lost the session."""
    return say(lang, "error_session_restarted") + "\n\n" + text if nemo.restarted else text


def _instruction_after_upload(text: str, had_attachments: bool) -> str:
    """A caption is the instruction that follows the upload; a bare "upload <url>" is not."""
    text = text.strip()
    if not had_attachments:
        for url in find_urls(text):
            text = text.replace(url, " ")
        text = re.sub(r"^\s*(upload|上传)\b", "", text, flags=re.I).strip(" :,.-")
    return text.strip()


def _number(value: float) -> str:
    return str(int(value)) if value == int(value) else f"{value:.1f}"


def _size_text(size: int | None) -> str:
    if not size:
        return ""
    return f"{size / 1024 / 1024:.1f} MB" if size >= 1024 * 1024 else f"{max(size // 1024, 1)} KB"


def _ago(created_at: float) -> str:
    return elapsed_text(max(time.time() - created_at, 0))
