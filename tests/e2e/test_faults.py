"""Reliability under faults: the bot holds when NEMO, the network, the database or the bot process fail.

Every test drives the real core (or the console bot as a subprocess) against the stand-in NEMO on
loopback and checks what a user would notice: one clear message (no traceback, no JSON, no token),
no chat message sent to NEMO twice, no render lost or delivered twice, and other chats still served.

The stand-in has no control to make a non-SSE endpoint slow, so ``SlowNemo`` below adds one
(``slow_next``): it holds a request for a while before the fake answers it, over a real socket.
"""

from __future__ import annotations

import asyncio
import re
import signal
import sqlite3
import threading
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from bots.app import running_core
from core.conversation import Core
from core.ports import Attachment, Incoming, Target
from tests.conftest import cloud_settings
from tests.e2e.test_restart import open_renders, start_console
from tests.fakes.nemo import (
    Comment,
    Drop,
    EmptyData,
    ErrorLine,
    FakeNemo,
    Heartbeat,
    RawEvent,
    RenderPlan,
    SetDraft,
    Sleep,
    Text,
    ToolCall,
    ToolResult,
)
from tests.recording import RecordingPort

ANN = Target("test", "chat-1", "ann")
BOB = Target("test", "chat-2", "bob")
UNREACHABLE = "The video service can't be reached right now"
BUSY = "The video service is busy right now"
pytestmark = pytest.mark.renders_done_when_polled  # render time is not these tests' subject: the faults are


# -- helpers ----------------------------------------------------------------------------------------


class SlowNemo(FakeNemo):
    """The stand-in NEMO, plus endpoints that answer late (for timeouts)."""

    def __init__(self, **kw: Any) -> None:
        super().__init__(**kw)
        self.delays: dict[str, list[float]] = {}

    def slow_next(self, endpoint: str, seconds: float, times: int = 1) -> None:
        """Hold the next ``times`` calls of ``endpoint`` for ``seconds`` before answering them."""
        self.delays.setdefault(endpoint, []).extend([seconds] * times)

    @web.middleware
    async def _middleware(self, request: web.Request, handler: Any) -> web.StreamResponse:
        async def late(req: web.Request) -> web.StreamResponse:
            queue = self.delays.get(req.match_info.route.name or "")
            if queue:
                await asyncio.sleep(queue.pop(0))
            return await handler(req)

        return await super()._middleware(request, late)


@asynccontextmanager
async def bot(
    nemo: FakeNemo, tmp_path: Path, **nemo_settings: Any
) -> AsyncIterator[tuple[Core, RecordingPort]]:
    """A running core at default settings (and any NEMO setting overridden), seen through a recording port."""
    settings = cloud_settings(nemo.url, tmp_path / "bot.db")
    for key, value in nemo_settings.items():
        setattr(settings.nemo, key, value)
    async with running_core(settings) as core:
        port = RecordingPort()
        core.register(port)
        yield core, port


def clip(name: str = "clip.mp4", data: bytes = b"v" * 1000) -> Attachment:
    async def chunks() -> AsyncIterator[bytes]:
        yield data

    return Attachment(name, len(data), "video/mp4", open=chunks)


def text(message: str, target: Target = ANN, **kw: Any) -> Incoming:
    return Incoming(target, text=message, **kw)


async def uploaded(core: Core, target: Target = ANN, locale: str | None = None) -> None:
    await core.handle(Incoming(target, attachments=[clip()], locale=locale))
    await core.idle()


_TOKEN = re.compile(r"nmv_\w+|Bearer\s", re.IGNORECASE)


def assert_clear(text: str) -> None:
    """What a user reads: no traceback, no JSON, no token, no Python repr of an error."""
    assert text.strip(), "an empty message"
    assert "Traceback" not in text, text
    assert "{" not in text and "}" not in text, text
    assert not _TOKEN.search(text), text
    assert not re.search(r"\b\w+(Error|Exception)\(", text), text


def assert_all_clear(port: RecordingPort) -> None:
    for shown in port.messages:
        for t in shown.texts:
            assert_clear(t)
    for t in port.notices:
        assert_clear(t)
    for _, t, _ in port.deliveries:
        assert_clear(t)


def shown_to(port: RecordingPort, target: Target) -> list[str]:
    return [m.text for m in port.messages if m.target.conversation == target.conversation]


