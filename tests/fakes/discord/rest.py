"""The REST API under ``/api/v10``: routing, recording, auth, size limits, rate limits and the handlers.

JSON answers carry ``Content-Type: application/json`` exactly (discord.py treats anything else,
even ``; charset=utf-8``, as text). Every request is recorded as a ``RestCall``.
"""

from __future__ import annotations

import json
import math
import re
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from .gateway import Gateway
from .models import (
    CHANNEL_DM,
    FLAG_EPHEMERAL,
    FLAG_LOADING,
    JSON,
    Clock,
    InteractionRecord,
    RestCall,
    StoredMessage,
    member_payload,
)
from .ratelimits import RateLimits
from .state import ApiError, DiscordState, Upload, form_error, unknown_message

API_PREFIX = "/api/v10"
_FILE_FIELD = re.compile(r"^files?\[?(\d*)\]?$")
UNKNOWN_INTERACTION = (404, 10062, "Unknown interaction")
ACK_DEADLINE = 3.0  # seconds to answer an interaction, always
INVALID_WEBHOOK_TOKEN = (401, 50027, "Invalid Webhook Token")


@dataclass
class Rule:
    """A fault to inject: the next ``times`` matching requests get ``status`` and ``body``."""

    prefix: str
    times: int
    status: int
    body: JSON
    method: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    is_rate_limit: bool = False

    def matches(self, method: str, path: str) -> bool:
        return self.times > 0 and path.startswith(self.prefix) and (self.method in (None, method))


@dataclass
class ApiRequest:
    method: str
    path: str
    params: dict[str, str]
    query: dict[str, str]
    json: Any
    uploads: list[Upload]
    authorized: bool


Handler = Callable[[ApiRequest], Awaitable[tuple[int, Any]]]


def json_response(status: int, body: Any, headers: dict[str, str] | None = None) -> web.Response:
    if status == 204:
        return web.Response(status=204, headers=headers)
    return web.Response(status=status, body=json.dumps(body).encode(), content_type="application/json",
                        headers=headers)


def _truthy(value: str | None) -> bool:
    return (value or "").lower() in ("1", "true", "yes")


