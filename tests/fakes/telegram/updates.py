"""Pending updates: getUpdates offset and long-poll semantics, or push to a webhook."""

from __future__ import annotations

import asyncio
import contextlib
import time
from urllib.parse import urlsplit

import aiohttp

from .models import JSON, ApiError, Clock

NOT_BY_DEFAULT = {"chat_member", "message_reaction", "message_reaction_count"}
UNREACHABLE = "127.0.0.1:9"  # the discard port: nothing listens (connection refused)
WEBHOOK_RETRY_DELAY = 0.2  # seconds; real Telegram backs off longer


class UpdateQueue:
    """Updates waiting for the bot, numbered by update_id."""

    def __init__(self, clock: Clock, first_update_id: int = 1000) -> None:
        self._clock = clock
        self._pending: list[JSON] = []
        self._next_id = first_update_id
        self._changed = asyncio.Event()
        self._poll_generation = 0
        self._closing = False
        self.allowed_updates: list[str] | None = None
        self.delivered: list[JSON] = []  # every update handed out (getUpdates answer or webhook 2xx)
        self.webhook_url = ""
        self.webhook_secret: str | None = None
        self.webhook_error: tuple[int, str] | None = None  # (unix time, message)
        self.tls_proxies: dict[str, str] = {}  # public https origin -> the http origin behind it
        self._push_task: asyncio.Task[None] | None = None
        self._session: aiohttp.ClientSession | None = None

    @property
    def pending(self) -> list[JSON]:
        """Updates not yet confirmed by the bot."""
        return list(self._pending)

    def _notify(self) -> None:
        self._changed.set()
        self._changed = asyncio.Event()

    def push(self, kind: str, payload: JSON) -> JSON:
        """Enqueue an update of type `kind` (e.g. "message") and wake pollers."""
        update = {"update_id": self._next_id, kind: payload}
        self._next_id += 1
        self._pending.append(update)
        self._notify()
        return update

    def _wanted(self, update: JSON) -> bool:
        kind = next(k for k in update if k != "update_id")
        if self.allowed_updates:
            return kind in self.allowed_updates
        return kind not in NOT_BY_DEFAULT

    def _confirm(self, offset: int | None) -> None:
        if not offset:
            return
        if offset < 0:  # the last -offset updates stay
            self._pending = self._pending[offset:]
        else:
            self._pending = [u for u in self._pending if u["update_id"] >= offset]

    def drop_pending(self) -> None:
        self._pending.clear()

    async def get_updates(
        self, offset: int | None, limit: int, timeout: float, allowed: list[str] | None
    ) -> list[JSON]:
        """getUpdates: confirm below offset, answer at once when updates wait, else long-poll."""
        if self.webhook_url:
            raise ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        self._confirm(offset)
        if allowed is not None:
            self.allowed_updates = list(allowed)
        self._poll_generation += 1
        generation = self._poll_generation
        self._notify()  # an older long-poll is terminated by this one
        deadline = time.monotonic() + max(0.0, timeout)
        while True:
            changed = self._changed
            if generation != self._poll_generation:
                raise ApiError(
                    409,
                    "Conflict: terminated by other getUpdates request; "
                    "make sure that only one bot instance is running",
                )
            batch = [u for u in self._pending if self._wanted(u)][: max(1, min(limit, 100))]
            remaining = deadline - time.monotonic()
            if batch or remaining <= 0 or self._closing:
                self.delivered.extend(batch)
                return batch
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(changed.wait(), remaining)

    def webhook_info(self) -> JSON:
        info: JSON = {
            "url": self.webhook_url,
            "has_custom_certificate": False,
            "pending_update_count": len(self._pending),
        }
        if self.webhook_url:
            info["max_connections"] = 40
        if self.allowed_updates:
            info["allowed_updates"] = self.allowed_updates
        if self.webhook_error:
            info["last_error_date"], info["last_error_message"] = self.webhook_error
        return info

    async def set_webhook(self, url: str, secret: str | None, allowed: list[str] | None, drop: bool) -> None:
        """setWebhook ("" deletes it); starts pushing pending updates to `url`."""
        await self._stop_push()
        if drop:
            self.drop_pending()
        if allowed is not None:
            self.allowed_updates = list(allowed)
        self.webhook_url, self.webhook_secret, self.webhook_error = url, secret, None
        self._poll_generation += 1  # a running long-poll ends with 409
        self._notify()
        if url:
            self._push_task = asyncio.create_task(self._push_loop(), name="fake-telegram-webhook")

    async def _stop_push(self) -> None:
        if self._push_task is not None:
            self._push_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._push_task
            self._push_task = None

    async def _push_loop(self) -> None:
        if self._session is None:
            self._session = aiohttp.ClientSession()
        headers = {"X-Telegram-Bot-Api-Secret-Token": self.webhook_secret} if self.webhook_secret else {}
        while not self._closing:
            changed = self._changed
            batch = [u for u in self._pending if self._wanted(u)]
            self._pending = [u for u in self._pending if u in batch]  # unwanted ones are dropped
            if not batch:
                await changed.wait()
                continue
            update = batch[0]
            try:
                async with self._session.post(self._behind_proxy(self.webhook_url), json=update, headers=headers) as resp:
                    ok, error = 200 <= resp.status < 300, f"Wrong response from the webhook: {resp.status}"
            except aiohttp.ClientError as exc:
                ok, error = False, f"Connection error: {exc}"
            if ok:
                self._pending = [u for u in self._pending if u["update_id"] != update["update_id"]]
                self.delivered.append(update)
                self._notify()
            else:
                self.webhook_error = (int(self._clock.now()), error)
                await asyncio.sleep(WEBHOOK_RETRY_DELAY)

    def _behind_proxy(self, url: str) -> str:
        """Where a TLS-terminating proxy in front of the bot forwards ``url`` (as the bot is deployed);
        an origin with no proxy is unreachable, like a host with no server."""
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}".lower()
        behind = self.tls_proxies.get(origin)
        if behind is None:
            return f"http://{UNREACHABLE}{parts.path}"
        return behind.rstrip("/") + url[len(origin):]

    async def close(self) -> None:
        """Release long-polls and stop the webhook pusher."""
        self._closing = True
        self._notify()
        await self._stop_push()
        if self._session is not None:
            await self._session.close()
            self._session = None
