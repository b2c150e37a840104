"""The NEMO HTTP client: one method per endpoint, typed values out, typed errors raised.

It knows nothing of chats or retries; ``core.nemo.session`` adds the documented reactions.
Every request carries the bearer token and the three attribution headers.
"""

from __future__ import annotations

import dataclasses
import json
import math
import time
import uuid
from collections.abc import AsyncGenerator, Sequence
from datetime import datetime
from typing import Any, Self

import httpx
from httpx_sse import SSEError, aconnect_sse

from core.nemo.draft import Draft
from core.nemo.envelope import unwrap
from core.nemo.errors import (
    BadResponse,
    EmptyFile,
    FileTooLarge,
    NemoError,
    StreamDropped,
    StreamTimeout,
    Unavailable,
    UnsupportedFile,
    error_for,
)
from core.nemo.events import EventReader, StreamEvent
from core.nemo.lanes import Lanes
from core.nemo.limits import MAX_UPLOAD_BYTES, SUPPORTED_FORMATS, is_supported
from core.nemo.models import (
    AHEAD_NONE,
    FROM_RENDER,
    PREVIEW_HEADER,
    RENDER_AHEAD_HEADER,
    RENDER_WAIT_HEADER,
    AnonymousToken,
    Credits,
    PreviewFile,
    RenderStatus,
    SessionInfo,
    SessionState,
    UploadedFile,
)
from core.nemo.upload import UploadSource, multipart_body

APP = "nemo_agent"
MAX_CALLS = 64  # short API calls in flight at once


