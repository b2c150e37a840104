"""Scaling the built-in engine out: render workers on a shared PostgreSQL, and the bot store's cost there.

Three figures, each side alternated with the other and repeated (medians and spread):

1. renders per minute of short clips with 1 and with 2 `nemobot engine --worker` processes (default
   settings: one render at a time each) behind one engine API instance, and the ratio 2:1. On a
   2-core machine a single ffmpeg already uses both cores, so expect well under 2x here.
2. takeover: a worker is killed with SIGKILL mid-render; the seconds until another worker starts the
   render again, against the lease (`render_lease`, default 10 s; goal under 2 leases).
3. the bot store's cost per message on PostgreSQL and on SQLite: what a message costs the store
   (the conversation's lock, read, job added and counted, the conversation saved, job ended).

Needs a PostgreSQL server (as the tests find one: NEMOBOT_TEST_DATABASE_URL or Debian's cluster as root).

    python bench/scale_out.py [--renders 24] [--rounds 2] [--takeovers 2] [--messages 300]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import httpx

from core.store import make_store
from core.store.base import ConversationRecord
from engine.sample import make_sample_clip
from engine.server import EngineServer
from engine.settings import EngineSettings
from tests.postgres import PG_MISSING, PG_URL, throwaway_database
from tests.processes import engine_worker, worker_of

ATTRIBUTION = {"X-Skill-Source": "bench", "X-Skill-Version": "1", "X-Skill-Platform": "bench"}


def spread(values: list[float]) -> str:
    return f"median {statistics.median(values):.2f} (min {min(values):.2f}, max {max(values):.2f}, n={len(values)})"


async def session_with_clip(http: httpx.AsyncClient, clip: Path) -> tuple[dict[str, str], str, dict]:
    r = await http.post("/api/auth/anonymous-token", headers={"X-Client-Id": uuid.uuid4().hex})
    auth = {"Authorization": f"Bearer {r.json()['data']['token']}"}
    r = await http.post("/api/tasks/me/with-session/nemo_agent", json={"language": "en"}, headers=auth)
    sid = r.json()["data"]["session_id"]
    with clip.open("rb") as fh:
        r = await http.post(f"/api/upload-video/nemo_agent/me/{sid}", files=[("files", (clip.name, fh))], headers=auth)
    assert r.json()["code"] == 0, r.text
    r = await http.get(f"/api/state/nemo_agent/me/{sid}/latest", headers=auth)
    return auth, sid, r.json()["data"]["state"]["draft"]


async def submit(http: httpx.AsyncClient, auth: dict[str, str], sid: str, draft: dict) -> str:
    rid = f"bench_{uuid.uuid4().hex[:12]}"
    body = {"id": rid, "sessionId": sid, "draft": draft, "output": {"format": "mp4"}}
    r = await http.post("/api/render/proxy/lambda", json=body, headers=auth | ATTRIBUTION)
    assert r.json()["code"] == 0, r.text
    return rid


async def ended(api: EngineServer, rids: list[str], timeout: float = 600) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        recs = [await api.store.get_render(r) for r in rids]
        if all(rec is not None and rec.status in ("completed", "failed") for rec in recs):
            assert all(rec.status == "completed" for rec in recs if rec), [rec.error for rec in recs if rec]
            return
        await asyncio.sleep(0.2)
    raise TimeoutError("renders did not end")


@asynccontextmanager
async def deployment(
    workers: int, **worker_settings: str
) -> AsyncIterator[tuple[EngineServer, list[subprocess.Popen], httpx.AsyncClient]]:
    """The engine's API in this process and ``workers`` worker processes on a fresh database."""
    assert PG_URL is not None
    with tempfile.TemporaryDirectory(prefix="scale-") as tmp:
        data = Path(tmp) / "data"
        async with throwaway_database(PG_URL) as db, AsyncExitStack() as stack:
            api = await stack.enter_async_context(
                EngineServer(EngineSettings(port=0, role="api", database_url=db, data_dir=data))
            )
            procs = [await stack.enter_async_context(engine_worker(db, data, **worker_settings)) for _ in range(workers)]
            http = await stack.enter_async_context(httpx.AsyncClient(base_url=api.url, timeout=120))
            yield api, procs, http


