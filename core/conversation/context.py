"""What every part of the conversation core shares: settings, the store, NEMO, the surfaces,
the conversations, and the ways to answer a user (reply, notify, buttons, error texts)."""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import socket
import time
from collections.abc import Sequence
from typing import Protocol

from core.i18n import LANGUAGES, detect_language, pick_language, say
from core.inside_links import InsideLinks
from core.locks import KeyedLocks
from core.metrics import Metrics, error_label
from core.nemo.client import NemoClient
from core.nemo.errors import NemoError, NoCredits, StreamDropped
from core.nemo.limits import MAX_UPLOAD_BYTES
from core.nemo.session import NemoSession, Tokens
from core.ports import Button, ChatPort, Incoming, Target
from core.quotas import Quotas
from core.routing import instruction_after_upload
from core.secrets import Redactor
from core.settings import Settings, settings_secrets
from core.skills import skill_or_default
from core.store.base import ConversationRecord, Store, UpdateRecord

from .jobs import payload_of
from .pictures import ConversationPictures
from .previews import ConversationPreviews
from .ready import ReadyNotices
from .state import Conversation, Operation

log = logging.getLogger(__name__)


class UpdateReceipts(Protocol):
    """A surface whose updates are noted in the store as they come in (a webhook's), until handled."""

    async def feed(self, updates: list[UpdateRecord]) -> None:
        """Handle ``updates``, taken over from a process that stopped before it handled them."""
        ...

    def updates_of(self, incoming: Incoming) -> list[int]:
        """The update(s) ``incoming`` came in and still held here: its job row is noted with them done."""
        ...

    def handed_on(self, incoming: Incoming) -> None:
        """``incoming``'s work is stored as a job, its updates done with it (taken over as well, they would
        run it twice): they are no longer held here."""
        ...


