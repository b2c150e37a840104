"""NemoClient against the stand-in NEMO over loopback: every endpoint, every error row."""

from __future__ import annotations

import os
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from core.i18n import timeline_summary
from core.nemo.client import NemoClient
from core.nemo.draft import Draft
from core.nemo.errors import (
    AuthError,
    ExportBlocked,
    FileTooLarge,
    MissingClientId,
    NemoError,
    NoCredits,
    RateLimited,
    SessionNotFound,
    StreamDropped,
    StreamFailed,
    StreamTimeout,
    Unavailable,
    UnsupportedFile,
)
from core.nemo.events import Heartbeat as HeartbeatEvent
from core.nemo.events import StateDelta, StreamEvent, paragraphs
from core.nemo.events import Text as TextEvent
from core.nemo.events import Thought as ThoughtEvent
from core.nemo.events import ToolCall as ToolCallEvent
from core.nemo.events import ToolResult as ToolResultEvent
from core.nemo.limits import MAX_UPLOAD_BYTES
from core.nemo.upload import UploadSource
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
    Text,
    Thought,
    ToolCall,
    ToolResult,
)

SKILL = "free-editing-with-ai"
VERSION = "2.5.0"
PLATFORM = "cursor"
DRAFT = {
    "t": [
        {"tt": 0, "sg": [{"d": 10000, "m": {"title": "city timelapse"}}]},
        {"tt": 7, "sg": [{"d": 3000, "m": {"text": "Urban Dreams"}}]},
    ]
}


@pytest.fixture
async def client(nemo: FakeNemo) -> AsyncIterator[NemoClient]:
    async with NemoClient(nemo.url, skill_version=VERSION, skill_platform=PLATFORM) as nemo_client:
        yield nemo_client


async def login(client: NemoClient, client_id: str = "client-1", language: str = "en") -> tuple[str, str]:
    issued = await client.anonymous_token(client_id, skill=SKILL)
    info = await client.create_session(issued.token, skill=SKILL, language=language)
    return issued.token, info.session_id


async def collect(stream: AsyncIterator[StreamEvent]) -> list[StreamEvent]:
    return [event async for event in stream]


def shown(events: list[StreamEvent]) -> list[StreamEvent]:
    """What is not a keep-alive."""
    return [event for event in events if not isinstance(event, HeartbeatEvent)]


def hits(nemo: FakeNemo, method: str, prefix: str) -> list[Any]:
    return [r for r in nemo.requests if r.method == method and r.path.startswith(prefix)]


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def assert_no_token(error: BaseException, *tokens: str) -> None:
    for token in tokens:
        assert token not in str(error)
        assert token not in repr(error)


# -- anonymous token and session ---------------------------------------------------------------


async def test_anonymous_token_is_issued_for_the_client_id(nemo: FakeNemo, client: NemoClient) -> None:
    issued = await client.anonymous_token("client-42", skill=SKILL)

    assert issued.token.startswith("nmv_usr_") and issued.user_id.startswith("anon_")
    assert issued.credits == 100
    assert issued.expires_at is not None and issued.expires_at.tzinfo is not None
    assert abs(issued.expires_at - (datetime.now(UTC) + timedelta(days=7))) < timedelta(minutes=1)
    (request,) = hits(nemo, "POST", "/api/auth/anonymous-token")
    assert request.headers["x-client-id"] == "client-42"
    assert "authorization" not in request.headers
    assert issued.token not in repr(issued)


async def test_anonymous_token_without_a_client_id_is_missing_client_id(
    nemo: FakeNemo, client: NemoClient
) -> None:
    with pytest.raises(MissingClientId) as caught:
        await client.anonymous_token("", skill=SKILL)
    assert caught.value.status == 400
    assert "X-Client-Id" in caught.value.message


