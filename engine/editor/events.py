"""What the page did, for the chat it was opened from.

An engine running in the bot's process (the default install) is given a hook
(``EngineServer.on_page_event``, wired in ``bots/app.py``): each applied hand edit is told in that
conversation in the user's language, and the page's Export runs the chat's own export there (the status
message ticks, the video arrives in the chat). An engine in a process of its own has no hook: the page
follows its export itself and the chat sees the hand edits at its next /status or edit.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Literal

APPLIED: Literal["applied"] = "applied"
EXPORT: Literal["export"] = "export"


@dataclass(frozen=True, slots=True)
class PageEvent:
    """One thing the page did, in the conversation (platform, chat, user) its signed link names."""

    kind: Literal["applied", "export"]
    session_id: str
    platform: str
    chat_id: str
    user_id: str
    group: bool
    language: str  # the page's: the Telegram client's, else the session's
    en: str = ""  # what the applied edits did, in sentences
    zh: str = ""


PageHook = Callable[[PageEvent], Awaitable[bool]]
"""Tells the chat; True when it took the event (the conversation is still on that session)."""