def last_for(port: RecordingPort, target: Target = ANN) -> str:
    """The current text of the latest message in one conversation (others may have spoken since)."""
    texts = shown_to(port, target)
    return texts[-1] if texts else ""


def render_rows(db: Path) -> list[tuple[str, int]]:
    """(id, delivered) of every render in the bot's database; none while the schema is not there yet."""
    try:
        return open_renders(db) if db.exists() else []
    except sqlite3.OperationalError:
        return []


def requests_to(nemo: FakeNemo, prefix: str) -> list[Any]:
    return [r for r in nemo.requests if r.path.startswith(prefix)]


async def other_chat_is_served(core: Core, port: RecordingPort, who: Target = BOB) -> None:
    """A second conversation gets its credits answered (within a few seconds) while the first one waits."""
    before = len(port.messages)
    await asyncio.wait_for(core.handle(Incoming(who, text="credits")), 5)
    answers = [m.text for m in port.messages[before:] if m.target.conversation == who.conversation]
    assert any(a.startswith("Credits:") for a in answers), answers


def no_chat_twice(nemo: FakeNemo) -> None:
    assert len(nemo.chat_messages) == len(set(nemo.chat_messages)), nemo.chat_messages


# -- NEMO answers 5xx -------------------------------------------------------------------------------

# endpoint → what the user does that needs it (after an upload where ``prepared``), expected answer
FIVE_XX = [
    ("token", False, "credits"),
    ("session", False, "upload"),
    ("upload", False, "upload"),
    ("chat", True, "add the title 'Again'"),
    ("credits", True, "credits"),
    ("state", True, "status"),
    ("export", True, "export"),
]


@pytest.mark.parametrize(("endpoint", "prepared", "action"), FIVE_XX, ids=[e for e, *_ in FIVE_XX])
@pytest.mark.parametrize("status", [500, 503])
async def test_nemo_5xx_on_each_endpoint_is_a_clear_message_and_the_next_try_works(
    nemo: FakeNemo, tmp_path: Path, endpoint: str, prepared: bool, action: str, status: int
) -> None:
    async with bot(nemo, tmp_path) as (core, port):
        if prepared:
            await uploaded(core)
        chats_before = list(nemo.chat_messages)
        nemo.fail_next(endpoint, http_status=status)

        async def act() -> None:
            if action == "upload":
                await core.handle(Incoming(ANN, attachments=[clip()]))
            else:
                await core.handle(text(action))
            await core.idle()

        await act()
        assert UNREACHABLE in last_for(port)
        assert nemo.chat_messages == chats_before          # nothing reached the editor
        assert not port.deliveries
        await other_chat_is_served(core, port)

        await act()                                        # NEMO is back: the same request works
        expected = {"credits": "Credits:", "upload": "Uploaded clip.mp4", "status": "Timeline (1 track)",
                    "export": "Your video is ready"}.get(action, "Added text 'Again'")
        assert any(expected in t for t in shown_to(port, ANN)[-2:]), shown_to(port, ANN)
        if action == "export":
            assert len(port.deliveries) == 1
        no_chat_twice(nemo)
        assert_all_clear(port)


async def test_render_status_5xx_and_429_are_retried_and_the_render_is_delivered_once(
    nemo: FakeNemo, tmp_path: Path
) -> None:
    nemo.render_plan = RenderPlan(steps=2)
    # six failed polls, then three good ones: at NEMO's 30 s cadence, four and a half minutes
    async with bot(nemo, tmp_path, render_poll_interval=0.05) as (core, port):  # timing is the point: polls counted
        await uploaded(core)
        nemo.fail_next("render_status", http_status=503, times=3)
        nemo.fail_next("render_status", http_status=500, times=2)
        nemo.fail_next("render_status", http_status=429, times=1)
        await core.handle(text("export"))
        await core.idle()
        assert len(port.deliveries) == 1
        assert "Your video is ready" in port.deliveries[0][1]
        assert len(requests_to(nemo, "/api/render/proxy/lambda/")) >= 6 + 3
        assert [delivered for _, delivered in open_renders(core.settings.bot.db_path)] == [1]
        assert_all_clear(port)