async def test_a_second_anonymous_token_for_the_same_client_id_is_rate_limited() -> None:
    async with FakeNemo(strict_token_rate=True) as nemo, NemoClient(nemo.url) as client:
        first = await client.anonymous_token("same-client", skill=SKILL)
        with pytest.raises(RateLimited) as caught:
            await client.anonymous_token("same-client", skill=SKILL)
        other = await client.anonymous_token("other-client", skill=SKILL)
    assert caught.value.status == 429
    assert other.token != first.token
    assert_no_token(caught.value, first.token)


@pytest.mark.parametrize("language", ["en", "zh"])
async def test_create_session_sends_the_language(nemo: FakeNemo, client: NemoClient, language: str) -> None:
    issued = await client.anonymous_token("client-1", skill=SKILL)

    info = await client.create_session(issued.token, skill=SKILL, language=language)

    assert info.session_id.isdigit() and info.task_id.startswith("task_")
    assert nemo.sessions[info.session_id].language == language
    (request,) = hits(nemo, "POST", "/api/tasks/me/with-session/nemo_agent")
    assert request.json == {"task_name": "project", "language": language}
    assert request.headers["authorization"] == f"Bearer {issued.token}"


# -- chat -----------------------------------------------------------------------------------------


async def test_chat_yields_typed_events_in_order(nemo: FakeNemo, client: NemoClient) -> None:
    token, sid = await login(client)
    nemo.script_chat(
        ToolCall("edit_multitrack", {"op": "add_text", "text": "Urban Dreams"}, id="adk-1"),
        ToolResult("edit_multitrack", {"ok": True}, {"draft": DRAFT}),
        Text("Title added. Click Export when you are ready."),
    )

    events = shown(await collect(client.chat(token, sid, "add the title 'Urban Dreams'", skill=SKILL)))

    assert [type(e) for e in events] == [ToolCallEvent, ToolResultEvent, StateDelta, TextEvent]
    call, result, delta, text = events
    assert (call.id, call.name, call.args) == ("adk-1", "edit_multitrack", {"op": "add_text", "text": "Urban Dreams"})
    assert (result.id, result.response) == ("adk-1", {"ok": True})
    assert timeline_summary(Draft.parse(delta.delta["draft"]), "en") == (
        'Timeline (2 tracks): 1. Video: city timelapse (0-10s) 2. Title: "Urban Dreams" (0-3s)'
    )
    assert text == TextEvent("Title added. Click Export when you are ready.")
    (request,) = hits(nemo, "POST", "/run_sse")
    assert request.json == {
        "app_name": "nemo_agent", "user_id": "me", "session_id": sid,
        "new_message": {"parts": [{"text": "add the title 'Urban Dreams'"}]},
    }
    assert "text/event-stream" in request.headers["accept"]
    assert nemo.chat_messages == ["add the title 'Urban Dreams'"]


async def test_chat_shows_partial_chunks_once(nemo: FakeNemo, client: NemoClient) -> None:
    token, sid = await login(client)
    nemo.script_chat(Partial(["Adding ", "background ", "music."]), Text(" Done."))

    events = shown(await collect(client.chat(token, sid, "add music", skill=SKILL)))

    texts = [e for e in events if isinstance(e, TextEvent)]
    assert [e.text for e in texts] == ["Adding ", "background ", "music.", " Done."]
    assert paragraphs(texts) == "Adding background music.\n\nDone."   # the second event is a turn of its own


async def test_chat_tolerates_heartbeats_empty_data_comments_and_thoughts(
    nemo: FakeNemo, client: NemoClient
) -> None:
    token, sid = await login(client)
    nemo.script_chat(Heartbeat(), Comment("keepalive"), EmptyData(), Thought("let me think"), Heartbeat(),
                     Text("Trimmed the pauses."))

    events = await collect(client.chat(token, sid, "trim the pauses", skill=SKILL))

    assert sum(isinstance(e, HeartbeatEvent) for e in events) >= 3
    assert [e for e in events if isinstance(e, ThoughtEvent)] == [ThoughtEvent("let me think")]
    assert [e.text for e in events if isinstance(e, TextEvent)] == ["Trimmed the pauses."]


