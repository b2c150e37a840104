"""Files in and out: users' media as streamed ``Attachment`` values, renders fetched to disk.

On the cloud Bot API ``getFile`` refuses files over 20 MB: such files are turned away before any
call (see ``too_big_for_cloud``). With a self-hosted Bot API server in local mode ``getFile``
answers an absolute path on the shared disk, read in chunks. Nothing is ever held whole in memory,
and the file URL (it contains the bot token) is never logged or shown.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from pathlib import Path, PurePath

import aiohttp
from telegram import Bot, Message
from telegram.error import BadRequest, TelegramError

from core.nemo.errors import NemoError
from core.nemo.limits import MIME_EXTENSIONS, extension, is_supported
from core.nemo.upload import read_file_chunks
from core.ports import Attachment
from core.sizes import MB, megabytes

from .sender import Sender
from .texts import CLOUD_DOWNLOAD_MB

log = logging.getLogger(__name__)

CLOUD_DOWNLOAD_LIMIT = CLOUD_DOWNLOAD_MB * MB
CHUNK = 1024 * 1024
DOWNLOADS = 8  # files fetched at once
TIMEOUT = aiohttp.ClientTimeout(total=None, sock_connect=10.0, sock_read=60.0)
DEFAULT_EXTENSION = {"video": "mp4", "animation": "mp4", "video_note": "mp4", "photo": "jpg", "audio": "mp3"}


class TelegramFileTooBig(NemoError):
    """getFile refused a file whose size Telegram had not announced (over 20 MB)."""

    key = "tg_error_file_too_big"


class TelegramDownloadFailed(NemoError):
    """A user's file could not be fetched from Telegram (the message is its name only)."""

    key = "tg_error_download"


@dataclass(frozen=True, slots=True)
class Media:
    """One file in a user's message."""

    kind: str  # video, animation, video_note, audio, document, photo
    file_id: str
    unique_id: str
    size: int | None
    filename: str
    content_type: str

    @property
    def megabytes(self) -> str:
        return megabytes(self.size or 0, up=True)


def filename_for(kind: str, name: str | None, mime: str | None, unique_id: str) -> str:
    """The user's file name where it has a usable extension, else one made from the MIME type."""
    ext = MIME_EXTENSIONS.get((mime or "").lower()) or DEFAULT_EXTENSION.get(kind, "")
    path = (name or "").replace("\\", "/")
    clean = "" if path.endswith("/") else PurePath(path).name.strip()  # "clip.mp4\\" names no file
    if clean and (is_supported(clean) or not ext):
        return clean
    if clean and not extension(clean):
        return f"{clean}.{ext}"
    return f"{kind}_{unique_id}.{ext}" if ext else f"{kind}_{unique_id}"


def media_of(message: Message) -> Media | None:
    """The file a message carries: video, animation (before its document twin), video note,
    audio, document, or the largest photo size."""
    if message.video:
        v = message.video
        return Media("video", v.file_id, v.file_unique_id, v.file_size,
                     filename_for("video", v.file_name, v.mime_type, v.file_unique_id), v.mime_type or "video/mp4")
    if message.animation:
        a = message.animation
        return Media("animation", a.file_id, a.file_unique_id, a.file_size,
                     filename_for("animation", a.file_name, a.mime_type, a.file_unique_id), a.mime_type or "video/mp4")
    if message.video_note:
        n = message.video_note
        return Media("video_note", n.file_id, n.file_unique_id, n.file_size,
                     filename_for("video_note", None, "video/mp4", n.file_unique_id), "video/mp4")
    if message.audio:
        au = message.audio
        return Media("audio", au.file_id, au.file_unique_id, au.file_size,
                     filename_for("audio", au.file_name, au.mime_type, au.file_unique_id), au.mime_type or "audio/mpeg")
    if message.document:
        d = message.document
        mime = d.mime_type or "application/octet-stream"
        return Media("document", d.file_id, d.file_unique_id, d.file_size,
                     filename_for("document", d.file_name, mime, d.file_unique_id), mime)
    if message.photo:
        p = max(message.photo, key=lambda size: (size.width * size.height, size.file_size or 0))
        return Media("photo", p.file_id, p.file_unique_id, p.file_size,
                     filename_for("photo", None, "image/jpeg", p.file_unique_id), "image/jpeg")
    return None


