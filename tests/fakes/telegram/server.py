"""HTTP layer: /bot<token>/<method>, /file/bot<token>/<path>, /_fake/* controls; fault injection."""

from __future__ import annotations

import asyncio
import json
import re
import socket
from pathlib import Path
from typing import Any

from aiohttp import BodyPartReader, web

from . import control
from .api import canonical, dispatch
from .models import JSON, KEEP_UPLOAD_BYTES, ApiError, Call, Upload
from .state import TelegramState

# Form fields PTB sends as plain strings; everything else is JSON-encoded (numbers, bools, objects).
RAW_STRING_PARAMS = {
    "text", "caption", "parse_mode", "action", "file_id", "url", "secret_token", "ip_address",
    "callback_query_id", "inline_message_id", "language_code", "video", "document", "photo",
    "animation", "audio", "voice", "video_note", "sticker", "thumbnail", "cover", "emoji",
    "business_connection_id", "message_effect_id", "description", "short_description", "name", "title",
}  # fmt: skip
_API_PATH = re.compile(r"/bot([^/]+)/([A-Za-z]+)/?")
_FILE_PATH = re.compile(r"/file/bot([^/]+)/(.+)")


def decode_param(name: str, value: str) -> Any:
    """Undo PTB's form encoding: JSON for structured values, raw for text fields."""
    if name in RAW_STRING_PARAMS:
        return value
    try:
        return json.loads(value)
    except ValueError:
        return value


async def _read_upload(part: BodyPartReader) -> Upload:
    size, chunks, keep = 0, [], True
    while chunk := await part.read_chunk(1 << 20):
        size += len(chunk)
        if keep:
            chunks.append(chunk)
            if size > KEEP_UPLOAD_BYTES:
                keep, chunks = False, []
    content_type = part.headers.get("Content-Type", "application/octet-stream")
    return Upload(
        part.filename or part.name or "file", size, content_type, b"".join(chunks) if keep else None
    )


async def read_request(request: web.Request) -> tuple[JSON, dict[str, Upload]]:
    """Parameters from the query string and a JSON, urlencoded or multipart body."""
    params: JSON = {k: decode_param(k, v) for k, v in request.query.items()}
    uploads: dict[str, Upload] = {}
    if not request.can_read_body:
        return params, uploads
    if request.content_type == "application/json":
        try:
            body = await request.json()
        except ValueError as exc:
            raise ApiError(400, "Bad Request: can't parse JSON") from exc
        params.update(body if isinstance(body, dict) else {})
    elif request.content_type == "multipart/form-data":
        reader = await request.multipart()
        while (part := await reader.next()) is not None:
            if not isinstance(part, BodyPartReader):
                continue  # nested multipart: not used by the Bot API
            if part.filename is not None:
                uploads[part.name or ""] = await _read_upload(part)
            elif part.name:
                params[part.name] = decode_param(part.name, await part.text())
    else:
        form = await request.post()
        params.update({k: decode_param(k, v) for k, v in form.items() if isinstance(v, str)})
    return params, uploads


def _chat_id(params: JSON) -> int | None:
    raw = params.get("chat_id")
    try:
        return int(raw) if raw is not None else None
    except (TypeError, ValueError):
        return None


def _json(body: JSON, status: int = 200) -> web.Response:
    return web.Response(text=json.dumps(body), status=status, content_type="application/json")


class ApiServer:
    """An aiohttp server bound to one TelegramState."""

    def __init__(self, state: TelegramState, files_dir: Path) -> None:
        self.state = state
        self.files_dir = files_dir
        self.app = web.Application(client_max_size=KEEP_UPLOAD_BYTES)
        self.app.router.add_route("*", "/{tail:.*}", self._route)
        self._runner: web.AppRunner | None = None

    async def start(self, host: str, port: int) -> int:
        """Listen on host:port (0 picks a free port); returns the port."""
        self._runner = web.AppRunner(
            self.app, access_log=None, handler_cancellation=True, shutdown_timeout=1.0
        )
        await self._runner.setup()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        await web.SockSite(self._runner, sock).start()
        return int(sock.getsockname()[1])

    async def stop(self) -> None:
        await self.state.updates.close()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _route(self, request: web.Request) -> web.StreamResponse:
        path = request.path
        if match := _API_PATH.fullmatch(path):
            return await self._api(request, match.group(1), canonical(match.group(2)))
        if match := _FILE_PATH.fullmatch(path):
            return self._file(match.group(1), match.group(2))
        if path.startswith("/_fake/"):
            return await control.handle(request, self.state)
        return _json(ApiError(404, "Not Found").payload(), 404)

    async def _api(self, request: web.Request, token: str, method: str) -> web.StreamResponse:
        try:
            params, uploads = await read_request(request)
        except ApiError as exc:
            return _json(exc.payload(), exc.code)
        call = Call(
            method, params, {n: (u.filename, u.size) for n, u in uploads.items()}, self.state.clock.now()
        )
        self.state.calls.append(call)
        if token != self.state.token:
            call.status = 401
            return _json(ApiError(401, "Unauthorized").payload(), 401)
        fault = next((f for f in self.state.faults if f.matches(method)), None)
        if fault is not None:
            fault.times -= 1
            if fault.kind == "429":
                self.state.count_429 += 1
                call.status = 429
                error = ApiError(
                    429,
                    f"Too Many Requests: retry after {fault.retry_after}",
                    {"retry_after": fault.retry_after},
                )
                return _json(error.payload(), 429)
            if not fault.after:
                return self._drop(request, call)
        retry_after = self.state.flood.admit(method, _chat_id(params), call.time)
        if retry_after is not None:
            self.state.count_429 += 1
            call.status = 429
            error = ApiError(429, f"Too Many Requests: retry after {retry_after}", {"retry_after": retry_after})
            return _json(error.payload(), 429)
        try:
            result = await dispatch(self.state, method, params, uploads, self.files_dir)
            body, status = {"ok": True, "result": result}, 200
        except ApiError as exc:
            body, status = exc.payload(), exc.code
        except asyncio.CancelledError:
            call.status = 499  # the client went away (e.g. a cancelled long-poll)
            raise
        if fault is not None:
            return self._drop(request, call)
        call.status = status
        return _json(body, status)

    def _drop(self, request: web.Request, call: Call) -> web.Response:
        """Close the connection without an answer: the client sees a network error."""
        self.state.count_network_failures += 1
        call.status = 0
        if request.transport is not None:
            request.transport.abort()
        return web.Response()

    def _file(self, token: str, file_path: str) -> web.Response:
        if token != self.state.token:
            return _json(ApiError(401, "Unauthorized").payload(), 401)
        file_id = self.state.file_paths.get(file_path)
        if file_id is None:
            return _json(ApiError(404, "Not Found").payload(), 404)
        f = self.state.files[file_id]
        return web.Response(body=f.content(), content_type=f.mime)
