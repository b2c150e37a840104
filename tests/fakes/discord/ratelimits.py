"""Discord's rate limits as the fake enforces them, on its own: per-route buckets and a global limit.

Every bucketed answer carries Discord's headers (``X-RateLimit-Limit``, ``-Remaining``, ``-Reset``,
``-Reset-After``, ``-Bucket``); discord.py reads them and waits before it would overrun a bucket. A
request over a bucket, or over the global limit (50 bot-token requests a second; interaction
callbacks and webhook calls do not count), gets 429 with Discord's body ``{"message": "You are being
rate limited.", "retry_after": f, "global": b}``, a ``Retry-After`` header and
``X-RateLimit-Scope`` (``user`` or ``global``).

A bucket is per route and per major parameter (channel, guild, webhook and token), each a fixed
window opened by its first request, as Discord's are. The figures are the long-standing ones for the
routes a bot uses (Discord may change them; clients must read the headers, not assume).
"""

from __future__ import annotations

import hashlib
import math
from collections import deque
from dataclasses import dataclass, field

GLOBAL_PER_SECOND = 50
MESSAGE = "You are being rate limited."


@dataclass(frozen=True)
class Bucket:
    limit: int
    per: float  # seconds


# (method, route template) -> bucket; anything else gets DEFAULT.
ROUTE_BUCKETS: dict[tuple[str, str], Bucket] = {
    ("POST", "/channels/{channel_id}/messages"): Bucket(5, 5.0),
    ("PATCH", "/channels/{channel_id}/messages/{message_id}"): Bucket(5, 5.0),
    ("DELETE", "/channels/{channel_id}/messages/{message_id}"): Bucket(5, 1.0),
    ("POST", "/channels/{channel_id}/typing"): Bucket(5, 5.0),
    ("POST", "/webhooks/{app_id}/{token}"): Bucket(5, 2.0),
    ("PATCH", "/webhooks/{app_id}/{token}/messages/{message_id}"): Bucket(5, 2.0),
    ("GET", "/webhooks/{app_id}/{token}/messages/{message_id}"): Bucket(5, 2.0),
    ("DELETE", "/webhooks/{app_id}/{token}/messages/{message_id}"): Bucket(5, 2.0),
}
DEFAULT = Bucket(10, 1.0)
MAJOR = ("channel_id", "guild_id", "app_id", "token")
UNLIMITED_PREFIXES = ("/interactions/", "/gateway")  # interaction callbacks, gateway discovery


@dataclass
class _Window:
    reset_at: float  # monotonic
    remaining: int


@dataclass
class Decision:
    """Headers for the answer; ``body`` set means 429."""

    headers: dict[str, str]
    body: dict[str, object] | None = None


@dataclass
class RateLimits:
    global_per_second: int = GLOBAL_PER_SECOND
    enabled: bool = True
    refusals: list[tuple[str, str, str]] = field(default_factory=list)  # (method, path, scope)
    _windows: dict[tuple[str, str, str], _Window] = field(default_factory=dict)
    _global: deque[float] = field(default_factory=deque)

    def admit(self, method: str, template: str, params: dict[str, str], path: str, bot_token: bool,
              now: float, wall: float) -> Decision:
        """Count one request (or refuse it) at monotonic ``now`` / epoch ``wall``."""
        if not self.enabled or path.startswith(UNLIMITED_PREFIXES):
            return Decision({})
        if bot_token and not path.startswith("/webhooks/"):
            while self._global and self._global[0] <= now - 1.0:
                self._global.popleft()
            if len(self._global) >= self.global_per_second:
                retry = self._global[0] + 1.0 - now
                self.refusals.append((method, path, "global"))
                return _refusal(retry, {"X-RateLimit-Global": "true", "X-RateLimit-Scope": "global"}, True)
        bucket = ROUTE_BUCKETS.get((method, template), DEFAULT)
        major = "/".join(params.get(name, "") for name in MAJOR)
        key = (method, template, major)
        window = self._windows.get(key)
        if window is None or now >= window.reset_at:
            window = self._windows[key] = _Window(now + bucket.per, bucket.limit)
        reset_after = max(window.reset_at - now, 0.0)
        headers = {
            "X-RateLimit-Limit": str(bucket.limit),
            "X-RateLimit-Reset": f"{wall + reset_after:.3f}",
            "X-RateLimit-Reset-After": f"{reset_after:.3f}",
            "X-RateLimit-Bucket": _bucket_hash(method, template),
        }
        if window.remaining <= 0:
            self.refusals.append((method, path, "user"))
            return _refusal(reset_after, {**headers, "X-RateLimit-Remaining": "0", "X-RateLimit-Scope": "user"},
                            False)
        window.remaining -= 1
        if bot_token and not path.startswith("/webhooks/"):
            self._global.append(now)
        headers["X-RateLimit-Remaining"] = str(window.remaining)
        return Decision(headers)


def _refusal(retry_after: float, headers: dict[str, str], is_global: bool) -> Decision:
    retry_after = round(max(retry_after, 0.001), 3)
    # "Via" marks a 429 from Discord itself (one from Cloudflare has none; discord.py gives up on those)
    headers = {**headers, "Retry-After": str(max(1, math.ceil(retry_after))), "Via": "1.1 google"}
    return Decision(headers, {"message": MESSAGE, "retry_after": retry_after, "global": is_global})


def _bucket_hash(method: str, template: str) -> str:
    return hashlib.sha1(f"{method} {template}".encode()).hexdigest()[:32]
