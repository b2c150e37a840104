"""A ``ChatPort`` that records what the core said (Errbot's test backend, for core tests)."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field

from core.ports import Button, MessageRef, Picture, Target, Video, text_then_pictures


@dataclass
class Shown:
    """One message as the user sees it now, with its history of texts."""

    id: str
    target: Target
    texts: list[str]
    buttons: list[Button] = field(default_factory=list)
    picture: Picture | None = None

    @property
    def text(self) -> str:
        return self.texts[-1]


class RecordingPort:
    platform = "test"
    local = True  # like the console: links on this machine open for whoever reads it

    def __init__(self) -> None:
        self.messages: list[Shown] = []
        self.deliveries: list[tuple[Target, str, Video | None]] = []
        self.notices: list[str] = []
        self._ids = itertools.count(1)
        self.changed = asyncio.Event()

    async def send(self, target: Target, text: str, buttons: Sequence[Button] = ()) -> MessageRef:
        message = MessageRef(target, str(next(self._ids)))
        self.messages.append(Shown(message.id, target, [text], list(buttons)))
        self.changed.set()
        return message

    async def edit(self, message: MessageRef, text: str, buttons: Sequence[Button] = ()) -> MessageRef:
        shown = next((m for m in self.messages if m.id == message.id), None)
        if shown is None:  # sent before a restart, by the port of the previous run
            shown = Shown(message.id, message.target, [])
            self.messages.append(shown)
        shown.texts.append(text)
        shown.buttons = list(buttons)
        self.changed.set()
        return message

    async def send_picture(self, target: Target, picture: Picture, caption: str = "",
                           buttons: Sequence[Button] = ()) -> MessageRef:
        message = MessageRef(target, str(next(self._ids)))
        self.messages.append(Shown(message.id, target, [caption], list(buttons), picture))
        self.changed.set()
        return message

    def pictures(self) -> list[Picture]:
        """Every picture sent, in order."""
        return [m.picture for m in self.messages if m.picture is not None]

    async def finish(self, message: MessageRef, text: str, buttons: Sequence[Button] = (),
                     pictures: Sequence[Picture] = ()) -> MessageRef:
        """As Telegram shows it: the answer in place of the status message, the pictures after it."""
        return await text_then_pictures(self, message, text, buttons, pictures)

    async def deliver(self, target: Target, text: str, video: Video | None, buttons: Sequence[Button] = (),
                      status: MessageRef | None = None) -> None:
        if status is not None:
            await self.edit(status, text, buttons)
        else:
            await self.send(target, text, buttons)
        self.deliveries.append((target, text, video))
        self.changed.set()

    def send_limit(self, target: Target) -> int | None:
        return None

    async def working(self, target: Target, action: str) -> None:
        return None

    async def notify(self, target: Target, text: str) -> None:
        self.notices.append(text)

    def texts(self) -> list[str]:
        """The current text of every message, in order."""
        return [m.text for m in self.messages]

    def last(self) -> str:
        return self.messages[-1].text if self.messages else ""
