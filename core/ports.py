"""The contract between the core and a chat surface (Telegram, Discord, the console, tests).

A surface turns each platform update into one ``Incoming`` and hands it to
``Core.handle``; the core answers through the surface's ``ChatPort``. Addresses are plain,
JSON-serialisable values so a render can be delivered after a restart.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any, Protocol, runtime_checkable
from urllib.parse import urlsplit


@dataclass(frozen=True, slots=True)
class Target:
    """Where to answer: a surface, a chat, the person who asked, and surface-specific extras.

    ``extra`` holds what the surface needs to reply (a Discord interaction token and its
    creation time, a Telegram message to reply to...); it is stored with render jobs.
    """

    platform: str
    chat_id: str
    user_id: str
    group: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def conversation(self) -> str:
        """One conversation per chat, and per chat and user in group chats."""
        base = f"{self.platform}:{self.chat_id}"
        return f"{base}:{self.user_id}" if self.group else base

    def to_json(self) -> dict[str, Any]:
        return {"platform": self.platform, "chat_id": self.chat_id, "user_id": self.user_id,
                "group": self.group, "extra": self.extra}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Target:
        return cls(str(data["platform"]), str(data["chat_id"]), str(data["user_id"]),
                   bool(data.get("group")), dict(data.get("extra") or {}))


@dataclass(frozen=True, slots=True)
class Attachment:
    """A file the user sent: a name, a size if known, and a public URL and/or a way to read it."""

    filename: str
    size: int | None = None
    content_type: str = "application/octet-stream"
    url: str | None = None
    open: Callable[[], AsyncIterator[bytes]] | None = None
    ref: str | None = None
    """How its surface finds the file again (a Telegram file_id, a local path): kept with a queued job, so
    another process (or this one after a restart) can run it (``reattach``)."""

    def to_json(self) -> dict[str, Any]:
        return {"filename": self.filename, "size": self.size, "content_type": self.content_type,
                "url": self.url, "ref": self.ref}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Attachment:
        size = data.get("size")
        return cls(str(data["filename"]), None if size is None else int(size),
                   str(data.get("content_type") or "application/octet-stream"), data.get("url"), ref=data.get("ref"))


@dataclass(frozen=True, slots=True)
class Incoming:
    """One thing the user did: a text, a command, files, or a button press."""

    target: Target
    text: str = ""
    command: str | None = None
    args: str = ""
    attachments: Sequence[Attachment] = ()
    locale: str | None = None
    button: str | None = None
    button_owner: str | None = None
    order: int | None = None
    """Its place in the surface's own order of updates (Telegram's update_id, a Discord snowflake): two
    updates of one chat taken by two processes run in this order. None where the surface has none."""


@dataclass(frozen=True, slots=True)
class Button:
    """A button: an ``action`` the core understands (``export``, ``status``, ``credits``,
    ``cancel``), or a ``url`` to open. ``owner`` is the user id who may press it. ``app``: the url is a
    page to use inside the chat (the hand editor): a Telegram Mini App, a link elsewhere."""

    label: str
    action: str | None = None
    url: str | None = None
    owner: str = ""
    app: bool = False


@dataclass(frozen=True, slots=True)
class MessageRef:
    """A message the surface sent, as the surface identifies it (JSON-serialisable)."""

    target: Target
    id: str
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"target": self.target.to_json(), "id": self.id, "extra": self.extra}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> MessageRef:
        return cls(Target.from_json(data["target"]), str(data["id"]), dict(data.get("extra") or {}))


@dataclass(frozen=True, slots=True)
class Picture:
    """An image the core made (a contact sheet, the timeline, a poster frame), encoded and ready to send."""

    data: bytes
    filename: str
    width: int
    height: int
    content_type: str = "image/jpeg"

    def __repr__(self) -> str:
        return f"Picture({self.filename!r}, {self.width}x{self.height}, {len(self.data)} bytes)"


@dataclass(frozen=True, slots=True)
class Video:
    """A finished render; ``poster`` is a frame of it for the chat's preview, when one could be made."""

    url: str
    size: int | None = None
    duration: float | None = None
    poster: Picture | None = None
    inside_url: str = ""
    """Where the bot itself reads the file (``core.inside_links``); ``url`` is what people are shown."""
    preview: bool = False
    """A small look at the draft (``preview``), not the export: shown as an animation where the surface
    has them (Telegram), else attached (Discord) or saved to a file (the console)."""

    @property
    def fetch_url(self) -> str:
        """The address the bot downloads the file from (to attach it)."""
        return self.inside_url or self.url

    @property
    def extension(self) -> str:
        """The result's file extension, from its link (``mp4``, or ``gif``/``mp3``/``jpg`` for an export as
        a GIF, the sound or a cover image)."""
        return PurePosixPath(urlsplit(self.url).path).suffix.lower().lstrip(".") or "mp4"

    @property
    def kind(self) -> str:
        """How a chat shows it: ``video``, ``animation``, ``audio`` or ``photo``."""
        return "animation" if self.preview else RESULT_KINDS.get(self.extension, "video")


