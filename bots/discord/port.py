"""The Discord ``ChatPort``: how the core's messages become interaction responses and messages.

* The first message for a deferred interaction fills its original response (the "thinking…"
  message); later ones are follow-ups. Both are edited with the interaction token.
* Shortly before the token runs out (``interaction_lifetime`` minus a margin), ``edit`` moves the
  status message to a new channel message sent with the bot token (a DM when the channel is out of
  reach) and returns its reference; the old response says where it went.
* A finished export is one message: the status message becomes the result with the MP4 attached (an
  edit carries files); once it can no longer be edited so, the file goes with the moved message.
* Everything needed is in ``Target.extra`` / ``MessageRef.extra``, so a restarted bot can still
  edit and deliver: with the token while it lives, with the bot token afterwards.
* Bot-token requests go through one token bucket, under Discord's 50 requests/s global limit.
"""

from __future__ import annotations

import asyncio
import io
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import urlparse

import aiohttp
import discord

from bots.discord import texts as _texts  # noqa: F401  (registers the front-end's texts)
from bots.discord.buttons import build_view
from bots.discord.files import DownloadError, download
from bots.discord.targets import (
    CHANNEL,
    HOOK,
    PLATFORM,
    channel_ref,
    hook_ref,
    hook_usable,
    switch_margin,
    upload_limit,
)
from core.i18n import say
from core.ports import Button, MessageRef, Picture, Target, Video, text_then_pictures
from core.settings import DiscordSettings
from core.sizes import megabytes

if TYPE_CHECKING:
    from core.conversation import Core

log = logging.getLogger(__name__)
T = TypeVar("T")
MAX_CONTENT = 2000
TYPING_EVERY = 8.0  # Discord shows "typing" for about 10 s
GLOBAL_RATE = 40.0  # bot-token requests a second (Discord's global limit is 50)
GLOBAL_BURST = 5  # so that no second, however it is cut, holds more than 45 (a full bucket of 40 would allow 80)
TOKEN_ERRORS = (401, 404)  # the interaction token is no longer accepted (expired, unknown webhook)


async def run_to_end(call: Awaitable[T]) -> T:
    """A webhook call that is not cut short when its caller is cancelled (a status tick stopped by
    the result). discord.py's webhook adapter holds a lock per interaction token and, when Discord
    says the bucket is spent (``X-RateLimit-Remaining: 0``), sleeps before releasing it; cancelled
    in that sleep it never releases it, and every later call with that token hangs. So the call
    runs to its end in a task of its own, and the caller alone is cancelled."""
    task = asyncio.ensure_future(call)
    task.add_done_callback(_retrieve)
    return await asyncio.shield(task)


