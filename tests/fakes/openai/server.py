"""FakeOpenAI: ``POST /v1/chat/completions`` answers from a script, one reply per request.

A reply is text, tool calls, a body that is not a completion at all, or no answer (the request hangs
until the client gives up). Each request is recorded (model, messages, tools offered, headers, stream),
so a test can see what the engine really sent on the wire.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections import deque
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Self

from aiohttp import web

_SSE_HEADERS = {"Content-Type": "text/event-stream", "Cache-Control": "no-cache"}
USAGE = {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15}


@dataclass(frozen=True)
class Reply:
    """One scripted answer: ``text`` and/or ``calls`` (name, JSON arguments as sent), or ``raw`` bytes."""

    text: str | None = None
    calls: tuple[tuple[str, str], ...] = ()
    raw: bytes | None = None
    hang: bool = False


def text(content: str) -> Reply:
    return Reply(text=content)


def call(*calls: tuple[str, dict[str, Any] | str]) -> Reply:
    """Tool calls; arguments as a dict, or as a string sent verbatim (to send broken JSON)."""
    return Reply(calls=tuple((n, a if isinstance(a, str) else json.dumps(a)) for n, a in calls))


def garbage(body: bytes = b"<html>502 upstream hiccup</html>") -> Reply:
    return Reply(raw=body)


def hang() -> Reply:
    return Reply(hang=True)


@dataclass
class Request:
    model: str
    messages: list[dict[str, Any]]
    tools: list[str]
    stream: bool
    authorization: str | None


@dataclass
class FakeOpenAI:
    """``async with FakeOpenAI() as llm``: ``llm.base_url`` ends in ``/v1``; ``llm.script(...)`` queues
    replies."""

    replies: deque[Reply] = field(default_factory=deque)
    requests: list[Request] = field(default_factory=list)
    base_url: str = ""
    _runner: web.AppRunner | None = None
    _release: asyncio.Event = field(default_factory=asyncio.Event)

    def script(self, *replies: Reply) -> None:
        self.replies.extend(replies)

    async def __aenter__(self) -> Self:
        app = web.Application()
        app.router.add_post("/v1/chat/completions", self._completions)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.base_url = f"http://127.0.0.1:{port}/v1"
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._release.set()
        if self._runner is not None:
            await self._runner.cleanup()

    async def _completions(self, request: web.Request) -> web.StreamResponse:
        body = await request.json()
        stream = bool(body.get("stream"))
        self.requests.append(
            Request(
                model=str(body.get("model")),
                messages=list(body.get("messages") or []),
                tools=[t["function"]["name"] for t in body.get("tools") or []],
                stream=stream,
                authorization=request.headers.get("Authorization"),
            )
        )
        reply = self.replies.popleft() if self.replies else text("(the script has no more replies)")
        if reply.hang:
            await self._release.wait()
            return web.Response(status=504)
        if reply.raw is not None:
            return web.Response(body=reply.raw, content_type="application/json")
        if stream:
            return await self._stream(request, body, reply)
        return web.json_response(_completion(body, reply))

    async def _stream(self, request: web.Request, body: dict[str, Any], reply: Reply) -> web.StreamResponse:
        resp = web.StreamResponse(headers=_SSE_HEADERS)
        await resp.prepare(request)
        for chunk in _chunks(body, reply):
            await resp.write(b"data: " + json.dumps(chunk).encode() + b"\n\n")
        await resp.write(b"data: [DONE]\n\n")
        await resp.write_eof()
        return resp


def _head(body: dict[str, Any]) -> dict[str, Any]:
    return {"id": "chatcmpl-" + uuid.uuid4().hex[:12], "created": int(time.time()), "model": body.get("model")}


def _tool_calls(reply: Reply) -> list[dict[str, Any]]:
    return [
        {"id": "call_" + uuid.uuid4().hex[:10], "type": "function", "function": {"name": n, "arguments": a}}
        for n, a in reply.calls
    ]


def _completion(body: dict[str, Any], reply: Reply) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": reply.text}
    if reply.calls:
        message["tool_calls"] = _tool_calls(reply)
    return {
        **_head(body),
        "object": "chat.completion",
        "choices": [
            {"index": 0, "message": message, "finish_reason": "tool_calls" if reply.calls else "stop"}
        ],
        "usage": USAGE,
    }


def _chunks(body: dict[str, Any], reply: Reply) -> list[dict[str, Any]]:
    """The reply as OpenAI streams it: text in small deltas, each tool call's arguments in two halves."""
    head = {**_head(body), "object": "chat.completion.chunk"}

    def chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
        return {**head, "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}

    out = [chunk({"role": "assistant", "content": ""})]
    words = (reply.text or "").split(" ")
    if reply.text:
        out += [chunk({"content": w if i == 0 else " " + w}) for i, w in enumerate(words)]
    for i, tc in enumerate(_tool_calls(reply)):
        args = tc["function"]["arguments"]
        half = len(args) // 2
        name = tc["function"]["name"]
        first = {"index": i, "id": tc["id"], "type": "function", "function": {"name": name, "arguments": args[:half]}}
        out.append(chunk({"tool_calls": [first]}))
        out.append(chunk({"tool_calls": [{"index": i, "function": {"arguments": args[half:]}}]}))
    out.append(chunk({}, "tool_calls" if reply.calls else "stop"))
    out.append({**head, "choices": [], "usage": USAGE})
    return out