class NemoClient:
    """Async client for NEMO's API (or the local engine, which speaks the same)."""

    def __init__(
        self,
        base_url: str,
        *,
        skill_version: str = "1.0.0",
        skill_platform: str = "unknown",
        timeout: float = 60.0,
        stream_timeout: float = 900.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.skill_version = skill_version
        self.skill_platform = skill_platform
        self.stream_timeout = stream_timeout
        self.previews: bool | None = None
        """Whether the backend makes previews: its answers say so (``X-Preview``); None before any answer."""
        self.render_ahead: bool | None = None
        """Whether the backend renders drafts ahead and tells when (``X-Render-Ahead``; ``ahead_state``)."""
        # Short calls wait for a ticket of one of several small pools (``Lanes``), never in httpcore's
        # pool queue, whose bookkeeping grows with connections x waiting requests and stalls the loop at
        # a thousand chats. Streams get a client of their own with no connection cap: each needs its socket.
        self._http = Lanes(lambda per: httpx.AsyncClient(
            base_url=self.base_url, timeout=httpx.Timeout(timeout, connect=15.0), transport=transport,
            limits=httpx.Limits(max_connections=per, max_keepalive_connections=per), follow_redirects=False,
        ), MAX_CALLS)
        self._streams = httpx.AsyncClient(
            base_url=self.base_url, timeout=httpx.Timeout(stream_timeout, connect=15.0), transport=transport,
            limits=httpx.Limits(max_connections=None, max_keepalive_connections=16), follow_redirects=False,
        )

    async def aclose(self) -> None:
        await self._http.aclose()
        await self._streams.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    # -- plumbing ---------------------------------------------------------------------------

    def headers(self, token: str | None, skill: str) -> dict[str, str]:
        out = {
            "X-Skill-Source": skill,
            "X-Skill-Version": self.skill_version,
            "X-Skill-Platform": self.skill_platform,
        }
        if token:
            out["Authorization"] = f"Bearer {token}"
        return out

    async def _call(
        self,
        method: str,
        path: str,
        *,
        token: str | None,
        skill: str,
        json_body: Any = None,
        extra_headers: dict[str, str] | None = None,
        content: Any = None,
        whole: bool = False,
    ) -> Any:
        response = await self._request(method, path, token=token, skill=skill, json_body=json_body,
                                       extra_headers=extra_headers, content=content)
        return _payload(response, whole=whole)

    async def _request(
        self,
        method: str,
        path: str,
        *,
        token: str | None,
        skill: str,
        json_body: Any = None,
        extra_headers: dict[str, str] | None = None,
        content: Any = None,
        params: dict[str, str] | None = None,
        timeout: float | None = None,
        held: bool = False,
    ) -> httpx.Response:
        """One request. ``held``: the server may hold it (a render status waiting for the render to
        move), so it goes over the uncapped stream client, never taking one of the short calls' slots."""
        headers = self.headers(token, skill) | (extra_headers or {})
        extra: dict[str, Any] = {} if timeout is None else {"timeout": httpx.Timeout(timeout, connect=15.0)}
        try:
            if held:
                return await self._streams.request(
                    method, path, headers=headers, json=json_body, content=content, params=params, **extra
                )
            async with self._http.lane() as http:
                response = await http.request(
                    method, path, headers=headers, json=json_body, content=content, params=params, **extra
                )
            self.previews = response.headers.get(PREVIEW_HEADER) == "1"
            self.render_ahead = response.headers.get(RENDER_AHEAD_HEADER) == "1"
            return response
        except httpx.TimeoutException as exc:
            raise Unavailable(f"{method} {path}: timed out") from exc
        except httpx.TransportError as exc:
            raise Unavailable(f"{method} {path}: {type(exc).__name__}") from exc

    # -- endpoints --------------------------------------------------------------------------

    async def anonymous_token(self, client_id: str, *, skill: str) -> AnonymousToken:
        data = await self._call(
            "POST", "/api/auth/anonymous-token", token=None, skill=skill, extra_headers={"X-Client-Id": client_id}
        )
        if not isinstance(data, dict) or not isinstance(data.get("token"), str):
            raise BadResponse("anonymous token: no token in the answer")
        return AnonymousToken(
            token=data["token"],
            user_id=str(data.get("user_id", "")),
            expires_at=_parse_time(data.get("expires_at")),
            credits=_float(data.get("credits")),
        )

    async def create_session(self, token: str, *, skill: str, language: str = "en") -> SessionInfo:
        data = await self._call(
            "POST", f"/api/tasks/me/with-session/{APP}", token=token, skill=skill,
            json_body={"task_name": "project", "language": language},
        )
        if not isinstance(data, dict) or data.get("session_id") in (None, ""):
            raise BadResponse("create session: no session_id in the answer")
        return SessionInfo(session_id=str(data["session_id"]), task_id=str(data.get("task_id", "")), raw=data)

    async def chat(self, token: str, session_id: str, text: str, *, skill: str,
                   language: str | None = None) -> AsyncGenerator[StreamEvent, None]:
        """Send one message and yield the typed events of the reply stream.

        ``language``: the conversation's language now, sent as ADK's ``state_delta`` (the
        session's ``language`` was fixed when it was created; the user may have changed since).
        Raises ``StreamDropped`` if the connection breaks (never resend: read the state) and
        ``StreamTimeout`` past the stream limit.
        """
        body: dict[str, Any] = {
            "app_name": APP, "user_id": "me", "session_id": session_id, "new_message": {"parts": [{"text": text}]},
        }
        if language:
            body["state_delta"] = {"language": language}
        deadline = time.monotonic() + self.stream_timeout
        reader = EventReader()
        timeout = httpx.Timeout(self.stream_timeout, connect=15.0)
        try:
            async with aconnect_sse(
                self._streams, "POST", "/run_sse", json=body, headers=self.headers(token, skill), timeout=timeout
            ) as source:
                response = source.response
                if response.status_code != 200 or "text/event-stream" not in response.headers.get("content-type", ""):
                    await response.aread()
                    _payload(response)
                    raise BadResponse(f"chat: expected an event stream, got HTTP {response.status_code}")
                async for sse in source.aiter_sse():
                    for event in reader.feed(sse.data):
                        yield event
                    if time.monotonic() > deadline:
                        raise StreamTimeout("the stream ran past its time limit")
        except NemoError:
            raise
        except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
            # never connected, so nothing was sent: NEMO is unreachable, not a dropped stream
            raise Unavailable(f"POST /run_sse: {type(exc).__name__}") from exc
        except httpx.TimeoutException as exc:
            raise StreamTimeout("no answer from the stream in time") from exc
        except (httpx.TransportError, SSEError) as exc:
            raise StreamDropped(f"stream broke: {type(exc).__name__}") from exc

    async def upload_files(self, token: str, session_id: str, sources: Sequence[UploadSource], *, skill: str) -> list[UploadedFile]:
        """Multipart upload, streamed from each source in constant memory; checked before a byte is sent."""
        for source in sources:
            check_upload(source.filename, source.size)
        boundary = uuid.uuid4().hex
        body, length = multipart_body(sources, boundary, MAX_UPLOAD_BYTES)
        headers = {"Content-Type": f"multipart/form-data; boundary={boundary}"}
        if length is not None:
            headers["Content-Length"] = str(length)
        data = await self._call(
            "POST", f"/api/upload-video/{APP}/me/{session_id}", token=token, skill=skill, content=body,
            extra_headers=headers,
        )
        return _uploaded(data)

    async def upload_urls(self, token: str, session_id: str, urls: Sequence[str], *, skill: str) -> list[UploadedFile]:
        data = await self._call(
            "POST", f"/api/upload-video/{APP}/me/{session_id}", token=token, skill=skill,
            json_body={"urls": list(urls), "source_type": "url"},
        )
        return _uploaded(data)

    async def credits(self, token: str, *, skill: str) -> Credits:
        data = await self._call("GET", "/api/credits/balance/simple", token=token, skill=skill)
        if not isinstance(data, dict):
            raise BadResponse("credits: unreadable answer")
        available = _float(data.get("available")) or 0.0
        frozen = _float(data.get("frozen")) or 0.0
        total = _float(data.get("total"))
        return Credits(available, frozen, total if total is not None else available + frozen,
                       unlimited=data.get("unlimited") is True)

    async def engine_stats(self, token: str, *, skill: str) -> dict[str, int] | None:
        """The built-in engine's operator view (renders queued, running and of the last hour; disk used and
        its budget; files pruned); ``None`` where the backend has none (NEMO's cloud)."""
        try:
            data = await self._call("GET", "/api/engine/stats", token=token, skill=skill)
        except NemoError as exc:
            if exc.status == 404:
                return None
            raise
        return {k: int(v) for k, v in data.items() if isinstance(v, int | float)} if isinstance(data, dict) else None

    async def state(self, token: str, session_id: str, *, skill: str) -> SessionState:
        data = await self._call("GET", f"/api/state/{APP}/me/{session_id}/latest", token=token, skill=skill)
        state = data.get("state") if isinstance(data, dict) else None
        state = state if isinstance(state, dict) else {}
        infos = state.get("video_infos")
        return SessionState(Draft.parse(state.get("draft")), raw=data, video_infos=infos if isinstance(infos, list) else [])

    async def editor_url(self, token: str, session_id: str, *, skill: str, platform: str, user: str,
                         chat: str = "", group: bool = False) -> str | None:
        """The signed link of the conversation's hand-editing page (the built-in engine's; NEMO's cloud has
        none: None, as for any refusal). ``chat``/``group`` name the conversation, signed into the link:
        what the page applies or exports is told there."""
        try:
            data = await self._call("POST", f"/api/editor/{APP}/me/{session_id}", token=token, skill=skill,
                                    json_body={"platform": platform, "user": user, "chat": chat, "group": group})
        except NemoError:
            return None
        url = data.get("url") if isinstance(data, dict) else None
        return url if isinstance(url, str) and url.startswith(("https://", "http://")) else None

    async def preview(self, token: str, session_id: str, *, skill: str, audio: bool) -> PreviewFile:
        """A small, quick look at the session's current draft, made by the backend (only one that announces
        it: ``previews``); ``audio=False`` leaves the sound out (a Telegram animation)."""
        data = await self._call("POST", f"/api/preview/{APP}/me/{session_id}", token=token, skill=skill,
                                json_body={"audio": audio})
        url = data.get("url") if isinstance(data, dict) else None
        if not isinstance(url, str) or not url.startswith(("https://", "http://")):
            raise BadResponse("preview: no link in the answer")
        return PreviewFile(url, _int(data.get("size")) or 0, _float(data.get("duration")) or 0.0,
                           _int(data.get("width")) or 0, _int(data.get("height")) or 0)

    async def ahead_state(self, token: str, session_id: str, *, skill: str) -> str:
        """Whether the session's current draft is rendered ahead (``ready``), being rendered (``rendering``)
        or neither: only a backend that announces it (``render_ahead``) answers."""
        data = await self._call("GET", f"/api/render-ahead/{APP}/me/{session_id}", token=token, skill=skill)
        state = data.get("state") if isinstance(data, dict) else None
        return state if isinstance(state, str) else AHEAD_NONE

    async def submit_render(self, token: str, session_id: str, draft: Any, *, skill: str, render_id: str | None = None,
                            max_bytes: int | None = None, from_render: str | None = None) -> str:
        """Start a render; ``max_bytes`` asks for a file re-encoded to fit, ``from_render`` for that
        earlier render's file to be the one re-encoded (the local engine's ``output.maxBytes`` and
        ``output.fromRender``, falling back to ``draft`` when the file is gone; NEMO's cloud ignores both)."""
        render_id = render_id or new_render_id()
        output: dict[str, Any] = {"format": "mp4", "quality": "high"}
        if max_bytes is not None:
            output["maxBytes"] = int(max_bytes)
        if from_render is not None:
            output[FROM_RENDER] = from_render
        data = await self._call(
            "POST", "/api/render/proxy/lambda", token=token, skill=skill,
            json_body={"id": render_id, "sessionId": session_id, "draft": draft, "output": output},
        )
        if isinstance(data, dict):
            nested = data.get("data")
            inner = nested if isinstance(nested, dict) else data
            returned = inner.get("id") or inner.get("taskId")
            if isinstance(returned, str) and returned:
                return returned
        return render_id

    async def render_status(
        self, token: str, render_id: str, *, skill: str, seen: RenderStatus | None = None
    ) -> RenderStatus:
        """The render's status. Where the server announced it can wait (``seen.wait_max``), the
        request is held until the render moves past ``seen``; otherwise it answers at once."""
        params: dict[str, str] | None = None
        timeout: float | None = None
        if seen is not None and seen.wait_max > 0:
            params = {"wait": f"{seen.wait_max:g}", "status": seen.status, "progress": str(int(seen.progress))}
            timeout = seen.wait_max + 30.0
        response = await self._request("GET", f"/api/render/proxy/lambda/{render_id}", token=token, skill=skill,
                                       params=params, timeout=timeout, held=params is not None)
        # the whole body: the URL may sit beside the envelope's ``data`` (``output.url``, ``outputUrl``)
        status = parse_render_status(render_id, _payload(response, whole=True))
        wait_max = _float(response.headers.get(RENDER_WAIT_HEADER))
        if wait_max is not None and math.isfinite(wait_max) and wait_max > 0:
            status = dataclasses.replace(status, wait_max=min(wait_max, 300.0))
        return status

    async def cancel_render(self, token: str, render_id: str, *, skill: str) -> bool:
        """Ask NEMO to stop a render. ``False`` where the API does not offer it."""
        try:
            await self._call("POST", f"/api/render/proxy/lambda/{render_id}/cancel", token=token, skill=skill)
        except NemoError as exc:
            if exc.status in (404, 405, 501):
                return False
            raise
        return True


def check_upload(filename: str, size: int | None) -> None:
    """Refuse a file NEMO would refuse, before a byte is sent."""
    if not is_supported(filename):
        raise UnsupportedFile(f"{filename}: supported formats are {', '.join(SUPPORTED_FORMATS)}", code=4001)
    if size is not None and size > MAX_UPLOAD_BYTES:
        raise FileTooLarge(f"{filename}: {size} bytes is over the 500 MB limit", code=4002)
    if size == 0:
        raise EmptyFile(f"{filename}: 0 bytes")


def _payload(response: httpx.Response, *, whole: bool = False) -> Any:
    """Unwrap a response body, or raise the typed error for its envelope or HTTP status.

    ``whole`` returns the body itself (still raising the error an envelope carries).
    """
    try:
        body = response.json() if response.content else None
    except (ValueError, RecursionError):
        body = None
    if response.status_code >= 400:
        message = ""
        code = None
        if isinstance(body, dict):
            detail = body.get("detail") or body.get("message") or body.get("error")
            message = detail if isinstance(detail, str) else json.dumps(detail)[:200] if detail else ""
            raw_code = body.get("code")
            code = raw_code if isinstance(raw_code, int) and raw_code not in (0, response.status_code) else None
        raise error_for(code=code, status=response.status_code, message=message or response.reason_phrase)
    if body is None and response.content:
        raise BadResponse(f"HTTP {response.status_code}: not JSON")
    payload = unwrap(body)
    return body if whole else payload


def _uploaded(data: Any) -> list[UploadedFile]:
    files = data.get("files") if isinstance(data, dict) else None
    out = []
    for item in files if isinstance(files, list) else []:
        if isinstance(item, dict):
            out.append(UploadedFile(
                filename=str(item.get("filename", "")), file_type=str(item.get("file_type", "")),
                cdn_url=str(item.get("cdn_url", "")), duration=_float(item.get("duration")),
                width=_int(item.get("width")), height=_int(item.get("height")), raw=item,
            ))
    return out


def parse_render_status(render_id: str, data: Any) -> RenderStatus:
    """Both documented status shapes; the URL from whichever of four places holds it."""
    outer = data if isinstance(data, dict) else {}
    inner = outer.get("data") if isinstance(outer.get("data"), dict) else {}

    def pick(*paths: tuple[str, ...]) -> Any:
        # each path in the body, then inside ``data``: a top-level ``output`` holding only the size
        # must not hide ``data.output.url``
        for path in paths:
            for root in (outer, inner):
                node: Any = root
                for step in path:
                    node = node.get(step) if isinstance(node, dict) else None
                if node not in (None, ""):
                    return node
        return None

    url = pick(("output", "url"), ("outputUrl",), ("data", "outputUrl"), ("data", "output", "url"), ("url",))
    status = str(pick(("status",), ("data", "status")) or "pending").lower()
    if status in ("success", "succeeded", "done", "complete"):
        status = "completed"
    if status in ("error", "failure"):
        status = "failed"
    if status == "canceled":
        status = "cancelled"
    progress = _float(pick(("progress",), ("data", "progress"))) or 0.0
    if status == "completed" and not url:
        status, error = "failed", "the render finished without a file"
    else:
        # a ``{"code": 0, "message": "ok", ...}`` envelope's message is not the render's error
        message = ("message",) if "code" not in outer else ("data", "message")
        error = str(pick(("error",), ("errorMessage",), message, ("data", "error")) or "")
    code = _int(pick(("errorCode",), ("data", "errorCode")))
    return RenderStatus(
        id=str(pick(("id",), ("taskId",)) or render_id), status=status, progress=max(0.0, min(progress, 100.0)),
        url=str(url) if url else None, error=error[:300] if status == "failed" else "",
        error_code=code if status == "failed" else None,
        size=_int(pick(("output", "size"), ("size",))), duration=_float(pick(("output", "duration"), ("duration",))),
        raw=data,
    )


def _float(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    try:
        return float(value)
    except (TypeError, ValueError, OverflowError):
        return None


def _int(value: Any) -> int | None:
    number = _float(value)
    return int(number) if number is not None and math.isfinite(number) else None


def _parse_time(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


def new_render_id() -> str:
    """A render's id, chosen by the client: a render submitted again under it is the same render."""
    return f"render_{int(time.time() * 1000)}_{uuid.uuid4().hex[:6]}"
