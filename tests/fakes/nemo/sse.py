"""Plays a list of steps as an ADK-style `/run_sse` event stream."""

from __future__ import annotations

import asyncio
import copy
import json
import secrets
import time
from typing import Any

from aiohttp import web

from .script import (
    Comment,
    Drop,
    EmptyData,
    ErrorEvent,
    ErrorLine,
    Heartbeat,
    Partial,
    RawEvent,
    SetDraft,
    Sleep,
    Step,
    Text,
    Thought,
    ToolCall,
    ToolResult,
)
from .state import FakeSession

AUTHOR = "nemo_agent"


def compact(value: Any) -> str:
    """JSON the way ADK writes it: compact, non-ASCII kept."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


class ChatStream:
    """One reply: turns steps into SSE lines on an open response and applies their draft changes."""

    def __init__(self, request: web.Request, response: web.StreamResponse, session: FakeSession) -> None:
        self._request = request
        self._response = response
        self._session = session
        self._invocation = f"e-{secrets.token_hex(4)}"
        self._call_ids: dict[str, str] = {}

    async def play(self, steps: list[Step]) -> bool:
        """Send every step; False when the stream was dropped (the caller must not end it cleanly)."""
        for step in steps:
            if isinstance(step, Drop):
                transport = self._request.transport
                if transport is not None:
                    transport.abort()
                return False
            if isinstance(step, ErrorLine):
                await self._line(f"data: {step.raw}")
                return True
            await self._step(step)
        return True

    async def _step(self, step: Step) -> None:
        if isinstance(step, Text):
            await self._event({"content": {"parts": [{"text": step.text}], "role": "model"}})
        elif isinstance(step, Partial):
            for chunk in step.chunks:
                await self._event({"content": {"parts": [{"text": chunk}], "role": "model"}, "partial": True})
            await self._event({"content": {"parts": [{"text": "".join(step.chunks)}], "role": "model"}})
        elif isinstance(step, Thought):
            await self._event({"content": {"parts": [{"text": step.text, "thought": True}], "role": "model"}})
        elif isinstance(step, ToolCall):
            call_id = step.id or f"adk-{secrets.token_hex(4)}"
            self._call_ids[step.name] = call_id
            call = {"id": call_id, "args": step.args, "name": step.name}
            await self._event({
                "content": {"parts": [{"functionCall": call}], "role": "model"},
                "actions": {"stateDelta": {}, "artifactDelta": {}},
                "longRunningToolIds": [],
            })
        elif isinstance(step, ToolResult):
            delta = step.state_delta or {}
            if isinstance(delta.get("draft"), dict):
                self._session.draft = copy.deepcopy(delta["draft"])
            call_id = step.id or self._call_ids.get(step.name) or f"adk-{secrets.token_hex(4)}"
            result = {"id": call_id, "name": step.name, "response": step.response}
            await self._event({
                "content": {"parts": [{"functionResponse": result}], "role": "user"},
                "actions": {"stateDelta": delta, "artifactDelta": {}},
            })
        elif isinstance(step, ErrorEvent):
            await self._event({"errorCode": step.code, "errorMessage": step.message})
        elif isinstance(step, RawEvent):
            await self._event(dict(step.fields))
        elif isinstance(step, Heartbeat):
            await self._line('data: {"type":"heartbeat"}')
        elif isinstance(step, Comment):
            await self._line(f": {step.text}")
        elif isinstance(step, EmptyData):
            await self._line("data:")
        elif isinstance(step, Sleep):
            await asyncio.sleep(step.seconds)
        elif isinstance(step, SetDraft):
            self._session.draft = copy.deepcopy(step.draft)
        else:  # pragma: no cover - a typo in a test script
            raise TypeError(f"not a chat step: {step!r}")

    async def _event(self, fields: dict[str, Any]) -> None:
        event = dict(fields)
        event.setdefault("invocationId", self._invocation)
        event.setdefault("author", AUTHOR)
        event.setdefault("id", secrets.token_hex(4))
        event.setdefault("timestamp", round(time.time(), 3))
        await self._line(f"data: {compact(event)}")

    async def _line(self, line: str) -> None:
        await self._response.write(f"{line}\n\n".encode())
