"""Secrets out of sight: token shapes and known secrets masked in log lines and chat messages."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Sequence
from typing import Any

from core.ports import Button, ChatPort, MessageRef, Picture, Target, Video

_PATTERNS = (
    re.compile(r"nmv_[A-Za-z0-9]+_[A-Za-z0-9_\-]+"),          # NEMO tokens
    re.compile(r"\b\d{6,12}:[A-Za-z0-9_\-]{30,}\b"),           # Telegram bot tokens
    re.compile(r"(?i)(bearer\s+)[A-Za-z0-9._\-]+"),            # Authorization headers
    re.compile(r"(/bot)\d{6,12}:[A-Za-z0-9_\-]+"),              # tokens inside Bot API URLs
    re.compile(r"[MNO][A-Za-z\d_\-]{23,25}\.[A-Za-z\d_\-]{6}\.[A-Za-z\d_\-]{27,}"),  # Discord bot tokens
    re.compile(r"(/webhooks/\d+/)[A-Za-z0-9_\-.]{20,}"),        # Discord interaction tokens in URLs
    re.compile(r"(/interactions/\d+/)[A-Za-z0-9_\-.]{20,}"),
)
MASK = "[redacted]"


class Redactor(logging.Filter):
    """Replaces known secrets and anything shaped like a token in every record (or any text)."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self.secrets: list[str] = []
        self.add(secrets)

    def add(self, secrets: Iterable[str]) -> None:
        """Know more secrets (a user's own token, say)."""
        merged = set(self.secrets) | {s for s in secrets if s and len(s) >= 6}
        self.secrets = sorted(merged, key=len, reverse=True)

    def redact(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, MASK)
        for pattern in _PATTERNS:
            text = pattern.sub(lambda m: (m.group(1) if m.groups() else "") + MASK, text)
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        record.msg, record.args = self.redact(message), None
        if record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        return True



class RedactingPort:
    """Wraps a surface so no text it is given to show can carry a secret."""

    def __init__(self, port: ChatPort, redactor: Redactor) -> None:
        self.port = port
        self.platform = port.platform
        self.redact = redactor.redact
        if hasattr(port, "upload_limit"):
            self.upload_limit: int = port.upload_limit

    async def send(self, target: Target, text: str, buttons: Sequence[Button] = ()) -> MessageRef:
        return await self.port.send(target, self.redact(text), buttons)

    async def edit(self, message: MessageRef, text: str, buttons: Sequence[Button] = ()) -> MessageRef:
        return await self.port.edit(message, self.redact(text), buttons)

    async def finish(self, message: MessageRef, text: str, buttons: Sequence[Button] = (),
                     pictures: Sequence[Picture] = ()) -> MessageRef:
        return await self.port.finish(message, self.redact(text), buttons, pictures)

    async def deliver(self, target: Target, text: str, video: Video | None, buttons: Sequence[Button] = (),
                      status: MessageRef | None = None) -> None:
        await self.port.deliver(target, self.redact(text), video, buttons, status)

    async def send_picture(self, target: Target, picture: Picture, caption: str = "",
                           buttons: Sequence[Button] = ()) -> MessageRef:
        return await self.port.send_picture(target, picture, self.redact(caption), buttons)

    async def working(self, target: Target, action: str) -> None:
        await self.port.working(target, action)

    async def notify(self, target: Target, text: str) -> None:
        notify = getattr(self.port, "notify", None)
        if notify is not None:
            await notify(target, self.redact(text))
        else:
            await self.port.send(target, self.redact(text))

    def __getattr__(self, name: str) -> Any:
        return getattr(self.port, name)
