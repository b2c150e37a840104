"""The console surface's ``ChatPort``: prints to a terminal or a pipe."""

from __future__ import annotations

import asyncio
import itertools
import tempfile
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path, PurePosixPath
from typing import TextIO
from urllib.parse import urlsplit

import httpx

from core.nemo.upload import read_file_chunks
from core.ports import Attachment, Button, MessageRef, Picture, Target, Video, text_then_pictures
from core.recent import Recent

PLATFORM = "console"
PRINTED_KEPT = 16


class ConsolePort:
    """On a terminal the status line is rewritten in place; in a pipe each new text is a line."""

    platform = PLATFORM
    local = True  # the person reads on this machine: the engine's loopback links open

    def __init__(self, out: TextIO, *, tty: bool = False, pictures: Path | None = None) -> None:
        self.out = out
        self.tty = tty
        self.pictures = pictures or Path(tempfile.gettempdir()) / "nemobot-pictures"
        self._ids = itertools.count(1)
        self._live: str | None = None  # id of the message on the terminal's last line
        self._live_text = ""  # what that line shows
        self._printed: Recent[str, str] = Recent(PRINTED_KEPT)  # the last answers printed, by message id

    def _write(self, text: str, message_id: str | None = None) -> None:
        if self.tty and self._live is not None:
            self.out.write("\r\x1b[2K")
        self.out.write(text)
        if self.tty and message_id is not None and "\n" not in text:
            self._live, self._live_text = message_id, text
        else:
            self.out.write("\n")
            self._live = None
        self.out.flush()

    def _above_status(self, text: str) -> None:
        """A message that comes while a status line is live goes above it, and the status line is drawn
        again under it: the terminal's last line stays the running job's status, none is left behind."""
        live, shown = self._live, self._live_text
        self._write(text)
        if self.tty and live is not None:
            self._write(shown, live)

    def _render(self, text: str, buttons: Sequence[Button]) -> str:
        actions = [b.label for b in buttons if b.action]
        suffix = f"  [{' | '.join(actions)}]" if actions and self.tty else ""
        pages = "".join(f"\n{b.label}: {b.url}" for b in buttons if b.app and b.url)  # the hand editor
        return text + suffix + pages

    async def send(self, target: Target, text: str, buttons: Sequence[Button] = ()) -> MessageRef:
        message = MessageRef(target, str(next(self._ids)))
        if not text.startswith("⏳"):
            self._above_status(self._render(text, buttons))
            self._printed[message.id] = text
            return message
        if self.tty and self._live is not None:
            self.out.write("\n")
            self._live = None
        self._write(self._render(text, buttons), message.id)
        return message

    async def edit(self, message: MessageRef, text: str, buttons: Sequence[Button] = ()) -> MessageRef:
        """The live status line is rewritten; an answer already printed that only gains lines ("ready to
        export") prints just those; anything else is printed anew."""
        printed = self._printed.get(message.id)
        if printed is not None and text.startswith(printed):
            self._printed[message.id] = text
            if added := text[len(printed):].strip("\n"):
                self._above_status(self._render(added, buttons))
            return message
        if not text.startswith("⏳"):
            self._printed[message.id] = text
        if self.tty and self._live == message.id:
            self._write(self._render(text, buttons), message.id if text.startswith("⏳") else None)
        else:
            if self.tty and self._live is not None:
                self.out.write("\n")
                self._live = None
            self._write(self._render(text, buttons), message.id if self.tty and text.startswith("⏳") else None)
        return message

    async def finish(self, message: MessageRef, text: str, buttons: Sequence[Button] = (),
                     pictures: Sequence[Picture] = ()) -> MessageRef:
        """The answer in place of the status line, the pictures' files under it."""
        return await text_then_pictures(self, message, text, buttons, pictures)

    async def deliver(self, target: Target, text: str, video: Video | None, buttons: Sequence[Button] = (),
                      status: MessageRef | None = None) -> None:
        """The result in place of the status line (the file stays where the link points); a preview is
        saved to a file whose path is printed under it (a terminal plays no animation)."""
        if video is not None and video.preview:
            text = f"{text}\n🎞 {await self._save(video)}"
        if status is not None:
            await self.edit(status, text, buttons)
            return
        self._above_status(text)

    async def send_picture(self, target: Target, picture: Picture, caption: str = "",
                           buttons: Sequence[Button] = ()) -> MessageRef:
        """A terminal shows no images: the picture goes to a file, its path is printed under the caption."""
        message = MessageRef(target, str(next(self._ids)))
        path = self.pictures / f"{message.id}-{picture.filename}"
        await asyncio.to_thread(_write, path, picture.data)
        text = f"{caption}\n🖼 {path}" if caption else f"🖼 {path}"
        self._above_status(self._render(text, buttons))
        return message

    async def _save(self, video: Video) -> Path:
        """A preview downloaded (the inside way) next to the pictures."""
        async with httpx.AsyncClient(timeout=60.0, follow_redirects=False) as http:
            response = await http.get(video.fetch_url)
            response.raise_for_status()
        name = PurePosixPath(urlsplit(video.url).path).name or "preview.mp4"
        path = self.pictures / f"{next(self._ids)}-{name}"
        await asyncio.to_thread(_write, path, response.content)
        return path

    def reattach(self, attachment: Attachment) -> Attachment:
        """A file of a job an earlier run left unfinished: read again from its path (``ref``)."""
        if not attachment.ref:
            return attachment
        path = Path(attachment.ref)
        return replace(attachment, open=lambda: read_file_chunks(path))

    def send_limit(self, target: Target) -> int | None:
        return None

    async def working(self, target: Target, action: str) -> None:
        return None

    async def notify(self, target: Target, text: str) -> None:
        await self.send(target, text)


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
