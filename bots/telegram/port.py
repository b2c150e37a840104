"""The Telegram ``ChatPort``: how the core's messages, status edits and renders reach a chat.

Plain text only (no parse mode: nothing the backend or a user wrote can break the markup); texts over
4096 characters are split. Every call goes through the ``Sender`` (per-chat order, flood waits,
retries). ``Target.extra`` may hold ``reply_to`` (a message id to answer; set in groups so everyone
sees who asked) and ``menu`` (``"modes"``: add the mode buttons, for ``/start``).
"""

from __future__ import annotations

import asyncio
import logging
import tempfile
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any

from telegram import Bot, InlineKeyboardMarkup, InputFile, Message, ReplyParameters
from telegram.constants import ChatAction, MessageLimit
from telegram.error import BadRequest, TelegramError

from core.nemo.limits import MAX_UPLOAD_BYTES
from core.ports import Attachment, Button, MessageRef, Picture, Target, Video, text_then_pictures
from core.settings import TelegramSettings

from .files import CLOUD_DOWNLOAD_LIMIT, MB, Files
from .keyboard import for_chat, has_url_buttons, keyboard
from .pacing import Priority
from .sender import Sender, not_modified, split_text

log = logging.getLogger(__name__)

PLATFORM = "telegram"
ATTACH_SLOTS = 4  # renders downloaded and re-uploaded at once
UPLOAD_WRITE_TIMEOUT = 300.0
_ACTIONS = {"typing": ChatAction.TYPING, "upload_video": ChatAction.UPLOAD_VIDEO}
_GONE = ("message to edit not found", "message can't be edited", "there is no text in the message")


def _reply(target: Target) -> ReplyParameters | None:
    reply_to = target.extra.get("reply_to")
    if not reply_to:
        return None
    return ReplyParameters(int(reply_to), allow_sending_without_reply=True)


