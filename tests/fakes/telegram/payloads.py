"""Builders for the JSON objects Telegram sends (User, Chat, Video, ...), shaped as PTB parses them."""

from __future__ import annotations

from typing import Any

from .models import JSON, FakeFile

MEDIA_KINDS = ("video", "document", "photo", "animation", "video_note", "audio")


def user_payload(user_id: int, first_name: str, language_code: str | None = "en") -> JSON:
    user: JSON = {"id": user_id, "is_bot": False, "first_name": first_name}
    if language_code:
        user["language_code"] = language_code
    return user


def bot_payload(bot_id: int, username: str, first_name: str) -> JSON:
    return {"id": bot_id, "is_bot": True, "first_name": first_name, "username": username}


def chat_payload(chat_id: int, chat_type: str, name: str) -> JSON:
    """Private chats carry the user's first_name, groups a title."""
    chat: JSON = {"id": chat_id, "type": chat_type}
    chat["first_name" if chat_type == "private" else "title"] = name
    return chat


def media_payload(kind: str, f: FakeFile) -> Any:
    """The Message field value for `kind` ("video", "photo", ...) of file `f`."""
    base: JSON = {"file_id": f.file_id, "file_unique_id": f.file_unique_id, "file_size": f.size}
    named = {**base, "file_name": f.name, "mime_type": f.mime}
    if kind == "video":
        return {**named, "width": f.width, "height": f.height, "duration": f.duration}
    if kind == "animation":
        return {**named, "width": f.width, "height": f.height, "duration": f.duration}
    if kind == "document":
        return named
    if kind == "photo":
        return [{**base, "width": f.width, "height": f.height}]
    if kind == "video_note":
        return {**base, "length": min(f.width, f.height), "duration": f.duration}
    if kind == "audio":
        return {**named, "duration": f.duration}
    raise ValueError(f"unknown media kind {kind!r}")


def message_media(kind: str, f: FakeFile) -> JSON:
    """Message fields for a media message; animations also carry a document, as Telegram does."""
    fields: JSON = {kind: media_payload(kind, f)}
    if kind == "animation":
        fields["document"] = media_payload("document", f)
    return fields


def kind_for_mime(mime: str) -> str:
    """Which media kind a file of this MIME type is sent as in an album."""
    major = mime.split("/", 1)[0]
    return {"video": "video", "image": "photo", "audio": "audio"}.get(major, "document")
