"""/_fake/* endpoints to play the user by hand (curl) when the fake runs standalone.

POST /_fake/send  {"chat_id": 1, "user_id": 1, "text": "hi"}      (or "video_path": "/abs/clip.mp4",
                  "document_path": ..., "caption": ..., "chat_type": "group", "first_name": ...)
POST /_fake/press {"chat_id": 1, "message_id": 3, "data": "x:42"}
GET  /_fake/chat/<chat_id>   what the bot sent to that chat
GET  /_fake/calls            Bot API calls received (getUpdates left out)
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

from aiohttp import web

from .models import SentMessage
from .state import TelegramState


def _answer(body: Any, status: int = 200) -> web.Response:
    return web.Response(text=json.dumps(body, default=str), status=status, content_type="application/json")


def describe(message: SentMessage) -> dict[str, Any]:
    """A SentMessage without its raw Message dict."""
    return {k: v for k, v in dataclasses.asdict(message).items() if k != "raw"}


async def handle(request: web.Request, state: TelegramState) -> web.Response:
    action = request.path.removeprefix("/_fake/")
    try:
        body = await request.json() if request.can_read_body else {}
        if action == "send" and request.method == "POST":
            return _answer(_send(state, body))
        if action == "press" and request.method == "POST":
            user_id = int(body.get("user_id") or body["chat_id"])
            query_id = state.user_presses(
                int(body["chat_id"]), user_id, int(body["message_id"]), str(body["data"])
            )
            return _answer({"callback_query_id": query_id})
        if action.startswith("chat/"):
            return _answer([describe(m) for m in state.chat_log(int(action.removeprefix("chat/")))])
        if action == "calls":
            return _answer([dataclasses.asdict(c) for c in state.calls if c.method != "getUpdates"])
    except (KeyError, ValueError, TypeError) as exc:
        return _answer({"error": repr(exc)}, 400)
    return _answer({"error": "unknown control endpoint", "doc": __doc__}, 404)


def _send(state: TelegramState, body: dict[str, Any]) -> dict[str, Any]:
    chat_id = int(body["chat_id"])
    media: dict[str, str] = {}
    for kind in ("video", "document"):
        if path := body.get(f"{kind}_path"):
            p = Path(path)
            mime = "video/mp4" if kind == "video" else "application/octet-stream"
            media[kind] = state.add_file(path=p, name=p.name, mime=mime)
    return state.user_sends(
        chat_id,
        int(body.get("user_id") or chat_id),
        body.get("text"),
        caption=body.get("caption"),
        chat_type=body.get("chat_type", "private"),
        first_name=body.get("first_name", "Ann"),
        **media,
    )
