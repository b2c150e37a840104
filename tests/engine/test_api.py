"""The NEMO API of the engine over HTTP: auth, errors, uploads, credits, the ADK stream, renders."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncGenerator
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiohttp import web
from google.adk.models import BaseLlm, LlmRequest, LlmResponse
from google.genai import types

from engine.server import EngineServer

from .conftest import ATTRIBUTION, Api, engine_settings, media_info


async def test_anonymous_token_needs_a_client_id_and_is_reused(engine: EngineServer) -> None:
    async with httpx.AsyncClient(base_url=engine.url) as http:
        assert (await http.post("/api/auth/anonymous-token")).status_code == 400
        r1 = (await http.post("/api/auth/anonymous-token", headers={"X-Client-Id": "c1"})).json()
        r2 = (await http.post("/api/auth/anonymous-token", headers={"X-Client-Id": "c1"})).json()
        assert r1["code"] == 0 and r1["data"]["token"].startswith("nmv_usr_") and r1["data"]["expires_at"]
        assert r1["data"]["token"] == r2["data"]["token"]


async def test_tokens_are_checked_everywhere(engine: EngineServer) -> None:
    async with httpx.AsyncClient(base_url=engine.url) as http:
        for method, path in [
            ("GET", "/api/credits/balance/simple"),
            ("POST", "/run_sse"),
            ("POST", "/api/tasks/me/with-session/nemo_agent"),
            ("GET", "/api/state/nemo_agent/me/1/latest"),
        ]:
            r = await http.request(method, path, headers={"Authorization": "Bearer nope"}, json={})
            assert r.status_code == 401 and r.json()["code"] == 1001, path


async def test_static_token(tmp_path: Path) -> None:
    async with EngineServer(engine_settings(tmp_path, static_token="s3cret")) as eng:
        async with httpx.AsyncClient(base_url=eng.url) as http:
            r = await http.get("/api/credits/balance/simple", headers={"Authorization": "Bearer s3cret"})
            assert r.json() == {
                "code": 0,
                "message": "ok",
                "data": {"available": 999999999, "frozen": 0, "total": 999999999, "unlimited": True},
            }


async def test_unknown_session(api: Api) -> None:
    h = api.auth
    r = await api.http.get("/api/state/nemo_agent/me/123/latest", headers=h)
    assert r.json()["code"] == 1002
    r = await api.http.post(
        "/run_sse",
        headers=h,
        json={
            "app_name": "nemo_agent",
            "user_id": "me",
            "session_id": "123",
            "new_message": {"parts": [{"text": "x"}]},
        },
    )
    assert r.status_code == 404 and r.json() == {"detail": "Session not found"}
    r = await api.http.post(
        "/api/upload-video/nemo_agent/me/123", headers=h, json={"urls": ["http://x/a.mp4"]}
    )
    assert r.json()["code"] == 1002


async def test_new_session_state_shape(api: Api) -> None:
    r = await api.http.get(f"/api/state/nemo_agent/me/{api.sid}/latest", headers=api.auth)
    data = r.json()["data"]
    assert data["session_id"] == api.sid and api.sid.isdigit() and data["task_id"].startswith("task_")
    assert set(data["state"]) == {
        "draft",
        "video_infos",
        "generated_media",
        "canvas_config",
        "video_analyses",
    }


async def test_upload_multipart_probes_and_applies(api: Api, clips: dict[str, Path]) -> None:
    files = await api.upload(clips["talk"], clips["music"])
    assert [f["file_type"] for f in files] == ["video", "audio"]
    v = files[0]
    assert (v["duration"], v["width"], v["height"], v["fps"]) == (20.0, 320, 180, 30.0) and len(
        v["hash"]
    ) == 64
    r = await api.http.get(v["cdn_url"], headers={"Range": "bytes=0-9"})
    assert r.status_code == 206 and len(r.content) == 10
    state = await api.state()
    assert [i["filename"] for i in state["video_infos"]] == ["talk.mp4", "music.mp3"]
    assert state["draft"]["t"][0]["sg"][0]["d"] == 20000


async def test_upload_rejects_unsupported_and_too_large(tmp_path: Path, clips: dict[str, Path]) -> None:
    async with EngineServer(engine_settings(tmp_path, max_upload_bytes=50_000)) as eng:
        async with httpx.AsyncClient(base_url=eng.url) as http:
            api = await Api(http).login()
            r = await http.post(
                f"/api/upload-video/nemo_agent/me/{api.sid}",
                headers=api.auth,
                files=[("files", ("notes.txt", b"hello", "text/plain"))],
            )
            assert r.json()["code"] == 4001 and "mp4" in r.json()["message"]
            r = await http.post(
                f"/api/upload-video/nemo_agent/me/{api.sid}",
                headers=api.auth,
                files=[("files", ("fake.mp4", b"not a video at all", "video/mp4"))],
            )
            assert r.json()["code"] == 4001
            r = await http.post(
                f"/api/upload-video/nemo_agent/me/{api.sid}",
                headers=api.auth,
                files=[("files", ("talk.mp4", clips["talk"].read_bytes(), "video/mp4"))],
            )
            assert r.json()["code"] == 4002
            assert not list((eng.data_dir / "tmp").iterdir())  # nothing left behind


@pytest.fixture
async def file_server(clips: dict[str, Path]) -> AsyncGenerator[str, None]:
    async def clip(request: web.Request) -> web.StreamResponse:
        return web.FileResponse(clips["portrait"])

    async def hop(request: web.Request) -> web.StreamResponse:
        raise web.HTTPFound("/media/clip.mp4")

    app = web.Application()
    app.router.add_get("/media/clip.mp4", clip)
    app.router.add_get("/redirect", hop)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    yield f"http://127.0.0.1:{port}"
    await runner.cleanup()


async def test_upload_by_url(api: Api, file_server: str) -> None:
    r = await api.http.post(
        f"/api/upload-video/nemo_agent/me/{api.sid}",
        headers=api.auth,
        json={"urls": [f"{file_server}/redirect"], "source_type": "url"},
    )
    body = r.json()
    assert body["code"] == 0 and body["data"]["session_state_applied"] is True
    assert body["data"]["files"][0]["filename"] == "clip.mp4" and body["data"]["files"][0]["height"] == 320


async def test_url_upload_refuses_private_addresses_and_other_schemes(
    tmp_path: Path, file_server: str
) -> None:
    async with EngineServer(engine_settings(tmp_path, allow_private_urls=False)) as eng:
        async with httpx.AsyncClient(base_url=eng.url) as http:
            api = await Api(http).login()
            for url in [
                f"{file_server}/media/clip.mp4",
                "http://localhost/a.mp4",
                "http://169.254.169.254/a.mp4",
                "http://[::1]/a.mp4",
                "ftp://example.com/a.mp4",
                "file:///etc/passwd",
            ]:
                r = await http.post(
                    f"/api/upload-video/nemo_agent/me/{api.sid}",
                    headers=api.auth,
                    json={"urls": [url], "source_type": "url"},
                )
                assert r.json()["code"] == 4003, (url, r.json())


async def test_credits_ledger(tmp_path: Path, clips: dict[str, Path]) -> None:
    async with EngineServer(engine_settings(tmp_path, credits=2)) as eng:
        async with httpx.AsyncClient(base_url=eng.url) as http:
            api = await Api(http).login()
            bal = (await http.get("/api/credits/balance/simple", headers=api.auth)).json()["data"]
            assert bal == {"available": 2, "frozen": 0, "total": 2}
            await api.chat("hello")
            await api.chat("hello")
            body = {
                "app_name": "nemo_agent",
                "user_id": "me",
                "session_id": api.sid,
                "new_message": {"parts": [{"text": "hello"}]},
            }
            r = await http.post("/run_sse", json=body, headers=api.auth)
            assert r.json()["code"] == 2001


async def test_stream_is_adk_format(api: Api, clips: dict[str, Path]) -> None:
    await api.upload(clips["talk"])
    body = {
        "app_name": "nemo_agent",
        "user_id": "me",
        "session_id": api.sid,
        "new_message": {"parts": [{"text": "make it 1:1 and add the title 'Hi'"}]},
    }
    async with api.http.stream("POST", "/run_sse", json=body, headers=api.auth) as resp:
        raw = (await resp.aread()).decode()
    blocks = [b for b in raw.split("\n\n") if b]
    assert all(b.startswith("data: {") and "\nevent:" not in b for b in blocks)
    events = [json.loads(b[6:]) for b in blocks]
    assert all(
        b[6:] == json.dumps(e, separators=(",", ":"), ensure_ascii=False) for b, e in zip(blocks, events)
    )
    # heartbeats may come first on a busy machine (they say "still working"); the ADK events follow
    call, resp_, _call2, resp2, text = [e for e in events if e != {"type": "heartbeat"}]
    fc = call["content"]["parts"][0]["functionCall"]
    fr = resp_["content"]["parts"][0]["functionResponse"]
    assert call["content"]["role"] == "model" and resp_["content"]["role"] == "user"
    assert (
        fc["name"] == fr["name"] == "edit_multitrack"
        and fc["id"] == fr["id"]
        and fc["args"]["op"] == "set_aspect"
    )
    assert resp_["actions"]["stateDelta"]["draft"]["cv"] == {"w": 1080, "h": 1080, "fit": "crop"}
    assert {"invocationId", "author", "id", "timestamp"} <= set(call)
    assert resp2["actions"]["stateDelta"]["draft"]["t"][-1]["tt"] == 7
    assert text["content"]["parts"][0]["text"].startswith("Canvas is now 1:1")


@pytest.mark.slow
async def test_heartbeats_while_analysing(tmp_path: Path, clips: dict[str, Path]) -> None:
    settings = engine_settings(tmp_path, heartbeat_interval=0.02)  # timing is the point: beats while analysing
    async with EngineServer(settings) as eng, httpx.AsyncClient(base_url=eng.url, timeout=60) as http:
        api = await Api(http).login()
        await api.upload(clips["long"])
        s = await api.chat("make a 6 second highlight reel")
        assert s.heartbeats >= 1 and s.texts


@pytest.mark.slow
async def test_render_needs_attribution_and_reports_status(api: Api, clips: dict[str, Path]) -> None:
    await api.upload(clips["portrait"])
    draft = (await api.state())["draft"]
    r = await api.http.post(
        "/api/render/proxy/lambda",
        headers=api.auth,
        json={"id": "render_1", "sessionId": api.sid, "draft": draft},
    )
    assert r.status_code == 402
    r = await api.http.post(
        "/api/render/proxy/lambda",
        headers={**api.auth, **ATTRIBUTION},
        json={"id": "render_1", "sessionId": "999", "draft": draft},
    )
    assert r.json()["code"] == 1002
    rid = await api.submit("render_1")
    data = await api.wait(rid)
    assert data["status"] == "completed" and data["progress"] == 100
    assert data["outputUrl"] == data["output"]["url"] and data["output"]["size"] > 1000
    assert abs(data["output"]["duration"] - 6.0) < 0.1
    r = await api.http.get(data["outputUrl"], headers={"Range": "bytes=100-199"})
    assert r.status_code == 206 and r.headers["content-range"].startswith("bytes 100-199/")
    r = await api.http.get("/api/render/proxy/lambda/nope", headers=api.auth)
    assert r.status_code == 404 and r.json()["success"] is False


async def _slow_draft(api: Api, clips: dict[str, Path]) -> dict[str, Any]:
    await api.upload(clips["long"])
    await api.chat("slow motion")
    await api.chat("0.25x speed")
    return (await api.state())["draft"]  # 160 s of video


@pytest.mark.slow
async def test_cancel_kills_the_render_and_frees_the_queue(tmp_path: Path, clips: dict[str, Path]) -> None:
    async with EngineServer(engine_settings(tmp_path, preset="veryslow", concurrent_renders=1)) as eng:
        async with httpx.AsyncClient(base_url=eng.url, timeout=60) as http:
            api = await Api(http).login()
            slow = await _slow_draft(api, clips)
            a = await api.submit(draft=slow)
            b = await api.submit(draft=slow)
            for _ in range(300):
                st = (await api.status(a))["data"]
                if st["status"] == "processing" and 0 < st["progress"] < 100:
                    break
                await asyncio.sleep(0.1)
            else:
                raise AssertionError(f"no progress: {st}")
            assert (await api.status(b))["data"]["status"] == "pending"
            r = await http.post(f"/api/render/proxy/lambda/{b}/cancel", headers=api.auth)
            assert r.json()["data"]["status"] == "cancelled"
            r = await http.post(f"/api/render/proxy/lambda/{a}/cancel", headers=api.auth)
            assert r.json()["data"]["status"] == "cancelled"
            await api.chat("1x speed")
            await api.chat("keep the first 2 seconds")
            quick = await api.wait(await api.submit(), timeout=60)
            assert quick["status"] == "completed"  # the worker is free again: the killed ffmpeg is gone
            assert (await api.status(a))["data"]["status"] == "cancelled"
            assert not (eng.data_dir / "renders" / f"{a}.mp4").exists()


@pytest.mark.slow
async def test_sessions_and_renders_survive_a_restart(tmp_path: Path, clips: dict[str, Path]) -> None:
    async with EngineServer(engine_settings(tmp_path, preset="veryslow")) as eng:
        async with httpx.AsyncClient(base_url=eng.url, timeout=60) as http:
            api = await Api(http).login()
            await api.upload(clips["long"])
            await api.chat("keep 0:00 to 0:08")
            await api.chat("slow motion")
            await api.chat("make it 9:16")
            rid = await api.submit()
            for _ in range(100):
                if (await api.status(rid))["data"]["status"] == "processing":
                    break
                await asyncio.sleep(0.05)
            token, sid = api.token, api.sid
    async with EngineServer(engine_settings(tmp_path, preset="ultrafast")) as eng2:
        async with httpx.AsyncClient(base_url=eng2.url, timeout=60) as http:
            api = Api(http)
            api.token, api.sid = token, sid
            assert (await api.state())["draft"]["cv"]["h"] == 1920
            data = await api.wait(rid, timeout=90)
            assert data["status"] == "completed"
            r = await http.get(data["output"]["url"])
            out = tmp_path / "after-restart.mp4"
            out.write_bytes(r.content)
            assert abs(media_info(out).duration - 16.0) < 0.2


class ScriptedLlm(BaseLlm):
    """A stand-in model: asks for 9:16, then answers in text."""

    model: str = "scripted"

    async def generate_content_async(
        self, llm_request: LlmRequest, stream: bool = False
    ) -> AsyncGenerator[LlmResponse, None]:
        last = llm_request.contents[-1] if llm_request.contents else None
        if last is not None and any(p.function_response for p in last.parts or []):
            yield LlmResponse(content=types.Content(role="model", parts=[types.Part(text="Now 9:16.")]))
            return
        call = types.FunctionCall(
            id="adk-" + uuid.uuid4().hex[:8], name="set_aspect", args={"aspect": "9:16"}
        )
        yield LlmResponse(content=types.Content(role="model", parts=[types.Part(function_call=call)]))


async def test_llm_agent_uses_the_same_tools(tmp_path: Path, clips: dict[str, Path]) -> None:
    async with EngineServer(engine_settings(tmp_path, agent="llm"), model=ScriptedLlm()) as eng:
        async with httpx.AsyncClient(base_url=eng.url, timeout=60) as http:
            api = await Api(http).login()
            await api.upload(clips["portrait"])
            s = await api.chat("do what my friend suggested")  # no rule reads it: the model answers
            assert [c["name"] for c in s.calls] == ["set_aspect"]
            assert s.last_draft is not None and s.last_draft["cv"]["h"] == 1920
            assert s.texts == ["Now 9:16."]
            assert (await api.state())["canvas_config"] == {"w": 1080, "h": 1920, "fit": "crop"}


@pytest.mark.parametrize(
    "language, text, reply_is_chinese",
    [
        ("zh", "make it 9:16", True),  # the session's language, not the message's
        ("en", "改成竖屏", False),
        (None, "改成竖屏", True),  # a session created without one: the message's
        ("zh", "make it purple", True),  # what was not understood, too
    ],
)
async def test_replies_are_in_the_sessions_language(
    api: Api, clips: dict[str, Path], language: str | None, text: str, reply_is_chinese: bool
) -> None:
    await api.login(language)
    await api.upload(clips["talk"])
    reply = (await api.chat(text)).texts[-1]
    assert any("\u4e00" <= ch <= "\u9fff" for ch in reply.replace("竖屏", "")) == reply_is_chinese, reply


async def test_a_bit_more_repeats_the_last_edit_and_undo_is_not_repeated(api: Api, clips: dict[str, Path]) -> None:
    await api.upload(clips["talk"])
    first = await api.chat("make it brighter")
    more = await api.chat("a bit more")
    assert [c["args"] for c in first.calls] == [c["args"] for c in more.calls] == [
        {"op": "adjust", "brightness": 0.1}
    ]
    await api.chat("undo")
    again = await api.chat("再多一点")  # after an undo, "more" still means the edit before it
    assert [c["args"] for c in again.calls] == [{"op": "adjust", "brightness": 0.1}]
    assert "亮度" in again.texts[-1] or "brightness" in again.texts[-1].lower()