@pytest.mark.parametrize("raw, expected", [
    (('{"error": "RuntimeError: agent crashed", "error_details": {"error_type": "RuntimeError", '
      '"error_message": "agent crashed"}}'), "agent crashed"),
    ('{"error": "ValueError: bad "quoted" value', "ValueError: bad"),
])
async def test_chat_error_line_raises_stream_failed_after_the_earlier_events(
    nemo: FakeNemo, client: NemoClient, raw: str, expected: str
) -> None:
    token, sid = await login(client)
    nemo.script_chat(Text("Working on it."), ErrorLine(raw), Text("never sent"))
    received: list[StreamEvent] = []

    with pytest.raises(StreamFailed) as caught:
        async for event in client.chat(token, sid, "edit", skill=SKILL):
            received.append(event)

    assert expected in caught.value.message
    assert [e.text for e in received if isinstance(e, TextEvent)] == ["Working on it."]
    assert_no_token(caught.value, token)


async def test_chat_error_event_raises_stream_failed(nemo: FakeNemo, client: NemoClient) -> None:
    token, sid = await login(client)
    nemo.script_chat(ErrorEvent("MALFORMED_FUNCTION_CALL", "the model produced a bad call"), Text("later"))

    with pytest.raises(StreamFailed) as caught:
        await collect(client.chat(token, sid, "edit", skill=SKILL))

    assert caught.value.message == "the model produced a bad call"


async def test_chat_drop_raises_stream_dropped_after_the_received_events(
    nemo: FakeNemo, client: NemoClient
) -> None:
    token, sid = await login(client)
    nemo.script_chat(ToolCall("edit_multitrack", {"op": "trim"}), Text("Starting."), Drop())
    received: list[StreamEvent] = []

    with pytest.raises(StreamDropped) as caught:
        async for event in client.chat(token, sid, "trim", skill=SKILL):
            received.append(event)

    assert not isinstance(caught.value, StreamTimeout)
    assert [type(e) for e in shown(received)] == [ToolCallEvent, TextEvent]
    assert nemo.chat_messages == ["trim"]


@pytest.mark.parametrize("style", ["http", "code"])
async def test_chat_on_an_unknown_session_is_session_not_found(style: str) -> None:
    async with FakeNemo(session_error_style=style) as nemo, NemoClient(nemo.url) as client:  # type: ignore[arg-type]
        token, sid = await login(client)
        nemo.forget_session(sid)
        with pytest.raises(SessionNotFound) as caught:
            await collect(client.chat(token, sid, "add a title", skill=SKILL))
    assert nemo.chat_messages == []
    assert_no_token(caught.value, token)


async def test_chat_without_credits_is_no_credits(nemo: FakeNemo, client: NemoClient) -> None:
    token, sid = await login(client)
    nemo.set_credits(token, 0)

    with pytest.raises(NoCredits) as caught:
        await collect(client.chat(token, sid, "add a title", skill=SKILL))

    assert caught.value.code == 2001
    assert nemo.chat_messages == []


async def test_chat_default_reply_updates_the_draft(nemo: FakeNemo, client: NemoClient) -> None:
    token, sid = await login(client)

    events = await collect(client.chat(token, sid, "add some background music", skill=SKILL))

    (delta,) = [e for e in events if isinstance(e, StateDelta)]
    assert timeline_summary(Draft.parse(delta.delta["draft"]), "en") == "Timeline (1 track): 1. BGM: Lo-fi (0-10s, 35%)"
    state = await client.state(token, sid, skill=SKILL)
    assert timeline_summary(state.draft, "en") == "Timeline (1 track): 1. BGM: Lo-fi (0-10s, 35%)"


# -- uploads --------------------------------------------------------------------------------------


