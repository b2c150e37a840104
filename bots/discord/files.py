"""Files in and out: a user's attachment as the core's ``Attachment``, a render as a temp file.

A Discord attachment URL is signed and expires (about a day): the core hands it to NEMO's
upload-by-URL at once, and streams it from the CDN only if that fails. It is never stored.
Downloads go in chunks; nothing holds a whole video in memory.
"""

from __future__ import annotations

import asyncio
import logging
import os
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import discord

from core.nemo.limits import MIME_EXTENSIONS
from core.ports import Attachment

log = logging.getLogger(__name__)
CHUNK = 256 * 1024
WRITE_BATCH = 4 * 1024 * 1024  # bytes collected before one write in a worker thread
TIMEOUT = aiohttp.ClientTimeout(total=None, connect=30, sock_read=60)


class DownloadError(Exception):
    """The file could not be fetched (HTTP error, or the URL expired)."""


def core_attachment(attachment: discord.Attachment, session: aiohttp.ClientSession) -> Attachment:
    """The core's view of a Discord attachment: its URL for NEMO, and a streaming reader."""
    url = attachment.url
    content_type = (attachment.content_type or "").split(";")[0].strip() or "application/octet-stream"
    filename = attachment.filename
    if "." not in filename and content_type in MIME_EXTENSIONS:
        filename = f"{filename}.{MIME_EXTENSIONS[content_type]}"

    def open_stream() -> AsyncIterator[bytes]:
        return stream(session, url)

    return Attachment(filename=filename, size=attachment.size, content_type=content_type, url=url,
                      open=open_stream)


async def stream(session: aiohttp.ClientSession, url: str, chunk: int = CHUNK) -> AsyncIterator[bytes]:
    """The body of ``url`` in chunks."""
    async with session.get(url, timeout=TIMEOUT) as response:
        if response.status >= 400:
            raise DownloadError(f"download failed with HTTP {response.status}")
        async for piece in response.content.iter_chunked(chunk):
            yield piece


async def download(session: aiohttp.ClientSession, url: str, limit: int, *, suffix: str = ".mp4") -> Path | None:
    """Save ``url`` to a temporary file, in chunks; ``None`` (and nothing left behind) when it
    is larger than ``limit`` bytes. The caller deletes the file."""
    fd, name = tempfile.mkstemp(prefix="nemobot-", suffix=suffix)
    path = Path(name)
    keep = False
    try:
        with os.fdopen(fd, "wb") as fh:
            size = 0
            batch = bytearray()
            async with session.get(url, timeout=TIMEOUT) as response:
                if response.status >= 400:
                    raise DownloadError(f"download failed with HTTP {response.status}")
                declared = response.content_length
                if declared is not None and declared > limit:
                    return None
                async for piece in response.content.iter_chunked(CHUNK):
                    size += len(piece)
                    if size > limit:
                        return None
                    batch += piece
                    if len(batch) >= WRITE_BATCH:
                        await asyncio.to_thread(fh.write, bytes(batch))
                        batch.clear()
            if batch:
                await asyncio.to_thread(fh.write, bytes(batch))
        keep = True
        return path
    finally:
        if not keep:
            path.unlink(missing_ok=True)
