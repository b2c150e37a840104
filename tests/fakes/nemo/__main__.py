"""Serve the fake NEMO standalone: `python -m tests.fakes.nemo --port 8765` (Ctrl-C stops it)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib

from .server import FakeNemo


async def _serve(args: argparse.Namespace) -> None:
    fake = FakeNemo(
        host=args.host,
        port=args.port,
        static_tokens=args.static_token,
        strict_token_rate=args.strict_token_rate,
    )
    async with fake:
        print(f"fake NEMO listening on {fake.url}", flush=True)
        await asyncio.Event().wait()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.fakes.nemo", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765, help="0 picks a free port")
    parser.add_argument("--static-token", action="append", default=[], help="a bearer token always accepted")
    parser.add_argument(
        "--strict-token-rate", action="store_true", help="answer 429 to a second token per client id"
    )
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve(parser.parse_args(argv)))


if __name__ == "__main__":
    main()