async def test_upload_files_streams_each_file_whole(nemo: FakeNemo, client: NemoClient, tmp_path: Path) -> None:
    token, sid = await login(client)
    video = tmp_path / "clip.mp4"
    video.write_bytes(os.urandom(2 * 1024 * 1024 + 12345))  # several read chunks
    song = tmp_path / "song.mp3"
    song.write_bytes(os.urandom(7777))

    files = await client.upload_files(
        token, sid, [UploadSource.from_path(video), UploadSource.from_path(song)], skill=SKILL
    )

    (request,) = hits(nemo, "POST", f"/api/upload-video/nemo_agent/me/{sid}")
    assert request.files == [("files", "clip.mp4", video.stat().st_size), ("files", "song.mp3", 7777)]
    assert request.headers["content-type"].startswith("multipart/form-data; boundary=")
    assert [(f.filename, f.file_type) for f in files] == [("clip.mp4", "video"), ("song.mp3", "audio")]
    assert files[0].cdn_url.startswith(nemo.url) and files[0].duration == 10.0
    assert (files[0].width, files[0].height) == (1920, 1080)
    state = await client.state(token, sid, skill=SKILL)
    assert timeline_summary(state.draft, "en") == "Timeline (2 tracks): 1. Video: clip.mp4 (0-10s) 2. BGM: song.mp3 (0-30s)"
    assert [info["filename"] for info in state.video_infos] == ["clip.mp4", "song.mp3"]


async def test_upload_of_unknown_size_is_streamed_too(nemo: FakeNemo, client: NemoClient) -> None:
    token, sid = await login(client)
    chunks = [b"a" * 1000, b"b" * 2000, b"c" * 3]

    async def read() -> AsyncIterator[bytes]:
        for chunk in chunks:
            yield chunk

    await client.upload_files(token, sid, [UploadSource("talk.webm", read)], skill=SKILL)

    (request,) = hits(nemo, "POST", "/api/upload-video/")
    assert request.files == [("files", "talk.webm", 3003)]


@pytest.mark.parametrize("source, error", [
    (UploadSource("notes.txt", lambda: _never(), size=10), UnsupportedFile),
    (UploadSource("archive", lambda: _never(), size=10), UnsupportedFile),
    (UploadSource("huge.mp4", lambda: _never(), size=MAX_UPLOAD_BYTES + 1), FileTooLarge),
])
async def test_refused_uploads_never_reach_nemo(
    nemo: FakeNemo, client: NemoClient, source: UploadSource, error: type[NemoError]
) -> None:
    token, sid = await login(client)
    fine = UploadSource("ok.mp4", lambda: _never(), size=10)

    with pytest.raises(error) as caught:
        await client.upload_files(token, sid, [fine, source], skill=SKILL)

    assert hits(nemo, "POST", "/api/upload-video/") == []
    assert caught.value.code == (4001 if error is UnsupportedFile else 4002)
    if error is UnsupportedFile:
        assert "mp4" in caught.value.message and "aac" in caught.value.message


async def _never() -> AsyncIterator[bytes]:
    raise AssertionError("a refused file must not be read")
    yield b""  # pragma: no cover


async def test_upload_urls_sends_the_documented_json(nemo: FakeNemo, client: NemoClient) -> None:
    token, sid = await login(client)

    async with MediaHost({"/media/beach.mov": MP4_BYTES}) as host:
        url = host.url_of("/media/beach.mov")
        files = await client.upload_urls(token, sid, [url], skill=SKILL)

    (request,) = hits(nemo, "POST", "/api/upload-video/")
    assert request.json == {"urls": [url], "source_type": "url"}
    assert [(f.filename, f.file_type) for f in files] == [("beach.mov", "video")]


async def test_a_url_nemo_cannot_fetch_is_an_unsupported_file_with_the_fetch_error(
    nemo: FakeNemo, client: NemoClient
) -> None:
    token, sid = await login(client)
    async with MediaHost({}) as host:
        with pytest.raises(UnsupportedFile) as caught:
            await client.upload_urls(token, sid, [host.url_of("/gone.mp4")], skill=SKILL)
    assert "HTTP 404" in caught.value.message


