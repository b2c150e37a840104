"""The Telegram webhook: our own endpoint, which keeps an update in the store before Telegram hears 200.

Telegram does not send an update again once its webhook call got a 2xx. So the update is noted in the
store (``Store.note_update``, keyed by its update_id) before the answer, handed to the Application's
``update_queue`` and marked done when it was handled: its handler's work finished (for timeline work, the
job row is noted; from there the durable jobs carry it). A redelivered update (a call that timed out, sent
again, maybe to another replica) is already noted: it is answered 200 and dropped. The updates a process
noted and did not handle (it was killed) are taken over by another process on the jobs' heartbeat, or by
the next run on SQLite (``Core``'s ``update_feeds``).
"""

from __future__ import annotations

import asyncio
import hmac
import logging
from collections.abc import Iterable
from typing import Any

from aiohttp import web
from telegram import Update
from telegram.ext import Application

from core.conversation import Core
from core.conversation.queue import JOB_LEASE
from core.store.base import UpdateRecord

from .port import PLATFORM

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
RECEIPTS = "nemobot.receipts"  # key of the Receipts in Application.bot_data (webhook mode)
PRUNE_EVERY = 3600.0  # seconds between two prunings of the handled updates (kept 24 h, for redeliveries)
MAX_BODY = 1 << 20  # bytes: an update is a few KB


class Receipts:
    """The webhook updates this process is handling: done in the store once handled. An update handed
    to a conversation's lane (or an album still gathering) is held until that work finished; any other
    is done when PTB's handlers returned. Marking done twice is harmless."""

    def __init__(self, core: Core) -> None:
        self.core = core
        self._held: dict[int, int] = {}

    def hold(self, update_id: int | None) -> None:
        if update_id is not None:
            self._held[update_id] = self._held.get(update_id, 0) + 1

    async def release(self, update_ids: Iterable[int | None]) -> None:
        for update_id in update_ids:
            if update_id is None or update_id not in self._held:
                continue
            self._held[update_id] -= 1
            if not self._held[update_id]:
                del self._held[update_id]
                await self._done(update_id)

    async def processed(self, update_id: int) -> None:
        """PTB's handlers returned for ``update_id``."""
        if update_id not in self._held:
            await self._done(update_id)

    async def _done(self, update_id: int) -> None:
        try:
            await self.core.store.done_update(PLATFORM, update_id)
        except Exception:  # left open, it is taken over and handled again
            log.warning("could not mark update %s handled", update_id, exc_info=True)


class ReceiptApplication(Application):  # type: ignore[type-arg]
    """PTB's Application that tells the receipts (webhook mode) when it has processed an update."""

    async def process_update(self, update: object) -> None:
        await super().process_update(update)
        receipts: Receipts | None = self.bot_data.get(RECEIPTS)
        if receipts is not None and isinstance(update, Update):
            await receipts.processed(update.update_id)


class WebhookServer:
    """An aiohttp server taking Telegram's webhook calls on ``path``, for ``app`` (started, no Updater)."""

    def __init__(self, app: Application, core: Core, *, listen: str, port: int, path: str, secret: str) -> None:
        self.app = app
        self.core = core
        self.listen, self.port, self.path = listen, port, "/" + path.lstrip("/")
        self._secret = secret.encode()
        self._runner: web.AppRunner | None = None
        self._pruning: asyncio.Task[None] | None = None

    async def start(self) -> None:
        web_app = web.Application(client_max_size=MAX_BODY)
        web_app.router.add_post(self.path, self._receive)
        self._runner = web.AppRunner(web_app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, self.listen, self.port).start()
        self.core.feed_updates(PLATFORM, self.feed)
        self._pruning = asyncio.create_task(self._prune(), name="telegram: prune updates")

    async def stop(self) -> None:
        self.core.update_feeds.pop(PLATFORM, None)
        if self._pruning is not None:
            self._pruning.cancel()
            await asyncio.gather(self._pruning, return_exceptions=True)
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _receive(self, request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_HEADER, "").encode()
        if not hmac.compare_digest(given, self._secret):
            log.warning("telegram: a webhook call without the right secret token was refused")
            return web.Response(status=403)
        try:
            data: Any = await request.json()
            update_id = int(data["update_id"])
        except (ValueError, TypeError, KeyError):
            return web.Response(status=400)
        try:
            new = await self.core.store.note_update(PLATFORM, update_id, self.core.owner, JOB_LEASE, data)
        except Exception:  # not kept: no 200, so Telegram sends it again
            log.warning("telegram: could not keep update %s", update_id, exc_info=True)
            return web.Response(status=503)
        if not new:
            log.debug("telegram: update %s was received before; dropped", update_id)
            return web.Response()
        await self._put(data)
        return web.Response()

    async def feed(self, updates: list[UpdateRecord]) -> None:
        """Updates taken over from a process that stopped before handling them."""
        log.info("telegram: taking over %d update(s) of %s", len(updates),
                 ", ".join(sorted({u.owner for u in updates})))
        for record in updates:
            await self._put(record.payload)

    async def _put(self, data: dict[str, Any]) -> None:
        update = Update.de_json(data, self.app.bot)
        if update is not None:
            await self.app.update_queue.put(update)

    async def _prune(self) -> None:
        while True:
            try:
                pruned = await self.core.store.prune_updates()
                if pruned:
                    log.info("telegram: forgot %d handled update(s) older than a day", pruned)
            except Exception:
                log.warning("could not prune the handled updates", exc_info=True)
            await asyncio.sleep(PRUNE_EVERY)
