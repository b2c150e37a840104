"""A loopback web host serving fixed files, for links that a stand-in really downloads.

    async with MediaHost({"/clips/surf.mp4": b"..."}) as host:
        host.url_of("/clips/surf.mp4")  # http://127.0.0.1:<port>/clips/surf.mp4; any other path is a 404
"""

from __future__ import annotations

from types import TracebackType
from typing import Self

from aiohttp import web

MP4_BYTES = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + b"\x00" * 2048


class MediaHost:
    def __init__(self, files: dict[str, bytes]) -> None:
        self.files = dict(files)
        self.url = ""
        self.fetched: list[str] = []
        self._runner: web.AppRunner | None = None

    def url_of(self, path: str) -> str:
        return self.url + path

    async def _serve(self, request: web.Request) -> web.Response:
        self.fetched.append(request.path)
        body = self.files.get(request.path)
        if body is None:
            raise web.HTTPNotFound()
        return web.Response(body=body, content_type="application/octet-stream")

    async def __aenter__(self) -> Self:
        app = web.Application()
        app.router.add_get("/{tail:.*}", self._serve)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.url = f"http://127.0.0.1:{self._runner.addresses[0][1]}"
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