# -- credits and state ------------------------------------------------------------------------------


async def test_credits_reads_the_bare_body(nemo: FakeNemo, client: NemoClient) -> None:
    token, _ = await login(client)
    nemo.set_credits(token, 42)

    credits = await client.credits(token, skill=SKILL)

    assert (credits.available, credits.frozen, credits.total) == (42, 0, 42)


async def test_state_parses_the_draft(nemo: FakeNemo, client: NemoClient) -> None:
    token, sid = await login(client)
    nemo.sessions[sid].draft = DRAFT

    state = await client.state(token, sid, skill=SKILL)

    assert state.draft.ready
    assert state.draft.raw == DRAFT
    assert timeline_summary(state.draft, "en") == (
        'Timeline (2 tracks): 1. Video: city timelapse (0-10s) 2. Title: "Urban Dreams" (0-3s)'
    )
    assert state.raw["session_id"] == sid


# -- renders --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("shape", ["envelope", "top"])
@pytest.mark.parametrize("url_location", ["output.url", "outputUrl", "data.outputUrl", "data.output.url"])
async def test_render_goes_pending_processing_completed(
    nemo: FakeNemo, client: NemoClient, shape: Any, url_location: Any
) -> None:
    token, sid = await login(client)
    nemo.sessions[sid].draft = DRAFT
    nemo.render_plan = RenderPlan(steps=2, shape=shape, url_location=url_location, pending_polls=1)

    render_id = await client.submit_render(token, sid, DRAFT, skill=SKILL, render_id="render_1700000000000")
    polls = [await client.render_status(token, render_id, skill=SKILL) for _ in range(4)]

    assert render_id == "render_1700000000000"
    (export,) = hits(nemo, "POST", "/api/render/proxy/lambda")
    assert export.json == {"id": render_id, "sessionId": sid, "draft": DRAFT,
                           "output": {"format": "mp4", "quality": "high"}}
    assert [(p.status, p.progress) for p in polls] == [
        ("pending", 0), ("processing", 33), ("processing", 67), ("completed", 100)]
    assert [p.final for p in polls] == [False, False, False, True]
    assert all(p.id == render_id for p in polls)
    done = polls[-1]
    assert done.url == f"{nemo.url}/files/{render_id}.mp4" and done.error == ""
    if shape == "top":
        assert done.size == len(nemo.render_plan.content) and done.duration == 10.0
    async with httpx.AsyncClient() as http:
        assert (await http.get(done.url)).content == nemo.render_plan.content


async def test_submit_render_makes_its_own_id(nemo: FakeNemo, client: NemoClient) -> None:
    token, sid = await login(client)
    nemo.sessions[sid].draft = DRAFT

    first = await client.submit_render(token, sid, DRAFT, skill=SKILL)
    second = await client.submit_render(token, sid, DRAFT, skill=SKILL)

    assert first.startswith("render_") and second.startswith("render_") and first != second
    assert set(nemo.renders) == {first, second}


@pytest.mark.parametrize("shape", ["envelope", "top"])
async def test_failed_render_reports_the_error(nemo: FakeNemo, client: NemoClient, shape: Any) -> None:
    token, sid = await login(client)
    nemo.render_plan = RenderPlan(steps=1, fail=True, shape=shape)

    render_id = await client.submit_render(token, sid, DRAFT, skill=SKILL)
    polls = [await client.render_status(token, render_id, skill=SKILL) for _ in range(2)]

    assert [p.status for p in polls] == ["processing", "failed"]
    assert polls[-1].final and polls[-1].url is None
    assert polls[-1].error == "render failed: encoder crashed"


