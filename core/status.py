"""The one status message of an operation: elapsed time and the current step, edited in place.

Edits happen at most once every ``interval`` seconds and only when the text changed; after
``still_after`` seconds the text says "Still working". The message ends in the result.

A surface with a send budget (``PacedPort``: Telegram) says how loaded the chat is: the interval
stretches under load (up to ``MAX_STRETCH`` times) and shrinks back when the load goes; ticks go
out as low-priority progress edits, which the surface may skip (``Behind``) when it is behind.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence

from core.i18n import elapsed_text, say
from core.ports import Behind, Button, ChatPort, MessageRef, PacedPort, Target

log = logging.getLogger(__name__)
ACTION_EVERY = 4.0  # a chat action ("typing") shows for about 5 s
MAX_STRETCH = 8.0  # the interval grows at most this many times under load


def stretch(pressure: float) -> float:
    """How many times the interval grows at a surface's ``pressure``: not at all up to half its
    budget, 4 times when all of it is in use, ``MAX_STRETCH`` at most."""
    return min(MAX_STRETCH, max(1.0, 2.0 * pressure) ** 2)


class StatusMessage:
    def __init__(
        self,
        port: ChatPort,
        target: Target,
        lang: str,
        *,
        interval: float,
        still_after: float,
        message: MessageRef | None = None,
        buttons: Sequence[Button] = (),
        started: float | None = None,
    ) -> None:
        self.port = port
        self.target = target
        self.lang = lang
        self.interval = interval
        self.still_after = still_after
        self.message = message
        self.buttons = tuple(buttons)
        self.started = started if started is not None else time.monotonic()
        self.step: str | None = None
        self.action = "typing"  # or "upload_video" while uploading and rendering
        self._shown: str | None = None
        self._last_edit = 0.0
        self._ticker: asyncio.Task[None] | None = None
        self._edit_lock = asyncio.Lock()

    @property
    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def text(self) -> str:
        elapsed = elapsed_text(self.elapsed, self.lang)
        if self.step:
            return say(self.lang, "step", step=self.step, elapsed=elapsed)
        key = "still_working" if self.elapsed >= self.still_after else "working"
        return say(self.lang, key, elapsed=elapsed)

    async def start(self) -> None:
        """Show the message (or take over the queued one) and start ticking."""
        await self._show(self.text(), self.buttons)
        self._ticker = asyncio.create_task(self._tick(), name=f"status:{self.target.conversation}")

    def set_step(self, step: str | None, action: str | None = None) -> None:
        """The current step; shown at the next tick."""
        self.step = step
        if action:
            self.action = action

    async def refresh(self) -> None:
        """Show the current text now instead of at the next tick (a first sign of progress)."""
        await self._show(self.text(), self.buttons)

    async def _tick(self) -> None:
        next_action = 0.0
        while True:
            now = time.monotonic()
            if now >= next_action:
                next_action = now + ACTION_EVERY
                try:
                    await self.port.working(self.target, self.action)
                except Exception:
                    log.debug("chat action failed", exc_info=True)
            interval = self.current_interval()
            if now - self._last_edit >= interval:
                await self._show(self.text(), self.buttons, progress=True)
            wake = min(next_action, self._last_edit + interval)
            await asyncio.sleep(max(wake - time.monotonic(), 0.05))

    def current_interval(self) -> float:
        """The interval, stretched by the surface's load where it reports one."""
        if isinstance(self.port, PacedPort):
            return self.interval * stretch(self.port.pressure(self.target))
        return self.interval

    async def _show(self, text: str, buttons: Sequence[Button], *, progress: bool = False) -> None:
        async with self._edit_lock:
            if text == self._shown and self.message is not None:
                return
            try:
                if self.message is None:
                    self.message = await self.port.send(self.target, text, buttons)
                elif progress and isinstance(self.port, PacedPort):
                    self.message = await self.port.edit_progress(self.message, text, buttons)
                else:
                    self.message = await self.port.edit(self.message, text, buttons)
                self._shown = text
            except Behind:
                log.debug("status tick skipped for %s: the surface is behind", self.target.conversation)
            except Exception:  # the surface failed to edit: keep working, try again next tick
                log.warning("status message update failed for %s", self.target.conversation, exc_info=True)
            self._last_edit = time.monotonic()

    async def finish(self, text: str, buttons: Sequence[Button] = ()) -> None:
        """Stop ticking and end the message in the result."""
        await self.stop()
        await self._show(text, buttons)

    async def stop(self) -> None:
        if self._ticker is not None:
            self._ticker.cancel()
            try:
                await self._ticker
            except asyncio.CancelledError:
                pass
            self._ticker = None
