"""Streamed multipart bodies: files go to NEMO in constant memory, never whole.

httpx's own multipart encoder reads sync file objects only; a bot's attachments are async
streams (a Telegram or Discord download), so the body is written here as an async iterator.
"""

from __future__ import annotations

import asyncio
import mimetypes
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from core.nemo.errors import FileTooLarge

CHUNK = 2 * 1024 * 1024


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
    name = source.filename.replace('"', "'").replace("\r", " ").replace("\n", " ")
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
            async for chunk in source.open():
                sent += len(chunk)
                if sent > limit:
                    raise FileTooLarge(f"{source.filename}: over the 500 MB limit", code=4002)
                if source.size is not None and sent > source.size:
                    raise ValueError(f"{source.filename}: longer than its stated size")
                yield chunk
            if source.size is not None and sent != source.size:
                raise ValueError(f"{source.filename}: shorter than its stated size")
            yield b"\r\n"
        yield closing

    return body(), length
