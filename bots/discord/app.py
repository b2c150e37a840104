"""Running the Discord front-end: ``run_discord(core, settings)`` (what ``nemobot discord`` calls).

The REST base and the gateway URL come from the settings, so the real discord.py client can be
pointed at a proxy or the test stand-in: ``discord.http.Route.BASE`` (used by every REST call,
interaction callbacks and webhooks included) and ``DiscordWebSocket.DEFAULT_GATEWAY``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import discord.gateway
import discord.http
import yarl

from bots.discord.client import NemoBot, NemoBotMixin, ShardedNemoBot
from core.conversation import Core
from core.settings import DiscordSettings, Settings


@contextmanager
def discord_endpoints(settings: DiscordSettings) -> Iterator[None]:
    """Point discord.py at the configured REST base and gateway; restored on exit."""
    route, ws = discord.http.Route, discord.gateway.DiscordWebSocket
    saved = route.BASE, ws.DEFAULT_GATEWAY
    route.BASE = settings.api_base_url.rstrip("/")
    ws.DEFAULT_GATEWAY = yarl.URL(settings.gateway_url)
    try:
        yield
    finally:
        route.BASE, ws.DEFAULT_GATEWAY = saved


def build_client(core: Core, settings: Settings, *, identify_delay: float = 5.0) -> NemoBotMixin:
    """The client for these settings: auto-sharded when ``discord.sharded``, and running only
    ``discord.shard_ids`` of ``discord.shard_count`` when several processes split the shards."""
    d = settings.discord
    if d.shard_count is not None:
        ids = d.shard_ids if d.shard_ids is not None else list(range(d.shard_count))
        return ShardedNemoBot(core, settings, identify_delay=identify_delay, shard_ids=ids, shard_count=d.shard_count)
    cls = ShardedNemoBot if d.sharded else NemoBot
    return cls(core, settings, identify_delay=identify_delay)


async def serve(client: NemoBotMixin) -> None:
    """Log in, connect and handle events until cancelled; the client is closed on the way out."""
    settings = client.settings.discord
    if settings.token is None:
        raise SystemExit("DISCORD_TOKEN is not set")
    bot: discord.Client = client  # type: ignore[assignment]
    with discord_endpoints(settings):
        async with bot:
            await bot.start(settings.token.get_secret_value())


async def run_discord(core: Core, settings: Settings) -> None:
    """The Discord bot on this core; runs until cancelled."""
    await serve(build_client(core, settings))
