"""The gateway latency discord.py measures, made true on a fast gateway.

discord.py's heartbeat thread sends each heartbeat through the event loop and records when it sent
it only after the send has completed and the thread has woken again. When the gateway answers at
once (a stand-in on loopback, a gateway proxy next to the bot), the loop reads the ACK before the
thread has recorded the new send, so the ACK is timed against the previous heartbeat: the client
reports a latency of one whole heartbeat interval (41.25 s) and logs "Can't keep up ... websocket is
41.3s behind" every beat, while the loop is idle. That hides real lag behind a false alarm.

``install()`` records the send time on the loop, just before the heartbeat goes out, as discord.py
does from its fix for this race (merged upstream after 2.7.1); the thread still records its own time
afterwards, which changes nothing once the ACK has been timed.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Any

from discord.gateway import DiscordWebSocket

_MARK = "_nemobot_send_time_on_loop"


def install() -> None:
    """Patch ``DiscordWebSocket.send_heartbeat`` once (idempotent)."""
    original: Callable[[DiscordWebSocket, Any], Awaitable[None]] = DiscordWebSocket.send_heartbeat
    if getattr(original, _MARK, False):
        return

    async def send_heartbeat(self: DiscordWebSocket, data: Any) -> None:
        keep_alive = self._keep_alive
        if keep_alive is not None:
            keep_alive._last_send = time.perf_counter()
        await original(self, data)

    setattr(send_heartbeat, _MARK, True)
    DiscordWebSocket.send_heartbeat = send_heartbeat  # type: ignore[method-assign]
