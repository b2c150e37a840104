"""Bot API methods about text messages, keyboards, chat actions and callback queries."""

from __future__ import annotations

import copy
from typing import Any

from .checks import check_reply_markup, inline_markup, visible_text
from .models import (
    CALLBACK_ANSWER_WINDOW,
    CAPTION_LIMIT,
    JSON,
    TEXT_LIMIT,
    ApiError,
    SentMessage,
    bad_request,
)
from .payloads import bot_payload
from .state import TelegramState

CHAT_ACTIONS = {
    "typing", "upload_photo", "record_video", "upload_video", "record_voice", "upload_voice",
    "upload_document", "choose_sticker", "find_location", "record_video_note", "upload_video_note",
}  # fmt: skip


def chat_id_of(state: TelegramState, params: JSON) -> int:
    """The target chat of a send; 400/403 like Telegram for missing, unknown or blocked chats."""
    raw = params.get("chat_id")
    if raw is None or raw == "":
        raise bad_request("chat_id is empty")
    if isinstance(raw, str) and raw.lstrip("-").isdigit():
        raw = int(raw)
    if not isinstance(raw, int):
        raise bad_request("chat not found")
    if raw in state.blocked_chats:
        raise ApiError(403, "Forbidden: bot was blocked by the user")
    state.chat(raw)
    return raw


def new_message(state: TelegramState, chat_id: int, params: JSON) -> JSON:
    """The common fields of a Message the bot sends (id, date, chat, from, reply)."""
    message: JSON = {
        "message_id": 0,
        "date": state.now(),
        "chat": state.chat(chat_id),
        "from": bot_payload(state.bot_id, state.bot_username, state.bot_first_name),
    }
    reply = params.get("reply_parameters") or {}
    reply_id = reply.get("message_id") or params.get("reply_to_message_id")
    if reply_id:
        replied = state.find_message(chat_id, int(reply_id))
        if replied is not None:
            message["reply_to_message"] = replied
        elif not (reply.get("allow_sending_without_reply") or params.get("allow_sending_without_reply")):
            raise bad_request("message to be replied not found")
    return message


def formatted(params: JSON, field: str, limit: int, empty_error: str | None) -> tuple[str | None, str | None]:
    """(visible, raw) text of `field` ("text" or "caption"), checked for markup and length."""
    raw = params.get(field)
    if raw is None or raw == "":
        if empty_error:
            raise bad_request(empty_error)
        return None, None
    raw = str(raw)
    shown = visible_text(raw, params.get("parse_mode"))
    if not shown.strip() and empty_error:
        raise bad_request(empty_error)
    if utf16_len(shown) > limit:  # Telegram counts UTF-16 code units, not characters
        raise bad_request("message is too long" if field == "text" else "message caption is too long")
    return shown, raw


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def record(state: TelegramState, message: JSON, sent: SentMessage, markup: JSON | None) -> JSON:
    """Assign the message id, remember the message and return a copy for the bot."""
    sent.message_id = message["message_id"] = state.next_message_id(sent.chat_id)
    if inline_markup(markup):
        message["reply_markup"] = markup
    sent.reply_markup = markup
    sent.reply_to_message_id = (message.get("reply_to_message") or {}).get("message_id")
    sent.raw = message
    state.messages[(sent.chat_id, sent.message_id)] = sent
    return copy.deepcopy(message)


def send_message(state: TelegramState, params: JSON) -> JSON:
    chat_id = chat_id_of(state, params)
    shown, raw = formatted(params, "text", TEXT_LIMIT, "message text is empty")
    markup = check_reply_markup(params.get("reply_markup"))
    message = new_message(state, chat_id, params)
    message["text"] = shown
    sent = SentMessage(chat_id, 0, "text", text=shown, raw_text=raw, parse_mode=params.get("parse_mode"))
    return record(state, message, sent, markup)


