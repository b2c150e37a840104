"""Render-ahead: an export of a draft rendered in the background answers at once with that file; a newer
edit or a real render stops a render-ahead (its ffmpeg is gone)."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from engine.server import EngineServer
from tests.clips import phone_clip

from .conftest import Api, engine_settings

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return phone_clip(tmp_path_factory.mktemp("ahead") / "phone.mp4", 20, (640, 480))


@pytest.fixture(scope="module")
def long_clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Long enough that a render-ahead of it is still running when a real render arrives, on a busy machine."""
    return phone_clip(tmp_path_factory.mktemp("ahead") / "long.mp4", 60, (640, 480))


@pytest.fixture
async def eng(tmp_path: Path) -> AsyncIterator[EngineServer]:
    # smart_cut off: the full re-encode lasts long enough to be caught running; idle share 0: a busy
    # test machine must not keep render-ahead from starting
    settings = engine_settings(tmp_path, render_ahead=True, render_ahead_idle_share=0.0, smart_cut=False)
    async with EngineServer(settings) as server:
        yield server


async def _api(eng: EngineServer) -> Api:
    return await Api(httpx.AsyncClient(base_url=eng.url, timeout=60)).login()


async def _until(cond: object, timeout: float = 60) -> None:
    end = asyncio.get_running_loop().time() + timeout
    while not cond():  # type: ignore[operator]
        assert asyncio.get_running_loop().time() < end, "timed out"
        await asyncio.sleep(0.05)


def _running_pid(eng: EngineServer, sid: str) -> int | None:
    assert eng.ahead is not None
    run = eng.ahead._runs.get(sid)
    return next(iter(run.pids), None) if run is not None and run.running else None


def _gone(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(")")[-1].split()[0] == "Z"
    except OSError:
        return True


async def test_an_export_after_the_render_ahead_is_completed_at_once_with_that_file(
    eng: EngineServer, clip: Path
) -> None:
    api = await _api(eng)
    await api.upload(clip)  # the upload's own draft may be rendered ahead too, if the edit comes after it
    await api.chat("cut the first 3 seconds")
    assert eng.ahead is not None
    key = await eng.ahead.key_of((await api.state())["draft"], None)
    assert key is not None
    ahead = eng.ahead.path_of(key)
    await _until(ahead.exists)
    rid = await api.submit()
    data = (await api.status(rid))["data"]
    assert data["status"] == "completed"  # no wait at all
    body = (await api.http.get(data["output"]["url"])).content
    assert body == ahead.read_bytes()
    files = len(list((eng.data_dir / "renders").glob("ahead-*.mp4")))
    again = (await api.status(await api.submit()))["data"]  # the same draft twice is one file
    assert again["status"] == "completed" and len(list((eng.data_dir / "renders").glob("ahead-*.mp4"))) == files


async def test_an_edit_during_a_render_ahead_stops_it(eng: EngineServer, clip: Path) -> None:
    api = await _api(eng)
    await api.upload(clip)
    await api.chat("cut the first 3 seconds")
    await _until(lambda: _running_pid(eng, api.sid) is not None)
    pid = _running_pid(eng, api.sid)
    assert pid is not None
    await api.chat("cut the first 2 seconds")
    await _until(lambda: _gone(pid), 5)
    assert eng.ahead is not None and eng.ahead.finished == 0


async def test_a_real_render_stops_the_render_ahead_and_an_export_joins_the_running_one(
    eng: EngineServer, long_clip: Path
) -> None:
    first, second = await _api(eng), await _api(eng)
    await first.upload(long_clip)
    await second.upload(long_clip)
    await first.chat("cut the first 3 seconds")
    await _until(lambda: _running_pid(eng, first.sid) is not None)
    pid = _running_pid(eng, first.sid)
    assert pid is not None
    real = await second.submit(draft={"t": []} | (await second.state())["draft"] | {"mute": True})
    await _until(lambda: _gone(pid), 5)
    await _until(lambda: eng.ahead is not None and eng.ahead.stopped >= 1, 5)  # counted once its task sees it
    assert (await second.wait(real, 120))["status"] == "completed"
    # idle again: the render-ahead starts over; an export of that draft joins it instead of queueing
    await _until(lambda: _running_pid(eng, first.sid) is not None)
    joined = await first.submit()
    status = (await first.status(joined))["data"]
    assert status["status"] == "processing"
    done = await first.wait(joined, 120)
    assert done["status"] == "completed" and Path(done["output"]["url"].split("?")[0]).name.startswith("ahead-")
    assert os.path.exists(next((eng.data_dir / "renders").glob("ahead-*.mp4")))


async def test_the_render_ahead_state_tells_rendering_then_ready_and_the_answers_announce_it(
    eng: EngineServer, clip: Path
) -> None:
    api = await _api(eng)
    await api.upload(clip)
    await api.chat("cut the first 3 seconds")
    path = f"/api/render-ahead/nemo_agent/me/{api.sid}"
    first = await api.http.get(path, headers=api.auth)
    assert first.headers["X-Render-Ahead"] == "1"
    assert first.json()["data"]["state"] in ("rendering", "ready")
    seen: list[str] = []

    async def state() -> str:
        seen.append((await api.http.get(path, headers=api.auth)).json()["data"]["state"])
        return seen[-1]

    end = asyncio.get_running_loop().time() + 90
    while await state() != "ready":
        assert asyncio.get_running_loop().time() < end and seen[-1] == "rendering", seen
        await asyncio.sleep(0.2)
    other = await _api(eng)  # another user's token reads nothing of this session
    assert (await other.http.get(path, headers=other.auth)).status_code == 404


async def test_without_render_ahead_the_answers_do_not_announce_it(tmp_path: Path) -> None:
    async with EngineServer(engine_settings(tmp_path)) as server:  # the engine tests' settings: it is off
        api = await _api(server)
        r = await api.http.get(f"/api/render-ahead/nemo_agent/me/{api.sid}", headers=api.auth)
    assert "X-Render-Ahead" not in r.headers and r.json()["data"]["state"] == "none"
