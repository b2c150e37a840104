"""Pictures under load: a picture per core at a time, a short line, the rest skipped (the answer goes
without them), and nothing per picture that holds the event loop (a size check used to build a TLS
context, about 50 ms of CPU, on every upload)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import pytest
from aiohttp import web

from core.pictures.maker import size_of
from core.pictures.slots import PictureSlots


async def test_no_more_pictures_are_made_at_once_than_there_are_slots() -> None:
    slots = PictureSlots(slots=2, backlog=10)
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


async def test_a_picture_past_the_line_is_skipped_at_once_and_the_others_still_come() -> None:
    slots = PictureSlots(slots=1, backlog=1)
    release = asyncio.Event()

    async def make() -> str:
        await release.wait()
        return "picture"

    first = asyncio.create_task(slots.make("sheet", make))
    second = asyncio.create_task(slots.make("sheet", make))
    await asyncio.sleep(0)
    assert await slots.make("sheet", make) is None  # the line is full: no wait for a picture
    assert slots.skipped == 1 and not first.done() and not second.done()
    release.set()
    assert await asyncio.gather(first, second) == ["picture", "picture"]


async def test_a_cancelled_wait_leaves_the_line() -> None:
    slots = PictureSlots(slots=1, backlog=1)
    release = asyncio.Event()

    async def make() -> str:
        await release.wait()
        return "picture"

    first = asyncio.create_task(slots.make("sheet", make))
    waiting = asyncio.create_task(slots.make("sheet", make))
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