def _editable(state: TelegramState, params: JSON) -> SentMessage:
    if params.get("inline_message_id"):
        raise bad_request("the fake does not support inline_message_id")
    chat_id = chat_id_of(state, params)
    message_id = int(params.get("message_id") or 0)
    if not message_id:
        raise bad_request("message identifier is not specified")
    sent = state.messages.get((chat_id, message_id))
    if sent is None and (chat_id, message_id) in state.user_messages:
        raise bad_request("message can't be edited")
    if sent is None or sent.deleted:
        raise bad_request("message to edit not found")
    return sent


def _not_modified() -> ApiError:
    return bad_request(
        "message is not modified: specified new message content and reply markup are exactly the same "
        "as a current content and reply markup of the message"
    )


def _apply_edit(
    state: TelegramState,
    sent: SentMessage,
    field: str | None,
    shown: str | None,
    raw: str | None,
    markup: JSON | None,
) -> JSON:
    """Store an edit (field None: markup only) and return the edited Message."""
    old_raw = sent.raw_text if field else None
    if raw == old_raw and inline_markup(markup) == inline_markup(sent.reply_markup):
        raise _not_modified()
    message = sent.raw
    if field is not None:
        message[field] = shown
        setattr(sent, field, shown)
        sent.raw_text = raw
        sent.edits.append(shown or "")
    message.pop("reply_markup", None)
    if inline_markup(markup):
        message["reply_markup"] = markup
    message["edit_date"] = state.now()
    sent.reply_markup = markup
    return copy.deepcopy(message)


def edit_message_text(state: TelegramState, params: JSON) -> JSON:
    sent = _editable(state, params)
    if sent.kind != "text":
        raise bad_request("there is no text in the message to edit")
    shown, raw = formatted(params, "text", TEXT_LIMIT, "message text is empty")
    markup = check_reply_markup(params.get("reply_markup"))
    edited = _apply_edit(state, sent, "text", shown, raw, markup)
    sent.parse_mode = params.get("parse_mode")
    return edited


def edit_message_caption(state: TelegramState, params: JSON) -> JSON:
    sent = _editable(state, params)
    if sent.kind == "text":
        raise bad_request("there is no caption in the message to edit")
    shown, raw = formatted(params, "caption", CAPTION_LIMIT, None)
    markup = check_reply_markup(params.get("reply_markup"))
    return _apply_edit(state, sent, "caption", shown, raw, markup)


def edit_message_reply_markup(state: TelegramState, params: JSON) -> JSON:
    sent = _editable(state, params)
    return _apply_edit(state, sent, None, None, None, check_reply_markup(params.get("reply_markup")))


def delete_message(state: TelegramState, params: JSON) -> bool:
    chat_id = chat_id_of(state, params)
    key = (chat_id, int(params.get("message_id") or 0))
    sent = state.messages.get(key)
    if sent is not None and not sent.deleted:
        sent.deleted = True
    elif state.user_messages.pop(key, None) is None:
        raise bad_request("message to delete not found")
    return True


def delete_messages(state: TelegramState, params: JSON) -> bool:
    for message_id in params.get("message_ids") or []:
        try:
            delete_message(state, {**params, "message_id": message_id})
        except ApiError:
            pass  # Telegram skips messages that can't be found
    return True


def send_chat_action(state: TelegramState, params: JSON) -> bool:
    chat_id = chat_id_of(state, params)
    action = params.get("action")
    if action not in CHAT_ACTIONS:
        raise bad_request("wrong parameter action in request")
    state.chat_actions.append((chat_id, str(action), state.clock.now()))
    return True


def answer_callback_query(state: TelegramState, params: JSON) -> bool:
    query_id = str(params.get("callback_query_id") or "")
    pressed = state.callback_queries.get(query_id)
    too_old = bad_request("query is too old and response timeout expired or query ID is invalid")
    if pressed is None or query_id in state.answered_callbacks:
        raise too_old
    if state.clock.now() - pressed[0] > CALLBACK_ANSWER_WINDOW:
        raise too_old
    text: Any = params.get("text")
    if text is not None and len(str(text)) > 200:
        raise bad_request("MESSAGE_TOO_LONG")
    state.answered_callbacks[query_id] = (None if text is None else str(text), bool(params.get("show_alert")))
    return True
