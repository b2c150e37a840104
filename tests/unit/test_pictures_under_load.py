"""Pictures under load: a picture per core at a time, the rest wait their turn however long the line (a
picture comes late rather than never), and one is skipped only once its user has moved on (a newer
message of theirs waits in the conversation); nothing per picture holds the event loop (a size check
used to build a TLS context, about 50 ms of CPU, on every upload)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import pytest
from aiohttp import web

from core.conversation.state import Conversation, Operation
from core.pictures.maker import size_of
from core.pictures.slots import PictureSlots
from core.ports import Incoming, Target
from core.routing import Route
from core.store.base import ConversationRecord


async def test_no_more_pictures_are_made_at_once_than_there_are_slots() -> None:
    slots = PictureSlots(slots=2)
    running, most = 0, 0

    async def make() -> str:
        nonlocal running, most
        running += 1
        most = max(most, running)
        await asyncio.sleep(0.01)
        running -= 1
        return "picture"

    made = await asyncio.gather(*(slots.make("sheet", make) for _ in range(6)))
    assert made == ["picture"] * 6
    assert most == 2


async def test_a_long_line_waits_its_turn_and_every_picture_comes() -> None:
    """63 of 100 users used to get no contact sheet at 100 chats at once: the line was 2 per core."""
    slots = PictureSlots(slots=2)
    never = asyncio.Event()

    async def make() -> str:
        await asyncio.sleep(0.001)
        return "picture"

    made = await asyncio.gather(*(slots.make("sheet", make, never.wait) for _ in range(100)))
    assert made == ["picture"] * 100
    assert slots.skipped == 0 and slots.made == 100 and slots.waiting == 0


async def test_a_waiting_picture_is_skipped_once_its_user_moves_on_and_the_others_still_come() -> None:
    slots = PictureSlots(slots=1)
    release, moved = asyncio.Event(), asyncio.Event()

    async def make() -> str:
        await release.wait()
        return "picture"

    first = asyncio.create_task(slots.make("sheet", make, asyncio.Event().wait))
    mine = asyncio.create_task(slots.make("sheet", make, moved.wait))
    other = asyncio.create_task(slots.make("sheet", make, asyncio.Event().wait))
    await asyncio.sleep(0.01)
    assert not mine.done()  # it waits its turn while its user has not moved on
    moved.set()
    assert await asyncio.wait_for(mine, 1) is None  # at once: the answer need not wait for the line
    assert slots.skipped == 1 and not first.done() and not other.done()
    release.set()
    assert await asyncio.gather(first, other) == ["picture", "picture"]


async def test_a_user_who_moved_on_already_gets_no_picture_even_with_a_slot_free() -> None:
    slots = PictureSlots(slots=2)
    made = []

    async def make() -> str:
        made.append(1)
        return "picture"

    async def already() -> None:
        return None

    assert await slots.make("sheet", make, already) is None
    assert not made and slots.skipped == 1
    assert await asyncio.gather(*(slots.make("sheet", make) for _ in range(2))) == ["picture"] * 2  # no slot lost


def conversation() -> Conversation:
    return Conversation(ConversationRecord(key="telegram:1:1", platform="telegram", chat_id="1", user_id="1"))


async def test_a_conversation_has_moved_on_once_newer_work_is_lined_up() -> None:
    conv = conversation()
    waiting = asyncio.create_task(conv.moved_on())
    await asyncio.sleep(0.01)
    assert not waiting.done()
    conv.queue.append(Operation(Route.CHAT, Incoming(Target("telegram", "1", "1"), "cut the pauses")))
    conv.lined_up()
    await asyncio.wait_for(waiting, 1)
    await asyncio.wait_for(conv.moved_on(), 1)  # and it stays so while that work waits


async def test_a_cancelled_wait_leaves_the_line() -> None:
    slots = PictureSlots(slots=1)
    release = asyncio.Event()

    async def make() -> str:
        await release.wait()
        return "picture"

    first = asyncio.create_task(slots.make("sheet", make))
    waiting = asyncio.create_task(slots.make("sheet", make, asyncio.Event().wait))
    await asyncio.sleep(0)
    waiting.cancel()
    await asyncio.gather(waiting, return_exceptions=True)
    assert slots.waiting == 0
    later = asyncio.create_task(slots.make("sheet", make))  # takes the place the cancelled one left
    release.set()
    assert await asyncio.gather(first, later) == ["picture", "picture"]


@pytest.fixture
async def server() -> AsyncIterator[str]:
    app = web.Application()
    app.router.add_route("HEAD", "/clip.mp4", lambda _: web.Response(headers={"Content-Length": "1234"}))
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    yield f"http://127.0.0.1:{port}/clip.mp4"
    await runner.cleanup()


async def test_a_size_check_costs_the_loop_little_cpu(server: str) -> None:
    assert await size_of(server) == 1234
    checks = 20
    cpu = time.process_time()
    sizes = [await size_of(server) for _ in range(checks)]
    per_check = (time.process_time() - cpu) / checks
    assert sizes == [1234] * checks
    assert per_check < 0.015  # a TLS context per check made it ~0.05 s
