"""Streamed multipart bodies: files go to NEMO in constant memory, never whole.

httpx's own multipart encoder reads sync file objects only; a bot's attachments are async
streams (a Telegram or Discord download), so the body is written here as an async iterator.
"""

from __future__ import annotations

import asyncio
import logging
import mimetypes
import unicodedata
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePath

from core.nemo.errors import EmptyFile, FileTooLarge, NemoError, UnreadableFile

log = logging.getLogger(__name__)

CHUNK = 2 * 1024 * 1024
MAX_FILENAME = 200
# bidi embeddings, overrides and isolates: they make "clip\u202egnp.exe" look like another name
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def safe_filename(name: str) -> str:
    """A user's file name as it may travel: no directories, no control or bidi characters, no
    double quotes, backslashes or semicolons (they would break the multipart header), at most
    ``MAX_FILENAME`` characters with the extension kept. Idempotent."""
    name = unicodedata.normalize("NFC", name).replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name
                   if unicodedata.category(ch) not in ("Cc", "Cs") and ch not in _BIDI_CONTROLS)
    # aiohttp (the engine's server) refuses a quoted file name with two semicolons in it
    name = name.replace('"', "'").replace(";", ",")
    while (trimmed := name.strip().lstrip(".")) != name:  # no hidden-file names, no blank ends
        name = trimmed
    if len(name) > MAX_FILENAME:
        suffix = PurePath(name).suffix
        suffix = suffix if len(suffix) <= 16 else ""
        name = name[: MAX_FILENAME - len(suffix)] + suffix
    return name


@dataclass(frozen=True, slots=True)
class UploadSource:
    """A file to upload: its name, its size if known, and a way to read it in chunks."""

    filename: str
    open: Callable[[], AsyncIterator[bytes]]
    size: int | None = None
    content_type: str = "application/octet-stream"

    @classmethod
    def from_path(cls, path: Path, filename: str | None = None) -> UploadSource:
        name = filename or path.name
        return cls(
            filename=name,
            open=lambda: read_file_chunks(path),
            size=path.stat().st_size,
            content_type=mimetypes.guess_type(name)[0] or "application/octet-stream",
        )


async def read_file_chunks(path: Path, chunk: int = CHUNK) -> AsyncIterator[bytes]:
    """Read a file in chunks off the event loop."""
    fh = await asyncio.to_thread(path.open, "rb")
    try:
        while data := await asyncio.to_thread(fh.read, chunk):
            yield data
    finally:
        await asyncio.to_thread(fh.close)


def _part_header(boundary: str, source: UploadSource) -> bytes:
    name = safe_filename(source.filename)
    return (
        f"--{boundary}\r\n"
        f'Content-Disposition: form-data; name="files"; filename="{name}"\r\n'
        f"Content-Type: {source.content_type}\r\n\r\n"
    ).encode()


def multipart_body(sources: Sequence[UploadSource], boundary: str, limit: int) -> tuple[AsyncIterator[bytes], int | None]:
    """The body as an async iterator, and its length when every size is known."""
    closing = f"--{boundary}--\r\n".encode()
    length: int | None = len(closing)
    for source in sources:
        if source.size is None or length is None:
            length = None
        else:
            length += len(_part_header(boundary, source)) + source.size + 2

    async def body() -> AsyncIterator[bytes]:
        for source in sources:
            yield _part_header(boundary, source)
            sent = 0
            async for chunk in _read(source):
                sent += len(chunk)
                if sent > limit:
                    raise FileTooLarge(f"{source.filename}: over the 500 MB limit", code=4002)
                if source.size is not None and sent > source.size:
                    log.warning("upload of %r: longer than its stated %d bytes", source.filename, source.size)
                    raise UnreadableFile(safe_filename(source.filename))
                yield chunk
            if sent == 0:
                raise EmptyFile(safe_filename(source.filename))
            if source.size is not None and sent != source.size:
                log.warning("upload of %r: %d of its stated %d bytes", source.filename, sent, source.size)
                raise UnreadableFile(safe_filename(source.filename))
            yield b"\r\n"
        yield closing

    return body(), length


async def _read(source: UploadSource) -> AsyncIterator[bytes]:
    """The source's chunks; a failure to read them (a broken download, a vanished file) becomes
    ``UnreadableFile`` so the user hears about their file, not about an internal error."""
    try:
        async for chunk in source.open():
            yield chunk
    except NemoError:
        raise
    except Exception as exc:
        log.warning("upload of %r: reading it failed (%s)", source.filename, type(exc).__name__)
        raise UnreadableFile(safe_filename(source.filename)) from exc