async def test_a_long_render_status_outage_does_not_lose_the_render(nemo: FakeNemo, tmp_path: Path) -> None:
    """Thirty failed status checks in a row (fifteen minutes at the real 30-s interval): still delivered."""
    nemo.render_plan = RenderPlan(steps=1)
    async with bot(nemo, tmp_path, render_poll_interval=0.05) as (core, port):  # timing is the point: polls counted
        await uploaded(core)
        nemo.fail_next("render_status", http_status=502, times=30)
        await core.handle(text("export"))
        await core.idle()
        assert len(port.deliveries) == 1
        assert_all_clear(port)


# -- NEMO does not answer in time -------------------------------------------------------------------

TIMEOUTS = [
    ("token", False, "credits"),
    ("session", False, "upload"),
    ("upload", False, "upload"),
    ("credits", True, "credits"),
    ("state", True, "status"),
    ("export", True, "export"),
]


@pytest.mark.parametrize(("endpoint", "prepared", "action"), TIMEOUTS, ids=[e for e, *_ in TIMEOUTS])
async def test_a_request_hanging_past_request_timeout_is_a_clear_cant_be_reached(
    tmp_path: Path, endpoint: str, prepared: bool, action: str
) -> None:
    async with SlowNemo() as nemo, \
            bot(nemo, tmp_path, request_timeout=0.3) as (core, port):  # timing is the point: the time limit
        if prepared:
            await uploaded(core)
        nemo.slow_next(endpoint, 3.0)
        started = time.monotonic()
        if action == "upload":
            await core.handle(Incoming(ANN, attachments=[clip()]))
        else:
            await core.handle(text(action))
        if action in ("upload", "export"):                 # queued work: the bot is free meanwhile
            await other_chat_is_served(core, port)
        await core.idle()
        assert UNREACHABLE in last_for(port)
        assert time.monotonic() - started < 2.5             # the timeout, not the slow answer, ended it
        assert not port.deliveries and nemo.chat_messages == []
        assert_all_clear(port)


async def test_nemo_down_entirely_is_a_clear_message(tmp_path: Path) -> None:
    async with FakeNemo() as gone:
        url = gone.url                                       # a port nobody listens on once it stops
    settings = cloud_settings(url, tmp_path / "bot.db")
    async with running_core(settings) as core:
        port = RecordingPort()
        core.register(port)
        await core.handle(text("credits"))
        await core.handle(Incoming(ANN, attachments=[clip()]))
        await core.idle()
        assert [UNREACHABLE in t for t in port.texts()] == [True, True]
        assert_all_clear(port)


async def test_a_chat_stream_that_goes_silent_past_the_stream_timeout_is_not_resent(tmp_path: Path) -> None:
    async with SlowNemo() as nemo, \
            bot(nemo, tmp_path, stream_timeout=0.5) as (core, port):  # timing is the point: a silent stream
        await uploaded(core)
        nemo.script_chat(ToolCall("edit_multitrack", {"op": "trim"}), Sleep(5), Text("never"))
        await core.handle(text("trim the start"))
        await nemo.wait_for(lambda: len(nemo.chat_messages) == 1)
        await other_chat_is_served(core, port)
        await core.idle()
        assert "I did not resend it" in last_for(port)
        assert nemo.chat_messages == ["trim the start"]
        nemo.slow_next("chat", 5)                             # no answer at all, not even headers
        await core.handle(text("add a title 'Late'"))
        await core.idle()
        assert "I did not resend it" in last_for(port)
        assert nemo.chat_messages == ["trim the start"]    # it never reached the editor; not retried
        assert_all_clear(port)


async def test_render_status_timeouts_are_retried_and_the_render_still_delivers(tmp_path: Path) -> None:
    # three polls that time out: at NEMO's 30 s cadence, a minute and a half
    async with SlowNemo(render_plan=RenderPlan(steps=2)) as nemo, \
            bot(nemo, tmp_path, request_timeout=0.3,  # timing is the point: the time limit
                render_poll_interval=0.05) as (core, port):  # timing is the point: polls counted
        await uploaded(core)
        nemo.slow_next("render_status", 2.0, times=3)
        await core.handle(text("export"))
        await other_chat_is_served(core, port)
        await core.idle()
        assert len(port.deliveries) == 1
        assert_all_clear(port)


# -- the SSE stream ---------------------------------------------------------------------------------


