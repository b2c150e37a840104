"""FakeNemo: a scriptable NEMO API server on 127.0.0.1 (aiohttp)."""

from __future__ import annotations

import asyncio
import copy
import hashlib
import inspect
import json
import math
import secrets
import time
from collections import deque
from collections.abc import Awaitable, Callable, Iterable
from datetime import UTC, datetime, timedelta
from types import TracebackType
from typing import Any, Literal, Self
from urllib.parse import quote, urlparse

import httpx
from aiohttp import BodyPartReader, web

from .editor import AUDIO, VIDEO, default_reply, file_type, silent_close, with_segment
from .render import Render, Unsatisfiable, byte_range
from .script import RenderPlan, Step
from .sse import ChatStream
from .state import CODE_MESSAGES, ENDPOINTS, Failure, FakeSession, Recorded, TokenRecord

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

ATTRIBUTION_HEADERS = ("X-Skill-Source", "X-Skill-Version", "X-Skill-Platform")
# web.RequestKey exists from aiohttp 3.12; a plain key (with a warning) works before that.
_RECORD: Any = web.RequestKey("nemo_recorded", Recorded) if hasattr(web, "RequestKey") else "nemo_recorded"
_CHUNK = 1 << 16
CDN_KEEP_LIMIT = 16 * 1024 * 1024  # uploaded files up to this size are served back from /cdn/, as NEMO's CDN does
_SSE_HEADERS = {"Content-Type": "text/event-stream", "Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
# What the fake pretends to know about an uploaded file, by kind: duration (s), width, height, fps.
_MEDIA_FACTS: dict[str, tuple[float, int, int, int]] = {
    "video": (10.0, 1920, 1080, 30),
    "image": (3.0, 1080, 1080, 0),
    "audio": (30.0, 0, 0, 0),
}


def _ok(data: Any) -> web.Response:
    return web.json_response({"code": 0, "message": "ok", "data": data})


def _code(code: int, message: str | None = None) -> web.Response:
    return web.json_response({"code": code, "message": message or CODE_MESSAGES.get(code, f"error {code}")})


def _detail(status: int, detail: Any) -> web.Response:
    return web.json_response({"detail": detail}, status=status)


def _missing(*loc: str) -> web.Response:
    """A FastAPI-style 422 for a missing body field."""
    return _detail(422, [{"loc": ["body", *loc], "msg": "Field required", "type": "missing"}])


class FakeNemo:
    """A stand-in NEMO server. Use as `async with FakeNemo() as nemo:`; see the package docstring."""

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        token_ttl: timedelta | float = timedelta(days=7),
        strict_token_rate: bool = False,
        static_tokens: Iterable[str] = (),
        session_error_style: Literal["http", "code"] = "http",
        fetch_urls: bool = True,
        max_upload_bytes: int = 500 * 1024 * 1024,
        chat_cost: int = 1,
        credits: int = 100,
        render_plan: RenderPlan | None = None,
        seed: int = 0,
        silent_share: float = 0.3,
    ) -> None:
        self.host = host
        self.port = port
        self.token_ttl = token_ttl.total_seconds() if isinstance(token_ttl, timedelta) else float(token_ttl)
        self.strict_token_rate = strict_token_rate
        self.session_error_style = session_error_style
        self.fetch_urls = fetch_urls
        self.max_upload_bytes = max_upload_bytes
        self.chat_cost = chat_cost
        self.default_credits = credits
        self.render_plan = render_plan or RenderPlan()
        self.seed = seed
        self.silent_share = silent_share

        self.requests: list[Recorded] = []
        self.chat_messages: list[str] = []
        self.sessions: dict[str, FakeSession] = {}
        self.tokens: dict[str, TokenRecord] = {
            token: TokenRecord(token, "usr_static", None, math.inf, credits) for token in static_tokens
        }
        self.renders: dict[str, Render] = {}
        self.cdn: dict[str, bytes] = {}  # "<digest>/<name>" -> the uploaded bytes
        self._scripts: deque[list[Step]] = deque()
        self._failures: dict[str, deque[Failure]] = {name: deque() for name in ENDPOINTS}
        self._runner: web.AppRunner | None = None
        self._fetcher: httpx.AsyncClient | None = None  # one pool for URL uploads, as a server keeps one

    # -- lifecycle ---------------------------------------------------------------------------------

    @property
    def url(self) -> str:
        """Base URL, e.g. "http://127.0.0.1:41234" (valid once started)."""
        return f"http://{self.host}:{self.port}"

    async def start(self) -> None:
        """Bind and serve; with port=0 a free port is chosen and stored in `port`."""
        app = web.Application(middlewares=[self._middleware], client_max_size=64 * 1024 * 1024)
        route = app.router
        route.add_post("/api/auth/anonymous-token", self._token, name="token")
        route.add_post("/api/tasks/me/with-session/nemo_agent", self._session, name="session")
        route.add_post("/run_sse", self._chat, name="chat")
        route.add_post("/api/upload-video/nemo_agent/me/{sid}", self._upload, name="upload")
        route.add_get("/api/credits/balance/simple", self._credits, name="credits")
        route.add_get("/api/state/nemo_agent/me/{sid}/latest", self._state, name="state")
        route.add_post("/api/render/proxy/lambda", self._export, name="export")
        route.add_get("/api/render/proxy/lambda/{rid}", self._render_status, name="render_status")
        route.add_post("/api/render/proxy/lambda/{rid}/cancel", self._cancel, name="cancel")
        route.add_get("/files/{name}", self._file, name="files")
        route.add_get("/cdn/{digest}/{name}", self._cdn, name="cdn")
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5, handler_cancellation=True)
        await self._runner.setup()
        await web.TCPSite(self._runner, self.host, self.port).start()
        self.port = self._runner.addresses[0][1]
        # Building a client builds a TLS context (tens of ms of CPU): one for the server's life, not one per fetch.
        self._fetcher = httpx.AsyncClient(timeout=10, follow_redirects=True)

    async def stop(self) -> None:
        """Close the listener and any open streams."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        if self._fetcher is not None:
            await self._fetcher.aclose()
            self._fetcher = None

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.stop()

    # -- test controls -----------------------------------------------------------------------------

    def script_chat(self, *steps: Step) -> None:
        """Queue the steps of the next unscripted `/run_sse` reply (FIFO; one call = one reply)."""
        self._scripts.append(list(steps))

    def fail_next(
        self,
        endpoint: str,
        *,
        code: int | None = None,
        http_status: int | None = None,
        times: int = 1,
        message: str | None = None,
    ) -> None:
        """Make the next `times` calls of `endpoint` fail: with `{"code","message"}` (HTTP 200 unless
        `http_status` is given too), or with HTTP `http_status` and `{"detail"}` (500 if neither)."""
        if endpoint not in self._failures:
            raise ValueError(f"unknown endpoint {endpoint!r}; one of {', '.join(ENDPOINTS)}")
        self._failures[endpoint].append(Failure(code, http_status, message, times))

    def forget_session(self, session_id: str) -> None:
        """Drop a session: its next use answers code 1002 (or 404 on /run_sse)."""
        self.sessions.pop(session_id, None)

    def expire_token(self, token: str) -> None:
        """Invalidate a token: its next use answers code 1001."""
        if token in self.tokens:
            self.tokens[token].revoked = True

    def set_credits(self, token: str | None, n: int) -> None:
        """Set one token's credits, or (token None) every token's and the default for new tokens."""
        if token is None:
            self.default_credits = n
            for record in self.tokens.values():
                record.credits = n
        else:
            self.tokens[token].credits = n

    async def wait_for(
        self, predicate: Callable[[], Any], timeout: float = 5.0, interval: float = 0.01
    ) -> None:
        """Poll `predicate` (sync or async) until truthy; TimeoutError after `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while True:
            result = predicate()
            if inspect.isawaitable(result):
                result = await result
            if result:
                return
            if time.monotonic() >= deadline:
                raise TimeoutError(f"condition not met within {timeout} s")
            await asyncio.sleep(interval)

    # -- plumbing ----------------------------------------------------------------------------------

    @web.middleware
    async def _middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        """Record every request, then answer an injected failure if one is queued."""
        body: Any = None
        if not request.content_type.startswith("multipart/") and request.body_exists:
            try:
                body = json.loads(await request.read())
            except ValueError:
                body = None
        headers = {key.lower(): value for key, value in request.headers.items()}
        record = Recorded(request.method, request.path, headers, body, time=time.monotonic())
        self.requests.append(record)
        request[_RECORD] = record
        failure = self._take_failure(request.match_info.route.name)
        if failure is not None:
            status, payload = failure.body()
            return web.json_response(payload, status=status)
        return await handler(request)

    def _take_failure(self, endpoint: str | None) -> Failure | None:
        queue = self._failures.get(endpoint or "")
        if not queue:
            return None
        failure = queue[0]
        failure.times -= 1
        if failure.times <= 0:
            queue.popleft()
        return failure

    def _auth(self, request: web.Request) -> TokenRecord | None:
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        record = self.tokens.get(token.strip()) if scheme.lower() == "bearer" else None
        return record if record is not None and record.valid() else None

    @staticmethod
    def _json(request: web.Request) -> dict[str, Any]:
        body = request[_RECORD].json
        return body if isinstance(body, dict) else {}

    # -- endpoints ---------------------------------------------------------------------------------

    async def _token(self, request: web.Request) -> web.StreamResponse:
        client_id = request.headers.get("X-Client-Id", "").strip()
        if not client_id:
            return _detail(400, "missing X-Client-Id")
        now = time.time()
        if self.strict_token_rate and any(
            t.client_id == client_id and t.valid(now) for t in self.tokens.values()
        ):
            return web.json_response(
                {"success": False, "error": "one anonymous token per client per 7 days"}, status=429
            )
        record = TokenRecord(
            token=f"nmv_usr_{secrets.token_hex(8)}",
            user_id=f"anon_{secrets.token_hex(6)}",
            client_id=client_id,
            expires_at=now + self.token_ttl,
            credits=self.default_credits,
        )
        self.tokens[record.token] = record
        expires = datetime.fromtimestamp(record.expires_at, tz=UTC).isoformat()
        data = {
            "token": record.token,
            "user_id": record.user_id,
            "expires_at": expires.replace("+00:00", "Z"),
            "credits": record.credits,
        }
        return web.json_response({"success": True, "data": data})

    async def _session(self, request: web.Request) -> web.StreamResponse:
        token = self._auth(request)
        if token is None:
            return _code(1001)
        body = self._json(request)
        session = FakeSession(
            session_id=str(secrets.randbelow(9 * 10**18) + 10**18),
            task_id=f"task_{secrets.token_hex(8)}",
            task_name=str(body.get("task_name") or "project"),
            token=token.token,
            language=body.get("language"),
        )
        self.sessions[session.session_id] = session
        return _ok({"task_id": session.task_id, "session_id": session.session_id})

    async def _chat(self, request: web.Request) -> web.StreamResponse:
        token = self._auth(request)
        if token is None:
            return _code(1001)
        body = self._json(request)
        for key in ("app_name", "user_id", "session_id", "new_message"):
            if key not in body:
                return _missing(key)
        parts = body["new_message"].get("parts") if isinstance(body["new_message"], dict) else None
        texts = [p["text"] for p in parts or [] if isinstance(p, dict) and isinstance(p.get("text"), str)]
        if not texts:
            return _missing("new_message", "parts", "0", "text")
        session = self.sessions.get(str(body["session_id"]))
        if session is None:
            return _code(1002) if self.session_error_style == "code" else _detail(404, "Session not found")
        if token.credits < self.chat_cost:
            return _code(2001)
        token.credits -= self.chat_cost
        self.chat_messages.append(texts[0])
        if self._scripts:
            steps = self._scripts.popleft()
        else:
            silent = silent_close(self.seed, self.silent_share, texts[0], session.unscripted_edits)
            session.unscripted_edits += 1
            steps = default_reply(texts[0], session.draft, silent=silent)

        response = web.StreamResponse(headers=_SSE_HEADERS)
        await response.prepare(request)
        try:
            if await ChatStream(request, response, session).play(steps):
                await response.write_eof()
        except ConnectionError:
            pass  # the client went away; nothing to finish
        return response

    async def _upload(self, request: web.Request) -> web.StreamResponse:
        if self._auth(request) is None:
            return _code(1001)
        session = self.sessions.get(request.match_info["sid"])
        if session is None:
            return _code(1002)
        if request.content_type.startswith("multipart/"):
            received = await self._receive_parts(request)
            if received is None:
                return _missing("files")
        else:
            urls = self._json(request).get("urls")
            if not isinstance(urls, list) or not urls:
                return _missing("urls")
            received = []
            for url in urls:
                fetched = await self._fetch(str(url)) if self.fetch_urls else (0, None)
                if isinstance(fetched, str):
                    return _code(4001, f"could not fetch {url}: {fetched}")
                received.append((urlparse(str(url)).path.rpartition("/")[2] or "remote.mp4", *fetched))

        for filename, size, _ in received:
            if file_type(filename) is None:
                return _code(4001, f"unsupported file type: {filename}")
            if size > self.max_upload_bytes:
                limit = self.max_upload_bytes
                return _code(4002, f"file too large: {filename} ({size} bytes, limit {limit})")
        files = [self._accept_file(session, filename, size, data) for filename, size, data in received]
        return _ok({"files": files, "session_state_applied": True})

    async def _receive_parts(self, request: web.Request) -> list[tuple[str, int, bytes | None]] | None:
        """Stream a multipart body, counting file bytes (kept when small); None when no `files` part came."""
        record: Recorded = request[_RECORD]
        received: list[tuple[str, int, bytes | None]] = []
        reader = await request.multipart()
        while (part := await reader.next()) is not None:
            if not isinstance(part, BodyPartReader):
                continue  # a nested multipart: not something NEMO takes
            name = part.name or ""
            if part.filename is None:
                record.form_fields[name] = await part.text()
                continue
            size = 0
            kept = bytearray()
            while chunk := await part.read_chunk(_CHUNK):
                size += len(chunk)
                if size <= CDN_KEEP_LIMIT:
                    kept += chunk
            record.files.append((name, part.filename, size))
            if name == "files":
                received.append((part.filename, size, bytes(kept) if size <= CDN_KEEP_LIMIT else None))
        return received or None

    async def _fetch(self, url: str) -> tuple[int, bytes | None] | str:
        """Download `url`: its size, and its bytes when small enough to keep; or why it could not be
        fetched (the HTTP status or the connection error, as a fetching server reports it)."""
        size = 0
        kept = bytearray()
        assert self._fetcher is not None, "FakeNemo is not started"
        try:
            async with self._fetcher.stream("GET", url) as response:
                if response.status_code >= 400:
                    return f"HTTP {response.status_code} {response.reason_phrase}".strip()
                async for chunk in response.aiter_bytes():
                    size += len(chunk)
                    if size <= CDN_KEEP_LIMIT:
                        kept += chunk
                    if size > self.max_upload_bytes:
                        break  # too large: answered 4002 like an upload
        except httpx.HTTPError as exc:
            return f"{type(exc).__name__}: {exc}"[:200] if str(exc) else type(exc).__name__
        return size, bytes(kept) if size <= CDN_KEEP_LIMIT else None

    def _accept_file(self, session: FakeSession, filename: str, size: int, data: bytes | None = None,
                     ) -> dict[str, Any]:
        """Describe an accepted file, add it to the session's media and the draft's timeline."""
        kind = file_type(filename) or "video"
        duration, width, height, fps = _MEDIA_FACTS[kind]
        digest = hashlib.sha256(f"{filename}:{size}".encode()).hexdigest()
        if data is not None:
            self.cdn[f"{digest[:16]}/{filename}"] = data
        info = {
            "filename": filename,
            "file_type": kind,
            "cdn_url": f"{self.url}/cdn/{digest[:16]}/{quote(filename)}",
            "duration": duration,
            "width": width,
            "height": height,
            "fps": fps,
            "hash": digest,
        }
        session.video_infos.append(dict(info))
        segment = {"d": int(duration * 1000), "m": {"title": filename, "url": info["cdn_url"]}}
        session.draft = with_segment(session.draft, AUDIO if kind == "audio" else VIDEO, segment)
        return info

    async def _credits(self, request: web.Request) -> web.StreamResponse:
        token = self._auth(request)
        if token is None:
            return _code(1001)
        return web.json_response({"available": token.credits, "frozen": 0, "total": token.credits})

    async def _state(self, request: web.Request) -> web.StreamResponse:
        if self._auth(request) is None:
            return _code(1001)
        session = self.sessions.get(request.match_info["sid"])
        if session is None:
            return _code(1002)
        state = {
            "draft": copy.deepcopy(session.draft),
            "video_infos": copy.deepcopy(session.video_infos),
            "generated_media": copy.deepcopy(session.generated_media),
            "canvas_config": {"width": 1920, "height": 1080, "fps": 30},
            "video_analyses": {},
        }
        return _ok({
            "session_id": session.session_id, "task_id": session.task_id,
            "task_name": session.task_name, "state": state,
        })

    async def _export(self, request: web.Request) -> web.StreamResponse:
        if self._auth(request) is None:
            return _code(1001)
        if not all(request.headers.get(name) for name in ATTRIBUTION_HEADERS):
            return web.json_response({"code": 402, "message": "free plan export blocked"}, status=402)
        body = self._json(request)
        for key in ("id", "sessionId"):
            if not isinstance(body.get(key), str) or not body[key]:
                return _missing(key)
        session = self.sessions.get(body["sessionId"])
        if session is None:
            return _code(1002)
        render = self.renders.get(body["id"])
        if render is None:  # a repeated id is the same render, not a second one
            draft = body["draft"] if isinstance(body.get("draft"), dict) else session.draft
            render = Render(body["id"], session.session_id, copy.deepcopy(draft), copy.copy(self.render_plan))
            self.renders[render.id] = render
        return _ok({"id": render.id, "status": render.status})

    async def _render_status(self, request: web.Request) -> web.StreamResponse:
        if self._auth(request) is None:
            return _code(1001)
        render = self.renders.get(request.match_info["rid"])
        if render is None:
            return _detail(404, "render not found")
        render.advance()
        return web.json_response(render.body(f"{self.url}/files/{quote(render.id)}.mp4"))

    async def _cancel(self, request: web.Request) -> web.StreamResponse:
        if self._auth(request) is None:
            return _code(1001)
        render = self.renders.get(request.match_info["rid"])
        if render is None:
            return _detail(404, "render not found")
        render.cancel()
        return _ok({"id": render.id, "status": render.status})

    async def _file(self, request: web.Request) -> web.StreamResponse:
        """The rendered MP4 (no auth, like a CDN), with single-range support."""
        name = request.match_info["name"]
        render = self.renders.get(name.removesuffix(".mp4")) if name.endswith(".mp4") else None
        if render is None or render.status != "completed":
            return _detail(404, "file not found")
        return _ranged(request, render.plan.content)

    async def _cdn(self, request: web.Request) -> web.StreamResponse:
        """An uploaded file served back (no auth), with single-range support."""
        content = self.cdn.get(f"{request.match_info['digest']}/{request.match_info['name']}")
        if content is None:
            return _detail(404, "file not found")
        return _ranged(request, content)


def _ranged(request: web.Request, content: bytes) -> web.StreamResponse:
    """``content`` as a CDN serves it: whole, or the one byte range asked for."""
    headers = {"Accept-Ranges": "bytes", "Content-Type": "video/mp4"}
    try:
        wanted = byte_range(request.headers.get("Range"), len(content))
    except Unsatisfiable:
        return web.Response(status=416, headers={**headers, "Content-Range": f"bytes */{len(content)}"})
    if wanted is None:
        return web.Response(body=content, headers=headers)
    start, end = wanted
    headers["Content-Range"] = f"bytes {start}-{end}/{len(content)}"
    return web.Response(status=206, body=content[start:end + 1], headers=headers)
