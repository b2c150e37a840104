"""SSE parsing: events per second of nemobot's event pipeline against bare httpx-sse, on the same
recorded ADK stream, alternating runs in one process (the machine is shared: compare ratios).

    python bench/sse_pipeline.py [--events 20000] [--rounds 5]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
from pathlib import Path

import httpx
from httpx_sse import aconnect_sse

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from core.nemo.client import NemoClient


def recorded_stream(events: int) -> bytes:
    """A stream shaped like nemo-api.md's captured lines: calls, results with drafts, text, heartbeats."""
    draft = {"t": [{"tt": 0, "sg": [{"d": 10000, "m": {"name": "clip.mp4"}}]},
                   {"tt": 1, "sg": [{"d": 10000, "m": {"title": "Lo-fi", "vol": 0.35}}]}]}
    shapes = [
        {"content": {"parts": [{"functionCall": {"id": "adk-ed10", "args": {"op": "add_bgm"}, "name": "edit_multitrack"}}],
                     "role": "model"}, "invocationId": "e-5df6", "author": "nemo_agent",
         "actions": {"stateDelta": {}, "artifactDelta": {}}, "longRunningToolIds": [], "id": "a224", "timestamp": 1.0},
        {"content": {"parts": [{"functionResponse": {"id": "adk-ed10", "name": "edit_multitrack", "response": {"ok": True}}}],
                     "role": "user"}, "invocationId": "e-5df6", "author": "nemo_agent",
         "actions": {"stateDelta": {"draft": draft}}, "id": "7a6e", "timestamp": 1.2},
        {"content": {"parts": [{"text": "BGM added. Click Export when you are ready."}], "role": "model"},
         "invocationId": "e-5df6", "author": "nemo_agent", "id": "bc94", "timestamp": 1.4},
    ]
    lines = []
    for n in range(events):
        if n % 4 == 3:
            lines.append("data: \n\n")  # the gateway's empty keep-alive
        else:
            lines.append("data: " + json.dumps(shapes[n % 4 % 3], separators=(",", ":")) + "\n\n")
    return "".join(lines).encode()


def transport(body: bytes) -> httpx.MockTransport:
    """Replays the recorded stream in 16 KiB chunks, as a socket would deliver it."""
    return httpx.MockTransport(lambda request: httpx.Response(
        200, headers={"content-type": "text/event-stream"}, stream=_Stream(body)))


class _Stream(httpx.AsyncByteStream):
    def __init__(self, body: bytes) -> None:
        self.body = body

    async def __aiter__(self):  # type: ignore[no-untyped-def]
        for start in range(0, len(self.body), 16384):
            yield self.body[start:start + 16384]


async def bare(body: bytes) -> int:
    count = 0
    async with httpx.AsyncClient(transport=transport(body), base_url="http://nemo") as http:
        async with aconnect_sse(http, "POST", "/run_sse", json={}) as source:
            async for _ in source.aiter_sse():
                count += 1
    return count


async def bare_json(body: bytes) -> int:
    count = 0
    async with httpx.AsyncClient(transport=transport(body), base_url="http://nemo") as http:
        async with aconnect_sse(http, "POST", "/run_sse", json={}) as source:
            async for sse in source.aiter_sse():
                if sse.data:
                    json.loads(sse.data)
                count += 1
    return count


async def ours(body: bytes) -> int:
    count = 0
    async with NemoClient("http://nemo", transport=transport(body)) as client:
        async for _ in client.chat("token", "1", "hi", skill="free-editing-with-ai"):
            count += 1
    return count


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=20000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    body = recorded_stream(args.events)
    rates: dict[str, list[float]] = {"httpx-sse": [], "httpx-sse+json": [], "nemobot": []}
    for _ in range(args.rounds):
        for name, run in (("httpx-sse", bare), ("httpx-sse+json", bare_json), ("nemobot", ours)):
            started = time.perf_counter()
            await run(body)
            rates[name].append(args.events / (time.perf_counter() - started))
    base, mine = statistics.median(rates["httpx-sse"]), statistics.median(rates["nemobot"])
    with_json = statistics.median(rates["httpx-sse+json"])
    print(f"SSE events: {args.events} per run, {args.rounds} rounds, median of each")
    print(f"  bare httpx-sse (no JSON):        {base:12,.0f} events/s")
    print(f"  httpx-sse + json.loads:          {with_json:12,.0f} events/s")
    print(f"  nemobot pipeline (typed events): {mine:12,.0f} events/s")
    print(f"  ratio nemobot / httpx-sse:       {mine / base:12.2f}")
    print(f"  ratio nemobot / httpx-sse+json:  {mine / with_json:12.2f}")


if __name__ == "__main__":
    asyncio.run(main())
