"""From Telegram updates to the core's ``Incoming``: messages, commands, albums, button presses.

PTB calls the handlers one update at a time; they only decide what an update means and put the work
in the conversation's lane (``Lanes``), so they return at once. Button presses are answered at once
too: the owner check happens here, so a refusal *is* the callback answer (an alert only the presser
sees) and the core never sees a press that is not the owner's.

Groups: the bot reacts to commands (``/cmd`` or ``/cmd@thisbot``), to mentions of it and to replies to
its messages, and ignores other chatter; each person has their own conversation (``Target.group``).
Chats outside ``allowed_chats`` get one short refusal in private chats (at most every 10 minutes) and
silence in groups.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from dataclasses import dataclass, replace
from typing import Any

from telegram import Bot, BotCommand, CallbackQuery, Chat, Message, MessageEntity, Update
from telegram.constants import ChatType
from telegram.error import TelegramError
from telegram.ext import Application, CallbackQueryHandler, ContextTypes, MessageHandler, filters

from core.conversation import Core
from core.i18n import pick_language, say
from core.ports import Incoming, Target
from core.settings import Settings

from .albums import ALBUM_WINDOW, Albums
from .files import Files, Media, media_of
from .keyboard import MODE, Press, parse_press
from .lanes import Lanes
from .port import PLATFORM, TelegramPort
from .sender import Sender
from .texts import COMMANDS
from .webhook import Receipts

log = logging.getLogger(__name__)

ALLOWED_UPDATES = ["message", "callback_query"]
REFUSAL_EVERY = 600.0  # seconds between two refusals to the same chat outside the allowlist
ANSWER_FIRST = 5.0  # seconds a press waits for its callback answer before it goes to the core

Job = Callable[[], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class Me:
    id: int
    username: str


def is_group(chat: Chat) -> bool:
    return chat.type in (ChatType.GROUP, ChatType.SUPERGROUP)


def _text_and_entities(message: Message) -> tuple[str, dict[MessageEntity, str]]:
    if message.text is not None:
        return message.text, message.parse_entities()
    return message.caption or "", message.parse_caption_entities()


def command_of(message: Message, me: Me) -> tuple[str, str] | None:
    """``(command, args)`` when the text (or caption) starts with a command for this bot.
    A command for another bot (``/start@otherbot``) gives ``("", "")``."""
    text, entities = _text_and_entities(message)
    head = next((e for e in entities if e.type == MessageEntity.BOT_COMMAND and e.offset == 0), None)
    if head is None or not text.startswith("/"):
        return None
    name, _, bot = entities[head][1:].partition("@")
    if bot and bot.lower() != me.username.lower():
        return "", ""
    args = text[len(entities[head]):].strip()
    return name.lower(), args


def addressed(message: Message, me: Me) -> bool:
    """In a group: a command, a mention of the bot, or a reply to one of its messages."""
    replied = message.reply_to_message
    if replied is not None and replied.from_user is not None and replied.from_user.id == me.id:
        return True
    command = command_of(message, me)
    if command is not None:
        return bool(command[0])
    text, entities = _text_and_entities(message)
    for entity, value in entities.items():
        if entity.type == MessageEntity.MENTION and value.lower() == f"@{me.username.lower()}":
            return True
        if entity.type == MessageEntity.TEXT_MENTION and entity.user is not None and entity.user.id == me.id:
            return True
    return f"@{me.username.lower()}" in text.lower()


def clean_text(message: Message, me: Me) -> str:
    """The text or caption without mentions of the bot."""
    text, _ = _text_and_entities(message)
    return re.sub(rf"@{re.escape(me.username)}\b", " ", text, flags=re.IGNORECASE).strip()


@dataclass(frozen=True, slots=True)
class Request:
    """What a message (or an album) asks for, before any I/O."""

    target: Target
    locale: str | None
    message_id: int
    text: str = ""
    command: str | None = None
    args: str = ""
    media: tuple[Media, ...] = ()
    order: int | None = None  # the update_id of its (first) message: Telegram's order of a bot's updates


def read_messages(messages: Sequence[Message], me: Me, order: int | None = None) -> Request | None:
    """The request in one message or one album (``order``: its update_id); None when the bot should stay quiet."""
    first = messages[0]
    user = first.from_user
    if user is None or user.is_bot:
        return None
    group = is_group(first.chat)
    if group and not any(addressed(m, me) for m in messages):
        return None
    extra: dict[str, object] = {"reply_to": first.message_id} if group else {}
    command: tuple[str, str] | None = None
    text = ""
    for message in messages:
        command = command_of(message, me)
        if command is not None:
            break
        text = text or clean_text(message, me)
    if command is not None and not command[0]:
        return None  # a command for another bot
    if command is not None and command[0] == "start":
        extra["menu"] = "modes"
    target = Target(PLATFORM, str(first.chat.id), str(user.id), group=group, extra=extra)
    media = tuple(m for m in (media_of(message) for message in messages) if m is not None)
    if command is not None:
        return Request(target, user.language_code, first.message_id, command=command[0], args=command[1],
                       media=media, order=order)
    return Request(target, user.language_code, first.message_id, text=text, media=media, order=order)


class TelegramSurface:
    """Owns the port and the handlers of one PTB ``Application``."""

    def __init__(self, app: Application, core: Core, settings: Settings, port: TelegramPort, files: Files,
                 sender: Sender, *, album_window: float = ALBUM_WINDOW) -> None:
        self.app = app
        self.core = core
        self.settings = settings
        self.port = port
        self.files = files
        self.sender = sender
        self.lanes = Lanes()
        self.albums = Albums(self._album, album_window)
        self._refused: dict[int, float] = {}
        self._update_ids: dict[tuple[int, int], int] = {}  # (chat, message) -> update_id, until handled
        self._tasks: set[asyncio.Task[None]] = set()
        self.receipts: Receipts | None = None
        """Webhook mode: the updates handed to a lane are held there until their work is done."""

    @property
    def bot(self) -> Bot:
        return self.app.bot

    @property
    def me(self) -> Me:
        return Me(self.bot.id, self.bot.username)

    def install(self) -> None:
        self.app.add_handler(CallbackQueryHandler(self.on_button))
        self.app.add_handler(MessageHandler(filters.UpdateType.MESSAGE, self.on_message))
        self.app.add_error_handler(self.on_error)

    async def set_commands(self) -> None:
        """The command menu in English (the default) and Chinese."""
        for lang, code in (("en", None), ("zh", "zh")):
            commands = [BotCommand(name, say(lang, f"tg_cmd_{name}")) for name in COMMANDS]
            def set_menu(_: int, commands: list[BotCommand] = commands, code: str | None = code) -> Awaitable[bool]:
                return self.bot.set_my_commands(commands, language_code=code)

            try:
                await self.sender.retrying(set_menu)
            except TelegramError as exc:
                log.warning("setMyCommands (%s) failed: %s", lang, exc.message)

    async def drain(self, timeout: float = 10.0) -> None:
        self.albums.close()
        await self.lanes.drain(timeout)
        if self._tasks:
            await asyncio.wait(list(self._tasks), timeout=timeout)

    async def aclose(self) -> None:
        self.albums.close()
        await self.lanes.aclose()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self.files.aclose()

    def allowed(self, chat_id: int) -> bool:
        allowed = self.settings.telegram.allowed_chats
        return not allowed or chat_id in allowed

    # -- messages ---------------------------------------------------------------------------

    async def on_message(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.message
        if message is None:
            return
        if not self.allowed(message.chat.id):
            self._refuse(message)
            return
        self._update_ids[(message.chat.id, message.message_id)] = update.update_id
        if self.receipts is not None:
            self.receipts.hold(update.update_id)
        if message.media_group_id:
            self.albums.add(message)
            return
        self.albums.flush_chat(message.chat.id)
        self._take([message])

    def _album(self, messages: list[Message]) -> None:
        self._take(messages)

    def _take(self, messages: Sequence[Message]) -> None:
        ids = [self._update_ids.pop((m.chat.id, m.message_id), None) for m in messages]
        request = read_messages(messages, self.me, min((i for i in ids if i is not None), default=None))
        if request is None:
            self._release(ids)
            return
        self._submit(request.target, lambda: self._handle(request), request.order, ids)

    async def _handle(self, request: Request) -> None:
        target = request.target
        too_big = next((m for m in request.media if self.files.too_big_for_cloud(m)), None)
        if too_big is not None:
            lang = await self.core.language_for(target, request.locale)
            text = say(lang, "tg_file_too_big", name=too_big.filename[:80], size=too_big.megabytes)
            await self._say(target, text)
            return
        attachments = [self.files.attachment(m) for m in request.media]
        await self.core.handle(Incoming(target, request.text, command=request.command, args=request.args,
                                        attachments=attachments, locale=request.locale, order=request.order))
        if request.command == "token" and request.args:
            await self._delete(target, request.message_id)  # a secret should not stay in the chat

    async def _delete(self, target: Target, message_id: int) -> None:
        try:
            await self.sender.call(int(target.chat_id), lambda chat: self.bot.delete_message(chat, message_id))
        except TelegramError as exc:  # e.g. no right to delete in a group
            log.info("could not delete message %s in %s: %s", message_id, target.chat_id, exc.message)

    def _submit(self, target: Target, job: Job, order: int | None = None, updates: Sequence[int | None] = ()) -> None:
        """``job`` into the conversation's lane; the ``updates`` it handles (held; the request in the
        surface's ``order``) are done once its job is noted, or when it is over (not when it is cancelled:
        a stopping process leaves them to be taken over)."""
        if self.receipts is not None:
            self.receipts.handing(target.conversation, order, updates)

        async def guarded() -> None:
            try:
                await job()
            except Exception:
                log.exception("handling a Telegram update for %s failed", target.conversation)
                await self._tell_internal(target)
            if self.receipts is not None:
                await self.receipts.finished(target.conversation, order, updates)

        self.lanes.submit(target.conversation, guarded)

    def _release(self, updates: Sequence[int | None]) -> None:
        if self.receipts is not None and updates:
            self._background(self.receipts.release(updates))

    async def _say(self, target: Target, text: str) -> None:
        """Our own texts go out like the core's: through the port as registered (it redacts)."""
        port = self.core.ports.get(PLATFORM, self.port)
        await port.send(target, text)

    async def _tell_internal(self, target: Target) -> None:
        try:
            lang = await self.core.language_for(target)
            await self._say(target, say(lang, "error_internal"))
        except Exception:
            log.warning("could not report an internal error to %s", target.conversation, exc_info=True)

    def _refuse(self, message: Message) -> None:
        chat = message.chat
        if is_group(chat) or chat.type != ChatType.PRIVATE:
            return  # silence in groups and channels
        now = time.monotonic()
        if now - self._refused.get(chat.id, -REFUSAL_EVERY) < REFUSAL_EVERY:
            return
        if len(self._refused) > 10_000:  # strangers come and go: forget the old ones
            self._refused = {c: t for c, t in self._refused.items() if now - t < REFUSAL_EVERY}
        self._refused[chat.id] = now
        user = message.from_user
        lang = pick_language(user.language_code if user else None, self.settings.bot.language)
        target = Target(PLATFORM, str(chat.id), str(user.id if user else chat.id))
        log.info("refused chat %s (not in allowed_chats)", chat.id)
        text = say(lang, "tg_not_allowed")

        async def refuse() -> None:
            await self._say(target, text)

        self._submit(target, refuse)

    # -- button presses ---------------------------------------------------------------------

    async def on_button(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        if query is None:
            return
        user = query.from_user
        locale = user.language_code
        chat = query.message.chat if query.message is not None else None
        press = parse_press(query.data)
        if chat is None:
            self._background(self._answer(query, None, locale, "stale_button"))
            return
        if not self.allowed(chat.id):
            self._background(self._answer(query, None, locale, "tg_not_allowed", alert=True))
            return
        group = is_group(chat)
        assert query.message is not None
        extra = {"reply_to": query.message.message_id} if group else {}
        target = Target(PLATFORM, str(chat.id), str(user.id), group=group, extra=extra)
        if press is None:
            self._background(self._answer(query, target, locale, "stale_button"))
            return
        if press.owner and press.owner != str(user.id):
            self._background(self._answer(query, target, locale, "not_yours", alert=True))
            return
        answered = self._background(self._answer(query, target, locale, None))
        incoming = replace(self._pressed(target, press, locale), order=update.update_id)
        if self.receipts is not None:
            self.receipts.hold(update.update_id)

        async def forward() -> None:
            await asyncio.wait([answered], timeout=ANSWER_FIRST)
            await self.core.handle(incoming)

        self._submit(target, forward, update.update_id, [update.update_id])

    @staticmethod
    def _pressed(target: Target, press: Press, locale: str | None) -> Incoming:
        if press.kind == MODE:
            return Incoming(target, command="mode", args=press.value, locale=locale)
        return Incoming(target, button=press.value, button_owner=press.owner or None, locale=locale)

    async def _answer(self, query: CallbackQuery, target: Target | None, locale: str | None, key: str | None,
                      *, alert: bool = False) -> None:
        """Answer the press; with ``key``, the text of that key (in the presser's language)."""
        text = None
        if key is not None:
            if target is not None and key != "tg_not_allowed":
                lang = await self.core.language_for(target, locale)
            else:
                lang = pick_language(locale, self.settings.bot.language)
            text = say(lang, key)
        try:  # the press expires after ~15 s: a short budget for flood waits
            await self.sender.retrying(lambda _: query.answer(text, show_alert=alert), flood_budget=8.0)
        except TelegramError as exc:
            log.info("could not answer a button press: %s", exc.message)

    def _background(self, coro: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
        task = asyncio.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    # -- errors -----------------------------------------------------------------------------

    async def on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        """PTB's error handler: log (the logging layer redacts tokens) and tell the user."""
        log.error("error while handling a Telegram update", exc_info=context.error)
        if not isinstance(update, Update) or update.effective_chat is None or update.effective_user is None:
            return
        chat = update.effective_chat
        if not self.allowed(chat.id):
            return
        target = Target(PLATFORM, str(chat.id), str(update.effective_user.id), group=is_group(chat))
        self._background(self._tell_internal(target))