async def test_render_of_an_empty_draft_fails(nemo: FakeNemo, client: NemoClient) -> None:
    token, sid = await login(client)

    render_id = await client.submit_render(token, sid, {"t": []}, skill=SKILL)
    status = await client.render_status(token, render_id, skill=SKILL)

    assert (status.status, status.error, status.url) == ("failed", "empty draft", None)


async def test_cancel_render(nemo: FakeNemo, client: NemoClient) -> None:
    token, sid = await login(client)
    render_id = await client.submit_render(token, sid, DRAFT, skill=SKILL)

    assert await client.cancel_render(token, render_id, skill=SKILL) is True
    status = await client.render_status(token, render_id, skill=SKILL)
    assert status.status == "cancelled" and status.final
    assert nemo.renders[render_id].status == "cancelled"
    assert await client.cancel_render(token, "render_unknown", skill=SKILL) is False


async def test_cancel_render_raises_other_errors(nemo: FakeNemo, client: NemoClient) -> None:
    token, _ = await login(client)
    nemo.fail_next("cancel", code=1001)

    with pytest.raises(AuthError):
        await client.cancel_render(token, "render_x", skill=SKILL)


# -- attribution headers and 402 -------------------------------------------------------------------------


async def test_every_request_carries_the_three_attribution_headers(
    nemo: FakeNemo, client: NemoClient, tmp_path: Path
) -> None:
    token, sid = await login(client)
    clip = tmp_path / "a.mp4"
    clip.write_bytes(b"x" * 100)
    await collect(client.chat(token, sid, "add a title 'Hi'", skill=SKILL))
    await client.upload_files(token, sid, [UploadSource.from_path(clip)], skill=SKILL)
    async with MediaHost({"/b.mp4": MP4_BYTES}) as host:
        await client.upload_urls(token, sid, [host.url_of("/b.mp4")], skill=SKILL)
    await client.credits(token, skill=SKILL)
    state = await client.state(token, sid, skill=SKILL)
    render_id = await client.submit_render(token, sid, state.draft.raw, skill=SKILL)
    await client.render_status(token, render_id, skill=SKILL)
    await client.cancel_render(token, render_id, skill=SKILL)

    paths = {r.path for r in nemo.requests}
    assert len(paths) == 9  # all nine endpoints
    for request in nemo.requests:
        assert request.headers["x-skill-source"] == SKILL, request.path
        assert request.headers["x-skill-version"] == VERSION, request.path
        assert request.headers["x-skill-platform"] == PLATFORM, request.path
        if request.path != "/api/auth/anonymous-token":
            assert request.headers["authorization"] == f"Bearer {token}", request.path


async def test_export_without_attribution_is_export_blocked(nemo: FakeNemo, client: NemoClient) -> None:
    token, sid = await login(client)

    with pytest.raises(ExportBlocked) as caught:  # an empty X-Skill-Source: the fake's own 402 rule
        await client.submit_render(token, sid, DRAFT, skill="")

    assert caught.value.status == 402
    assert nemo.renders == {}
    assert_no_token(caught.value, token)


async def test_export_402_is_export_blocked_not_a_credits_error(nemo: FakeNemo, client: NemoClient) -> None:
    token, sid = await login(client)
    nemo.fail_next("export", http_status=402)

    with pytest.raises(ExportBlocked) as caught:
        await client.submit_render(token, sid, DRAFT, skill=SKILL)

    assert not isinstance(caught.value, NoCredits)
    assert caught.value.key == "error_export_blocked"


# -- the error table ---------------------------------------------------------------------------------------

Op = Callable[[NemoClient, str, str], Awaitable[Any]]


async def _token_op(c: NemoClient, t: str, s: str) -> Any:
    return await c.anonymous_token("client-x", skill=SKILL)


async def _session_op(c: NemoClient, t: str, s: str) -> Any:
    return await c.create_session(t, skill=SKILL)


async def _chat_op(c: NemoClient, t: str, s: str) -> Any:
    return await collect(c.chat(t, s, "add a title", skill=SKILL))


