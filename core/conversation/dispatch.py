"""``Core``: one per process. It takes every surface's ``Incoming`` and dispatches it: quick
answers at once, commands to ``Commands``, timeline work into the conversation's queue."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from core.i18n import pick_language, say
from core.inside_links import InsideLinks
from core.memory import give_back
from core.nemo.client import NemoClient
from core.ports import BUTTON_ACTIONS, SMALLER, ChatPort, Incoming, Target, smaller_render
from core.renders import RenderWatcher
from core.routing import SAY, Route, find_urls, link_problem, route
from core.secrets import RedactingPort
from core.settings import Settings
from core.store.base import Store
from core.throttle import RateLimiter

from .chat import Chat
from .commands import Commands
from .context import Context, UpdateReceipts, words_language
from .delivery import Delivery
from .export import Exports
from .page_events import PageEvents
from .queue import JOB_LEASE, OperationQueue
from .quick import QuickAnswers
from .state import Conversation, Operation
from .text import MAX_TEXT, clean_text
from .upload import Uploads

log = logging.getLogger(__name__)
CONVERSATION_KEPT = 900.0  # seconds an idle conversation stays in memory (its record is in the store)
GIVE_BACK_EVERY = 300.0  # seconds between two returns of the allocator's free pages to the system
PRUNE_EVERY = 3600.0  # seconds between two prunings of the handled updates (kept 24 h, for redeliveries)


class Core(Context):
    """One per process; every surface registers its ``ChatPort`` and hands in ``Incoming``."""

    def __init__(self, settings: Settings, store: Store, client: NemoClient,
                 inside: InsideLinks | None = None) -> None:
        super().__init__(settings, store, client, inside)
        self.delivery = Delivery(self)
        self.renders = RenderWatcher(
            client, self.tokens, store, poll_interval=settings.nemo.render_poll_interval,
            deadline=settings.nemo.render_deadline, deliver=self.delivery.deliver, owner=self.owner,
        )
        chat = Chat(self)
        self.queue = OperationQueue(self, chat, Uploads(self, chat), Exports(self, self.renders, self.delivery))
        self.quick = QuickAnswers(self)
        self.page = PageEvents(self, self.handle)  # what the hand-editing page did, told in its chat
        self.commands = Commands(self, self.queue, self.quick)
        self.rate = RateLimiter(settings.bot.rate_per_minute)
        self.metrics.watch(self)
        self._background: contextlib.AsyncExitStack | None = None
        self._claims: set[asyncio.Task[None]] = set()

    # -- lifecycle --------------------------------------------------------------------------

    def register(self, port: ChatPort) -> None:
        """Add a surface; everything the core shows through it passes the redactor."""
        self.ports[port.platform] = RedactingPort(port, self.redactor)
        self.port_ready.setdefault(port.platform, asyncio.Event()).set()
        self._claim_soon()

    def keep_updates(self, platform: str, receipts: UpdateReceipts) -> None:
        """``platform``'s updates come in through this process's own endpoint (a webhook) and are noted in
        the store (``Store.note_update``): those a stopped process noted and did not handle go to
        ``receipts.feed``, now and (several processes) on each heartbeat."""
        self.update_receipts[platform] = receipts
        self._claim_soon()

    def _claim_soon(self) -> None:
        if self._background is not None:  # started: the surface's jobs a stopped process left are taken over
            try:
                claim = asyncio.get_running_loop().create_task(self._take_over_jobs(), name="take over jobs")
            except RuntimeError:  # registered from outside the loop (a test's setup): the heartbeat claims
                return
            self._claims.add(claim)
            claim.add_done_callback(self._claims.discard)

    async def start(self) -> None:
        """Resume the renders that were open when the bot stopped; keep this process's jobs counted
        and hear the /cancel other processes take; take over, for each surface registered (now or
        later), the jobs a stopped process left."""
        self._background = contextlib.AsyncExitStack()
        await self._background.enter_async_context(self.store.cancel_requests(self.owner, self._cancelled_elsewhere))
        heartbeat = asyncio.create_task(self._keep_jobs_alive(), name="jobs heartbeat")
        self._background.callback(heartbeat.cancel)
        resumed = await self.renders.resume()
        if resumed:
            log.info("resumed %d open render(s)", resumed)
        await self._take_over_jobs()

    async def stop(self) -> None:
        """Stop working: running edits are interrupted (and told so), renders are left running
        at NEMO and stay open in the store, so the next start delivers them, and so do the waiting jobs."""
        self.queue.stopping = True
        for claim in list(self._claims):
            claim.cancel()
        workers = [c.worker for c in self.conversations.values() if c.worker]
        for worker in workers:
            worker.cancel()
        await asyncio.gather(*workers, return_exceptions=True)
        await self.ready.stop()
        try:  # the jobs still waiting here are let go at once, for another process or the next start
            await self.store.keep_jobs_alive(self.owner, 0)
        except Exception:
            log.warning("could not let go of this process's waiting jobs", exc_info=True)
        await self.renders.stop()
        if self._background is not None:
            await self._background.aclose()
            self._background = None

    async def _keep_jobs_alive(self) -> None:
        """The heartbeat of this process's jobs; with other processes on the store, taking over the jobs
        of one that stopped renewing its own (on SQLite that is only an earlier run's, at start)."""
        pruned_at = asyncio.get_running_loop().time() - PRUNE_EVERY  # the first beat prunes
        given_back_at = asyncio.get_running_loop().time()
        while True:
            await asyncio.sleep(JOB_LEASE / 3)
            try:
                await self.store.keep_jobs_alive(self.owner, JOB_LEASE)
            except Exception:
                log.warning("could not renew this process's jobs", exc_info=True)
            if self.store.several_processes:
                await self._take_over_jobs()
            self.forget_idle(CONVERSATION_KEPT)
            if asyncio.get_running_loop().time() - given_back_at >= GIVE_BACK_EVERY:
                given_back_at = asyncio.get_running_loop().time()
                give_back()  # what the allocator keeps of the memory freed since (core/memory.py)
            try:
                self.metrics.users_over_quota.set(await self.quotas.users_over())
            except Exception:
                log.warning("could not count the users at a quota", exc_info=True)
            if asyncio.get_running_loop().time() - pruned_at >= PRUNE_EVERY:
                pruned_at = asyncio.get_running_loop().time()
                await self._prune_updates()

    async def _prune_updates(self) -> None:
        """Forget what nothing needs any more: handled updates past a day, and the renders, uploads and quota
        days past ``keep_records_days`` (their links have expired)."""
        try:
            pruned = await self.store.prune_updates()
            records = await self.store.prune_records(self.settings.bot.keep_records_days * 86400)
        except Exception:
            log.warning("could not prune the store", exc_info=True)
            return
        if pruned or records:
            log.info("forgot %d handled update(s) older than a day and %d old record(s)", pruned, records)

    async def first_receipt(self, platform: str, update_id: int) -> bool:
        """Whether this process is the first of the bot's to receive ``update_id`` of ``platform`` (two
        gateway sessions of one Discord shard both get each event while a deploy hands the shard over;
        the first to note it answers it). A store that cannot say lets it through: answering twice
        beats not answering."""
        try:
            if not await self.store.note_update(platform, update_id, self.owner, JOB_LEASE, {}):
                log.info("%s: update %s was received by another process first; it answers it", platform, update_id)
                return False
            await self.store.done_update(platform, update_id)  # seen, not a job to take over: that is the job's
        except Exception:
            log.warning("%s: could not note update %s", platform, update_id, exc_info=True)
        return True

    async def _take_over_jobs(self) -> None:
        try:
            jobs = await self.store.claim_jobs(self.owner, JOB_LEASE, list(self.ports))
        except Exception:
            log.warning("could not take over the jobs of stopped processes", exc_info=True)
            return
        if jobs:
            log.info("took over %d job(s) of %s", await self.queue.resume(jobs),
                     ", ".join(sorted({job.owner for job in jobs})))
        await self._take_over_updates()

    async def _take_over_updates(self) -> None:
        """The updates a stopped process noted and did not handle, each to its surface's feed."""
        feeds = {platform: r.feed for platform, r in self.update_receipts.items() if platform in self.ports}
        if not feeds:
            return
        try:
            updates = await self.store.claim_updates(self.owner, JOB_LEASE, list(feeds))
        except Exception:
            log.warning("could not take over the updates of stopped processes", exc_info=True)
            return
        for platform, feed in feeds.items():
            mine = [update for update in updates if update.platform == platform]
            if mine:
                await feed(mine)

    def _cancelled_elsewhere(self, key: str) -> None:
        """Another process took a /cancel for ``key``: stop what this one runs or holds of it."""
        conv = self.conversations.get(key)
        if conv is not None and (conv.running is not None or conv.queue):
            lang = self.language(conv)
            asyncio.get_running_loop().create_task(self.queue.cancel_here(conv, lang), name=f"cancel:{key}")

    async def idle(self, timeout: float = 30.0) -> None:
        """Wait until no conversation has work running or queued (for tests and shutdown)."""
        async with asyncio.timeout(timeout):
            while self.renders.busy or any(c.worker and not c.worker.done() for c in self.conversations.values()):
                await asyncio.sleep(0.01)

    async def language_for(self, target: Target, locale: str | None = None) -> str:
        """The language to answer a user in (for surfaces' own texts)."""
        conv = await self.conversation(target)
        return self.language(conv, Incoming(target, locale=locale))

    # -- entry point ------------------------------------------------------------------------

    async def _notice_language(self, conv: Conversation, incoming: Incoming) -> None:
        """Remember the language of the user's words: their client's locale, else the language they
        write in (an action without words changes nothing)."""
        written = words_language(incoming)
        detected = (pick_language(incoming.locale, "") or written) if written else None
        if detected is not None and detected != conv.record.written_language:
            conv.record.written_language = detected
            # that field alone: another bot process may be running a job of this conversation
            await self.store.save_conversation(conv.record, only=("written_language",))

    async def handle(self, incoming: Incoming) -> None:
        """Take one user action. Returns once it is answered or queued."""
        conv = await self.conversation(incoming.target)
        await self._notice_language(conv, incoming)
        lang = self.language(conv, incoming)
        target = incoming.target
        action = "button" if incoming.button else "command" if incoming.command else "file" if incoming.attachments else "text"
        self.metrics.updates.labels(target.platform, action).inc()
        user = f"{target.platform}:{target.user_id}"
        if (incoming.command or "").lower().lstrip("/") != "cancel" and not self.rate.allow(user):
            if self.rate.warn_once(user):
                await self.reply(target, say(lang, "slow_down"))
            return
        if incoming.button:
            if incoming.button_owner and incoming.button_owner != target.user_id:
                await self.notify(target, say(lang, "not_yours"))
                return
            pressed = incoming.button
            render = smaller_render(pressed)
            if pressed.startswith(SAY) and pressed[len(SAY):].strip():
                # a choice the backend offered (an answer to its question): sent as the user's words
                incoming = Incoming(target, text=pressed[len(SAY):], locale=incoming.locale, order=incoming.order)
            elif render is not None:  # a smaller version of the render the button came with
                incoming = Incoming(target, command=SMALLER, args=render, locale=incoming.locale, order=incoming.order)
            elif pressed.lower().lstrip("/") not in BUTTON_ACTIONS:  # forged, or from an old layout
                await self.notify(target, say(lang, "stale_button"))
                return
            else:
                incoming = Incoming(target, command=pressed, locale=incoming.locale, order=incoming.order)
        command = (incoming.command or "").lower().lstrip("/")
        text = clean_text(incoming.text)
        args = clean_text(incoming.args)
        longest = max(len(text), len(args))
        if longest > MAX_TEXT:
            await self.reply(target, say(lang, "text_too_long", length=longest, limit=MAX_TEXT))
            return
        if command:
            await self.commands.run(conv, command, args, incoming, lang)
            return
        kind = route(text, bool(incoming.attachments))
        refused = link_problem(text) if kind is Route.UPLOAD and not incoming.attachments else None
        if refused:
            await self.reply(target, say(lang, refused))
        elif kind is Route.UPLOAD and not incoming.attachments and not find_urls(text):
            await self.reply(target, say(lang, "upload_nothing"))
        elif kind is Route.CREDITS:
            await self.quick.credits(conv, lang, target)
        elif kind is Route.STATUS:
            await self.quick.status(conv, lang, target)
        elif kind is Route.CHAT and not text:
            await self.reply(target, say(lang, "empty_message"))
        else:
            await self.queue.enqueue(conv, Operation(kind, Incoming(
                target, text, attachments=incoming.attachments, locale=incoming.locale, order=incoming.order)))
