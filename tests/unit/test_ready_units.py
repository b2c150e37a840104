"""When the "ready to export" line is added to an edit's answer, and when not (the user moved on, nothing is
being rendered ahead, a backend that does not render ahead). The backend and the chat are small stand-ins:
this is the watch's own logic; the real engine and clients are in tests/e2e/test_ready_*.py."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest

from core.conversation import ready
from core.conversation.ready import ReadyNotices
from core.conversation.state import Conversation, Operation
from core.ports import Incoming, MessageRef, Target
from core.routing import Route
from core.store.base import ConversationRecord

TARGET = Target("test", "chat", "user")


@dataclass
class Backend:
    states: list[str]
    render_ahead: bool | None = True
    asked: int = 0

    async def call(self, fn: Callable[[str, str], Any]) -> str:
        self.asked += 1
        return self.states.pop(0) if len(self.states) > 1 else self.states[0]


@dataclass
class Chat:
    edits: list[str] = field(default_factory=list)

    async def edit(self, message: MessageRef, text: str, buttons: Any = ()) -> MessageRef:
        self.edits.append(text)
        return message


class Ctx:
    def __init__(self, backend: Backend) -> None:
        self.client = backend
        self.chat = Chat()

    def port(self, target: Target) -> Chat:
        return self.chat


def _conversation() -> Conversation:
    conv = Conversation(ConversationRecord(key="test:chat", platform="test", chat_id="chat", user_id="user"))
    conv.running = Operation(Route.CHAT, Incoming(TARGET, text="cut the first 2 seconds"))
    return conv


async def _watch(backend: Backend, conv: Conversation, during: Callable[[], None] | None = None) -> Ctx:
    ctx = Ctx(backend)
    notices = ReadyNotices(ctx)  # type: ignore[arg-type]
    notices.watch(conv, backend, MessageRef(TARGET, "1"), "Cut 0-2 s.", [], "en")  # type: ignore[arg-type]
    if during is not None:
        await asyncio.sleep(0)
        during()
    await asyncio.wait_for(asyncio.gather(*notices._watches.values()), 5)
    return ctx


@pytest.fixture(autouse=True)
def quick_polls(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ready, "POLL_S", 0.01)  # timing is the point: the watch's polls, compressed


async def test_once_rendered_the_answer_gains_one_line() -> None:
    ctx = await _watch(Backend(["rendering", "rendering", "ready"]), _conversation())
    assert ctx.chat.edits == ["Cut 0-2 s.\n\n⚡ Ready to export: say “export” and the video comes at once."]


async def test_newer_work_in_the_conversation_ends_the_watch_without_a_line() -> None:
    conv = _conversation()
    backend = Backend(["rendering", "rendering", "rendering", "ready"])
    ctx = await _watch(backend, conv, lambda: conv.queue.append(Operation(Route.EXPORT, Incoming(TARGET, text="export"))))
    assert ctx.chat.edits == []


async def test_nothing_rendered_ahead_ends_the_watch_and_a_backend_without_it_is_not_asked() -> None:
    none = Backend(["none"])
    assert (await _watch(none, _conversation())).chat.edits == [] and none.asked == 1
    cloud = Backend(["ready"], render_ahead=False)
    ctx = Ctx(cloud)
    ReadyNotices(ctx).watch(_conversation(), cloud, MessageRef(TARGET, "1"), "Cut.", [], "en")  # type: ignore[arg-type]
    await asyncio.sleep(0.05)
    assert cloud.asked == 0 and ctx.chat.edits == []