async def _upload_op(c: NemoClient, t: str, s: str) -> Any:
    async def read() -> AsyncIterator[bytes]:
        yield b"x" * 10
    return await c.upload_files(t, s, [UploadSource("a.mp4", read, size=10)], skill=SKILL)


async def _credits_op(c: NemoClient, t: str, s: str) -> Any:
    return await c.credits(t, skill=SKILL)


async def _state_op(c: NemoClient, t: str, s: str) -> Any:
    return await c.state(t, s, skill=SKILL)


async def _export_op(c: NemoClient, t: str, s: str) -> Any:
    return await c.submit_render(t, s, DRAFT, skill=SKILL)


async def _render_status_op(c: NemoClient, t: str, s: str) -> Any:
    return await c.render_status(t, "render_1", skill=SKILL)


OPS: dict[str, Op] = {
    "token": _token_op, "session": _session_op, "chat": _chat_op, "upload": _upload_op, "credits": _credits_op,
    "state": _state_op, "export": _export_op, "render_status": _render_status_op,
}

ERROR_ROWS = [
    ("credits", 1001, None, AuthError),
    ("state", 1001, None, AuthError),
    ("chat", 1001, None, AuthError),
    ("credits", 1010, None, AuthError),
    ("session", 1011, None, AuthError),
    ("credits", None, 401, AuthError),
    ("state", 1002, None, SessionNotFound),
    ("upload", 1002, None, SessionNotFound),
    ("chat", 1002, None, SessionNotFound),
    ("chat", 2001, None, NoCredits),
    ("export", 2001, None, NoCredits),
    ("upload", 4001, None, UnsupportedFile),
    ("upload", 4002, None, FileTooLarge),
    ("upload", 4002, 413, FileTooLarge),
    ("token", None, 400, MissingClientId),
    ("export", None, 402, ExportBlocked),
    ("credits", None, 429, RateLimited),
    ("chat", None, 429, RateLimited),
    ("token", None, 429, RateLimited),
    ("state", None, 500, Unavailable),
    ("export", None, 502, Unavailable),
    ("chat", None, 503, Unavailable),
    ("render_status", None, 504, Unavailable),
]


@pytest.mark.parametrize("endpoint, code, http_status, error", ERROR_ROWS)
async def test_error_table(
    nemo: FakeNemo, client: NemoClient, endpoint: str, code: int | None, http_status: int | None,
    error: type[NemoError],
) -> None:
    token, sid = await login(client)
    nemo.fail_next(endpoint, code=code, http_status=http_status)

    with pytest.raises(error) as caught:
        await OPS[endpoint](client, token, sid)

    assert type(caught.value) is error
    if code is not None:
        assert caught.value.code == code
    if http_status is not None:
        assert caught.value.status == http_status
    assert_no_token(caught.value, token)
    assert nemo.chat_messages == []
    # the failure was used up: the same call now succeeds
    if endpoint != "render_status":
        await OPS[endpoint](client, token, sid)


@pytest.mark.parametrize("endpoint", sorted(OPS))
async def test_a_refused_connection_is_unavailable(endpoint: str) -> None:
    async with NemoClient(f"http://127.0.0.1:{closed_port()}") as client:
        with pytest.raises(Unavailable) as caught:
            await OPS[endpoint](client, "nmv_usr_secret_token", "5529798706024415232")
    assert_no_token(caught.value, "nmv_usr_secret_token")


async def test_a_non_json_answer_is_a_bad_response() -> None:
    def reply(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=b"<html>gateway</html>", headers={"content-type": "text/html"})

    async with NemoClient("http://nemo.test", transport=httpx.MockTransport(reply)) as client:
        with pytest.raises(NemoError) as caught:
            await client.credits("nmv_usr_secret", skill=SKILL)
    assert caught.value.key == "error_unavailable"
    assert_no_token(caught.value, "nmv_usr_secret")
