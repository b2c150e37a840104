"""Run the fake Discord standalone: ``python -m tests.fakes.discord --port 8082``."""

from __future__ import annotations

import argparse
import asyncio
import contextlib

from .control import __doc__ as CONTROL_DOC
from .server import FakeDiscord


def _parse(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m tests.fakes.discord", description="Fake Discord (REST, gateway, CDN)")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8082)
    p.add_argument("--token", default=None, help="bot token to accept (default: a random one)")
    p.add_argument("--interaction-ttl", type=float, default=900.0, help="interaction token lifetime, seconds")
    p.add_argument("--heartbeat-ms", type=int, default=41250, help="gateway heartbeat interval")
    p.add_argument("--no-privileged-intents", action="store_true",
                   help="close an IDENTIFY asking for privileged intents with 4014")
    return p.parse_args(argv)


async def _echo_calls(dc: FakeDiscord) -> None:
    """Print what the bot does, so a human can follow along."""
    seen = 0
    while True:
        await asyncio.sleep(0.2)
        for call in dc.calls[seen:]:
            shown = call.json if not isinstance(call.json, dict) else {
                k: v for k, v in call.json.items() if k in ("type", "content", "flags", "data")}
            print(f"[bot] {call.method} {call.path} -> {call.status} {shown or ''} {call.files or ''}", flush=True)
        seen = len(dc.calls)


async def _serve(args: argparse.Namespace) -> None:
    dc = FakeDiscord(host=args.host, port=args.port, interaction_ttl=args.interaction_ttl,
                     heartbeat_interval_ms=args.heartbeat_ms,
                     allow_privileged_intents=not args.no_privileged_intents, bot_token=args.token)
    async with dc:
        print(f"Fake Discord on {dc.base_url} (REST {dc.api_base}, gateway {dc.gateway_url})")
        print(f"  application {dc.application_id}, bot user {dc.bot_user_id}, guild {dc.guild_id}, "
              f"channel {dc.channel_id}, user {dc.user_id}")
        print("  point nemobot here with:")
        for key, value in dc.env().items():
            print(f"    export {key}='{value}'")
        print("  (discord.py itself has no such settings: set discord.http.Route.BASE and\n"
              "   discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY from the two URLs above)")
        print(CONTROL_DOC, flush=True)
        await _echo_calls(dc)


def main(argv: list[str] | None = None) -> None:
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve(_parse(argv)))


if __name__ == "__main__":
    main()