class Files:
    """Streams users' files from Telegram and fetches renders for re-upload (aiohttp, like the Bot API
    calls: see ``request.py``); at most ``DOWNLOADS`` at once, the others wait their turn."""

    def __init__(self, bot: Bot, sender: Sender, *, local_mode: bool) -> None:
        self.bot = bot
        self.sender = sender
        self.local_mode = local_mode
        self._session: aiohttp.ClientSession | None = None

    @property
    def http(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=DOWNLOADS),
                                                  timeout=TIMEOUT)
        return self._session

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()

    def too_big_for_cloud(self, media: Media) -> bool:
        return not self.local_mode and media.size is not None and media.size > CLOUD_DOWNLOAD_LIMIT

    def attachment(self, media: Media) -> Attachment:
        return Attachment(media.filename, media.size, media.content_type, open=lambda: self._chunks(media),
                          ref=media.file_id)

    def reattach(self, attachment: Attachment) -> Attachment:
        """A file of a job taken over from a stopped process, read again by its file_id (``ref``)."""
        if not attachment.ref:
            return attachment
        media = Media("document", attachment.ref, "", attachment.size, attachment.filename, attachment.content_type)
        return replace(attachment, open=lambda: self._chunks(media))

    async def _chunks(self, media: Media) -> AsyncIterator[bytes]:
        try:
            file = await self.sender.retrying(lambda _: self.bot.get_file(media.file_id))
        except BadRequest as exc:
            if "too big" in exc.message.lower():
                raise TelegramFileTooBig(media.filename) from None
            log.warning("getFile failed for %s: %s", media.filename, exc.message)
            raise TelegramDownloadFailed(media.filename) from None
        except TelegramError as exc:
            log.warning("getFile failed for %s: %s", media.filename, type(exc).__name__)
            raise TelegramDownloadFailed(media.filename) from None
        location = file.file_path or ""
        if location and not location.startswith(("http://", "https://")) and os.path.isabs(location):
            # a local-mode Bot API server: the file is on our disk
            try:
                async for chunk in read_file_chunks(Path(location), CHUNK):
                    yield chunk
            except OSError as exc:
                log.warning("reading %s from the Bot API server's disk failed: %s", media.filename,
                            type(exc).__name__)
                raise TelegramDownloadFailed(media.filename) from None
            return
        try:
            async with self.http.get(location) as response:  # the URL holds the token: never log it
                if response.status != 200:
                    log.warning("download of %s answered HTTP %d", media.filename, response.status)
                    raise TelegramDownloadFailed(media.filename)
                async for chunk in response.content.iter_chunked(CHUNK):
                    yield chunk
        except (TimeoutError, aiohttp.ClientError) as exc:
            log.warning("download of %s failed: %s", media.filename, type(exc).__name__)
            raise TelegramDownloadFailed(media.filename) from None

    async def fetch(self, url: str, path: Path, limit: int) -> int | None:
        """Download ``url`` to ``path`` in chunks; its size, or None when it is over ``limit`` bytes
        or cannot be fetched."""
        size = 0
        fh = await asyncio.to_thread(path.open, "wb")
        try:
            async with self.http.get(url) as response:
                if response.status != 200:
                    log.warning("render download answered HTTP %d", response.status)
                    return None
                if response.content_length is not None and response.content_length > limit:
                    return None
                async for chunk in response.content.iter_chunked(CHUNK):
                    size += len(chunk)
                    if size > limit:
                        return None
                    await asyncio.to_thread(fh.write, chunk)
        except (TimeoutError, aiohttp.ClientError) as exc:
            log.warning("render download failed: %s", type(exc).__name__)
            return None
        finally:
            await asyncio.to_thread(fh.close)
        return size
