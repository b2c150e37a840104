"""Assembling a running core: the store, the NEMO client (cloud, or the local engine started
in-process on its loopback port), and the render loop. Every command of ``nemobot`` uses this.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from core.conversation import Core
from core.inside_links import InsideLinks
from core.logs import redact_more
from core.memory import few_heaps
from core.metrics import serve_metrics
from core.nemo.client import NemoClient
from core.ports import Target
from core.settings import Settings, load_section
from core.store import make_store

if TYPE_CHECKING:
    from engine.editor.events import PageEvent, PageHook
    from engine.server import EngineServer

log = logging.getLogger(__name__)


def page_hook(core: Core) -> PageHook:
    """The built-in engine's hook for its hand-editing page: each event to the conversation it names."""

    async def tell(event: PageEvent) -> bool:
        target = Target(event.platform, event.chat_id, event.user_id, event.group)
        if event.kind == "export":
            return await core.page.export(target, event.session_id)
        return await core.page.applied(target, event.session_id, event.en, event.zh)

    return tell


@asynccontextmanager
async def running_core(
    settings: Settings, *, engine_dir: Path | None = None, engine_port: int | None = None
) -> AsyncIterator[Core]:
    """A started ``Core``; the local engine too, in-process on its loopback port (``engine.port``,
    stable so a reverse proxy and handed-out links outlive a restart), when ``bot.backend`` is
    ``engine`` (its data in ``engine_dir`` and its port ``engine_port`` when given, else its settings)."""
    few_heaps()  # before the stores' and the engine's threads: an open bot's RSS follows what it holds
    async with AsyncExitStack() as stack:
        base_url = settings.nemo.base_url
        inside: InsideLinks | None = None  # the engine's links read at NEMO_BASE_URL (settings.nemo)
        engine: EngineServer | None = None
        if settings.bot.backend == "engine":
            from engine.server import EngineServer
            from engine.settings import EngineSettings

            engine_settings = load_section(EngineSettings, settings.config, host="127.0.0.1")
            if engine_dir is not None:
                engine_settings.data_dir = engine_dir
            if engine_settings.telegram_bot_token is None and settings.telegram.token is not None:
                engine_settings.telegram_bot_token = settings.telegram.token  # checks the editor's Mini App
            redact_more(engine_settings.secrets())
            if engine_port is not None:
                engine_settings.port = engine_port
            try:
                engine = await stack.enter_async_context(EngineServer(engine_settings))
            except OSError as exc:
                raise SystemExit(
                    f"the local engine cannot listen on port {engine_settings.port} ({exc.strerror}): another "
                    "nemobot may be running; set NEMOBOT_ENGINE_PORT (0 picks any free port)"
                ) from None
            base_url = engine.url
            inside = InsideLinks(engine.public_base, engine.url)  # its files on loopback, not via the proxy
            log.info("local engine running at %s", base_url)
        url = settings.bot.database_url
        store = make_store(url.get_secret_value() if url else None, settings.bot.db_path)
        await store.open()
        stack.push_async_callback(store.close)
        client = NemoClient(
            base_url, skill_version=settings.nemo.skill_version, skill_platform=settings.nemo.skill_platform,
            timeout=settings.nemo.request_timeout, stream_timeout=settings.nemo.stream_timeout,
        )
        stack.push_async_callback(client.aclose)
        core = Core(settings, store, client, inside)
        if engine is not None:
            engine.on_page_event = page_hook(core)  # the hand-editing page tells this process's chats
        await core.start()
        stack.push_async_callback(core.stop)
        if settings.bot.metrics_port is not None:
            runner = await serve_metrics(core, settings.bot.metrics_host, settings.bot.metrics_port)
            stack.push_async_callback(runner.cleanup)
        yield core