class TelegramPort:
    """What the core calls to talk in Telegram chats."""

    platform = PLATFORM
    local = False  # people read on their phones: only links to public hosts open

    def __init__(self, bot: Bot, sender: Sender, files: Files, settings: TelegramSettings) -> None:
        # what a user can send: the cloud Bot API lets a bot download 20 MB; a self-hosted server, more
        self.upload_limit = MAX_UPLOAD_BYTES if settings.local_mode else CLOUD_DOWNLOAD_LIMIT
        self.bot = bot
        self.sender = sender
        self.files = files
        self.settings = settings
        self._attach_slots = asyncio.Semaphore(ATTACH_SLOTS)

    # -- the ChatPort -----------------------------------------------------------------------

    async def send(self, target: Target, text: str, buttons: Sequence[Button] = ()) -> MessageRef:
        modes_for = target.user_id if target.extra.get("menu") == "modes" else None
        parts = split_text(text)
        first: Message | None = None
        for index, part in enumerate(parts):
            last = index == len(parts) - 1
            message = await self._send_text(target, part, buttons if last else (), modes_for if last else None,
                                            reply=index == 0)
            first = first or message
        assert first is not None
        return MessageRef(target, str(first.message_id))

    async def edit(self, message: MessageRef, text: str, buttons: Sequence[Button] = ()) -> MessageRef:
        """Edit in place ("not modified" is success); a message that is gone is sent anew."""
        return await self._edit(message, text, buttons, Priority.URGENT)

    async def edit_progress(self, message: MessageRef, text: str, buttons: Sequence[Button] = ()) -> MessageRef:
        """A status tick: ``edit`` at low priority; raises ``Behind`` rather than queueing."""
        return await self._edit(message, text, buttons, Priority.PROGRESS)

    def pressure(self, target: Target) -> float:
        """How loaded the send budgets this chat depends on are (see ``pacing``)."""
        return self.sender.pacer.pressure(self.sender.chat(int(target.chat_id)))

    async def _edit(self, message: MessageRef, text: str, buttons: Sequence[Button], priority: Priority) -> MessageRef:
        parts = split_text(text)
        target = message.target
        buttons = for_chat(buttons, target.group)
        markup = keyboard(buttons) if len(parts) == 1 else None
        try:
            await self.sender.call(int(target.chat_id), lambda chat: self.bot.edit_message_text(
                parts[0], chat_id=chat, message_id=int(message.id), reply_markup=markup), priority=priority)
        except BadRequest as exc:
            if not_modified(exc):
                pass
            elif any(reason in exc.message.lower() for reason in _GONE):
                log.info("status message %s in %s is gone; sending a new one", message.id, target.chat_id)
                return await self.send(target, text, buttons)
            elif has_url_buttons(buttons) and len(parts) == 1 and "url" in exc.message.lower():
                await self.sender.call(int(target.chat_id), lambda chat: self.bot.edit_message_text(
                    parts[0], chat_id=chat, message_id=int(message.id),
                    reply_markup=keyboard(buttons, with_urls=False)))
            else:
                raise
        for index, part in enumerate(parts[1:], start=2):
            await self._send_text(target, part, buttons if index == len(parts) else (), None, reply=False)
        return message

    async def finish(self, message: MessageRef, text: str, buttons: Sequence[Button] = (),
                     pictures: Sequence[Picture] = ()) -> MessageRef:
        """The answer in place of the status message; a photo cannot take a text message's place, so the
        pictures follow it, without a caption (the answer above is theirs)."""
        return await text_then_pictures(self, message, text, buttons, pictures)

    async def deliver(self, target: Target, text: str, video: Video | None, buttons: Sequence[Button] = (),
                      status: MessageRef | None = None) -> None:
        """The result text in place of the status message (raises if even that fails, so the core
        tries again); then the MP4 itself where it fits. A failed attachment is logged only."""
        if status is not None:
            await self.edit(status, text, buttons)
        else:
            await self.send(target, text, buttons)
        if video is None or not self.settings.attach_video or not video.url:
            return
        try:
            await self._attach(target, video)
        except Exception:
            log.warning("could not attach the render to %s; the link was sent", target.chat_id, exc_info=True)

    async def send_picture(self, target: Target, picture: Picture, caption: str = "",
                           buttons: Sequence[Button] = ()) -> MessageRef:
        """``sendPhoto`` with the caption and buttons under it; a caption over Telegram's 1024 characters
        follows as a text message of its own (with the buttons)."""
        fits = len(caption) <= MessageLimit.CAPTION_LENGTH
        reply_parameters = _reply(target)

        def send(markup: InlineKeyboardMarkup | None) -> Callable[[int], Awaitable[Message]]:
            return lambda chat: self.bot.send_photo(
                chat, InputFile(picture.data, filename=picture.filename), caption=caption if fits else None,
                reply_markup=markup, reply_parameters=reply_parameters)

        sent = await self._with_markup(target, buttons if fits else (), None, send)
        if not fits:
            await self._send_text(target, caption, buttons, None, reply=False)
        return MessageRef(target, str(sent.message_id), {"photo": True})

    def reattach(self, attachment: Attachment) -> Attachment:
        return self.files.reattach(attachment)

    def send_limit(self, target: Target) -> int | None:
        return int(self.settings.upload_limit_mb * MB)

    async def working(self, target: Target, action: str) -> None:
        """A chat action, best effort: skipped while the chat's lane is busy (or waiting out a 429)
        and while every connection is taken (under load the status messages matter more)."""
        chat = int(target.chat_id)
        if self.sender.busy(chat) or self.sender.saturated:
            return
        kind = _ACTIONS.get(action, ChatAction.TYPING)
        try:
            await self.sender.once(lambda chat_id: self.bot.send_chat_action(chat_id, kind), chat)
        except TelegramError as exc:
            log.debug("chat action failed in %s: %s", chat, type(exc).__name__)

    async def notify(self, target: Target, text: str) -> None:
        """A notice for one person. Button presses by others are refused in the callback answer
        before the core sees them (see ``updates``), so this is only a fallback message."""
        await self.send(target, text)

    # -- helpers ----------------------------------------------------------------------------

    async def _send_text(self, target: Target, text: str, buttons: Sequence[Button], modes_for: str | None,
                         *, reply: bool) -> Message:
        reply_parameters = _reply(target) if reply else None

        def send(markup: InlineKeyboardMarkup | None) -> Callable[[int], Awaitable[Message]]:
            return lambda chat: self.bot.send_message(chat, text, reply_markup=markup,
                                                      reply_parameters=reply_parameters)

        return await self._with_markup(target, buttons, modes_for, send)

    async def _with_markup(self, target: Target, buttons: Sequence[Button], modes_for: str | None,
                           send: Callable[[InlineKeyboardMarkup | None], Callable[[int], Awaitable[Message]]],
                           ) -> Message:
        """Send with the buttons' keyboard; without the URL buttons if Telegram refuses them."""
        buttons = for_chat(buttons, target.group)
        try:
            return await self.sender.call(int(target.chat_id), send(keyboard(buttons, modes_for=modes_for)))
        except BadRequest as exc:
            # Telegram refuses URL buttons it cannot open (e.g. a local engine's loopback address);
            # the link is in the text anyway.
            if not has_url_buttons(buttons) or "url" not in exc.message.lower():
                raise
            log.info("URL button refused (%s); sending without it", exc.message)
            return await self.sender.call(int(target.chat_id),
                                          send(keyboard(buttons, modes_for=modes_for, with_urls=False)))

    async def _attach(self, target: Target, video: Video) -> None:
        limit = self.send_limit(target) or 0
        if video.size is not None and video.size > limit:
            log.info("render of %d bytes is over the %g MB upload limit: link only", video.size,
                     self.settings.upload_limit_mb)
            return
        async with self._attach_slots:
            with tempfile.TemporaryDirectory(prefix="nemobot-tg-") as folder:
                path = Path(folder) / f"{video.kind}.{video.extension}"
                size = await self.files.fetch(video.fetch_url, path, limit)
                if not size:
                    return
                await self.working(target, "upload_video")
                await self.sender.call(int(target.chat_id), lambda chat: self._send_video(chat, path, video, target),
                                       tries=1)  # a lost answer to a big upload is not worth a duplicate

    async def _send_video(self, chat: int, path: Path, video: Video, target: Target) -> Message:
        """sendVideo, or sendAnimation / sendAudio / sendPhoto for a GIF, an MP3 or a cover image."""
        duration = int(video.duration) if video.duration else None
        common: dict[str, Any] = {"reply_parameters": _reply(target), "write_timeout": UPLOAD_WRITE_TIMEOUT,
                                  "read_timeout": 60.0}
        if video.kind != "photo":
            common["duration"] = duration
        if video.kind == "video":
            common["supports_streaming"] = True
        if video.poster is not None and video.kind in ("video", "animation"):
            # Telegram takes a thumbnail only as an upload, even in local mode
            common["thumbnail"] = InputFile(video.poster.data, filename=video.poster.filename)
        senders: dict[str, Callable[..., Awaitable[Message]]] = {
            "animation": self.bot.send_animation, "audio": self.bot.send_audio, "photo": self.bot.send_photo}
        send = senders.get(video.kind, self.bot.send_video)
        if self.settings.local_mode:  # the Bot API server reads the file from our disk
            return await send(chat, path, **common)
        fh = await asyncio.to_thread(path.open, "rb")
        try:  # streamed from the open file by httpx, not read into memory
            return await send(chat, InputFile(fh, filename=path.name, read_file_handle=False), **common)
        finally:
            await asyncio.to_thread(fh.close)