async def renders_per_minute(workers: int, renders: int, clip: Path) -> float:
    """Queue ``renders`` at once behind ``workers`` workers; time them all."""
    async with deployment(workers) as (api, _, http):
        auth, sid, draft = await session_with_clip(http, clip)
        started = time.monotonic()
        rids = [await submit(http, auth, sid, draft) for _ in range(renders)]
        await ended(api, rids)
        return renders / ((time.monotonic() - started) / 60)


async def takeover_seconds(clip: Path) -> float:
    """Kill the worker doing a render; seconds until the other one is rendering it."""
    async with deployment(2, preset="veryslow") as (api, workers, http):
        auth, sid, draft = await session_with_clip(http, clip)
        rid = await submit(http, auth, sid, draft)
        while (pid := worker_of(rid, workers)) is None:
            await asyncio.sleep(0.05)
        os.kill(pid, signal.SIGKILL)
        killed = time.monotonic()
        while True:
            rec = await api.store.get_render(rid)
            if rec is not None and rec.attempts >= 2 and rec.status in ("processing", "completed"):
                return time.monotonic() - killed
            await asyncio.sleep(0.05)


async def store_ms_per_message(url: str | None, path: Path, messages: int) -> float:
    store = make_store(url, path)
    await store.open()
    try:
        started = time.perf_counter()
        for i in range(messages):
            key = f"bench:{i % 20}"
            async with store.conversation_lock(key):
                record = await store.get_conversation(key) or ConversationRecord(key, "bench", str(i % 20), "u")
                job = await store.add_job(key, "bench", 30.0)
                await store.jobs_before(key, job)
                record.draft = {"n": i}
                await store.save_conversation(record)
                await store.end_job(job)
        return (time.perf_counter() - started) * 1000 / messages
    finally:
        await store.close()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--renders", type=int, default=24, help="renders queued per throughput run")
    parser.add_argument("--rounds", type=int, default=2, help="throughput runs per side (1 and 2 workers)")
    parser.add_argument("--takeovers", type=int, default=2)
    parser.add_argument("--messages", type=int, default=300, help="messages per store run")
    args = parser.parse_args()
    if PG_URL is None:
        raise SystemExit(f"no PostgreSQL: {PG_MISSING}")
    with tempfile.TemporaryDirectory(prefix="scale-clip-") as tmp:
        clip = make_sample_clip(Path(tmp) / "clip.mp4", 2, (320, 180))
        rates: dict[int, list[float]] = {1: [], 2: []}
        for _ in range(args.rounds):
            for workers in (1, 2):
                rates[workers].append(await renders_per_minute(workers, args.renders, clip))
                print(f"  {workers} worker(s): {rates[workers][-1]:.1f} renders/min", flush=True)
        print(f"renders per minute of a 2 s clip, {args.renders} queued at once:")
        for workers, values in rates.items():
            print(f"  {workers} worker(s): {spread(values)}")
        print(f"  ratio 2:1 = {statistics.median(rates[2]) / statistics.median(rates[1]):.2f} "
              f"(this machine: {os.cpu_count()} cores)")

        lease = EngineSettings().render_lease
        takeovers = [await takeover_seconds(clip) for _ in range(args.takeovers)]
        print(f"takeover after SIGKILL, seconds: {spread(takeovers)}; lease {lease:.0f} s, "
              f"goal under {2 * lease:.0f} s")

    assert PG_URL is not None
    sides: dict[str, list[float]] = {"sqlite": [], "postgres": []}
    with tempfile.TemporaryDirectory(prefix="scale-store-") as tmp:
        for round_ in range(3):
            for side in ("sqlite", "postgres"):
                if side == "postgres":
                    async with throwaway_database(PG_URL) as db:
                        sides[side].append(await store_ms_per_message(db, Path(tmp) / "unused.db", args.messages))
                else:
                    path = Path(tmp) / f"bot-{round_}.db"
                    sides[side].append(await store_ms_per_message(None, path, args.messages))
    print(f"bot store per message (lock, read, job added and counted, save, job ended), ms, {args.messages} messages:")
    for side, values in sides.items():
        print(f"  {side}: {spread(values)}")
    print(f"  PostgreSQL - SQLite = {statistics.median(sides['postgres']) - statistics.median(sides['sqlite']):+.2f} ms")


if __name__ == "__main__":
    asyncio.run(main())
