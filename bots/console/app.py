"""``nemobot console``: type to the bot in a terminal, or pipe it one message per line."""

from __future__ import annotations

import asyncio
import getpass
import shlex
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import TextIO

from bots.console.port import PLATFORM, ConsolePort
from core.conversation import Core
from core.nemo.upload import UploadSource, read_file_chunks
from core.ports import Attachment, Incoming, Target

QUIT = {"/quit", "/exit", "quit", "exit"}


def file_attachment(path: Path) -> Attachment:
    source = UploadSource.from_path(path)
    return Attachment(filename=path.name, size=source.size, content_type=source.content_type,
                      open=lambda: read_file_chunks(path), ref=str(path.resolve()))


def parse_line(line: str, target: Target, locale: str | None = None) -> Incoming | None:
    """One typed line as an ``Incoming``: ``/upload PATH``, a pasted path, ``/cmd args`` or text."""
    line = line.strip()
    if not line:
        return None
    if line.startswith("/upload"):
        rest = line[len("/upload"):].strip()
        path = Path(_unquote(rest)).expanduser() if rest else None
        if path is not None and path.is_file():
            return Incoming(target, command="upload", attachments=[file_attachment(path)], locale=locale)
        return Incoming(target, command="upload", args=rest, locale=locale)
    pasted = Path(_unquote(line)).expanduser()
    if len(line) < 4096 and "\n" not in line and pasted.suffix and _is_file(pasted):
        return Incoming(target, attachments=[file_attachment(pasted)], locale=locale)
    if line.startswith("/"):
        command, _, args = line[1:].partition(" ")
        return Incoming(target, command=command, args=args.strip(), locale=locale)
    return Incoming(target, text=line, locale=locale)


def _is_file(path: Path) -> bool:
    try:
        return path.is_file()
    except OSError:
        return False


def _unquote(text: str) -> str:
    try:
        parts = shlex.split(text)
    except ValueError:
        return text
    return parts[0] if len(parts) == 1 else text


async def stdin_lines() -> AsyncIterator[str]:
    loop = asyncio.get_running_loop()
    while True:
        line = await loop.run_in_executor(None, sys.stdin.readline)
        if not line:
            return
        yield line


async def run_console(core: Core, lines: AsyncIterator[str], out: TextIO, *, tty: bool = False,
                      user: str | None = None, locale: str | None = None) -> None:
    """Feed ``lines`` to the core until they end (or /quit), then wait for the work to finish.

    In a terminal each line is handled as it is typed; in a script each line waits for the
    previous one's work, so a pipe reads like a conversation.
    """
    port = ConsolePort(out, tty=tty, pictures=core.settings.bot.db_path.parent / "pictures")
    core.register(port)
    target = Target(PLATFORM, "local", user or getpass.getuser())
    async for line in lines:
        if line.strip().lower() in QUIT:
            break
        incoming = parse_line(line, target, locale)
        if incoming is None:
            continue
        await core.handle(incoming)
        if not tty:
            await core.idle(timeout=core.settings.nemo.stream_timeout + core.settings.nemo.render_deadline)
    await core.idle(timeout=core.settings.nemo.stream_timeout + core.settings.nemo.render_deadline)
