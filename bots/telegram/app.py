"""Running the Telegram bot: long polling (default) or a webhook, on the core's event loop.

    async with running_core(settings) as core:
        await run_telegram(core, settings)          # until cancelled (Ctrl-C)

Long polling needs nothing but the token. A webhook needs ``webhook_url`` (HTTPS, reachable by
Telegram; its path is the path served), ``webhook_listen``/``webhook_port`` (where PTB's server
listens, behind your TLS proxy) and a ``webhook_secret`` (derived from the token when unset), which
Telegram sends with each update and our endpoint (``webhook``) checks; it keeps each update in the store
before it answers, so none is lost or run twice. Files over 20 MB need a self-hosted Bot API server:
set ``api_base_url``/``file_base_url`` to it and ``local_mode = true`` (and ``upload_limit_mb = 2000``).
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from urllib.parse import urlparse

from telegram.error import InvalidToken, TelegramError
from telegram.ext import Application, ApplicationBuilder

from core.conversation import Core
from core.settings import Settings

from .albums import ALBUM_WINDOW
from .files import Files
from .pacing import Budgets, Pacer
from .port import TelegramPort
from .request import AiohttpRequest
from .sender import IN_FLIGHT, Sender
from .updates import ALLOWED_UPDATES, TelegramSurface
from .webhook import RECEIPTS, ReceiptApplication, Receipts, WebhookServer

log = logging.getLogger(__name__)

SURFACE = "nemobot.surface"  # key of the surface in Application.bot_data
POLL_TIMEOUT = 30  # seconds a getUpdates long poll may wait


def surface_of(app: Application) -> TelegramSurface:
    return app.bot_data[SURFACE]  # type: ignore[no-any-return]


def webhook_secret(settings: Settings) -> str:
    """The configured secret, or one derived from the token (Telegram allows ``[A-Za-z0-9_-]``)."""
    tg = settings.telegram
    if tg.webhook_secret is not None:
        return tg.webhook_secret.get_secret_value()
    token = tg.token.get_secret_value() if tg.token else ""
    return hashlib.sha256(f"nemobot-webhook:{token}".encode()).hexdigest()[:48]


def build_application(core: Core, settings: Settings, *, album_window: float = ALBUM_WINDOW) -> Application:
    """A PTB ``Application`` with the nemobot handlers, not yet initialised or started.

    Updates are processed one at a time by PTB (our handlers only sort them into per-conversation
    lanes), which keeps each chat's order; the port is registered with the core by ``running_bot``.
    """
    tg = settings.telegram
    if tg.token is None:
        raise SystemExit("TELEGRAM_TOKEN is not set")
    app = (
        ApplicationBuilder()
        .token(tg.token.get_secret_value())
        .base_url(tg.api_base_url)
        .base_file_url(tg.file_base_url)
        .local_mode(tg.local_mode)
        .concurrent_updates(False)
        .request(AiohttpRequest(IN_FLIGHT, read_timeout=30.0, write_timeout=30.0, connect_timeout=10.0,
                                pool_timeout=60.0, media_write_timeout=300.0))
        .get_updates_request(AiohttpRequest(1, read_timeout=10.0, connect_timeout=10.0, pool_timeout=10.0))
        .job_queue(None)
        .application_class(ReceiptApplication)
        .build()
    )
    sender = Sender(pacer=Pacer(Budgets(per_second=tg.sends_per_second, group_per_minute=tg.group_sends_per_minute)))
    files = Files(app.bot, sender, local_mode=tg.local_mode)
    port = TelegramPort(app.bot, sender, files, tg)
    surface = TelegramSurface(app, core, settings, port, files, sender, album_window=album_window)
    surface.install()
    app.bot_data[SURFACE] = surface
    return app


@asynccontextmanager
async def running_bot(core: Core, settings: Settings, *, poll_interval: float = 0.0,
                      poll_timeout: int = POLL_TIMEOUT, album_window: float = ALBUM_WINDOW,
                      drop_pending_updates: bool = False) -> AsyncIterator[Application]:
    """The bot started (polling, or a webhook when ``webhook_url`` is set) and stopped cleanly."""
    tg = settings.telegram
    app = build_application(core, settings, album_window=album_window)
    surface = surface_of(app)
    try:
        await app.initialize()
    except InvalidToken:
        await _close_requests(app)
        raise SystemExit("Telegram refused TELEGRAM_TOKEN: check it with @BotFather") from None
    except TelegramError as exc:
        await _close_requests(app)
        raise SystemExit(f"cannot reach the Telegram Bot API at start-up ({type(exc).__name__})") from None
    try:
        core.register(surface.port)
        await surface.set_commands()
        await app.start()
        updater = app.updater
        assert updater is not None
        webhook: WebhookServer | None = None
        if tg.webhook_url:
            webhook = await start_webhook(app, core, settings, drop_pending_updates=drop_pending_updates)
        else:
            await updater.start_polling(poll_interval=poll_interval, timeout=poll_timeout,
                                        allowed_updates=ALLOWED_UPDATES, drop_pending_updates=drop_pending_updates)
            log.info("telegram: long polling as @%s", app.bot.username)
        try:
            yield app
        finally:
            if webhook is not None:
                await webhook.stop()
            if updater.running:
                await updater.stop()
            await surface.drain()
            await app.stop()
    finally:
        await surface.aclose()
        await app.shutdown()


async def start_webhook(app: Application, core: Core, settings: Settings, *,
                        drop_pending_updates: bool = False) -> WebhookServer:
    """Our webhook endpoint (``webhook``: each update kept in the store before Telegram hears 200), then
    setWebhook with the secret token and the updates we handle."""
    tg = settings.telegram
    assert tg.webhook_url
    receipts = Receipts(core, app)
    app.bot_data[RECEIPTS] = surface_of(app).receipts = receipts
    server = WebhookServer(receipts, listen=tg.webhook_listen, port=tg.webhook_port,
                           path=urlparse(tg.webhook_url).path, secret=webhook_secret(settings))
    await server.start()
    try:
        await surface_of(app).sender.retrying(lambda _: app.bot.set_webhook(
            tg.webhook_url or "", secret_token=webhook_secret(settings), allowed_updates=ALLOWED_UPDATES,
            drop_pending_updates=drop_pending_updates))
    except BaseException:
        await server.stop()
        raise
    log.info("telegram: webhook at %s (listening on %s:%d)", tg.webhook_url, tg.webhook_listen, tg.webhook_port)
    return server


async def _close_requests(app: Application) -> None:
    """Close the HTTP sessions of an Application whose start failed (PTB leaves them open)."""
    for request in getattr(app.bot, "_request", ()):  # (getUpdates, everything else)
        if isinstance(request, AiohttpRequest):
            await request.shutdown()


async def run_telegram(core: Core, settings: Settings) -> None:
    """Run the Telegram bot until cancelled (SIGINT / Ctrl-C cancels the main task)."""
    async with running_bot(core, settings):
        await asyncio.Event().wait()
