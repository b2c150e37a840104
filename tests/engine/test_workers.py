"""Engine instances sharing PostgreSQL and a data dir: an API instance, render workers (in this process
and as `nemobot engine --worker` processes), a render followed from the API while a worker does it,
cancelled across instances, and taken over when its worker is killed with SIGKILL."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from engine.server import EngineServer
from engine.settings import EngineSettings
from engine.store import FileRecord, RenderRecord, Store, Task
from tests.postgres import PG_URL, needs_postgres, throwaway_database
from tests.processes import ROOT, engine_worker, worker_of

from .conftest import Api, engine_settings, media_info

pytestmark = needs_postgres


@pytest.fixture
async def database() -> AsyncIterator[str]:
    assert PG_URL is not None
    async with throwaway_database(PG_URL) as url:
        yield url


def _render(rid: str, attempts: int = 0) -> RenderRecord:
    now = time.time()
    return RenderRecord(rid, "u", "s", "pending", 0.0, {"t": []}, {}, None, None, None, None, attempts, now, now)


@pytest.mark.parametrize("side", ["sqlite", "postgres"])
async def test_the_store_answers_the_same_on_sqlite_and_postgresql(side: str, tmp_path: Path, database: str) -> None:
    store = Store(tmp_path / "engine.db", database if side == "postgres" else None)
    await store.open()
    try:
        tok = await store.create_token("client", 60)
        assert (await store.token_for_client("client", time.time())) == tok
        assert (await store.get_token(tok.token)) == tok
        await store.add_task(Task("s", "t", "name", "zh", "u"))
        assert (await store.get_task("s")) == Task("s", "t", "name", "zh", "u")
        for n in range(3):  # the same creation time: files still come back in the order they were added
            rec = FileRecord(f"f{n}", "u", "s", f"{n}.mp4", "video", tmp_path / f"{n}.mp4", 10**10, "h", {"n": n})
            await store.add_file(rec)
        assert [f.id for f in await store.files_of_session("s")] == ["f0", "f1", "f2"]
        assert (await store.get_file("f1")).size == 10**10  # type: ignore[union-attr]
        await store.add_render(_render("r1"))
        await store.update_render("r1", status="processing", progress=42.5, attempts=1)
        got = await store.get_render("r1")
        assert got is not None and (got.status, got.progress, got.attempts) == ("processing", 42.5, 1)
        assert got.updated > 1e9 and abs(got.updated - time.time()) < 5  # 8-byte times
        assert await store.requeue_render("r1", 1)
        assert not await store.requeue_render("r1", 0)  # taken over by someone else already
        assert [r.id for r in await store.renders_with_status("pending")] == ["r1"]
        assert await store.balance("u", 2) == (2, 0)
        assert await store.charge("u", 2, 2) and not await store.charge("u", 1, 2)
        await store.refund("u", 1)
        assert await store.balance("u", 2) == (1, 0)
        for n in range(4):
            await store.push_history("s", {"n": n}, depth=3)
        assert await store.pop_history("s", 2) == {"n": 2}
        assert await store.pop_history("s") == {"n": 1}
        assert await store.pop_history("s") is None  # depth 3 kept n=1..3 only
    finally:
        await store.close()


def test_api_and_worker_roles_need_a_database(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="database_url"):
        EngineSettings(role="worker", data_dir=tmp_path)
    with pytest.raises(ValueError, match="postgresql://"):
        EngineSettings(role="api", data_dir=tmp_path, database_url="sqlite:///x.db")
    out = subprocess.run(
        [sys.executable, "-m", "bots.cli", "engine", "--worker", "--data-dir", str(tmp_path)],
        capture_output=True, text=True, cwd=ROOT, timeout=60,
        env={k: v for k, v in os.environ.items() if not k.startswith("NEMOBOT_")},
        check=False,
    )
    assert out.returncode == 2 and "NEMOBOT_ENGINE_DATABASE_URL" in out.stderr
    assert "Traceback" not in out.stderr


async def _slow_draft(api: Api, clips: dict[str, Path]) -> dict[str, Any]:
    await api.upload(clips["long"])
    await api.chat("0.25x speed")
    return (await api.state())["draft"]  # 160 s of video: seconds of ffmpeg at the slow preset


async def _wait_for_progress(api: Api, rid: str) -> dict[str, Any]:
    for _ in range(600):
        st = (await api.status(rid))["data"]
        if st["status"] == "processing" and st["progress"] > 0:
            return st
        await asyncio.sleep(0.1)
    raise AssertionError(f"no progress: {st}")


@pytest.mark.slow
async def test_a_render_done_by_a_worker_is_followed_and_cancelled_from_the_api(
    tmp_path: Path, database: str, clips: dict[str, Path]
) -> None:
    shared = {"database_url": database, "data_dir": tmp_path / "shared"}
    async with (
        EngineServer(engine_settings(tmp_path, role="worker", preset="veryslow", **shared)),
        EngineServer(engine_settings(tmp_path, role="api", **shared)) as front,
        httpx.AsyncClient(base_url=front.url, timeout=60) as http,
    ):
        api = await Api(http).login()
        slow = await _slow_draft(api, clips)
        rid = await api.submit(draft=slow)
        seen = await _wait_for_progress(api, rid)
        started = time.monotonic()
        moved = (await api.status(rid, seen))["data"]  # a held request: answers when the row moves
        assert moved["progress"] > seen["progress"] and time.monotonic() - started < 5
        r = await http.post(f"/api/render/proxy/lambda/{rid}/cancel", headers=api.auth)
        assert r.json()["data"]["status"] == "cancelled"
        await api.chat("1x speed")
        await api.chat("keep the first 2 seconds")
        quick = await api.wait(await api.submit(), timeout=60)
        assert quick["status"] == "completed"  # the worker dropped the cancelled render and took the next
        r = await http.get(quick["output"]["url"])
        assert r.status_code == 200
        out = tmp_path / "quick.mp4"
        out.write_bytes(r.content)
        assert abs(media_info(out).duration - 2.0) < 0.2
        assert not (tmp_path / "shared" / "renders" / f"{rid}.mp4").exists()


@pytest.mark.slow
async def test_a_worker_killed_mid_render_has_its_render_taken_over(
    tmp_path: Path, database: str, clips: dict[str, Path]
) -> None:
    data = tmp_path / "shared"
    async with (
        engine_worker(database, data, preset="veryslow") as first,
        engine_worker(database, data, preset="veryslow") as second,
        EngineServer(engine_settings(tmp_path, role="api", database_url=database, data_dir=data)) as front,
        httpx.AsyncClient(base_url=front.url, timeout=60) as http,
    ):
        api = await Api(http).login()
        await api.upload(clips["talk"])
        await api.chat("keep 0:00 to 0:06")
        await api.chat("slow motion")
        rid = await api.submit()
        await _wait_for_progress(api, rid)
        pid = worker_of(rid, [first, second])
        assert pid is not None
        os.kill(pid, signal.SIGKILL)
        killed = time.monotonic()
        done = await api.wait(rid, timeout=90)
        took = time.monotonic() - killed
        assert done["status"] == "completed", done
        assert (await front.store.get_render(rid)).attempts == 2  # type: ignore[union-attr]
        lease = EngineSettings().render_lease
        assert took < 2 * lease + 30, took  # taken over within a lease and a quarter, then rendered
        r = await http.get(done["output"]["url"])
        out = tmp_path / "taken-over.mp4"
        out.write_bytes(r.content)
        assert abs(media_info(out).duration - 12.0) < 0.3