async def test_a_stream_dropped_midway_is_not_resent_and_the_state_tells_what_happened(
    core: Core, port: RecordingPort, nemo: FakeNemo
) -> None:
    await uploaded(core)
    session = next(iter(nemo.sessions.values()))
    draft = {"t": session.draft["t"] + [{"tt": 7, "sg": [{"d": 2000, "m": {"text": "Mid"}}]}]}
    nemo.script_chat(ToolCall("edit_multitrack", {"op": "add_text"}), Text("Adding the ti"), SetDraft(draft),
                     Sleep(0.3), Drop())
    await core.handle(text("add the title 'Mid'"))
    await nemo.wait_for(lambda: nemo.chat_messages)
    await other_chat_is_served(core, port)
    await core.idle()
    assert "connection dropped, but the edit went through: added text 'Mid'" in last_for(port)
    nemo.script_chat(Heartbeat(), Drop())                                  # dropped with nothing done
    await core.handle(text("add music"))
    await core.idle()
    assert "I did not resend it" in last_for(port)
    assert nemo.chat_messages == ["add the title 'Mid'", "add music"]
    assert_all_clear(port)


async def test_a_dropped_stream_whose_state_cannot_be_read_says_so_without_resending(
    core: Core, port: RecordingPort, nemo: FakeNemo
) -> None:
    await uploaded(core)
    await core.handle(text("add the title 'One'"))
    await core.idle()
    nemo.script_chat(ToolCall("edit_multitrack", {"op": "add_text"}), Drop())
    nemo.fail_next("state", http_status=503)
    await core.handle(text("add the title 'Two'"))
    await core.idle()
    assert "couldn't confirm" in last_for(port)
    assert nemo.chat_messages == ["add the title 'One'", "add the title 'Two'"]
    assert_all_clear(port)


async def test_a_reply_is_kept_when_the_state_after_it_cannot_be_read(
    core: Core, port: RecordingPort, nemo: FakeNemo
) -> None:
    await uploaded(core)
    await core.handle(text("add the title 'One'"))
    await core.idle()
    nemo.script_chat(Text("Trimmed the first second."))               # a reply, but no draft in the stream
    nemo.fail_next("state", http_status=500)
    await core.handle(text("trim the first second"))
    await core.idle()
    assert last_for(port).startswith("Trimmed the first second.")
    nemo.script_chat(SetDraft({"t": []}))                               # a silent close, and no state either
    nemo.fail_next("state", http_status=500)
    await core.handle(text("remove everything"))
    await core.idle()
    assert "couldn't confirm" in last_for(port)
    no_chat_twice(nemo)
    assert_all_clear(port)


GARBAGE = [
    Comment("x\ndata: this is not json"),
    Comment("x\ndata: [1, 2, 3]"),
    Comment('x\ndata: {"content": {"parts": [{"text": "half an ev'),
    Comment("x\ndata: null"),
    Comment("x\ndata: 42"),
    Comment('x\ndata: "a bare string"'),
    Comment("x\nevent: mystery\nid: 7\nretry: soon\ndata: {}"),
    Comment('x\ndata: {"content": "not an object", "actions": {"stateDelta": [1]}}'),
    Comment('x\ndata: {"content": {"parts": ["text", 5, null, {"functionCall": "nope"}]}}'),
    Comment("x\ndata: " + "[" * 5000),
    RawEvent({"content": {"parts": [{"text": None}]}, "partial": "yes"}),
    EmptyData(),
    Heartbeat(),
]


async def test_garbage_lines_in_the_stream_are_ignored_and_the_edit_completes(
    core: Core, port: RecordingPort, nemo: FakeNemo
) -> None:
    await uploaded(core)
    session = next(iter(nemo.sessions.values()))
    draft = {"t": session.draft["t"] + [{"tt": 7, "sg": [{"d": 3000, "m": {"text": "Noise"}}]}]}
    nemo.script_chat(
        *GARBAGE[:6], ToolCall("edit_multitrack", {"op": "add_text"}), *GARBAGE[6:],
        ToolResult("edit_multitrack", {"ok": True}, {"draft": draft}), *GARBAGE,
        Text("Added the title 'Noise'."),
    )
    await core.handle(text("add the title 'Noise'"))
    await core.idle()
    assert last_for(port).startswith("Added the title 'Noise'.")
    assert nemo.chat_messages == ["add the title 'Noise'"]
    assert core.conversations[ANN.conversation].record.draft == draft
    # a last line that is an error, half written (older ADK): a clear message, not a crash
    nemo.script_chat(Text("Working on it"), ErrorLine('{"error": "RuntimeError: model overloaded'))
    await core.handle(text("add music"))
    await core.idle()
    reply = last_for(port)
    assert reply.startswith("The editor stopped with an error before changing anything. I did not resend")
    assert "RuntimeError" not in reply and "rephras" not in reply
    assert_all_clear(port)


