"""Inline keyboards: the core's ``Button`` values as Telegram buttons, and callback data back.

Callback data is ``a:<action>:<owner>`` for a core action (``a:say:<words>:<owner>`` for a choice
the backend offered) and ``m:<mode>:<owner>`` for a mode choice (``/start`` offers them). It holds no state: the owner is the user id who may press it, so
a press by anyone else is refused before the core sees it. Telegram allows 1-64 bytes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, WebAppInfo

from core.ports import BUTTON_ACTIONS, Button, is_button_action
from core.routing import SAY, is_public_url
from core.skills import SKILLS, find_skill

CALLBACK_DATA_LIMIT = 64  # bytes
ROW = 3  # buttons per row
ACTIONS = BUTTON_ACTIONS
ACTION, MODE = "a", "m"


@dataclass(frozen=True, slots=True)
class Press:
    """What a button press asks for: a core ``action`` or a ``mode``, and who may press it."""

    kind: str  # ACTION or MODE
    value: str
    owner: str


def callback_data(kind: str, value: str, owner: str) -> str:
    data = f"{kind}:{value}:{owner}"
    if not 1 <= len(data.encode()) <= CALLBACK_DATA_LIMIT:
        raise ValueError(f"callback data over {CALLBACK_DATA_LIMIT} bytes: {data!r}")
    return data


def parse_press(data: str | None) -> Press | None:
    """The press behind callback data, or None when it is forged or stale (unknown action/mode)."""
    if not data or len(data.encode()) > CALLBACK_DATA_LIMIT:
        return None
    kind, _, rest = data.partition(":")
    value, _, owner = rest.rpartition(":")  # a "say:" value may hold colons itself ("keep 0:05 to 0:12")
    if not value or (owner and not owner.lstrip("-").isdigit()):
        return None
    if kind == ACTION and (is_button_action(value) or (value.startswith(SAY) and value[len(SAY):].strip())):
        return Press(kind, value, owner)
    if kind == MODE and find_skill(value) is not None:
        return Press(kind, value, owner)
    return None


def mode_buttons(owner: str) -> list[InlineKeyboardButton]:
    return [InlineKeyboardButton(s.alias, callback_data=callback_data(MODE, s.alias, owner)) for s in SKILLS]


def _button(button: Button) -> InlineKeyboardButton | None:
    if button.app:
        # a page used inside the chat (the hand editor) opens as a Mini App: Telegram needs an HTTPS
        # address it can reach, and takes such buttons in private chats only (the port drops them elsewhere)
        ok = bool(button.url) and str(button.url).startswith("https://") and is_public_url(str(button.url))
        return InlineKeyboardButton(button.label, web_app=WebAppInfo(str(button.url))) if ok else None
    if button.url:
        # Telegram opens button links itself and refuses any it cannot reach (a loopback or private
        # host: "Wrong HTTP URL"); such a link stays in the message text only.
        return InlineKeyboardButton(button.label, url=button.url) if is_public_url(button.url) else None
    if button.action:
        try:
            data = callback_data(ACTION, button.action, button.owner)
        except ValueError:  # a choice too long for Telegram's 64 bytes: it stays in the message text
            return None
        return InlineKeyboardButton(button.label, callback_data=data)
    return None


def _rows(buttons: Sequence[InlineKeyboardButton]) -> list[list[InlineKeyboardButton]]:
    return [list(buttons[i:i + ROW]) for i in range(0, len(buttons), ROW)]


def keyboard(buttons: Sequence[Button], *, modes_for: str | None = None,
             with_urls: bool = True) -> InlineKeyboardMarkup | None:
    """Rows of at most three buttons; URL buttons first on their own row; mode buttons last
    (when ``modes_for`` names their owner). None when there is nothing to show."""
    urls = [b for b in (_button(x) for x in buttons if x.url and with_urls) if b]
    actions = [b for b in (_button(x) for x in buttons if not x.url) if b]
    rows = _rows(urls) + _rows(actions)
    if modes_for is not None:
        rows += _rows(mode_buttons(modes_for))
    return InlineKeyboardMarkup(rows) if rows else None


def for_chat(buttons: Sequence[Button], group: bool) -> Sequence[Button]:
    """The buttons a chat can take: Mini App buttons only in private chats (Telegram refuses them in groups)."""
    return [b for b in buttons if not b.app] if group else buttons


def has_url_buttons(buttons: Sequence[Button]) -> bool:
    return any(b.url and is_public_url(b.url) for b in buttons)
