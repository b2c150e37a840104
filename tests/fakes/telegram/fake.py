"""FakeTelegram: a stand-in Telegram Bot API server on 127.0.0.1 for the real PTB client."""

from __future__ import annotations

import asyncio
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Self, TypeVar

from .limits import FloodLimits
from .models import DEFAULT_TOKEN
from .server import ApiServer
from .state import TelegramState

T = TypeVar("T")


class FakeTelegram(TelegramState):
    """Serve the Bot API over real HTTP; drive the user's side and read what the bot did.

    As strict as Telegram by default: its own 429s at Telegram's flood limits (``limits``),
    URL buttons only to public hosts, HTTPS-only webhooks, lengths in UTF-16 code units.

    async with FakeTelegram() as tg:
        app = ApplicationBuilder().token(tg.token).base_url(tg.base_url).base_file_url(tg.base_file_url)...
    """

    def __init__(
        self,
        token: str = DEFAULT_TOKEN,
        local_mode: bool = False,
        *,
        bot_username: str = "nemo_test_bot",
        host: str = "127.0.0.1",
        port: int = 0,
        limits: FloodLimits | None = None,
    ) -> None:
        super().__init__(token, bot_username, local_mode, limits)
        self.host = host
        self.port = port
        self.files_dir = Path(tempfile.gettempdir())  # replaced by a private dir on start()
        self._server = ApiServer(self, self.files_dir)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def base_url(self) -> str:
        """For ApplicationBuilder().base_url(...) / Bot(base_url=...)."""
        return f"{self.url}/bot"

    @property
    def base_file_url(self) -> str:
        """For ApplicationBuilder().base_file_url(...) / Bot(base_file_url=...)."""
        return f"{self.url}/file/bot"

    def tls_proxy(self, public_origin: str, local_origin: str) -> None:
        """Deliver webhooks for ``https://public.host`` to ``http://127.0.0.1:port``, as the TLS proxy in
        front of a deployed bot does (Telegram only pushes to HTTPS URLs)."""
        self.updates.tls_proxies[public_origin.rstrip("/").lower()] = local_origin

    async def start(self) -> Self:
        """Listen (port 0 picks a free one); local-mode files go to a fresh temp dir."""
        self.files_dir = self._server.files_dir = Path(tempfile.mkdtemp(prefix="fake-telegram-"))
        self.port = await self._server.start(self.host, self.port)
        return self

    async def stop(self) -> None:
        await self._server.stop()
        shutil.rmtree(self.files_dir, ignore_errors=True)

    async def __aenter__(self) -> Self:
        return await self.start()

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.stop()

    async def wait_for(self, predicate: Callable[[], T], timeout: float = 10.0, interval: float = 0.01) -> T:
        """Poll `predicate` until it returns something truthy; return that, or raise TimeoutError."""
        deadline = time.monotonic() + timeout
        while True:
            result = predicate()
            if result:
                return result
            if time.monotonic() >= deadline:
                recent = [f"{c.method}->{c.status}" for c in self.calls if c.method != "getUpdates"][-10:]
                raise TimeoutError(f"condition not met within {timeout}s; recent calls: {recent}")
            await asyncio.sleep(interval)

    def __repr__(self) -> str:
        return f"<FakeTelegram {self.url} bot={self.bot_username} local_mode={self.local_mode}>"
