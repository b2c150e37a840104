"""The fake NEMO server speaks the documented API over a real socket."""

from __future__ import annotations

import asyncio
import json
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.fakes.media import MP4_BYTES, MediaHost
from tests.fakes.nemo import (
    Comment,
    Drop,
    EmptyData,
    ErrorEvent,
    ErrorLine,
    FakeNemo,
    Heartbeat,
    Partial,
    RenderPlan,
    SetDraft,
    Sleep,
    Text,
    ToolCall,
    ToolResult,
)

ATTRIBUTION = {"X-Skill-Source": "video-openapi", "X-Skill-Version": "1.0.0", "X-Skill-Platform": "unknown"}
VIDEO_DRAFT = {"t": [{"tt": 0, "sg": [{"d": 10000, "m": {"title": "clip.mp4"}}]}]}


@pytest.fixture
async def nemo() -> AsyncIterator[FakeNemo]:
    async with FakeNemo() as fake:
        yield fake


@pytest.fixture
async def client(nemo: FakeNemo) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=nemo.url, timeout=5) as http:
        yield http


async def login(client: httpx.AsyncClient) -> tuple[dict[str, str], str]:
    """A token and a session: the auth headers and the session id."""
    token = (await client.post("/api/auth/anonymous-token", headers={"X-Client-Id": "c-1"})).json()
    headers = {"Authorization": f"Bearer {token['data']['token']}", **ATTRIBUTION}
    body = {"task_name": "project", "language": "en"}
    created = await client.post("/api/tasks/me/with-session/nemo_agent", json=body, headers=headers)
    return headers, created.json()["data"]["session_id"]


def chat_body(session_id: str, text: str) -> dict[str, Any]:
    return {"app_name": "nemo_agent", "user_id": "me", "session_id": session_id,
            "new_message": {"parts": [{"text": text}]}}


async def chat_lines(client: httpx.AsyncClient, headers: dict[str, str], sid: str, text: str) -> list[str]:
    async with client.stream("POST", "/run_sse", json=chat_body(sid, text), headers=headers) as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        return [line async for line in response.aiter_lines()]


def events(lines: list[str]) -> list[dict[str, Any]]:
    return [json.loads(line.removeprefix("data: ")) for line in lines if line.startswith("data: {")]