# -- tokens, sessions, credits, plan limits ---------------------------------------------------------


@pytest.mark.slow  # follows a cloud render at NEMO's 30 s cadence
async def test_the_token_expiring_mid_session_is_renewed_once_and_the_message_sent_once(
    core: Core, port: RecordingPort, nemo: FakeNemo
) -> None:
    await uploaded(core)
    await core.handle(text("add the title 'One'"))
    await core.idle()
    for token in list(nemo.tokens):
        nemo.expire_token(token)
    await core.handle(text("add the title 'Two'"))
    await core.idle()
    assert last_for(port).startswith("Added text 'Two'")
    assert nemo.chat_messages == ["add the title 'One'", "add the title 'Two'"]
    assert len(requests_to(nemo, "/api/auth/anonymous-token")) == 2   # the first, and one renewal
    nemo.render_plan = RenderPlan(steps=1)                             # the next poll, 30 s on, ends it
    await core.handle(text("export"))
    await nemo.wait_for(lambda: nemo.renders and next(iter(nemo.renders.values())).polls >= 1)
    for token in list(nemo.tokens):                                     # and again while the render runs
        nemo.expire_token(token)
    await core.idle(timeout=60)
    assert len(port.deliveries) == 1
    assert len(requests_to(nemo, "/api/auth/anonymous-token")) == 3
    assert_all_clear(port)


@pytest.mark.parametrize("style", ["http", "code"])
async def test_session_lost_mid_session_starts_a_new_one_and_says_the_timeline_restarted(
    tmp_path: Path, style: str
) -> None:
    async with FakeNemo(session_error_style=style) as nemo, bot(nemo, tmp_path) as (core, port):
        await uploaded(core)
        await core.handle(text("add the title 'One'"))
        await core.idle()
        nemo.forget_session(next(iter(nemo.sessions)))
        await core.handle(text("add the title 'Again'"))            # an edit: the chat call finds it gone
        await core.idle()
        assert "timeline restarted" in last_for(port)
        assert nemo.chat_messages == ["add the title 'One'", "add the title 'Again'"]
        for action in ("status", "upload"):                           # a quick request, an upload
            nemo.forget_session(core.conversations[ANN.conversation].record.session_id or "")
            if action == "upload":
                await core.handle(Incoming(ANN, attachments=[clip()]))
            else:
                await core.handle(text(action))
            await core.idle()
            assert "timeline restarted" in last_for(port), action
        nemo.forget_session(core.conversations[ANN.conversation].record.session_id or "")
        await core.handle(text("export"))                             # an export: not on an empty timeline
        await core.idle()
        assert "timeline restarted" in last_for(port)
        assert not port.deliveries and not nemo.renders
        assert len(requests_to(nemo, "/api/tasks/me/with-session/")) == 5
        assert_all_clear(port)


@pytest.mark.parametrize(("locale", "expected"), [
    (None, "You are out of credits. Register to get more: https://nemovideo.ai/register?bind=task_"),
    ("zh-CN", "积分已用完。注册以获得更多积分：https://nemovideo.ai/register?bind=task_"),
], ids=["en", "zh"])
async def test_out_of_credits_gives_the_registration_link(
    core: Core, port: RecordingPort, nemo: FakeNemo, locale: str | None, expected: str
) -> None:
    await uploaded(core, locale=locale)
    nemo.set_credits(None, 0)
    await core.handle(text("add the title 'Paid'", locale=locale))
    await core.idle()
    assert expected in last_for(port)
    assert nemo.chat_messages == []
    await other_chat_is_served(core, port)
    assert_all_clear(port)


async def test_export_blocked_on_the_free_plan_is_not_called_a_credits_problem(
    core: Core, port: RecordingPort, nemo: FakeNemo
) -> None:
    await uploaded(core)
    nemo.fail_next("export", http_status=402)
    await core.handle(text("export"))
    await core.idle()
    assert "Export is blocked on the free plan (this is not about credits)" in last_for(port)
    assert not port.deliveries and not nemo.renders
    assert_all_clear(port)