class Context:
    """The shared services; ``Core`` is one, and each part of the work takes the one it runs in."""

    def __init__(self, settings: Settings, store: Store, client: NemoClient,
                 inside: InsideLinks | None = None) -> None:
        self.settings = settings
        self.store = store
        self.client = client
        self.inside = inside or InsideLinks(settings.nemo.public_base_url, settings.nemo.base_url)
        """The engine's file links as the bot itself fetches them (renders, uploads, pictures)."""
        token = settings.nemo.token.get_secret_value() if settings.nemo.token else None
        self.tokens = Tokens(client, store, token, renew_margin=settings.nemo.token_renew_margin)
        self.redactor = Redactor(settings_secrets(settings))
        self.ports: dict[str, ChatPort] = {}
        self.port_ready: dict[str, asyncio.Event] = {}
        self.update_receipts: dict[str, UpdateReceipts] = {}
        self.conversations: dict[str, Conversation] = {}
        self._locks = KeyedLocks()
        self.metrics = Metrics()
        self.quotas = Quotas(store, settings.bot)
        self.pictures = ConversationPictures(self)
        self.previews = ConversationPreviews(self)
        self.ready = ReadyNotices(self)
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"
        """This process, among the bot processes that may share the store."""

    async def conversation(self, target: Target) -> Conversation:
        key = target.conversation
        async with self._locks(key):
            conv = self.conversations.get(key)
            if conv is None:
                record = await self.store.get_conversation(key) or ConversationRecord(
                    key=key, platform=target.platform, chat_id=target.chat_id, user_id=target.user_id
                )
                conv = self.conversations[key] = Conversation(record)
            conv.touched = time.monotonic()
            return conv

    def forget_idle(self, idle: float) -> int:
        """Drop from memory the conversations nothing has looked up for ``idle`` seconds and that have no
        work here (their record is in the store, read again when the user comes back); how many. An open
        bot meets thousands of users: without this its memory grows with every one."""
        now = time.monotonic()
        gone = 0
        for key, conv in list(self.conversations.items()):
            lock = self._locks.get(key)
            if conv.busy or now - conv.touched < idle or (lock is not None and lock.locked()):
                continue
            del self.conversations[key]
            gone += 1
        return gone

    def updates_of(self, incoming: Incoming) -> list[tuple[str, int]]:
        """The updates ``incoming`` came in, as ``(platform, update_id)``, for its job row to be noted with."""
        platform = incoming.target.platform
        receipts = self.update_receipts.get(platform)
        return [(platform, update_id) for update_id in receipts.updates_of(incoming)] if receipts else []

    def handed_on(self, incoming: Incoming) -> None:
        """``incoming`` is noted as a job (``UpdateReceipts.handed_on``)."""
        receipts = self.update_receipts.get(incoming.target.platform)
        if receipts is not None:
            receipts.handed_on(incoming)

    async def record_job(self, op: Operation) -> None:
        """Keep ``op``'s stage and payload on its job row, for a process that takes it over."""
        if op.job_id is None:
            return
        try:
            await self.store.save_job(op.job_id, op.stage, payload_of(op))
        except Exception:  # taken over, it would run again from the stage before
            log.warning("could not record job %s at %r", op.job_id, op.stage, exc_info=True)

    async def job_stage(self, conv: Conversation, stage: str) -> None:
        """The running job of ``conv`` gets to ``stage`` (``jobs``): recorded before the step it names."""
        op = conv.running
        if op is not None:
            op.stage = stage
            await self.record_job(op)

    def language(self, conv: Conversation, incoming: Incoming | None = None) -> str:
        """The conversation's language: chosen with /lang; else, for words, the client's locale or
        the language they are written in; for an action without words (a press, a file alone), the
        language of the user's last words (so a Discord user who writes Chinese in DMs from an English
        client, whose presses alone carry that locale, stays in Chinese); else the configured default."""
        if conv.record.language in LANGUAGES:
            return conv.record.language  # type: ignore[return-value]
        locale = pick_language(incoming.locale if incoming else None, "")
        worded = incoming is not None and words_language(incoming) is not None
        if locale in LANGUAGES and (worded or conv.record.written_language is None):
            return locale
        return conv.record.written_language or (locale if locale in LANGUAGES else self.settings.bot.language)

    def skill(self, conv: Conversation) -> str:
        return skill_or_default(conv.record.mode or self.settings.bot.mode).source

    def nemo(self, conv: Conversation, lang: str) -> NemoSession:
        return NemoSession(
            self.client, self.tokens, self.store, conv.record, skill=self.skill(conv), language=lang,
            rate_limit_wait=self.settings.nemo.rate_limit_wait,
        )

    def port(self, target: Target) -> ChatPort:
        return self.ports[target.platform]

    def upload_limit(self, target: Target) -> int:
        """The largest file a person can send through the target's surface (and the backend takes)."""
        port = self.port(target)
        receive_limit = getattr(port, "receive_limit", None)  # a surface whose limit is per chat (Discord)
        limit = receive_limit(target) if receive_limit is not None else getattr(port, "upload_limit", MAX_UPLOAD_BYTES)
        return min(limit, MAX_UPLOAD_BYTES)

    async def reply(self, target: Target, text: str, buttons: Sequence[Button] = ()) -> None:
        try:
            await self.port(target).send(target, text, buttons)
        except Exception:
            log.warning("could not send a message to %s", target.conversation, exc_info=True)

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

    def main_buttons(self, lang: str, owner: str) -> list[Button]:
        return [Button(say(lang, "button_export"), action="export", owner=owner),
                Button(say(lang, "button_status"), action="status", owner=owner),
                Button(say(lang, "button_credits"), action="credits", owner=owner),
                *self.previews.button(lang, owner)]

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


def restarted(nemo: NemoSession, lang: str, text: str) -> str:
    """``text``, told first that the timeline restarted when NEMO had lost the session."""
    return say(lang, "error_session_restarted") + "\n\n" + text if nemo.restarted else text


def words_language(incoming: Incoming) -> str | None:
    """The language of the words in a user's action (``None`` for a press, a file alone, a bare link)."""
    command = (incoming.command or "").lower().lstrip("/")
    written = incoming.args if command == "edit" else "" if command else incoming.text
    return detect_language(instruction_after_upload(written, bool(incoming.attachments)))
