"""What the core keeps per conversation: its record, its queue of operations, the running one."""

from __future__ import annotations

import asyncio
import time
from collections import deque
from dataclasses import dataclass, field

from core.ports import Incoming, MessageRef
from core.routing import Route
from core.store.base import ConversationRecord


@dataclass(eq=False)
class Operation:
    """A queued piece of work for one conversation."""

    kind: Route
    incoming: Incoming
    message: MessageRef | None = None
    task: asyncio.Task[None] | None = None
    job_id: int | None = None  # its row in the store's jobs (queue positions across processes)
    render_id: str | None = None  # an export's render, named before it is submitted (submitted once)
    stage: str = ""  # how far it got (``jobs``: started, sent, render), kept on its row
    resumed_from: float | None = None  # taken over from a stopped process: when it was first noted
    noted_at: float = field(default_factory=time.monotonic)  # when this process took it
    tell_resumed: bool = False  # the first such job of its conversation says so, if it waited long


@dataclass(eq=False)
class Conversation:
    record: ConversationRecord
    queue: deque[Operation] = field(default_factory=deque)
    running: Operation | None = None
    worker: asyncio.Task[None] | None = None
    render_id: str | None = None
    news: asyncio.Event = field(default_factory=asyncio.Event)
    """Set (and replaced) each time work is lined up in ``queue``."""
    touched: float = field(default_factory=time.monotonic)
    """When it was last looked up (``Context.conversation``): idle long enough, it leaves memory."""

    @property
    def busy(self) -> bool:
        """Work of it is running, waiting or rendering here: it must stay in memory."""
        return (self.running is not None or bool(self.queue) or self.render_id is not None
                or (self.worker is not None and not self.worker.done()))

    def lined_up(self) -> None:
        """Newer work is in ``queue``: wake whoever waits to learn that the user moved on."""
        self.news.set()
        self.news = asyncio.Event()

    async def moved_on(self) -> None:
        """Returns once the user has moved on: newer work of theirs (a message, an edit) waits behind the
        running operation, so what that operation still has to show answers what is no longer asked."""
        while not self.queue:
            await self.news.wait()