@pytest.mark.parametrize("endpoint", ["chat", "credits", "upload"])
async def test_429_twice_in_a_row_is_retried_once_then_a_clear_message(
    nemo: FakeNemo, tmp_path: Path, endpoint: str
) -> None:
    async with bot(nemo, tmp_path, rate_limit_wait=0.2) as (core, port):  # timing is the point: the 429 wait
        await uploaded(core)
        paths = {"chat": "/run_sse", "credits": "/api/credits", "upload": "/api/upload-video"}
        before = len(requests_to(nemo, paths[endpoint]))
        nemo.fail_next(endpoint, http_status=429, times=2)
        started = time.monotonic()
        if endpoint == "upload":
            await core.handle(Incoming(ANN, attachments=[clip()]))
        else:
            await core.handle(text("add the title 'Busy'" if endpoint == "chat" else "credits"))
        if endpoint != "credits":                  # (Bob's credits would take one of the injected 429s)
            await other_chat_is_served(core, port)
        await core.idle()
        assert BUSY in last_for(port)
        assert len(requests_to(nemo, paths[endpoint])) - before == 2      # one retry, not more
        assert time.monotonic() - started >= 0.2                         # after the wait
        assert nemo.chat_messages == []
        nemo.fail_next(endpoint, http_status=429)                        # once only: the retry works
        if endpoint == "upload":
            await core.handle(Incoming(ANN, attachments=[clip()]))
        else:
            await core.handle(text("add the title 'Busy'" if endpoint == "chat" else "credits"))
        await core.idle()
        assert BUSY not in last_for(port)
        no_chat_twice(nemo)
        assert_all_clear(port)


# -- renders ----------------------------------------------------------------------------------------


async def test_a_failed_render_is_reported_and_nothing_delivered(
    core: Core, port: RecordingPort, nemo: FakeNemo
) -> None:
    await uploaded(core)
    nemo.render_plan = RenderPlan(steps=0, fail=True, error="encoder crashed")
    await core.handle(text("export"))
    await core.idle()
    assert "The render failed on the video service. Say “export” to try again." in last_for(port)
    assert "encoder crashed" not in last_for(port)
    assert not port.deliveries
    assert [delivered for _, delivered in open_renders(core.settings.bot.db_path)] == [1]   # closed
    nemo.render_plan = RenderPlan(steps=0)
    await core.handle(text("export"))
    await core.idle()
    assert len(port.deliveries) == 1
    assert_all_clear(port)


async def test_a_render_stuck_past_the_deadline_is_closed_and_never_delivered_later(
    nemo: FakeNemo, tmp_path: Path
) -> None:
    nemo.render_plan = RenderPlan(stuck=True)
    async with bot(nemo, tmp_path, render_deadline=0.6,  # timing is the point: the deadline
                   render_poll_interval=0.05) as (core, port):  # timing is the point: a poll past the deadline
        await uploaded(core)
        await core.handle(text("export"))
        await nemo.wait_for(lambda: len(nemo.renders) == 1)
        await other_chat_is_served(core, port)
        await core.idle()
        assert "The render is taking far too long; I stopped waiting." in last_for(port)
        assert [delivered for _, delivered in open_renders(core.settings.bot.db_path)] == [1]
        render = next(iter(nemo.renders.values()))
        render.plan = RenderPlan(steps=0)                               # it finishes after all
        await asyncio.sleep(0.3)
        assert not port.deliveries
    # not after a restart either
    async with bot(nemo, tmp_path, render_deadline=0.6) as (core, port):  # timing is the point: the deadline
        await asyncio.sleep(0.3)
        await core.idle()
        assert not port.deliveries
        assert not core.renders.active()


# -- the database -----------------------------------------------------------------------------------


def hold_write_lock(db: Path, seconds: float, locked: threading.Event) -> None:
    """Another process's connection holding SQLite's write lock on the bot's database."""
    conn = sqlite3.connect(db, timeout=5, isolation_level=None)
    try:
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("UPDATE conversations SET updated_at = updated_at")
        locked.set()
        time.sleep(seconds)
        conn.execute("COMMIT")
    finally:
        conn.close()


