"""The Telegram webhook: our own endpoint, which keeps an update in the store before Telegram hears 200.

Telegram does not send an update again once its webhook call got a 2xx. So the update is noted in the
store (``Store.note_update``, keyed by its update_id) before the answer, handed to the Application's
``update_queue`` and marked done when it was handled: its handler's work finished (for timeline work, the
job row is noted, the update done in the same transaction: ``Store.add_job``; from there the durable jobs
carry it). A redelivered update (a call that timed out, sent
again, maybe to another replica) is already noted: it is answered 200 and dropped. The updates a process
noted and did not handle (it was killed) are taken over by another process on the jobs' heartbeat, or by
the next run on SQLite (``Core.keep_updates``).
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Iterable
from typing import Any

from aiohttp import web
from telegram import Update
from telegram.ext import Application

from core.conversation import Core
from core.conversation.queue import JOB_LEASE
from core.ports import Incoming
from core.store.base import UpdateRecord

from .port import PLATFORM

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
RECEIPTS = "nemobot.receipts"  # key of the Receipts in Application.bot_data (webhook mode)
MAX_BODY = 1 << 20  # bytes: an update is a few KB


class Receipts:
    """The webhook updates this process is handling, done in the store once handled. An update handed to
    a conversation's lane (or an album still gathering) is held until its job is noted with it done
    (``updates_of`` and ``handed_on``, from the core) or, for work that is no job, until the lane's work
    finished; any other is done when PTB's handlers returned. Marking done twice is harmless."""

    def __init__(self, core: Core, app: Application) -> None:  # type: ignore[type-arg]
        self.core = core
        self.app = app
        self._held: set[int] = set()
        self._requests: dict[tuple[str, int], list[int]] = {}  # (conversation, order) -> its updates

    def hold(self, update_id: int) -> None:
        self._held.add(update_id)

    def handing(self, conversation: str, order: int | None, update_ids: Iterable[int | None]) -> None:
        """The updates ``update_ids`` make one request of ``conversation`` in the surface's ``order``."""
        if order is not None:
            self._requests[(conversation, order)] = [i for i in update_ids if i is not None]

    def updates_of(self, incoming: Incoming) -> list[int]:
        if incoming.order is None:
            return []
        return [i for i in self._requests.get((incoming.target.conversation, incoming.order), ()) if i in self._held]

    def handed_on(self, incoming: Incoming) -> None:
        if incoming.order is not None:  # done in the store with the job row (``Store.add_job``)
            self._held.difference_update(self._requests.pop((incoming.target.conversation, incoming.order), ()))

    async def finished(self, conversation: str, order: int | None, update_ids: Iterable[int | None]) -> None:
        """The lane's work for a request is over (its job noted, or nothing to queue)."""
        if order is not None:
            self._requests.pop((conversation, order), None)
        await self.release(update_ids)

    async def release(self, update_ids: Iterable[int | None]) -> None:
        for update_id in update_ids:
            if update_id is not None and update_id in self._held:
                self._held.discard(update_id)
                await self._done(update_id)

    async def processed(self, update_id: int) -> None:
        """PTB's handlers returned for ``update_id``."""
        if update_id not in self._held:
            await self._done(update_id)

    async def feed(self, updates: list[UpdateRecord]) -> None:
        """Updates taken over from a process that stopped before it handled them."""
        log.info("telegram: taking over %d update(s) of %s", len(updates),
                 ", ".join(sorted({u.owner for u in updates})))
        for record in updates:
            await self.put(record.payload)

    async def put(self, data: dict[str, Any]) -> None:
        update = Update.de_json(data, self.app.bot)
        if update is not None:
            await self.app.update_queue.put(update)

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
    """An aiohttp server taking Telegram's webhook calls on ``path``, for the receipts' Application."""

    def __init__(self, receipts: Receipts, *, listen: str, port: int, path: str, secret: str) -> None:
        self.receipts = receipts
        self.core = receipts.core
        self.listen, self.port, self.path = listen, port, "/" + path.lstrip("/")
        self._secret = secret.encode()
        self._runner: web.AppRunner | None = None

    async def start(self) -> None:
        web_app = web.Application(client_max_size=MAX_BODY)
        web_app.router.add_post(self.path, self._receive)
        self._runner = web.AppRunner(web_app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, self.listen, self.port).start()
        self.core.keep_updates(PLATFORM, self.receipts)

    async def stop(self) -> None:
        self.core.update_receipts.pop(PLATFORM, None)
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
        await self.receipts.put(data)
        return web.Response()