def _retrieve(task: asyncio.Future[Any]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.debug("a webhook call whose caller had gone failed: %r", task.exception())


def fit(text: str) -> str:
    """Discord's 2000-character limit for a message's content."""
    return text if len(text) <= MAX_CONTENT else text[: MAX_CONTENT - 1] + "…"


FileMaker = Callable[[], discord.File]  # a discord.File is spent once sent: a retry needs a new one


def picture_file(picture: Picture) -> FileMaker:
    return lambda: discord.File(io.BytesIO(picture.data), filename=picture.filename)


def path_file(path: Path, filename: str) -> FileMaker:
    return lambda: discord.File(path, filename=filename)


def poster_embed(picture: Picture, title: str, url: str) -> discord.Embed:
    """A link-only result still shows its video: the poster frame as the embed's image."""
    embed = discord.Embed(title=title[:256], url=url)
    embed.set_image(url=f"attachment://{picture.filename}")
    return embed


def _mb(size: int) -> str:
    return f"{megabytes(size)} MB"


class RateLimiter:
    """A token bucket: at most ``rate`` acquisitions a second, bursts up to ``burst``."""

    def __init__(self, rate: float, burst: int | None = None) -> None:
        self.rate = rate
        self.burst = float(burst or max(int(rate), 1))
        self._tokens = self.burst
        self._last = time.monotonic()
        self._lock = asyncio.Lock()

    async def acquire(self) -> None:
        async with self._lock:
            now = time.monotonic()
            self._tokens = min(self.burst, self._tokens + (now - self._last) * self.rate)
            self._last = now
            if self._tokens >= 1:
                self._tokens -= 1
                return
            await asyncio.sleep((1 - self._tokens) / self.rate)
            self._tokens = 0.0
            self._last = time.monotonic()


class DiscordPort:
    """What the core asks of Discord; one per client."""

    platform = PLATFORM
    local = False  # people read on their own devices: only links to public hosts open

    def __init__(self, client: discord.Client, core: Core, settings: DiscordSettings) -> None:
        self.client = client
        self.core = core
        self.lifetime = settings.interaction_lifetime
        self.attach_video = settings.attach_video
        self.session: aiohttp.ClientSession | None = None  # set by the client once it runs
        self.limiter = RateLimiter(GLOBAL_RATE, GLOBAL_BURST)
        self._pending: dict[str, float] = {}  # interaction id -> token end: deferred, original not filled yet
        self._typing: dict[str, float] = {}  # channel id -> when "typing" was last sent

    # -- interaction bookkeeping (called by the client) ------------------------------------

    def expect_original(self, target: Target) -> None:
        """The interaction was deferred: its original response waits for the first message."""
        iid = str(target.extra.get("iid") or "")
        if not iid or not target.extra.get("original"):
            return
        now = time.time()
        if len(self._pending) > 1000:
            self._pending = {k: v for k, v in self._pending.items() if v > now}
        self._pending[iid] = float(target.extra.get("created") or now) + self.lifetime

    def original_pending(self, target: Target) -> bool:
        return str(target.extra.get("iid") or "") in self._pending

    async def close_original(self, target: Target, text: str) -> None:
        """Fill the original response if nothing did (a /cancel that stopped a running job)."""
        if self.original_pending(target):
            await self.send(target, text)

    def _hook(self, target: Target) -> discord.Webhook:
        hook = discord.Webhook.partial(int(target.extra["app"]), str(target.extra["token"]), client=self.client)
        hook.type = discord.WebhookType.application  # an interaction webhook: ephemeral messages allowed
        return hook

    def _hook_usable(self, target: Target) -> bool:
        return hook_usable(target, self.lifetime)

    # -- ChatPort ---------------------------------------------------------------------------

    async def send(self, target: Target, text: str, buttons: Sequence[Button] = ()) -> MessageRef:
        content, view = fit(text), build_view(buttons)
        if self._hook_usable(target):
            hook = self._hook(target)
            original = target.extra.get("original")
            if original and self._pending.pop(str(target.extra.get("iid")), None) is not None:
                try:
                    await run_to_end(hook.edit_message(int(original), content=content, view=view))
                    return hook_ref(target, original)
                except discord.HTTPException as exc:
                    if exc.status not in TOKEN_ERRORS:
                        raise
            else:
                try:
                    message = await run_to_end(hook.send(
                        content, view=view if view is not None else discord.utils.MISSING, wait=True))
                    return hook_ref(target, message.id)
                except discord.HTTPException as exc:
                    if exc.status not in TOKEN_ERRORS:
                        raise
        return await self._post(target, content, view)

    async def edit(self, message: MessageRef, text: str, buttons: Sequence[Button] = ()) -> MessageRef:
        content, view = fit(text), build_view(buttons)
        target = message.target
        kind = message.extra.get("kind")
        if kind == HOOK:
            if self._hook_usable(target):
                try:
                    await run_to_end(self._hook(target).edit_message(int(message.id), content=content, view=view))
                    return message
                except discord.HTTPException as exc:
                    if exc.status not in TOKEN_ERRORS:
                        raise
            return await self._move(message, content, view)
        if kind == CHANNEL:
            channel_id = int(message.extra.get("channel") or target.chat_id)
            partial = self.client.get_partial_messageable(channel_id).get_partial_message(int(message.id))
            await self.limiter.acquire()
            try:
                await partial.edit(content=content, view=view)
                return message
            except discord.NotFound:  # deleted by someone: carry on in a new message
                return await self._post(target, content, view)
        raise ValueError(f"not a Discord message reference: {kind!r}")

    def send_limit(self, target: Target) -> int | None:
        return upload_limit(target)

    def receive_limit(self, target: Target) -> int:
        """What the person can attach here: the interaction's ``attachment_size_limit`` (10 MiB by default,
        more in boosted servers or with Nitro), the same cap Discord puts on the bot's own files."""
        return upload_limit(target)

    async def finish(self, message: MessageRef, text: str, buttons: Sequence[Button] = (),
                     pictures: Sequence[Picture] = ()) -> MessageRef:
        """The answer in place of the status message, the pictures attached to it (an edit carries files);
        a message that can no longer be edited gets the answer as ``edit`` does, the pictures under it."""
        files = [picture_file(picture) for picture in pictures]
        if files and await self._edit_with_files(message, fit(text), build_view(buttons), files):
            return message
        return await text_then_pictures(self, message, text, buttons, pictures)

    async def deliver(self, target: Target, text: str, video: Video | None, buttons: Sequence[Button] = (),
                      status: MessageRef | None = None) -> None:
        """The result in one message: the status message becomes the result text and buttons with the MP4
        attached (the poster and its embed when only the link goes); with no status message, a new one."""
        limit = upload_limit(target)
        path: Path | None = None
        too_big = False
        if video is not None and self.attach_video and video.url:
            if video.size is not None and video.size > limit:
                too_big = True
            else:
                try:
                    path = await download(self._session(), video.fetch_url, limit)
                    too_big = path is None
                except (DownloadError, aiohttp.ClientError, TimeoutError) as exc:
                    log.warning("could not fetch the render to attach it: %s", type(exc).__name__)
        if too_big:
            lang = await self._language(target)
            text = f"{text}\n{say(lang, 'discord_link_only', limit=_mb(limit))}"
        filename = (PurePosixPath(urlparse(video.url).path).name if video is not None else "") or "video.mp4"
        attachments: list[tuple[FileMaker, discord.Embed | None]] = []
        if path is not None:
            attachments.append((path_file(path, filename), None))
        if video is not None and video.poster is not None:
            attachments.append((picture_file(video.poster), poster_embed(video.poster, filename, video.url)))
        try:
            await self._result(target, status, fit(text), buttons, attachments)
        finally:
            if path is not None:
                path.unlink(missing_ok=True)

    async def send_picture(self, target: Target, picture: Picture, caption: str = "",
                           buttons: Sequence[Button] = ()) -> MessageRef:
        """The picture attached to a message whose content is the caption (a deferred interaction's
        "thinking…" response becomes that message)."""
        content, view = fit(caption), build_view(buttons)
        make = picture_file(picture)
        if self._hook_usable(target):
            hook = self._hook(target)
            original = target.extra.get("original")
            try:
                if original and self._pending.pop(str(target.extra.get("iid")), None) is not None:
                    await run_to_end(hook.edit_message(int(original), content=content, attachments=[make()], view=view))
                    return hook_ref(target, original)
                message = await run_to_end(hook.send(
                    content, file=make(), view=view if view is not None else discord.utils.MISSING, wait=True))
                return hook_ref(target, message.id)
            except discord.HTTPException as exc:
                if exc.status not in TOKEN_ERRORS:
                    raise
        return await self._post(target, content, view, make)

    async def working(self, target: Target, action: str) -> None:
        """"typing" in DMs and mention replies; interactions show their own status message."""
        if target.extra.get("token"):
            return
        channel = str(target.extra.get("channel") or target.chat_id)
        now = time.monotonic()
        if now - self._typing.get(channel, 0.0) < TYPING_EVERY:
            return
        if len(self._typing) > 1000:
            self._typing = {k: v for k, v in self._typing.items() if now - v < TYPING_EVERY}
        self._typing[channel] = now
        await self.limiter.acquire()
        await self.client.http.send_typing(int(channel))

    async def notify(self, target: Target, text: str) -> None:
        """A refusal only the requester sees: an ephemeral follow-up, or a DM without a token."""
        content = fit(text)
        if self._hook_usable(target):
            hook = self._hook(target)
            original = target.extra.get("original")
            if original and self._pending.pop(str(target.extra.get("iid")), None) is not None:
                try:  # the public "thinking…" message would otherwise take the refusal's place
                    await run_to_end(hook.delete_message(int(original)))
                except discord.HTTPException:
                    log.debug("could not delete the deferred response", exc_info=True)
            try:
                await run_to_end(hook.send(content, ephemeral=True, wait=True))
                return
            except discord.HTTPException as exc:
                if exc.status not in TOKEN_ERRORS:
                    raise
        await self.limiter.acquire()
        channel = await self.client.create_dm(discord.Object(int(target.user_id)))
        await self.limiter.acquire()
        await channel.send(content)

    # -- helpers ----------------------------------------------------------------------------

    def _session(self) -> aiohttp.ClientSession:
        if self.session is None or self.session.closed:
            raise RuntimeError("the Discord client is not running")
        return self.session

    async def _language(self, target: Target) -> str:
        return await self.core.language_for(target, target.extra.get("locale"))

    async def _post(self, target: Target, content: str, view: discord.ui.View | None = None,
                    file: FileMaker | None = None, reference: int | None = None,
                    embed: discord.Embed | None = None) -> MessageRef:
        """A message sent with the bot token: in the target's channel, else as a DM."""
        channel_id = int(target.extra.get("channel") or target.chat_id)
        reply_to = reference or target.extra.get("reply_to")
        kwargs: dict[str, Any] = {}
        if view is not None:
            kwargs["view"] = view
        if embed is not None:
            kwargs["embed"] = embed
        if reply_to:
            kwargs["reference"] = discord.MessageReference(
                message_id=int(reply_to), channel_id=channel_id, fail_if_not_exists=False)
        await self.limiter.acquire()
        try:
            if file is not None:
                kwargs["file"] = file()
            sent = await self.client.get_partial_messageable(channel_id).send(content, **kwargs)
        except (discord.Forbidden, discord.NotFound):
            # not a channel the bot can post in (a user-installed command, no permission): DM instead
            kwargs.pop("reference", None)
            await self.limiter.acquire()
            dm = await self.client.create_dm(discord.Object(int(target.user_id)))
            if file is not None:
                kwargs["file"] = file()
            await self.limiter.acquire()
            sent = await dm.send(content, **kwargs)
        return channel_ref(target, sent.channel.id, sent.id)

    async def _move(self, message: MessageRef, content: str, view: discord.ui.View | None) -> MessageRef:
        """The interaction token is (nearly) spent: continue in a bot-token message."""
        target = message.target
        moved = await self._post(target, content, view, reference=int(message.id))
        created = float(target.extra.get("created") or 0.0)
        if time.time() < created + self.lifetime - switch_margin(self.lifetime) / 2:  # still safe: say where it went
            try:
                lang = await self._language(target)
                await run_to_end(self._hook(target).edit_message(int(message.id), content=say(lang, "discord_moved"),
                                                                 view=None))
            except discord.HTTPException:
                log.debug("could not point the old response to the new message", exc_info=True)
        log.info("status message of %s moved to a channel message", target.conversation)
        return moved

    async def _edit_with_files(self, message: MessageRef, content: str, view: discord.ui.View | None,
                               files: Sequence[FileMaker], embed: discord.Embed | None = None) -> bool:
        """Edit the message to ``content`` and ``view`` with ``files`` attached in place of what it had (and
        ``embed`` when given). False when it can no longer be edited that way: the interaction token is
        spent or refused, the message is gone. Anything else (a 413: the files are too large) is raised."""
        target = message.target
        kind = message.extra.get("kind")
        extra: dict[str, Any] = {"embed": embed} if embed is not None else {}
        if kind == HOOK:
            if not self._hook_usable(target):
                return False
            try:
                await run_to_end(self._hook(target).edit_message(
                    int(message.id), content=content, view=view, attachments=[make() for make in files], **extra))
                return True
            except discord.HTTPException as exc:
                if exc.status not in TOKEN_ERRORS:
                    raise
                return False
        if kind == CHANNEL:
            channel_id = int(message.extra.get("channel") or target.chat_id)
            partial = self.client.get_partial_messageable(channel_id).get_partial_message(int(message.id))
            await self.limiter.acquire()
            try:
                await partial.edit(content=content, view=view, attachments=[make() for make in files], **extra)
                return True
            except discord.NotFound:
                return False
        return False

    async def _result(self, target: Target, status: MessageRef | None, content: str, buttons: Sequence[Button],
                      attachments: Sequence[tuple[FileMaker, discord.Embed | None]]) -> None:
        """The result text and buttons with the first of ``attachments`` that fits (Discord's 413 moves on to
        the next; with none, the text stands alone), in the status message when there is one. A status
        message that can no longer be edited with files gets the text as ``edit`` places it (a bot-token
        message once the interaction token is spent), and the file is attached to that message, or follows it."""
        view = build_view(buttons)
        placed: MessageRef | None = None  # where the text already stands when an attachment failed after it
        for file, embed in attachments:
            try:
                if status is None:
                    await self._send_result(target, content, view, file, embed)
                    return
                if placed is None:
                    if await self._edit_with_files(status, content, view, [file], embed):
                        return
                    placed = await self.edit(status, content, buttons)
                if not await self._edit_with_files(placed, content, view, [file], embed):
                    await self._send_result(target, "", None, file, embed)
                return
            except discord.HTTPException as exc:
                if exc.status != 413:
                    raise
                log.info("an attachment of the result did not fit after all (413); the result goes without it")
        if status is None:
            await self._send_result(target, content, view, None)
        elif placed is None:
            await self.edit(status, content, buttons)

    async def _send_result(self, target: Target, content: str, view: discord.ui.View | None,
                           file: FileMaker | None, embed: discord.Embed | None = None) -> None:
        if self._hook_usable(target):
            kwargs: dict[str, Any] = {"wait": True}
            if view is not None:
                kwargs["view"] = view
            if file is not None:
                kwargs["file"] = file()
            if embed is not None:
                kwargs["embed"] = embed
            try:
                await run_to_end(self._hook(target).send(content, **kwargs))
                return
            except discord.HTTPException as exc:
                if exc.status not in TOKEN_ERRORS:
                    raise
        await self._post(target, content, view, file, embed=embed)