async def test_sqlite_busy_the_bot_waits_for_the_lock_and_nothing_is_lost(
    core: Core, port: RecordingPort, nemo: FakeNemo
) -> None:
    await uploaded(core)
    db = core.settings.bot.db_path
    locked = threading.Event()
    holder = asyncio.create_task(asyncio.to_thread(hold_write_lock, db, 1.0, locked))
    await asyncio.to_thread(locked.wait, 5)
    await core.handle(text("add the title 'Locked'"))        # its draft is written while the lock is held
    await core.handle(Incoming(BOB, attachments=[clip("bob.mp4")]))
    await other_chat_is_served(core, port, Target("test", "chat-3", "cy"))
    await holder
    await core.idle()
    await core.handle(text("export"))                         # a render while the lock is held again
    locked.clear()
    holder = asyncio.create_task(asyncio.to_thread(hold_write_lock, db, 0.8, locked))
    await core.idle()
    await holder
    assert any("added text 'locked'" in t.lower() for t in shown_to(port, ANN))  # NEMO's text or the bot's own
    assert "Uploaded bob.mp4" in shown_to(port, BOB)[-1]
    assert len(port.deliveries) == 1
    with sqlite3.connect(db) as conn:
        uploads = [r[0] for r in conn.execute("SELECT filename FROM uploads ORDER BY id")]
        draft = conn.execute("SELECT draft FROM conversations WHERE key = ?",
                             (ANN.conversation,)).fetchone()[0]
    assert uploads == ["clip.mp4", "bob.mp4"]
    assert "Locked" in draft
    assert [d for _, d in open_renders(db)] == [1]
    assert_all_clear(port)


async def test_sqlite_locked_past_the_busy_timeout_writes_wait_and_the_render_still_delivers(
    core: Core, port: RecordingPort, nemo: FakeNemo
) -> None:
    """A lock held longer than SQLite's busy timeout (shortened here, 30 s in the bot): no write is
    dropped, the render watcher does not die, the edit NEMO applied is not reported as failed."""
    nemo.render_plan = RenderPlan(steps=10)
    core.renders.poll_interval = 0.05  # timing is the point: the watcher keeps writing while the lock is held
    await uploaded(core)
    await core.store.db.execute("PRAGMA busy_timeout=50")
    db = core.settings.bot.db_path
    await core.handle(text("export"))
    await nemo.wait_for(lambda: nemo.renders and next(iter(nemo.renders.values())).polls >= 2)
    locked = threading.Event()
    holder = asyncio.create_task(asyncio.to_thread(hold_write_lock, db, 1.5, locked))
    await asyncio.to_thread(locked.wait, 5)
    await core.handle(text("add the title 'Locked'"))        # queued behind the export, written while locked
    await core.handle(Incoming(BOB, attachments=[clip("bob.mp4")]))
    await holder
    await core.idle(timeout=15)
    assert len(port.deliveries) == 1
    assert any("added text 'locked'" in t.lower() for t in shown_to(port, ANN))  # NEMO's text or the bot's own
    assert "Uploaded bob.mp4" in last_for(port, BOB)
    assert nemo.chat_messages == ["add the title 'Locked'"]
    with sqlite3.connect(db) as conn:
        uploads = [r[0] for r in conn.execute("SELECT filename FROM uploads ORDER BY id")]
        draft = conn.execute("SELECT draft FROM conversations WHERE key = ?",
                             (ANN.conversation,)).fetchone()[0]
    assert uploads == ["clip.mp4", "bob.mp4"] and "Locked" in draft
    assert [d for _, d in open_renders(db)] == [1]
    assert_all_clear(port)


# -- the bot process killed -------------------------------------------------------------------------


async def run_console(nemo: FakeNemo, db: Path, script: str, timeout: float = 30) -> str:
    bot_process = await start_console(nemo, db)
    out, err = await asyncio.wait_for(bot_process.communicate(script.encode()), timeout=timeout)
    assert bot_process.returncode == 0, err.decode()[-2000:]
    assert "Traceback" not in out.decode() + err.decode()
    return out.decode()


async def killed_when(nemo: FakeNemo, db: Path, script: str, ready: Any) -> None:
    """Start the console bot, feed it ``script``, SIGKILL it once ``ready()`` holds."""
    bot_process = await start_console(nemo, db)
    assert bot_process.stdin is not None
    bot_process.stdin.write(script.encode())
    await bot_process.stdin.drain()
    await nemo.wait_for(ready, timeout=20)
    bot_process.send_signal(signal.SIGKILL)
    await bot_process.wait()


