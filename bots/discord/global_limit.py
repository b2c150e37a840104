"""Discord's global rate limit without discord.py's deadlock.

On a 429 with ``"global": true`` discord.py (2.x) closes one gate for every request of the client
(``HTTPClient._global_over``), sleeps ``retry_after``, and opens it again. The opening is not
protected: a request cancelled in that sleep (a status tick stopped by the result it was showing,
a job stopped by /cancel) leaves the gate closed for good, and every later REST call of the
process waits on it forever while the gateway stays connected: the bot still receives messages
and answers none, each user's job stuck at "Working…".

``GuardedHTTPClient`` reopens the gate when the request that closed it ends any other way than
discord.py expects (cancelled or failed in its sleep). Requests that were waiting then go on at
once; one that arrives inside the remaining window gets a 429 of its own and closes the gate
again, which is the cost of not knowing how much of the sleep was left.
"""

from __future__ import annotations

import asyncio
from typing import Any

import discord
from discord.http import HTTPClient, Route


class GlobalGate(asyncio.Event):
    """discord.py's global gate, knowing which task closed it."""

    holder: asyncio.Task[Any] | None = None

    def clear(self) -> None:
        self.holder = asyncio.current_task()
        super().clear()

    def set(self) -> None:
        self.holder = None
        super().set()


class GuardedHTTPClient(HTTPClient):
    """discord.py's HTTP client whose global gate cannot stay closed after a cancelled request."""

    async def request(self, route: Route, **kwargs: Any) -> Any:
        gate = self._global_over
        if type(gate) is asyncio.Event and gate.is_set():  # discord.py's own, made at login: ours instead
            gate = self._global_over = GlobalGate()
            gate.set()
        try:
            return await super().request(route, **kwargs)
        finally:
            gate = self._global_over
            if isinstance(gate, GlobalGate) and not gate.is_set() and gate.holder is asyncio.current_task():
                gate.set()


def guard(client: discord.Client) -> None:
    """Give ``client`` the guarded HTTP client (the same object, so discord.py's references hold)."""
    client.http.__class__ = GuardedHTTPClient
