"""/_fake/* endpoints to play the Discord user by hand (curl) when the fake runs standalone.

POST /_fake/slash   {"name": "edit", "options": {"prompt": "cut the pauses"},
                     "video_path": "/abs/clip.mp4", "video_option": "video", "user_id": 1, "dm": false}
POST /_fake/message {"content": "hi", "dm": false, "mention_bot": true, "video_path": "/abs/clip.mp4"}
POST /_fake/press   {"message_id": 123, "custom_id": "x:42"}
GET  /_fake/interaction/<id>   what the bot did with an interaction
GET  /_fake/channel[/<id>]     every message in a channel (default: the default channel)
GET  /_fake/commands           registered commands (global and per guild)
GET  /_fake/calls              REST calls received
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aiohttp import web

if TYPE_CHECKING:
    from .server import FakeDiscord


def _answer(body: Any, status: int = 200) -> web.Response:
    return web.Response(text=json.dumps(body, default=str), status=status, content_type="application/json")


def add_routes(app: web.Application, dc: FakeDiscord) -> None:
    async def handle(request: web.Request) -> web.Response:
        try:
            return await _dispatch(request, dc)
        except (KeyError, LookupError, ValueError, TypeError, RuntimeError, OSError) as exc:
            return _answer({"error": f"{type(exc).__name__}: {exc}"}, 400)

    app.router.add_route("*", "/_fake/{tail:.*}", handle)


async def _dispatch(request: web.Request, dc: FakeDiscord) -> web.Response:
    parts = request.match_info["tail"].strip("/").split("/")
    action = parts[0]
    body: dict[str, Any] = await request.json() if request.can_read_body else {}
    user_id = int(body["user_id"]) if body.get("user_id") else None
    if request.method == "POST" and action == "slash":
        options = dict(body.get("options") or {})
        if body.get("video_path"):
            path = Path(body["video_path"])
            options[body.get("video_option", "video")] = dc.attachment(path.read_bytes(), path.name)
        iid = dc.invoke_slash(body["name"], options, user_id=user_id, guild=not body.get("dm", False))
        return _answer({"interaction_id": str(iid)})
    if request.method == "POST" and action == "message":
        atts = []
        if body.get("video_path"):
            path = Path(body["video_path"])
            atts.append(dc.attachment(path.read_bytes(), path.name))
        mid = dc.user_message(body.get("content", ""), user_id, atts, dm=bool(body.get("dm")),
                              mention_bot=bool(body.get("mention_bot")))
        return _answer({"message_id": str(mid)})
    if request.method == "POST" and action == "press":
        iid = dc.press_button(int(body["message_id"]), body["custom_id"], user_id)
        return _answer({"interaction_id": str(iid)})
    if action == "interaction" and len(parts) == 2:
        record = dataclasses.asdict(dc.interaction(parts[1]))
        record.pop("payload", None)
        return _answer(record)
    if action == "channel":
        cid = int(parts[1]) if len(parts) > 1 else dc.channel_id
        return _answer(dc.channel_messages(cid, include_all=True))
    if action == "commands":
        guilds = {str(g): dc.registered_commands(g) for g in dc.state.guild_commands}
        return _answer({"global": dc.registered_commands(), "guilds": guilds})
    if action == "calls":
        return _answer([dataclasses.asdict(c) for c in dc.calls])
    return _answer({"error": "unknown control action", "help": __doc__}, 404)