async def test_sigkill_during_an_upload_finishes_it_once_after_restart(tmp_path: Path) -> None:
    db, video = tmp_path / "bot.db", tmp_path / "clip.mp4"
    video.write_bytes(b"u" * 4096)
    async with SlowNemo() as nemo:
        nemo.slow_next("upload", 30)
        await killed_when(nemo, db, f"/upload {video}\n", lambda: requests_to(nemo, "/api/upload-video/"))
        await asyncio.sleep(0.1)
        printed = await run_console(nemo, db, "credits\n")     # the user did not send the clip again
        assert "Uploaded clip.mp4" in printed                     # the restart finished what the user asked
        assert "Credits:" in printed
        assert len(requests_to(nemo, "/api/upload-video/")) == 2  # the killed one, and the one resumed
        session = next(iter(nemo.sessions.values()))
        assert len(session.draft["t"][0]["sg"]) == 1              # the killed upload never half-happened
        printed = await run_console(nemo, db, "status\n")
        assert "Timeline (1 track): 1. Video: clip.mp4 (0-10s)" in printed
        assert len(requests_to(nemo, "/api/upload-video/")) == 2  # nothing left to resume the second time


async def test_sigkill_during_an_edit_is_not_resent_after_restart(nemo: FakeNemo, tmp_path: Path) -> None:
    db, video = tmp_path / "bot.db", tmp_path / "clip.mp4"
    video.write_bytes(b"e" * 4096)
    nemo.script_chat(ToolCall("edit_multitrack", {"op": "add_text"}), Sleep(30), Text("never"))
    await killed_when(nemo, db, f"/upload {video}\nadd the title 'Killed'\n", lambda: nemo.chat_messages)
    printed = await run_console(nemo, db, "status\ncredits\nadd the title 'After'\n")
    assert "Timeline (1 track): 1. Video: clip.mp4" in printed
    assert "Credits:" in printed
    assert "Added text 'After'" in printed
    assert nemo.chat_messages == ["add the title 'Killed'", "add the title 'After'"]   # never resent


async def test_sigkill_during_a_render_delivers_it_once_and_the_bot_keeps_answering(
    nemo: FakeNemo, tmp_path: Path
) -> None:
    db, video = tmp_path / "bot.db", tmp_path / "clip.mp4"
    video.write_bytes(b"r" * 4096)
    nemo.render_plan = RenderPlan(stuck=True)
    await killed_when(nemo, db, f"/upload {video}\nadd the title 'Finals'\nexport\n",
                      lambda: len(render_rows(db)) == 1)
    render_id = next(iter(nemo.renders))
    nemo.renders[render_id].plan = RenderPlan(steps=0)                 # it finished while the bot was down
    printed = await run_console(nemo, db, "credits\nstatus\n")
    assert printed.count(f"/files/{render_id}.mp4") == 1, printed
    assert "Credits:" in printed and "Timeline (2 tracks)" in printed
    assert open_renders(db) == [(render_id, 1)]
    assert nemo.chat_messages == ["add the title 'Finals'"]
    assert len(nemo.renders) == 1                                # not submitted again
    printed = await run_console(nemo, db, "credits\n")
    assert "/files/" not in printed


async def test_a_store_failure_when_a_job_starts_leaves_it_first_in_line_and_it_runs(
    core: Core, port: RecordingPort, nemo: FakeNemo
) -> None:
    await core.handle(Incoming(ANN, attachments=[clip()]))
    await core.idle()
    real_lock = core.store.conversation_lock
    failures = [OSError("connection to the database lost")]

    def flaky_lock(key: str):  # type: ignore[no-untyped-def]
        if failures:
            raise failures.pop()
        return real_lock(key)

    core.store.conversation_lock = flaky_lock  # type: ignore[method-assign]
    nemo.script_chat(Text("Title added."))
    await core.handle(text("add the title 'Hi'"))
    await core.idle(timeout=10)
    assert port.last().startswith("Title added.")
    assert nemo.chat_messages[-1] == "add the title 'Hi'"
    assert await core.store.jobs_before(ANN.conversation, 2**62) == 0  # its job row was ended once it ran