async def test_token_session_and_default_chat_follow_the_documented_shapes(
    nemo: FakeNemo, client: httpx.AsyncClient
) -> None:
    token = (await client.post("/api/auth/anonymous-token", headers={"X-Client-Id": "c-1"})).json()
    assert token["success"] is True
    assert token["data"]["token"].startswith("nmv_usr_") and token["data"]["user_id"].startswith("anon_")
    assert token["data"]["credits"] == 100
    headers = {"Authorization": f"Bearer {token['data']['token']}"}
    created = (await client.post("/api/tasks/me/with-session/nemo_agent", json={"task_name": "p"},
                                 headers=headers)).json()
    assert created["code"] == 0 and created["data"]["task_id"].startswith("task_")
    sid = created["data"]["session_id"]
    assert sid.isdigit()

    lines = await chat_lines(client, headers, sid, 'add the title "Urban Dreams"')

    assert all(line == "" or line.startswith("data:") for line in lines)
    assert lines[1::2] == [""] * (len(lines) // 2)  # a blank line after every event
    # while it works: a heartbeat and an empty data line, as NEMO's gateway sends them
    assert 'data: {"type":"heartbeat"}' in lines and "data:" in lines
    call, result, *chunks, text = [e for e in events(lines) if "content" in e]
    assert len(chunks) >= 2 and all(c["partial"] is True for c in chunks)  # streamed, then the whole text
    assert "".join(c["content"]["parts"][0]["text"] for c in chunks) == text["content"]["parts"][0]["text"]
    assert "partial" not in text
    assert {"invocationId", "author", "id", "timestamp"} <= call.keys() and call["author"] == "nemo_agent"
    function_call = call["content"]["parts"][0]["functionCall"]
    function_response = result["content"]["parts"][0]["functionResponse"]
    assert result["content"]["role"] == "user" and function_response["id"] == function_call["id"]
    new_draft = result["actions"]["stateDelta"]["draft"]
    reply = "Added text 'Urban Dreams'. Click Export when you are ready."
    assert text["content"] == {"parts": [{"text": reply}], "role": "model"}
    state = (await client.get(f"/api/state/nemo_agent/me/{sid}/latest", headers=headers)).json()["data"]
    assert state["state"]["draft"] == new_draft == nemo.sessions[sid].draft
    assert (await client.get("/api/credits/balance/simple", headers=headers)).json() == {
        "available": 99, "frozen": 0, "total": 99}
    assert nemo.chat_messages == ['add the title "Urban Dreams"']


async def test_scripted_reply_sends_each_kind_of_line(nemo: FakeNemo, client: httpx.AsyncClient) -> None:
    headers, sid = await login(client)
    nemo.script_chat(
        Heartbeat(), Comment("ping"), EmptyData(), Partial(["Work", "ing"]), Sleep(0.01),
        ToolCall("edit_multitrack", {"op": "trim"}),
        ToolResult("edit_multitrack", {"ok": True}, {"draft": VIDEO_DRAFT}),
        ErrorEvent("MALFORMED_FUNCTION_CALL", "bad call"), SetDraft({"t": []}), ErrorLine('{"error": "oops'),
        Text("never sent"),
    )

    lines = [line for line in await chat_lines(client, headers, sid, "trim it") if line]

    assert lines[:3] == ['data: {"type":"heartbeat"}', ": ping", "data:"]
    texts = [(e["content"]["parts"][0].get("text"), e.get("partial")) for e in events(lines[3:6])]
    assert texts == [("Work", True), ("ing", True), ("Working", None)]
    assert events(lines[8:9])[0]["errorCode"] == "MALFORMED_FUNCTION_CALL"
    assert lines[-1] == 'data: {"error": "oops'
    assert nemo.sessions[sid].draft == {"t": []}


async def test_drop_breaks_the_stream_after_the_sent_events(
    nemo: FakeNemo, client: httpx.AsyncClient
) -> None:
    headers, sid = await login(client)
    nemo.script_chat(Text("Starting."), Drop())
    received: list[str] = []
    with pytest.raises(httpx.RemoteProtocolError):
        async with client.stream("POST", "/run_sse", json=chat_body(sid, "go"), headers=headers) as response:
            async for line in response.aiter_lines():
                received.append(line)
    assert events(received)[0]["content"]["parts"][0]["text"] == "Starting."


async def test_errors_before_the_stream(nemo: FakeNemo, client: httpx.AsyncClient) -> None:
    missing = await client.post("/api/auth/anonymous-token")
    assert missing.status_code == 400 and missing.json() == {"detail": "missing X-Client-Id"}
    headers, sid = await login(client)
    token = headers["Authorization"].split()[1]

    nemo.set_credits(token, 0)
    assert (await client.post("/run_sse", json=chat_body(sid, "hi"), headers=headers)).json()["code"] == 2001
    nemo.set_credits(None, 5)
    nemo.forget_session(sid)
    gone = await client.post("/run_sse", json=chat_body(sid, "hi"), headers=headers)
    assert gone.status_code == 404 and gone.json() == {"detail": "Session not found"}
    state = await client.get(f"/api/state/nemo_agent/me/{sid}/latest", headers=headers)
    assert state.json()["code"] == 1002
    nemo.fail_next("credits", http_status=429, times=2)
    statuses = [
        (await client.get("/api/credits/balance/simple", headers=headers)).status_code for _ in range(3)
    ]
    assert statuses == [429, 429, 200]
    nemo.fail_next("session", code=4002)
    assert (await client.post("/api/tasks/me/with-session/nemo_agent", json={}, headers=headers)).json() == {
        "code": 4002, "message": "file too large"}
    nemo.expire_token(token)
    assert (await client.get("/api/credits/balance/simple", headers=headers)).json()["code"] == 1001
    assert nemo.chat_messages == []


async def test_strict_token_rate_and_code_style_session_errors() -> None:
    fake = FakeNemo(strict_token_rate=True, session_error_style="code", static_tokens={"nmv_usr_test"})
    async with fake as nemo, httpx.AsyncClient(base_url=nemo.url) as client:
        first = await client.post("/api/auth/anonymous-token", headers={"X-Client-Id": "same"})
        second = await client.post("/api/auth/anonymous-token", headers={"X-Client-Id": "same"})
        assert (first.status_code, second.status_code) == (200, 429)
        answer = await client.post("/run_sse", json=chat_body("1", "hi"),
                                   headers={"Authorization": "Bearer nmv_usr_test"})
        assert answer.status_code == 200 and answer.json()["code"] == 1002


async def test_upload_counts_streamed_bytes_and_extends_the_draft(
    nemo: FakeNemo, client: httpx.AsyncClient
) -> None:
    headers, sid = await login(client)
    files = [
        ("files", ("clip.mp4", b"x" * 300_000, "video/mp4")),
        ("files", ("song.mp3", b"y" * 10, "audio/mpeg")),
    ]

    answer = (await client.post(f"/api/upload-video/nemo_agent/me/{sid}", files=files, data={"note": "hi"},
                                headers=headers)).json()

    assert answer["code"] == 0 and answer["data"]["session_state_applied"] is True
    assert [f["file_type"] for f in answer["data"]["files"]] == ["video", "audio"]
    assert set(answer["data"]["files"][0]) == {
        "filename", "file_type", "cdn_url", "duration", "width", "height", "fps", "hash"}
    recorded = nemo.requests[-1]
    assert recorded.files == [("files", "clip.mp4", 300_000), ("files", "song.mp3", 10)]
    assert recorded.form_fields == {"note": "hi"}
    assert len(nemo.sessions[sid].video_infos) == 2
    assert sorted(track["tt"] for track in nemo.sessions[sid].draft["t"]) == [0, 1]

    bad = await client.post(f"/api/upload-video/nemo_agent/me/{sid}", files={"files": ("a.exe", b"MZ")},
                            headers=headers)
    assert bad.json()["code"] == 4001
    async with MediaHost({"/v/demo.mov": MP4_BYTES}) as host:
        by_url = await client.post(f"/api/upload-video/nemo_agent/me/{sid}",
                                   json={"urls": [host.url_of("/v/demo.mov")], "source_type": "url"},
                                   headers=headers)
        assert host.fetched == ["/v/demo.mov"]  # really downloaded
    assert by_url.json()["data"]["files"][0]["filename"] == "demo.mov"
    nemo.max_upload_bytes = 1000
    big = await client.post(f"/api/upload-video/nemo_agent/me/{sid}", files={"files": ("b.mp4", b"0" * 1001)},
                            headers=headers)
    assert big.json()["code"] == 4002


async def test_export_without_attribution_headers_is_402(client: httpx.AsyncClient) -> None:
    headers, sid = await login(client)
    bare = {"Authorization": headers["Authorization"]}
    answer = await client.post("/api/render/proxy/lambda", headers=bare,
                               json={"id": "render_1", "sessionId": sid, "draft": VIDEO_DRAFT, "output": {}})
    assert answer.status_code == 402 and answer.json() == {"code": 402, "message": "free plan export blocked"}


def dig(body: dict[str, Any], path: str) -> Any:
    for key in path.split("."):
        body = body[key]
    return body


@pytest.mark.parametrize(("shape", "location"), [
    ("envelope", "data.outputUrl"), ("envelope", "data.output.url"),
    ("top", "output.url"), ("top", "outputUrl"),
])
async def test_render_progresses_to_completed_with_url_at_the_chosen_place(
    nemo: FakeNemo, client: httpx.AsyncClient, shape: str, location: str
) -> None:
    headers, sid = await login(client)
    nemo.render_plan = RenderPlan(steps=2, shape=shape, url_location=location)  # type: ignore[arg-type]
    export = {"id": "render_42", "sessionId": sid, "draft": VIDEO_DRAFT, "output": {"format": "mp4"}}
    accepted = (await client.post("/api/render/proxy/lambda", json=export, headers=headers)).json()
    assert accepted == {"code": 0, "message": "ok", "data": {"id": "render_42", "status": "pending"}}

    polls = [
        (await client.get("/api/render/proxy/lambda/render_42", headers=headers)).json() for _ in range(3)
    ]

    payloads = [p["data"] if shape == "envelope" else p for p in polls]
    assert [(p["status"], p["progress"]) for p in payloads] == [("processing", 33), ("processing", 67),
                                                                ("completed", 100)]
    assert dig(polls[-1], location) == f"{nemo.url}/files/render_42.mp4"


async def test_failed_stuck_and_cancelled_renders(nemo: FakeNemo, client: httpx.AsyncClient) -> None:
    headers, sid = await login(client)

    async def export(render_id: str, draft: dict[str, Any]) -> None:
        body = {"id": render_id, "sessionId": sid, "draft": draft, "output": {}}
        await client.post("/api/render/proxy/lambda", json=body, headers=headers)

    async def poll(render_id: str) -> dict[str, Any]:
        return (await client.get(f"/api/render/proxy/lambda/{render_id}", headers=headers)).json()["data"]

    await export("empty", {"t": [{"tt": 0, "sg": []}]})
    assert (await poll("empty"))["status"] == "failed" and (await poll("empty"))["error"] == "empty draft"
    nemo.render_plan = RenderPlan(steps=0, fail=True)
    await export("broken", VIDEO_DRAFT)
    assert (await poll("broken"))["status"] == "failed"
    nemo.render_plan = RenderPlan(steps=1, stuck=True)
    await export("stuck", VIDEO_DRAFT)
    assert {(await poll("stuck"))["status"] for _ in range(5)} == {"processing"}
    cancelled = await client.post("/api/render/proxy/lambda/stuck/cancel", headers=headers)
    assert cancelled.json()["data"]["status"] == "cancelled"
    assert (await poll("stuck"))["status"] == "cancelled"


async def test_rendered_file_supports_range_requests(nemo: FakeNemo, client: httpx.AsyncClient) -> None:
    headers, sid = await login(client)
    content = bytes(range(256)) * 40
    nemo.render_plan = RenderPlan(steps=0, content=content)
    await client.post("/api/render/proxy/lambda", headers=headers,
                      json={"id": "r1", "sessionId": sid, "draft": VIDEO_DRAFT, "output": {}})
    url = (await client.get("/api/render/proxy/lambda/r1", headers=headers)).json()["data"]["outputUrl"]

    whole = await client.get(url)
    part = await client.get(url, headers={"Range": "bytes=100-199"})
    tail = await client.get(url, headers={"Range": "bytes=-10"})
    beyond = await client.get(url, headers={"Range": "bytes=999999-"})

    assert whole.status_code == 200 and whole.content == content
    assert whole.headers["content-type"] == "video/mp4" and whole.headers["accept-ranges"] == "bytes"
    assert part.status_code == 206 and part.content == content[100:200]
    assert part.headers["content-range"] == f"bytes 100-199/{len(content)}"
    assert tail.content == content[-10:]
    assert beyond.status_code == 416


async def test_wait_for_and_requests_log(nemo: FakeNemo, client: httpx.AsyncClient) -> None:
    await client.post("/api/auth/anonymous-token", headers={"X-Client-Id": "c-9", **ATTRIBUTION})
    await nemo.wait_for(lambda: len(nemo.requests) == 1, timeout=1)
    assert nemo.requests[0].headers["x-skill-source"] == "video-openapi"
    assert nemo.requests[0].path == "/api/auth/anonymous-token"
    with pytest.raises(TimeoutError):
        await nemo.wait_for(lambda: False, timeout=0.05)


async def test_runs_standalone() -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tests.fakes.nemo", "--port", "0", "--static-token", "nmv_usr_cli",
        stdout=asyncio.subprocess.PIPE, cwd=Path(__file__).resolve().parents[2],
    )
    try:
        assert process.stdout is not None
        line = (await asyncio.wait_for(process.stdout.readline(), 10)).decode()
        url = line.split()[-1]
        async with httpx.AsyncClient() as client:
            answer = await client.get(f"{url}/api/credits/balance/simple",
                                      headers={"Authorization": "Bearer nmv_usr_cli"})
        assert answer.json()["available"] == 100
    finally:
        process.terminate()
        await process.wait()


