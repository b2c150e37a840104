"""Renders: their progress per poll, the two status body shapes, and byte ranges of the result."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from typing import Any

from .editor import draft_has_content, draft_seconds
from .script import RenderPlan

TERMINAL = frozenset({"completed", "failed", "cancelled"})


@dataclass
class Render:
    """One export, advanced by each status poll according to its plan."""

    id: str
    session_id: str
    draft: Any
    plan: RenderPlan
    status: str = "pending"
    progress: int = 0
    polls: int = 0
    error: str | None = None
    started: float = field(default_factory=time.monotonic)

    @property
    def seconds(self) -> float:
        """How long this render takes when timed (the plan's speed times the draft's length)."""
        return self.plan.speed * draft_seconds(self.draft)

    def advance(self) -> None:
        """Answer one status poll: move on by polls (a scripted `steps`) or by elapsed time."""
        if self.status in TERMINAL:
            return
        self.polls += 1
        if not draft_has_content(self.draft):
            self.status, self.error = "failed", "empty draft"
            return
        plan = self.plan
        done = self.polls - plan.pending_polls  # polls past the pending phase
        if done <= 0:
            return
        if plan.steps is None:
            elapsed, total = time.monotonic() - self.started, self.seconds
            finished = elapsed >= total and not plan.stuck
            fraction = min(elapsed / total, 0.99) if total > 0 else 0.99
        else:
            finished = done > plan.steps and not plan.stuck
            fraction = min(done, plan.steps) / (plan.steps + 1)
        if not finished:
            self.status, self.progress = "processing", round(100 * fraction)
        elif plan.fail:
            self.status, self.error = "failed", plan.error
        else:
            self.status, self.progress = "completed", 100

    def cancel(self) -> None:
        if self.status not in TERMINAL:
            self.status = "cancelled"

    def body(self, url: str) -> dict[str, Any]:
        """The status body in the plan's shape, with the URL at the plan's location once completed."""
        if self.plan.shape == "top":
            body: dict[str, Any] = {"taskId": self.id, "status": self.status, "progress": self.progress}
            if self.status == "completed":
                body["output"] = {"duration": self.plan.duration, "size": len(self.plan.content)}
        else:
            data = {"id": self.id, "status": self.status, "progress": self.progress}
            body = {"success": True, "data": data}
        if self.error:
            (body.get("data", body))["error"] = self.error
        if self.status == "completed":
            _put(body, self.plan.url_location, url)
        return body


def _put(body: dict[str, Any], path: str, value: Any) -> None:
    *parents, last = path.split(".")
    for key in parents:
        body = body.setdefault(key, {})
    body[last] = value


_RANGE = re.compile(r"bytes=(\d*)-(\d*)$")


class Unsatisfiable(ValueError):
    """The Range header cannot be served (HTTP 416)."""


def byte_range(header: str | None, size: int) -> tuple[int, int] | None:
    """The inclusive (start, end) a single `Range: bytes=…` asks for; None means the whole body."""
    if not header:
        return None
    match = _RANGE.match(header.strip())
    if not match or match.group(0) == "bytes=-":
        return None  # multi-range or garbage: RFC 9110 lets a server ignore it
    first, last = match.groups()
    if first == "":
        length = int(last)
        if length == 0:
            raise Unsatisfiable(header)
        return max(size - length, 0), size - 1
    start = int(first)
    end = min(int(last), size - 1) if last else size - 1
    if start >= size or end < start:
        raise Unsatisfiable(header)
    return start, end
