"""Fair renders: user A queues ten exports, then user B queues one; how many of A's renders run before B's?

Both users talk to one engine over HTTP (token, session, upload of a short generated clip, export
requests); the engine renders one at a time. B's wait is counted in renders of A's that finished after
B's render was queued and before it finished (one at a time: the ones B's render waited for). Printed for the engine's
default order ("fair": users take turns) and for arrival order as the baseline, in one run; with
``--postgres`` also on the PostgreSQL queue (procrastinate), when a server is at hand.

    python bench/fair_renders.py [--exports 10] [--clip-seconds 2] [--postgres]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any, Literal

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import httpx

from engine.sample import make_sample_clip
from engine.server import EngineServer
from engine.settings import EngineSettings

ATTRIBUTION = {"X-Skill-Source": "bench", "X-Skill-Version": "1.0.0", "X-Skill-Platform": "unknown"}


async def _user(http: httpx.AsyncClient, clip: Path) -> tuple[dict[str, str], str]:
    """A new anonymous user with a session holding ``clip``: (auth headers, session id)."""
    r = await http.post("/api/auth/anonymous-token", headers={"X-Client-Id": str(uuid.uuid4())})
    auth = {"Authorization": f"Bearer {r.json()['data']['token']}"}
    r = await http.post("/api/tasks/me/with-session/nemo_agent", json={"language": "en"}, headers=auth)
    sid = r.json()["data"]["session_id"]
    with clip.open("rb") as fh:
        r = await http.post(
            f"/api/upload-video/nemo_agent/me/{sid}", files=[("files", (clip.name, fh, "video/mp4"))], headers=auth
        )
    assert r.json()["code"] == 0, r.text
    return auth, sid


async def _export(http: httpx.AsyncClient, auth: dict[str, str], sid: str) -> str:
    rid = f"render_{uuid.uuid4().hex[:12]}"
    r = await http.post(
        "/api/render/proxy/lambda",
        headers={**auth, **ATTRIBUTION},
        json={"id": rid, "sessionId": sid, "output": {"format": "mp4", "quality": "high"}},
    )
    assert r.json()["code"] == 0, r.text
    return rid


async def b_wait(
    data_dir: Path,
    clip: Path,
    *,
    order: Literal["fair", "arrival"] = "fair",
    exports: int = 10,
    database_url: str | None = None,
    timeout: float = 300.0,
) -> int:
    """A queues ``exports`` renders, then B queues one: the number of A's renders done between B's
    arrival and B's render."""
    settings: dict[str, Any] = {"port": 0, "data_dir": data_dir, "render_order": order, "concurrent_renders": 1}
    if database_url:
        settings["database_url"] = database_url
    async with EngineServer(EngineSettings(**settings)) as eng, httpx.AsyncClient(
        base_url=eng.url, timeout=60
    ) as http:
        a_auth, a_sid = await _user(http, clip)
        b_auth, b_sid = await _user(http, clip)
        a_renders = [await _export(http, a_auth, a_sid) for _ in range(exports)]
        b_render = await _export(http, b_auth, b_sid)
        ends = time.monotonic() + timeout
        while True:
            b = await eng.store.get_render(b_render)
            assert b is not None
            if b.status in ("completed", "failed", "cancelled"):
                break
            if time.monotonic() > ends:
                raise TimeoutError(f"B's render is still {b.status} after {timeout:.0f} s")
            await asyncio.sleep(0.05)
        assert b.status == "completed", b.error
        done_before = 0
        for rid in a_renders:
            a = await eng.store.get_render(rid)
            if a is not None and a.status == "completed" and b.created < a.updated < b.updated:
                done_before += 1
            elif a is not None and a.status in ("pending", "processing"):
                await eng.renders.cancel(rid)  # what is left of A's is not measured
        return done_before


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--exports", type=int, default=10, help="A's exports queued before B's one")
    parser.add_argument("--clip-seconds", type=float, default=2.0)
    parser.add_argument("--postgres", action="store_true", help="also on the PostgreSQL queue")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        clip = make_sample_clip(Path(tmp) / "clip.mp4", args.clip_seconds, (160, 90))
        queues: list[tuple[str, str | None]] = [("single-process queue", None)]
        if args.postgres:
            from tests.postgres import PG_MISSING, PG_URL

            if PG_URL is None:
                print(f"PostgreSQL queue: skipped ({PG_MISSING})")
            else:
                queues.append(("PostgreSQL queue", PG_URL))
        print(f"Fairness: B's wait behind A's {args.exports} exports, in renders of A's")
        for name, server in queues:
            orders: tuple[Literal["fair", "arrival"], ...] = ("fair", "arrival")
            for order in orders:
                data = Path(tmp) / f"{name[:6]}-{order}"
                if server is None:
                    waited = await b_wait(data, clip, order=order, exports=args.exports)
                else:
                    from tests.postgres import throwaway_database

                    async with throwaway_database(server) as url:
                        waited = await b_wait(data, clip, order=order, exports=args.exports, database_url=url)
                label = "per user in turn (default)" if order == "fair" else "arrival order (baseline)"
                print(f"  {name}, {label}: {waited}")


if __name__ == "__main__":
    asyncio.run(main())