async def test_fetch_urls_downloads_or_answers_4001() -> None:
    async with FakeNemo(fetch_urls=True, static_tokens={"nmv_usr_t"}) as nemo:
        async with httpx.AsyncClient(base_url=nemo.url) as client:
            headers = {"Authorization": "Bearer nmv_usr_t", **ATTRIBUTION}
            sid = (await client.post("/api/tasks/me/with-session/nemo_agent", json={"task_name": "p"},
                                     headers=headers)).json()["data"]["session_id"]
            nemo.render_plan = RenderPlan(steps=0, content=b"z" * 5000)
            await client.post("/api/render/proxy/lambda", headers=headers,
                              json={"id": "src", "sessionId": sid, "draft": VIDEO_DRAFT, "output": {}})
            await client.get("/api/render/proxy/lambda/src", headers=headers)
            upload = f"/api/upload-video/nemo_agent/me/{sid}"

            fetched = await client.post(upload, json={"urls": [f"{nemo.url}/files/src.mp4"]}, headers=headers)
            missing = {"urls": [f"{nemo.url}/files/none.mp4"]}
            unreachable = await client.post(upload, json=missing, headers=headers)

            assert fetched.json()["code"] == 0
            assert nemo.sessions[sid].video_infos[0]["filename"] == "src.mp4"
            assert unreachable.json()["code"] == 4001
            assert unreachable.json()["message"].endswith(": HTTP 404 Not Found")  # the fetch's own error