class RestApi:
    def __init__(self, *, clock: Clock, state: DiscordState, gateway: Gateway, interaction_ttl: float,
                 request_size_limit: int, echo_bot_messages: bool,
                 gateway_url: Callable[[], str], notify: Callable[[], None]) -> None:
        self.clock = clock
        self.state = state
        self.gateway = gateway
        self.interaction_ttl = interaction_ttl
        self.request_size_limit = request_size_limit
        self.echo_bot_messages = echo_bot_messages
        self._gateway_url = gateway_url
        self._notify = notify
        self.calls: list[RestCall] = []
        self.rules: list[Rule] = []
        self.count_429 = 0  # scripted (rate_limit) and the fake's own (limits.refusals)
        self.limits = RateLimits()
        self._routes: list[tuple[str, re.Pattern[str], Handler, bool, str]] = []
        self._build_routes()

    # ------------------------------------------------------------------ routing

    def _route(self, method: str, pattern: str, handler: Handler, *, auth: bool = True) -> None:
        regex = re.compile("^" + re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", pattern) + "$")
        self._routes.append((method, regex, handler, auth, pattern))

    def _build_routes(self) -> None:
        r = self._route
        r("GET", "/users/@me", self.get_me)
        r("POST", "/users/@me/channels", self.create_dm)
        r("GET", "/users/{user_id}", self.get_user)
        r("GET", "/oauth2/applications/@me", self.get_application)
        r("GET", "/applications/@me", self.get_application)
        r("GET", "/gateway", self.get_gateway, auth=False)
        r("GET", "/gateway/bot", self.get_gateway_bot)
        r("GET", "/applications/{app_id}/commands", self.get_commands)
        r("PUT", "/applications/{app_id}/commands", self.put_commands)
        r("GET", "/applications/{app_id}/guilds/{guild_id}/commands", self.get_commands)
        r("PUT", "/applications/{app_id}/guilds/{guild_id}/commands", self.put_commands)
        r("POST", "/interactions/{interaction_id}/{token}/callback", self.callback, auth=False)
        r("POST", "/webhooks/{app_id}/{token}", self.followup, auth=False)
        for method in ("GET", "PATCH", "DELETE"):
            r(method, "/webhooks/{app_id}/{token}/messages/{message_id}", self.webhook_message, auth=False)
        r("GET", "/channels/{channel_id}", self.get_channel)
        r("GET", "/channels/{channel_id}/messages", self.list_messages)
        r("POST", "/channels/{channel_id}/messages", self.post_message)
        r("POST", "/channels/{channel_id}/typing", self.typing)
        for method in ("GET", "PATCH", "DELETE"):
            r(method, "/channels/{channel_id}/messages/{message_id}", self.channel_message)
        r("GET", "/guilds/{guild_id}/channels", self.guild_channels)
        r("GET", "/guilds/{guild_id}/members/{user_id}", self.guild_member)

    def add_routes(self, app: web.Application) -> None:
        app.router.add_route("*", API_PREFIX + "/{tail:.*}", self.handle)

    async def handle(self, request: web.Request) -> web.StreamResponse:
        path = "/" + request.match_info["tail"]
        call = RestCall(method=request.method, path=path, time=self.clock.monotonic(),
                        query=dict(request.query))
        self.calls.append(call)
        call.authorized = request.headers.get("Authorization") == f"Bot {self.state.bot_token}"
        try:
            response = await self._handle(request, path, call)
        except ApiError as exc:
            response = json_response(exc.status, exc.body(), exc.headers)
            call.response = exc.body()
        call.status = response.status
        self._notify()
        return response

    async def _handle(self, request: web.Request, path: str, call: RestCall) -> web.Response:
        body, uploads = await self._read_body(request, call)
        for rule in self.rules:
            if rule.matches(request.method, path):
                rule.times -= 1
                if rule.is_rate_limit:
                    self.count_429 += 1
                call.response = rule.body
                return json_response(rule.status, rule.body, rule.headers)
        for method, regex, handler, auth, template in self._routes:
            m = regex.match(path)
            if m is None or method != request.method:
                continue
            if auth and not call.authorized:
                raise ApiError(401, 0, "401: Unauthorized")
            limited = self.limits.admit(method, template, m.groupdict(), path, call.authorized,
                                        self.clock.monotonic(), self.clock.time())
            if limited.body is not None:
                self.count_429 += 1
                call.response = limited.body
                return json_response(429, limited.body, limited.headers)
            req = ApiRequest(method=request.method, path=path, params=m.groupdict(), query=dict(request.query),
                             json=body, uploads=uploads, authorized=call.authorized)
            try:
                status, out = await handler(req)
            except ApiError as exc:
                exc.headers = limited.headers
                raise
            call.response = out
            return json_response(status, out, limited.headers)
        if any(regex.match(path) for _, regex, _, _, _ in self._routes):
            raise ApiError(405, 0, "405: Method Not Allowed")
        raise ApiError(404, 0, "404: Not Found")

    async def _read_body(self, request: web.Request, call: RestCall) -> tuple[Any, list[Upload]]:
        ctype = request.content_type
        uploads: list[Upload] = []
        body: Any = None
        if ctype == "multipart/form-data":
            reader = await request.multipart()
            position = 0
            while True:
                part = await reader.next()
                if part is None:
                    break
                name = part.name or ""  # type: ignore[union-attr]
                data = await part.read(decode=False)  # type: ignore[union-attr]
                if name == "payload_json":
                    body = self._parse_json(bytes(data))
                    continue
                m = _FILE_FIELD.match(name)
                if m is None and not part.filename:  # type: ignore[union-attr]
                    continue
                index = int(m.group(1)) if m and m.group(1) else position
                position += 1
                uploads.append(Upload(index=index, filename=part.filename or name,  # type: ignore[union-attr]
                                      data=bytes(data),
                                      content_type=part.headers.get("Content-Type")))  # type: ignore[union-attr]
        else:
            raw = await request.read()
            if raw:
                body = self._parse_json(raw)
        call.json = body
        call.files = [(u.filename, len(u.data)) for u in uploads]
        limit = self.state.attachment_size_limit
        if any(len(u.data) > limit for u in uploads) or sum(len(u.data) for u in uploads) > self.request_size_limit:
            raise ApiError(413, 40005, "Request entity too large")
        return body, uploads

    @staticmethod
    def _parse_json(raw: bytes) -> Any:
        try:
            return json.loads(raw)
        except ValueError:
            raise ApiError(400, 50109, "The request body contains invalid JSON.") from None

    # ------------------------------------------------------------------ faults

    def rate_limit(self, prefix: str, times: int, retry_after: float, is_global: bool, method: str | None) -> None:
        bucket = secrets.token_hex(16)
        reset = self.clock.time() + retry_after
        headers = {
            "Retry-After": str(max(1, math.ceil(retry_after))),
            "X-RateLimit-Limit": "5",
            "X-RateLimit-Remaining": "0",
            "X-RateLimit-Reset": f"{reset:.3f}",
            "X-RateLimit-Reset-After": f"{retry_after:.3f}",
            "X-RateLimit-Bucket": bucket,
            "X-RateLimit-Scope": "global" if is_global else "user",
            "Via": "1.1 google",
        }
        if is_global:
            headers["X-RateLimit-Global"] = "true"
        body = {"message": "You are being rate limited.", "retry_after": retry_after, "global": is_global}
        self.rules.append(Rule(prefix=prefix, times=times, status=429, body=body, method=method,
                               headers=headers, is_rate_limit=True))

    def fail(self, prefix: str, times: int, status: int, body: JSON | None, method: str | None) -> None:
        self.rules.append(Rule(prefix=prefix, times=times, status=status, method=method,
                               body=body or {"message": f"{status}: injected failure", "code": 0}))

    # ------------------------------------------------------------------ gateway echoes

    def _emit(self, event: str, stored: StoredMessage) -> None:
        if stored.ephemeral or (not self.echo_bot_messages and stored.source != "user"):
            return
        data = self.state.gateway_message(stored)
        self.gateway.dispatch_message(event, data, author_id=int(data["author"]["id"]), mentions_bot=False)

    def _emit_delete(self, stored: StoredMessage) -> None:
        if stored.ephemeral or (not self.echo_bot_messages and stored.source != "user"):
            return
        data: JSON = {"id": str(stored.id), "channel_id": str(stored.channel_id)}
        channel = self.state.channels.get(stored.channel_id)
        if channel is not None and channel.guild_id is not None:
            data["guild_id"] = str(channel.guild_id)
        self.gateway.dispatch_message("MESSAGE_DELETE", data, author_id=self.state.bot_user.id,
                                      mentions_bot=False)

    # ------------------------------------------------------------------ users, app, gateway

    async def get_me(self, req: ApiRequest) -> tuple[int, Any]:
        me = dict(self.state.bot_user.payload(), verified=True, mfa_enabled=False, email=None, locale="en-US")
        return 200, me

    async def get_user(self, req: ApiRequest) -> tuple[int, Any]:
        return 200, self.state.user(int(req.params["user_id"])).payload()

    async def create_dm(self, req: ApiRequest) -> tuple[int, Any]:
        body = req.json or {}
        try:
            user_id = int(body["recipient_id"])
        except (KeyError, TypeError, ValueError):
            raise form_error({"recipient_id": {"_errors": [{"code": "BASE_TYPE_REQUIRED",
                                                            "message": "This field is required"}]}}) from None
        return 200, self.state.channel_payload(self.state.dm_channel(user_id))

    async def get_application(self, req: ApiRequest) -> tuple[int, Any]:
        state = self.state
        owner = next(iter(state.guilds.values())).owner_id if state.guilds else state.bot_user.id
        return 200, {
            "id": str(state.application_id),
            "name": state.bot_user.username,
            "icon": None,
            "description": "",
            "summary": "",
            "type": None,
            "hook": True,
            "bot_public": True,
            "bot_require_code_grant": False,
            "verify_key": secrets.token_hex(32),
            "owner": state.user(owner).payload(),
            "team": None,
            "flags": state.application_flags,
            "bot": state.bot_user.payload(),
            "rpc_origins": [],
            "redirect_uris": [],
            "interactions_endpoint_url": None,
            "tags": [],
            "approximate_guild_count": len(state.guilds),
            "integration_types_config": {"0": {}},
        }

    async def get_gateway(self, req: ApiRequest) -> tuple[int, Any]:
        return 200, {"url": self._gateway_url()}

    async def get_gateway_bot(self, req: ApiRequest) -> tuple[int, Any]:
        return 200, {"url": self._gateway_url(), "shards": 1,
                     "session_start_limit": {"total": 1000, "remaining": 999, "reset_after": 86400000,
                                             "max_concurrency": 1}}

    # ------------------------------------------------------------------ application commands

    def _check_app(self, req: ApiRequest) -> int | None:
        if int(req.params["app_id"]) != self.state.application_id:
            raise ApiError(403, 50001, "Missing Access")
        gid = req.params.get("guild_id")
        return int(gid) if gid is not None else None

    async def get_commands(self, req: ApiRequest) -> tuple[int, Any]:
        return 200, self.state.commands(self._check_app(req))

    async def put_commands(self, req: ApiRequest) -> tuple[int, Any]:
        return 200, self.state.overwrite_commands(self._check_app(req), req.json)

    # ------------------------------------------------------------------ interactions

    def _age(self, record: InteractionRecord) -> float:
        return self.clock.monotonic() - record.created_at

    async def callback(self, req: ApiRequest) -> tuple[int, Any]:
        state = self.state
        try:
            record = state.interactions[int(req.params["interaction_id"])]
        except (KeyError, ValueError):
            raise ApiError(*UNKNOWN_INTERACTION) from None
        if record.token != req.params["token"]:
            raise ApiError(*UNKNOWN_INTERACTION)
        age = self._age(record)
        if age > self.interaction_ttl or age > ACK_DEADLINE:
            raise ApiError(*UNKNOWN_INTERACTION)
        if record.acknowledged:
            raise ApiError(400, 40060, "Interaction has already been acknowledged.")
        body = req.json if isinstance(req.json, dict) else {}
        ctype = body.get("type")
        data = body.get("data") or {}
        allowed = {2: {4, 5, 9, 10, 12}, 3: {4, 5, 6, 7, 9, 10, 12}, 4: {8}, 5: {4, 5, 6, 7, 10, 12}}
        if ctype not in allowed.get(record.type, set()):
            raise form_error({"type": {"_errors": [{"code": "INTERACTION_RESPONSE_TYPE_INVALID",
                                                    "message": "Interaction response type is invalid"}]}})
        message: StoredMessage | None = None
        now = self.clock.monotonic()
        if ctype in (4, 5):
            extra = self._interaction_metadata(record)
            mtype = 20 if record.type == 2 else 0
            if ctype == 4:
                message = state.create_message(record.channel_id, data, req.uploads, source="webhook",
                                               type=mtype, interaction_id=record.id, extra=extra)
            else:
                flags = int(data.get("flags") or 0) & FLAG_EPHEMERAL
                message = state.create_message(record.channel_id, {"flags": flags}, [], source="webhook",
                                               type=mtype, interaction_id=record.id, extra=extra,
                                               extra_flags=FLAG_LOADING, validate=False)
                record.deferred, record.deferred_at = True, now
            record.original_message_id = message.id
            record.message_ids.add(message.id)
            record.original = message.snapshot()
            self._emit("MESSAGE_CREATE", message)
        elif ctype in (6, 7):
            if record.component_message_id is None:
                raise form_error({"type": {"_errors": [{"code": "INTERACTION_RESPONSE_TYPE_INVALID",
                                                        "message": "Interaction response type is invalid"}]}})
            message = state.message(record.component_message_id)
            record.original_message_id = message.id
            record.message_ids.add(message.id)
            if ctype == 7:
                state.edit_message(message, data, req.uploads)
                self._emit("MESSAGE_UPDATE", message)
            else:
                record.deferred, record.deferred_at = True, now
            record.original = message.snapshot()
        else:
            record.callback_data = data
        record.callback_type, record.callback_at = ctype, now
        if not _truthy(req.query.get("with_response")):
            return 204, None
        interaction: JSON = {"id": str(record.id), "type": record.type,
                             "response_message_loading": ctype == 5,
                             "response_message_ephemeral": bool(message and message.ephemeral)}
        resource: JSON = {"type": ctype}
        if message is not None:
            interaction["response_message_id"] = str(message.id)
            resource["message"] = message.snapshot()
        return 200, {"interaction": interaction, "resource": resource}

    def _interaction_metadata(self, record: InteractionRecord) -> JSON:
        user = self.state.user(record.user_id).payload()
        meta: JSON = {"id": str(record.id), "type": record.type, "user": user,
                      "authorizing_integration_owners": record.payload.get("authorizing_integration_owners", {})}
        legacy: JSON = {"id": str(record.id), "type": record.type, "user": user}
        if record.type == 2:
            name = record.payload["data"]["name"]
            meta["name"] = name
            meta["command_type"] = 1
            legacy["name"] = name
        elif record.component_message_id is not None:
            meta["interacted_message_id"] = str(record.component_message_id)
            legacy["name"] = record.payload["data"].get("custom_id", "")
        return {"interaction_metadata": meta, "interaction": legacy}

    def _webhook_record(self, req: ApiRequest) -> InteractionRecord:
        try:
            app_id = int(req.params["app_id"])
        except ValueError:
            raise ApiError(404, 10015, "Unknown Webhook") from None
        if app_id != self.state.application_id:
            raise ApiError(404, 10015, "Unknown Webhook")
        iid = self.state.tokens.get(req.params["token"])
        if iid is None:
            raise ApiError(*INVALID_WEBHOOK_TOKEN)
        record = self.state.interactions[iid]
        if self._age(record) > self.interaction_ttl:
            raise ApiError(*INVALID_WEBHOOK_TOKEN)
        return record

    async def followup(self, req: ApiRequest) -> tuple[int, Any]:
        state = self.state
        record = self._webhook_record(req)
        if not record.acknowledged:
            raise ApiError(404, 10015, "Unknown Webhook")
        body = req.json if isinstance(req.json, dict) else {}
        original = state.messages.get(record.original_message_id or 0)
        if (record.callback_type == 5 and original is not None and not original.deleted
                and original.payload.get("flags", 0) & FLAG_LOADING):
            # The first follow-up after a deferred (thinking) response replaces the loading message;
            # its flags are ignored, the original's ephemeral state stays.
            body = {k: v for k, v in body.items() if k != "flags"}
            body.setdefault("content", "")
            body.setdefault("embeds", [])
            body.setdefault("components", [])
            message = state.edit_message(original, body, req.uploads)
            self._emit("MESSAGE_UPDATE", message)
        else:
            extra = self._interaction_metadata(record)
            message = state.create_message(record.channel_id, body, req.uploads, source="webhook",
                                           type=20 if record.type == 2 else 0, interaction_id=record.id,
                                           extra=extra)
            record.message_ids.add(message.id)
            self._emit("MESSAGE_CREATE", message)
        record.followups.append(message.snapshot())
        if not _truthy(req.query.get("wait")):
            return 204, None
        return 200, message.snapshot()

    async def webhook_message(self, req: ApiRequest) -> tuple[int, Any]:
        state = self.state
        record = self._webhook_record(req)
        raw = req.params["message_id"]
        if raw == "@original":
            if record.original_message_id is None:
                raise unknown_message()
            mid = record.original_message_id
        else:
            try:
                mid = int(raw)
            except ValueError:
                raise unknown_message() from None
            if mid not in record.message_ids:
                raise unknown_message()
        message = state.message(mid)
        if req.method == "GET":
            return 200, message.snapshot()
        if req.method == "DELETE":
            state.delete_message(message)
            self._emit_delete(message)
            return 204, None
        body = req.json if isinstance(req.json, dict) else {}
        state.edit_message(message, body, req.uploads)
        if mid == record.original_message_id:
            record.original_edits.append(message.snapshot())
        else:
            for i, f in enumerate(record.followups):
                if f["id"] == str(mid):
                    record.followups[i] = message.snapshot()
        self._emit("MESSAGE_UPDATE", message)
        return 200, message.snapshot()

    # ------------------------------------------------------------------ channels and messages

    def _channel(self, req: ApiRequest) -> int:
        try:
            cid = int(req.params["channel_id"])
        except ValueError:
            raise ApiError(404, 10003, "Unknown Channel") from None
        self.state.channel(cid)
        return cid

    async def get_channel(self, req: ApiRequest) -> tuple[int, Any]:
        return 200, self.state.channel_payload(self.state.channel(self._channel(req)))

    async def typing(self, req: ApiRequest) -> tuple[int, Any]:
        self._channel(req)
        return 204, None

    async def post_message(self, req: ApiRequest) -> tuple[int, Any]:
        cid = self._channel(req)
        body = dict(req.json) if isinstance(req.json, dict) else {}
        body["flags"] = int(body.get("flags") or 0) & ~FLAG_EPHEMERAL
        message = self.state.create_message(cid, body, req.uploads, source="bot")
        self._emit("MESSAGE_CREATE", message)
        return 200, message.snapshot()

    async def list_messages(self, req: ApiRequest) -> tuple[int, Any]:
        cid = self._channel(req)
        channel = self.state.channels[cid]
        limit = max(1, min(100, int(req.query.get("limit", "50"))))
        ids = sorted(channel.message_ids, reverse=True)
        if "before" in req.query:
            ids = [i for i in ids if i < int(req.query["before"])]
        if "after" in req.query:
            ids = sorted(i for i in ids if i > int(req.query["after"]))[:limit][::-1]
        return 200, [self.state.messages[i].snapshot() for i in ids[:limit]]

    async def channel_message(self, req: ApiRequest) -> tuple[int, Any]:
        state = self.state
        cid = self._channel(req)
        try:
            message = state.message(int(req.params["message_id"]))
        except ValueError:
            raise unknown_message() from None
        if message.channel_id != cid or message.ephemeral:
            raise unknown_message()
        own = message.source == "bot"
        if req.method == "GET":
            return 200, message.snapshot()
        if req.method == "DELETE":
            if not own and state.channels[cid].type == CHANNEL_DM:
                raise ApiError(403, 50003, "Cannot execute action on a DM channel")
            state.delete_message(message)
            self._emit_delete(message)
            return 204, None
        body = req.json if isinstance(req.json, dict) else {}
        if not own and (set(body) - {"flags"} or req.uploads):
            raise ApiError(403, 50005, "Cannot edit a message authored by another user")
        state.edit_message(message, body, req.uploads)
        self._emit("MESSAGE_UPDATE", message)
        return 200, message.snapshot()

    async def guild_channels(self, req: ApiRequest) -> tuple[int, Any]:
        guild = self.state.guild(int(req.params["guild_id"]))
        return 200, [self.state.channel_payload(self.state.channels[c]) for c in guild.channel_ids]

    async def guild_member(self, req: ApiRequest) -> tuple[int, Any]:
        guild = self.state.guild(int(req.params["guild_id"]))
        uid = int(req.params["user_id"])
        if uid not in guild.member_ids:
            raise ApiError(404, 10007, "Unknown Member")
        return 200, member_payload(self.state.user(uid), guild.joined_at)
