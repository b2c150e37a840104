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
