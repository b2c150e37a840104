"""Run the fake standalone: python -m tests.fakes.telegram --port 8081 [--local-mode]."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal

from .control import __doc__ as CONTROL_DOC
from .fake import FakeTelegram
from .models import DEFAULT_TOKEN


async def _echo_calls(tg: FakeTelegram, stop: asyncio.Event) -> None:
    """Print what the bot does, so a human can follow along, until `stop` is set."""
    seen = 0
    while not stop.is_set():
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), 0.2)
        for call in tg.calls[seen:]:
            if call.method != "getUpdates":
                shown = {
                    k: v
                    for k, v in call.params.items()
                    if k in ("chat_id", "message_id", "text", "caption", "action")
                }
                print(f"[bot] {call.method} -> {call.status} {shown} {call.files or ''}", flush=True)
        seen = len(tg.calls)


async def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Fake Telegram Bot API server")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8081)
    parser.add_argument("--token", default=DEFAULT_TOKEN)
    parser.add_argument("--username", default="nemo_test_bot")
    parser.add_argument("--local-mode", action="store_true", help="behave like telegram-bot-api --local")
    args = parser.parse_args(argv)
    async with FakeTelegram(
        args.token, args.local_mode, bot_username=args.username, host=args.host, port=args.port
    ) as tg:
        print(f"Fake Telegram Bot API on {tg.url} (local_mode={tg.local_mode})")
        print(f"  token:         {tg.token}")
        print(f"  base_url:      {tg.base_url}")
        print(f"  base_file_url: {tg.base_file_url}")
        print(f'  try:           curl -X POST {tg.url}/_fake/send -d \'{{"chat_id": 1, "text": "hi"}}\'')
        print(CONTROL_DOC, flush=True)
        stop = asyncio.Event()
        for signum in (signal.SIGINT, signal.SIGTERM):
            asyncio.get_running_loop().add_signal_handler(signum, stop.set)
        await _echo_calls(tg, stop)  # the temp dir is removed on the way out


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(main())
