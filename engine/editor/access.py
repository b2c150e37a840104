"""Who may open the hand-editing page.

A page link is signed like the file links (``engine.links``): ``/edit/<session>/<owner>?c=..&exp=..&sig=..``,
one conversation, expiring after ``editor_link_hours``. ``c`` names the chat conversation the link was
handed out in (platform, chat, user: ``ChatOf``), signed with the rest, so what the page does is told
there (``engine.editor.events``). ``owner`` is ``any`` (Discord, the console: the
link is the key) or ``tg<user id>`` (Telegram): then every request of the page must also carry the Mini
App's ``initData``, valid for the bot's token (Telegram's HMAC-SHA256 scheme) and not older than
``telegram_init_max_age``, and its user must be that owner.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from dataclasses import dataclass
from urllib.parse import parse_qsl

ANYONE = "any"
TELEGRAM = "tg"
INIT_DATA_HEADER = "X-Telegram-Init-Data"


@dataclass(frozen=True, slots=True)
class TelegramUser:
    """The user a valid initData names."""

    id: str
    language: str | None


@dataclass(frozen=True, slots=True)
class ChatOf:
    """The chat conversation a page link was handed out in: where the page's edits are told."""

    platform: str
    chat: str
    user: str
    group: bool = False

    def token(self) -> str:
        """The link's ``c``: URL-safe, no ``/`` (it is a part of the signed path)."""
        raw = json.dumps([self.platform, self.chat, self.user, self.group], separators=(",", ":"))
        return base64.urlsafe_b64encode(raw.encode()).rstrip(b"=").decode()

    @classmethod
    def parse(cls, token: str | None) -> ChatOf | None:
        """The conversation of a link's ``c`` (already checked by the signature), or None."""
        if not token or len(token) > 400:
            return None
        try:
            value = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        except ValueError:
            return None
        if not (isinstance(value, list) and len(value) == 4 and all(isinstance(v, str) and v for v in value[:3])
                and isinstance(value[3], bool)):
            return None
        return cls(value[0], value[1], value[2], value[3])


def chat_of(platform: str, chat: object, user: str, group: object) -> ChatOf | None:
    """The conversation the bot names when it asks for a link (None when it names none: an older bot)."""
    if not platform or not user or not isinstance(chat, str | int) or isinstance(chat, bool):
        return None
    chat = str(chat)
    if not chat or len(chat) > 100 or len(platform) > 30 or len(user) > 100:
        return None
    return ChatOf(platform, chat, user, group is True)


def signed_path(sid: str, owner: str, chat: str | None) -> str:
    """What a page link's signature covers: the session, the owner and the conversation."""
    return f"/edit/{sid}/{owner}" + (f"/{chat}" if chat else "")


def owner_of(platform: str, user: str) -> str | None:
    """The owner part of a page link for a chat user: ``tg<id>`` on Telegram, ``any`` elsewhere; None
    for a Telegram user id that is not a number."""
    if platform == "telegram":
        return TELEGRAM + user if user.isdigit() else None
    return ANYONE


def is_owner(owner: str) -> bool:
    return owner == ANYONE or (owner.startswith(TELEGRAM) and owner[len(TELEGRAM):].isdigit())


def telegram_secret(bot_token: str) -> bytes:
    """secret_key = HMAC_SHA256(key="WebAppData", msg=bot_token)."""
    return hmac.new(b"WebAppData", bot_token.encode(), hashlib.sha256).digest()


def sign_init_data(fields: dict[str, str], bot_token: str) -> str:
    """``fields`` as initData signed as Telegram signs it (tests and the bench play Telegram with it)."""
    from urllib.parse import urlencode

    check = "\n".join(f"{k}={v}" for k, v in sorted(fields.items()))
    digest = hmac.new(telegram_secret(bot_token), check.encode(), hashlib.sha256).hexdigest()
    return urlencode({**fields, "hash": digest})


def check_init_data(
    init_data: str, bot_token: str, max_age: float, *, now: float | None = None
) -> TelegramUser | None:
    """The user of a Mini App's initData, or None when it is not Telegram's for this bot or is stale.

    data_check_string is the sorted ``key=value`` lines of every field but ``hash``; the hash must be
    hex(HMAC_SHA256(key=secret_key, msg=data_check_string))."""
    if not init_data or len(init_data) > 8192:
        return None
    try:
        pairs = parse_qsl(init_data, keep_blank_values=True, strict_parsing=True)
    except ValueError:
        return None
    fields = dict(pairs)
    given = fields.pop("hash", "")
    if not given or len(fields) + 1 != len(pairs):
        return None  # no hash, or a key given twice
    check = "\n".join(f"{k}={v}" for k, v in sorted(fields.items()))
    expected = hmac.new(telegram_secret(bot_token), check.encode(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, given.lower()):
        return None
    try:
        auth_date = int(fields.get("auth_date", ""))
        user = json.loads(fields.get("user", ""))
    except ValueError:
        return None
    if not isinstance(user, dict) or not isinstance(user.get("id"), int):
        return None
    if auth_date + max_age < (time.time() if now is None else now):
        return None
    lang = user.get("language_code")
    return TelegramUser(str(user["id"]), lang if isinstance(lang, str) else None)
