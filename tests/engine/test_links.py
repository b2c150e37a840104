"""File links handed out by the engine: signed, expiring, still valid after a restart; and render
status requests that the engine holds until the render moves (its push to the bot)."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from core.nemo.models import RENDER_WAIT_HEADER
from engine.server import EngineServer

from .conftest import ATTRIBUTION, Api, engine_settings


def _path_and_query(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


@pytest.mark.slow
async def test_render_links_are_signed_expire_and_survive_a_restart(tmp_path: Path, clips: dict[str, Path]) -> None:
    async with EngineServer(engine_settings(tmp_path)) as eng, httpx.AsyncClient(base_url=eng.url, timeout=60) as http:
        api = await Api(http).login()
        await api.upload(clips["portrait"])
        data = await api.wait(await api.submit())
        url = data["output"]["url"]
        ok = await http.get(url)
        assert ok.status_code == 200 and ok.content[4:8] == b"ftyp"
        path = urlsplit(url).path
        for bad in (
            path,  # unsigned
            url[:-3] + ("AAA" if not url.endswith("AAA") else "BBB"),  # tampered signature
            url.replace(path, path.replace(".mp4", "x.mp4")),  # signature of another file
            eng.public_base + eng.links.sign(path, now=time.time() - eng.links.ttl - 5),  # expired
        ):
            r = await http.get(bad)
            assert r.status_code == 403 and b"ftyp" not in r.content, bad
    # the same data dir on a new port: the link's path and signature still open the file
    async with EngineServer(engine_settings(tmp_path)) as again, httpx.AsyncClient(base_url=again.url) as http:
        r = await http.get(_path_and_query(url))
        assert r.status_code == 200 and r.content == ok.content


async def test_links_use_the_public_base_and_configured_secret(tmp_path: Path, clips: dict[str, Path]) -> None:
    settings = engine_settings(tmp_path, public_base_url="https://media.example.org/", link_secret="k" * 32)
    async with EngineServer(settings) as eng, httpx.AsyncClient(base_url=eng.url, timeout=60) as http:
        files = await Api(http).login()
        info = (await files.upload(clips["music"]))[0]
        assert info["cdn_url"].startswith("https://media.example.org/files/media/")
        r = await http.get(_path_and_query(info["cdn_url"]))
        assert r.status_code == 200
    assert not (tmp_path / "engine-data" / "link_secret").exists()


@pytest.mark.slow
async def test_status_requests_are_held_until_the_render_moves(api: Api, clips: dict[str, Path]) -> None:
    await api.upload(clips["talk"])
    rid = await api.submit()
    r = await api.http.get(f"/api/render/proxy/lambda/{rid}", headers=api.auth)
    assert float(r.headers[RENDER_WAIT_HEADER]) > 0
    seen = [r.json()["data"]]
    while seen[-1]["status"] not in ("completed", "failed"):
        started = time.monotonic()
        data = (await api.status(rid, seen[-1]))["data"]
        assert time.monotonic() - started < 20, "a held request answers when the render moves"
        assert (data["status"], data["progress"]) != (seen[-1]["status"], seen[-1]["progress"])
        seen.append(data)
    assert seen[-1]["status"] == "completed"
    assert any(0 < s["progress"] < 100 for s in seen), seen  # the percentage was seen moving
    started = time.monotonic()
    data = (await api.status(rid, seen[-1], wait=0.5))["data"]  # nothing moves any more: answered at the limit
    assert data == {**seen[-1], "outputUrl": data["outputUrl"], "output": data["output"]}
    assert 0.4 < time.monotonic() - started < 5


@pytest.mark.slow
async def test_compress_keeps_the_file_under_the_target(engine: EngineServer, api: Api, clips: dict[str, Path]) -> None:
    from engine import draft as dr
    from engine.planner import Op

    await api.upload(clips["talk"])
    draft = (await api.state())["draft"]
    normal = (await api.wait(await api.submit(draft=draft)))["output"]["size"]
    target_mb = round(normal / 3 / 1_000_000, 3)
    outcome = await engine.tools.execute(Op("compress", {"mb": target_mb}), {"draft": draft}, api.sid, "i1")
    assert outcome.ok and dr.max_mb(outcome.delta["draft"]) == target_mb
    small = await api.wait(await api.submit(draft=outcome.delta["draft"]))
    assert small["output"]["size"] <= target_mb * 1_000_000
    assert abs(small["output"]["duration"] - 20.0) < 0.2  # all of it, only smaller
    by_output = await api.http.post(  # the bot's "smaller version" asks through the render's output
        "/api/render/proxy/lambda", headers={**api.auth, **ATTRIBUTION},
        json={"id": "small_2", "sessionId": api.sid, "draft": draft,
              "output": {"format": "mp4", "quality": "high", "maxBytes": int(normal / 3)}},
    )
    assert by_output.json()["code"] == 0
    assert (await api.wait("small_2"))["output"]["size"] <= normal / 3
    refused = await engine.tools.execute(Op("compress", {"mb": 0.01}), {"draft": draft}, api.sid, "i2", "zh")
    assert not refused.ok and "MB" in refused.summary


@pytest.mark.slow
async def test_a_smaller_version_is_that_renders_file_re_encoded(api: Api, clips: dict[str, Path]) -> None:
    from engine import draft as dr

    await api.upload(clips["talk"])
    draft = (await api.state())["draft"]
    first = await api.wait(await api.submit(draft=draft))
    normal = first["output"]["size"]
    edited = dr.cut_range(draft, 2000, 20000)  # the timeline as edited after that render: 2 s

    async def smaller(render_id: str, source: str) -> dict[str, Any]:
        submitted = await api.http.post(
            "/api/render/proxy/lambda", headers={**api.auth, **ATTRIBUTION},
            json={"id": render_id, "sessionId": api.sid, "draft": edited,
                  "output": {"format": "mp4", "quality": "high", "maxBytes": int(normal / 3), "fromRender": source}})
        assert submitted.json()["code"] == 0
        return await api.wait(render_id)

    again = await smaller("small_of_first", first["id"])
    assert again["output"]["size"] <= normal / 3
    assert abs(again["output"]["duration"] - first["output"]["duration"]) < 0.1  # the first render, not the 2 s
    gone = await smaller("small_of_nothing", "render_never_made")  # no such file: the draft it came with
    assert abs(gone["output"]["duration"] - 2.0) < 0.2


@pytest.mark.slow
async def test_a_held_status_request_hears_a_change_that_comes_while_it_reads(
    engine: EngineServer, api: Api, clips: dict[str, Path]
) -> None:
    await api.upload(clips["talk"])
    rid = await api.submit()
    seen = (await api.status(rid))["data"]
    read = engine.store.get_render

    async def read_then_cancel(render_id: str):  # type: ignore[no-untyped-def]
        rec = await read(render_id)
        if not _held_request_reads():
            return rec
        engine.store.get_render = read  # type: ignore[method-assign]
        await engine.renders.cancel(render_id)  # the render moves just after the request read it
        return rec

    engine.store.get_render = read_then_cancel  # type: ignore[method-assign]
    started = time.monotonic()
    data = (await api.status(rid, seen, wait=10))["data"]
    assert data["status"] == "cancelled"
    assert time.monotonic() - started < 2, "the change was heard, not waited out"


async def test_a_cancel_between_the_worker_reading_a_render_and_starting_it_holds(
    engine: EngineServer, api: Api, clips: dict[str, Path]
) -> None:
    await api.upload(clips["talk"])
    read = engine.store.get_render

    async def read_then_cancel(render_id: str):  # type: ignore[no-untyped-def]
        rec = await read(render_id)  # the worker reads the render as pending ...
        if rec is None or rec.status != "pending" or not _worker_reads():
            return rec
        engine.store.get_render = read  # type: ignore[method-assign]
        await engine.renders.cancel(render_id)  # ... and the user cancels it before it starts
        return rec

    engine.store.get_render = read_then_cancel  # type: ignore[method-assign]
    rid = await api.submit()
    await api.wait(rid)
    await asyncio.sleep(0.5)
    data = (await api.status(rid))["data"]
    assert data["status"] == "cancelled"  # not rendered anyway, not flipped back to processing
    assert not list(engine.renders.renders_dir.glob(f"{rid}.*"))


def _current_coroutine() -> str:
    task = asyncio.current_task()
    return task.get_coro().__qualname__ if task is not None else ""  # type: ignore[union-attr]


def _worker_reads() -> bool:
    """The engine's render worker is the one reading (not a status request)."""
    return "_worker" in _current_coroutine()


def _held_request_reads() -> bool:
    return not _worker_reads()
