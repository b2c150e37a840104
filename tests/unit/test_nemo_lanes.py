"""Short NEMO calls over several small connection pools: never more in flight than the cap, never more
connections in one pool than a lane holds (httpcore's per-request bookkeeping walks the whole pool)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest
from aiohttp import web

from core.nemo.lanes import Lanes


@pytest.fixture
async def server() -> AsyncIterator[tuple[str, dict[str, int]]]:
    seen = {"now": 0, "most": 0, "done": 0}

    async def slow(_: web.Request) -> web.Response:
        seen["now"] += 1
        seen["most"] = max(seen["most"], seen["now"])
        await asyncio.sleep(0.01)
        seen["now"] -= 1
        seen["done"] += 1
        return web.json_response({"ok": True})

    app = web.Application()
    app.router.add_get("/x", slow)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    yield f"http://127.0.0.1:{port}", seen
    await runner.cleanup()


async def test_calls_spread_over_small_pools_within_the_cap(server: tuple[str, dict[str, int]]) -> None:
    base, seen = server
    lanes = Lanes(lambda per: httpx.AsyncClient(
        base_url=base, limits=httpx.Limits(max_connections=per, max_keepalive_connections=per)), total=12, per_lane=4)

    async def call() -> int:
        async with lanes.lane() as http:
            return (await http.get("/x")).status_code

    try:
        assert await asyncio.gather(*(call() for _ in range(100))) == [200] * 100
        assert len(lanes.clients) == 3
        assert seen["most"] == 12  # the cap, reached
        pools = [client._transport._pool.connections for client in lanes.clients]  # type: ignore[attr-defined]
        assert all(0 < len(pool) <= 4 for pool in pools)  # every lane used, none past its size
    finally:
        await lanes.aclose()
