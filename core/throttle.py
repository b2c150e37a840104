"""Per-user rate limits: a sliding window of the last minute's messages."""

from __future__ import annotations

import time
from collections import deque


class RateLimiter:
    """At most ``limit`` events per ``window`` seconds for each key."""

    def __init__(self, limit: int, window: float = 60.0) -> None:
        self.limit = limit
        self.window = window
        self._events: dict[str, deque[float]] = {}
        self._warned: dict[str, float] = {}
        self._swept = time.monotonic()

    def allow(self, key: str) -> bool:
        now = time.monotonic()
        self._sweep(now)
        events = self._events.setdefault(key, deque())
        while events and events[0] <= now - self.window:
            events.popleft()
        if self.limit > 0 and len(events) >= self.limit:
            return False
        events.append(now)
        return True

    def warn_once(self, key: str) -> bool:
        """``True`` the first time a key is refused in a window (say "slow down" once, not per message)."""
        now = time.monotonic()
        if now - self._warned.get(key, -self.window) < self.window:
            return False
        self._warned[key] = now
        return True

    def _sweep(self, now: float) -> None:
        """Once a window, forget the keys with nothing in it: an open bot meets a new key with every user."""
        if now - self._swept < self.window:
            return
        self._swept = now
        horizon = now - self.window
        for key in [k for k, events in self._events.items() if not events or events[-1] <= horizon]:
            del self._events[key]
        for key in [k for k, at in self._warned.items() if at <= horizon]:
            del self._warned[key]

    def __len__(self) -> int:
        """How many keys are remembered."""
        return len(self._events)