async def test_about_a_third_of_unscripted_edits_close_silently_the_same_ones_every_run(
    nemo: FakeNemo, client: httpx.AsyncClient
) -> None:
    headers, sid = await login(client)
    silent: list[int] = []
    for n in range(40):
        before = nemo.sessions[sid].draft
        lines = await chat_lines(client, headers, sid, f"add the title 'T{n}'")
        texts = [e for e in events(lines) if "content" in e]
        assert nemo.sessions[sid].draft != before  # every edit changes the state
        if not texts:
            silent.append(n)
            assert [line for line in lines if line] and all(
                line in ('data: {"type":"heartbeat"}', "data:") for line in lines if line)
    assert 6 <= len(silent) <= 18  # about 30% of 40
    async with FakeNemo(static_tokens={"nmv_usr_t"}) as again, httpx.AsyncClient(base_url=again.url) as other:
        h = {"Authorization": "Bearer nmv_usr_t"}
        sid2 = (await other.post("/api/tasks/me/with-session/nemo_agent", json={}, headers=h)).json()["data"][
            "session_id"]
        repeat = [n for n in range(40)
                  if not [e for e in events(await chat_lines(other, h, sid2, f"add the title 'T{n}'"))
                          if "content" in e]]
    assert repeat == silent


async def test_a_render_takes_time_in_proportion_to_the_video_however_often_it_is_polled(
    nemo: FakeNemo, client: httpx.AsyncClient
) -> None:
    headers, sid = await login(client)
    headers |= ATTRIBUTION
    short = {"t": [{"tt": 0, "sg": [{"d": 2000, "m": {}}]}]}    # 2 s of video: 0.4 s at 0.2x
    for rid, draft in (("short", short), ("long", VIDEO_DRAFT)):
        await client.post("/api/render/proxy/lambda", headers=headers,
                          json={"id": rid, "sessionId": sid, "draft": draft, "output": {}})
    for _ in range(10):  # polled fast: the count of polls does not finish it, only time does
        for rid in ("short", "long"):
            status = (await client.get(f"/api/render/proxy/lambda/{rid}", headers=headers)).json()["data"]
            render = nemo.renders[rid]
            if status["status"] == "completed":
                assert time.monotonic() - render.started >= render.seconds
    await asyncio.sleep(nemo.renders["short"].seconds)
    short_now = (await client.get("/api/render/proxy/lambda/short", headers=headers)).json()["data"]
    long_now = (await client.get("/api/render/proxy/lambda/long", headers=headers)).json()["data"]
    assert short_now["status"] == "completed"
    assert long_now["status"] == "processing" and 0 < long_now["progress"] < 100
    assert nemo.renders["long"].seconds == pytest.approx(nemo.renders["short"].seconds * draft_len(VIDEO_DRAFT) / 2)


def draft_len(draft: dict[str, Any]) -> float:
    return max(sum(seg["d"] for seg in track["sg"]) for track in draft["t"]) / 1000
