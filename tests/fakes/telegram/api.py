"""Bot API method table: bot-level methods here, message and media methods in sibling modules."""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from . import api_media as media
from . import api_messages as msgs
from .models import JSON, ApiError, Upload, bad_request
from .state import TelegramState

WEBHOOK_PORTS = (80, 88, 443, 8443)
Handler = Callable[[TelegramState, JSON, dict[str, Upload], Path], Any | Awaitable[Any]]


def get_me(state: TelegramState) -> JSON:
    return {
        "id": state.bot_id,
        "is_bot": True,
        "first_name": state.bot_first_name,
        "username": state.bot_username,
        "can_join_groups": True,
        "can_read_all_group_messages": False,
        "supports_inline_queries": False,
        "can_connect_to_business": False,
        "has_main_web_app": False,
    }


async def get_updates(state: TelegramState, params: JSON) -> list[JSON]:
    allowed = params.get("allowed_updates")
    return await state.updates.get_updates(
        offset=int(params.get("offset") or 0),
        limit=int(params.get("limit") or 100),
        timeout=float(params.get("timeout") or 0),
        allowed=allowed if isinstance(allowed, list) else None,
    )


async def set_webhook(state: TelegramState, params: JSON) -> bool:
    url = str(params.get("url") or "")
    if url and not url.lower().startswith("https://"):
        raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
    if url:
        try:
            port = urlsplit(url).port or 443
        except ValueError:
            port = -1
        if port not in WEBHOOK_PORTS:
            raise bad_request("bad webhook: Webhook can be set up only on ports 80, 88, 443 or 8443")
    secret = params.get("secret_token")
    if secret is not None and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", str(secret)):
        raise bad_request("secret token contains unallowed characters")
    allowed = params.get("allowed_updates")
    await state.updates.set_webhook(
        url,
        None if secret is None else str(secret),
        allowed if isinstance(allowed, list) else None,
        bool(params.get("drop_pending_updates")),
    )
    return True


async def delete_webhook(state: TelegramState, params: JSON) -> bool:
    await state.updates.set_webhook("", None, None, bool(params.get("drop_pending_updates")))
    return True


def _commands_key(params: JSON) -> str:
    scope = params.get("scope") or {"type": "default"}
    return json.dumps(scope, sort_keys=True) + "|" + str(params.get("language_code") or "")


def set_my_commands(state: TelegramState, params: JSON) -> bool:
    commands = params.get("commands")
    if not isinstance(commands, list) or len(commands) > 100:
        raise bad_request("commands are empty" if not commands else "too many commands")
    for item in commands:
        command, description = str(item.get("command", "")), str(item.get("description", ""))
        if not re.fullmatch(r"[a-z0-9_]{1,32}", command):
            raise bad_request("BOT_COMMAND_INVALID")
        if not 1 <= len(description) <= 256:
            raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
    state.commands[_commands_key(params)] = [
        {"command": c["command"], "description": c["description"]} for c in commands
    ]
    return True


def get_my_commands(state: TelegramState, params: JSON) -> list[JSON]:
    return list(state.commands.get(_commands_key(params), []))


def delete_my_commands(state: TelegramState, params: JSON) -> bool:
    state.commands.pop(_commands_key(params), None)
    return True


def _media(kind: str) -> Handler:
    return lambda s, p, u, d: media.send_media(s, kind, p, u)


METHODS: dict[str, Handler] = {
    "getMe": lambda s, p, u, d: get_me(s),
    "getUpdates": lambda s, p, u, d: get_updates(s, p),
    "setWebhook": lambda s, p, u, d: set_webhook(s, p),
    "deleteWebhook": lambda s, p, u, d: delete_webhook(s, p),
    "getWebhookInfo": lambda s, p, u, d: s.updates.webhook_info(),
    "setMyCommands": lambda s, p, u, d: set_my_commands(s, p),
    "getMyCommands": lambda s, p, u, d: get_my_commands(s, p),
    "deleteMyCommands": lambda s, p, u, d: delete_my_commands(s, p),
    "sendMessage": lambda s, p, u, d: msgs.send_message(s, p),
    "editMessageText": lambda s, p, u, d: msgs.edit_message_text(s, p),
    "editMessageCaption": lambda s, p, u, d: msgs.edit_message_caption(s, p),
    "editMessageReplyMarkup": lambda s, p, u, d: msgs.edit_message_reply_markup(s, p),
    "deleteMessage": lambda s, p, u, d: msgs.delete_message(s, p),
    "deleteMessages": lambda s, p, u, d: msgs.delete_messages(s, p),
    "sendChatAction": lambda s, p, u, d: msgs.send_chat_action(s, p),
    "answerCallbackQuery": lambda s, p, u, d: msgs.answer_callback_query(s, p),
    "getFile": lambda s, p, u, d: media.get_file(s, p, d),
    "sendVideo": _media("video"),
    "sendDocument": _media("document"),
    "sendPhoto": _media("photo"),
    "sendAnimation": _media("animation"),
    "sendAudio": _media("audio"),
    "sendMediaGroup": lambda s, p, u, d: media.send_media_group(s, p, u),
}
_BY_LOWER = {name.lower(): name for name in METHODS}


def canonical(method: str) -> str:
    """Telegram method names are case-insensitive."""
    return _BY_LOWER.get(method.lower(), method)


async def dispatch(
    state: TelegramState, method: str, params: JSON, uploads: dict[str, Upload], files_dir: Path
) -> Any:
    """Run one Bot API method; raises ApiError for error answers."""
    handler = METHODS.get(canonical(method))
    if handler is None:
        raise ApiError(404, "Not Found")
    result = handler(state, params, uploads, files_dir)
    if isinstance(result, Awaitable):
        result = await result
    return result