RESULT_KINDS = {"gif": "animation", "mp3": "audio", "jpg": "photo", "jpeg": "photo"}


SMALLER = "smaller"  # that render again, re-encoded under the surface's send limit
BUTTON_ACTIONS = frozenset({"export", "status", "credits", "cancel", "new", "help", "start", "preview", SMALLER})
"""The actions a button may carry; every surface accepts these, ``smaller:<render id>`` and no others."""
SMALLER_OF = rf"{SMALLER}:[A-Za-z0-9_-]{{1,40}}"
"""A "smaller version" button's action, ``smaller:<render id>``: the press re-encodes that render (the
file that did not fit), not whatever the timeline is by then."""
_SMALLER_OF = re.compile(SMALLER_OF)


def smaller_action(render_id: str) -> str | None:
    """The action of the button that asks for a smaller version of the render; None when its id cannot
    travel in a button."""
    action = f"{SMALLER}:{render_id}"
    return action if _SMALLER_OF.fullmatch(action) else None


def smaller_render(action: str) -> str | None:
    """The render a "smaller version" press asks for, None when ``action`` is not such a press."""
    return action.partition(":")[2] if _SMALLER_OF.fullmatch(action) else None


def is_button_action(action: str) -> bool:
    """An action a button may carry (a choice the backend offered, ``say:…``, is the surfaces' own)."""
    return action in BUTTON_ACTIONS or smaller_render(action) is not None


class ChatPort(Protocol):
    """What a surface does for the core. Calls may raise; the core logs and goes on.

    ``local``: its people read on this machine, so loopback and private links open for them (the
    console); for a chat platform only links to public hosts do."""

    platform: str
    local: bool

    async def send(self, target: Target, text: str, buttons: Sequence[Button] = ()) -> MessageRef:
        """Send a new message."""
        ...

    async def edit(self, message: MessageRef, text: str, buttons: Sequence[Button] = ()) -> MessageRef:
        """Replace a message's text and buttons (the one status message). Returns the message
        that now holds the text: a surface may move it (Discord past the token's lifetime)."""
        ...

    async def finish(self, message: MessageRef, text: str, buttons: Sequence[Button] = (),
                     pictures: Sequence[Picture] = ()) -> MessageRef:
        """End a job in its answer: ``text`` and ``buttons`` replace the status ``message`` and ``pictures``
        go with them, in as few messages as the platform allows (attached to the edited message where an
        edit can carry files; else right under it, with no caption of their own). Returns the message
        that holds the answer."""
        ...

    async def deliver(self, target: Target, text: str, video: Video | None, buttons: Sequence[Button] = (),
                      status: MessageRef | None = None) -> None:
        """Hand over a finished job in as few messages as the surface allows: ``text`` and ``buttons``
        replace the ``status`` message (or come as a new one), and the file of ``video`` goes with
        them where it fits. ``video`` is None when only the text is to be shown."""
        ...

    def send_limit(self, target: Target) -> int | None:
        """The largest file in bytes the bot can send to ``target`` (not what it can receive); None: no limit."""
        ...

    async def send_picture(self, target: Target, picture: Picture, caption: str = "",
                           buttons: Sequence[Button] = ()) -> MessageRef:
        """Send an image with the caption (and buttons) under it, as the platform shows pictures."""
        ...

    async def working(self, target: Target, action: str) -> None:
        """Show that the bot is busy (``typing`` or ``upload_video``); may do nothing."""
        ...

    # optional: ``reattach(attachment) -> Attachment``, a file of a job taken over from a stopped process
    # made readable again from its ``ref``; without it, such a file is uploaded by its ``url``.


async def text_then_pictures(port: ChatPort, message: MessageRef, text: str, buttons: Sequence[Button],
                             pictures: Sequence[Picture]) -> MessageRef:
    """``ChatPort.finish`` where a message cannot become a picture: the answer replaces the status
    message, the pictures follow it with no caption of their own."""
    answer = await port.edit(message, text, buttons)
    for picture in pictures:
        await port.send_picture(answer.target, picture)
    return answer


class Behind(Exception):
    """A surface skipped a progress edit because it is behind its send budget; the status message
    shows its latest state at the next tick instead."""


@runtime_checkable
class PacedPort(Protocol):
    """A surface with a send budget (Telegram): it says how loaded a chat is and takes progress
    edits at low priority, refusing them with ``Behind`` rather than queueing them."""

    def pressure(self, target: Target) -> float:
        """0 when idle, 1 when the budget that chat depends on is all in use, more when behind."""
        ...

    async def edit_progress(self, message: MessageRef, text: str, buttons: Sequence[Button] = ()) -> MessageRef:
        """``edit`` for a progress tick; may raise ``Behind``."""
        ...
