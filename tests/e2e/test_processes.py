"""Two bot processes on one PostgreSQL store: one job at a time per conversation wherever its
updates land, in the order the surface gave them, queue positions over both, and /cancel taken by
either; a bot process killed mid-job: its jobs finished by the next run, each sent to NEMO once."""

from __future__ import annotations

import asyncio
import os
import sys
import time
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from pathlib import Path

import pytest
from pydantic import SecretStr

from bots.app import running_core
from core.conversation import Core
from core.conversation.queue import RESUME_NOTICE
from core.i18n import say
from core.ports import Attachment, Incoming, Target
from core.renders import RENDER_LEASE
from core.store import make_store
from tests.conftest import cloud_settings
from tests.fakes.nemo import FakeNemo, RenderPlan, SetDraft, Sleep, Text
from tests.postgres import PG_URL, needs_postgres, throwaway_database
from tests.recording import RecordingPort

ROOT = Path(__file__).resolve().parents[2]
ANN = Target("test", "chat-1", "ann")


def clip() -> Attachment:
    async def chunks():  # type: ignore[no-untyped-def]
        yield b"v" * 1000

    return Attachment("clip.mp4", 1000, "video/mp4", open=chunks)


@pytest.fixture
async def two_bots(nemo: FakeNemo, tmp_path: Path) -> AsyncIterator[list[tuple[Core, RecordingPort]]]:
    async with throwaway_database(PG_URL or "") as url, AsyncExitStack() as stack:
        bots = []
        for name in ("a", "b"):
            settings = cloud_settings(nemo.url, tmp_path / f"{name}.db")
            settings.bot.database_url = SecretStr(url)
            core = await stack.enter_async_context(running_core(settings))
            port = RecordingPort()
            core.register(port)
            bots.append((core, port))
        yield bots


@needs_postgres
async def test_one_job_at_a_time_per_conversation_across_processes(
    two_bots: list[tuple[Core, RecordingPort]], nemo: FakeNemo
) -> None:
    (a, port_a), (b, port_b) = two_bots
    await a.handle(Incoming(ANN, attachments=[clip()]))
    await a.idle()
    nemo.script_chat(Sleep(0.8), Text("First done."))
    await a.handle(Incoming(ANN, text="first edit"))
    await nemo.wait_for(lambda: len(nemo.chat_messages) == 1)
    nemo.script_chat(Text("Second done."))
    await b.handle(Incoming(ANN, text="second edit"))
    assert "Queued (position 1)" in port_b.last()         # the other process's running job counts
    await asyncio.sleep(0.3)
    assert nemo.chat_messages == ["first edit"]            # and it is not run beside it
    await a.idle(timeout=10)
    await b.idle(timeout=10)
    assert nemo.chat_messages == ["first edit", "second edit"]
    assert port_a.last().startswith("First done.") and port_b.last().startswith("Second done.")
    assert len(nemo.sessions) == 1  # the second process used the session the first one made


def paths(nemo: FakeNemo) -> list[str]:
    """What was asked of NEMO, in order: an edit sent, a render submitted, a file uploaded."""
    names = {"/run_sse": "edit", "/api/render/proxy/lambda": "render"}
    return [names.get(r.path, "upload") for r in nemo.requests if r.method == "POST"
            and (r.path in names or r.path.startswith("/api/upload-video/"))]


@needs_postgres
@pytest.mark.renders_done_when_polled  # render time is not this test's subject
async def test_a_clip_and_export_sent_together_run_in_the_chat_s_order_though_another_process_noted_export_first(
    two_bots: list[tuple[Core, RecordingPort]], nemo: FakeNemo
) -> None:
    (a, _port_a), (b, port_b) = two_bots
    await b.handle(Incoming(ANN, command="export", order=21))  # update 21 reaches its replica first
    await asyncio.sleep(0.1)
    await a.handle(Incoming(ANN, attachments=[clip()], order=20))  # and update 20 its own a moment later
    await nemo.wait_for(lambda: port_b.deliveries, timeout=15)
    assert paths(nemo) == ["upload", "render"]
    assert say("en", "export_empty") not in port_b.texts()


@needs_postgres
@pytest.mark.renders_done_when_polled  # render time is not this test's subject
async def test_updates_waiting_in_two_processes_run_in_the_surface_s_order_not_the_order_they_came_in(
    two_bots: list[tuple[Core, RecordingPort]], nemo: FakeNemo
) -> None:
    (a, port_a), (b, port_b) = two_bots
    await a.handle(Incoming(ANN, attachments=[clip()], order=1))
    await a.idle()
    nemo.script_chat(Sleep(0.8), Text("First done."))
    await a.handle(Incoming(ANN, text="first edit", order=10))
    await nemo.wait_for(lambda: len(nemo.chat_messages) == 1)
    await b.handle(Incoming(ANN, command="export", order=12))   # noted before the edit sent just before it
    await a.handle(Incoming(ANN, text="second edit", order=11))
    nemo.script_chat(Text("Second done."))
    await nemo.wait_for(lambda: port_b.deliveries, timeout=15)
    assert nemo.chat_messages == ["first edit", "second edit"]
    assert paths(nemo) == ["upload", "edit", "edit", "render"]  # the export rendered the draft after both edits
    assert port_a.last().startswith("Second done.")


@needs_postgres
async def test_cancel_taken_by_one_process_stops_the_job_running_in_the_other(
    two_bots: list[tuple[Core, RecordingPort]], nemo: FakeNemo
) -> None:
    (a, port_a), (b, port_b) = two_bots
    await a.handle(Incoming(ANN, attachments=[clip()]))
    await a.idle()
    nemo.script_chat(Sleep(30), Text("never"))
    await a.handle(Incoming(ANN, text="slow edit"))
    await nemo.wait_for(lambda: len(nemo.chat_messages) == 1)
    await a.handle(Incoming(ANN, text="queued in a"))
    await b.handle(Incoming(ANN, command="cancel"))
    await a.idle(timeout=5)
    assert port_a.texts().count("Cancelled.") == 2   # the running edit and the one waiting behind it
    assert "Nothing is running." not in port_b.texts()
    assert nemo.chat_messages == ["slow edit"]


@needs_postgres
async def test_a_killed_process_s_render_is_taken_over_and_delivered_once(nemo: FakeNemo, tmp_path: Path) -> None:
    clip_file = tmp_path / "clip.mp4"
    clip_file.write_bytes(b"z" * 4096)
    nemo.render_plan = RenderPlan(stuck=True)
    async with throwaway_database(PG_URL or "") as url:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("NEMO", "TELEGRAM_", "DISCORD_"))}
        env.update({"NEMOBOT_BACKEND": "cloud", "NEMO_BASE_URL": nemo.url, "NEMOBOT_DATABASE_URL": url,
                    "NEMOBOT_DB_PATH": str(tmp_path / "unused.db")})
        bot = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bots.cli", "console", cwd=ROOT, env=env, stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
        )
        assert bot.stdin is not None
        bot.stdin.write(f"/upload {clip_file}\nexport\n".encode())
        await bot.stdin.drain()
        await nemo.wait_for(lambda: len(nemo.renders) == 1, timeout=30)
        store = make_store(url, tmp_path / "unused.db")
        await store.open()
        try:  # mid-render: the render recorded (a kill before that is an export run again, not a takeover)
            await nemo.wait_for(store.open_renders, timeout=30)
        finally:
            await store.close()
        bot.kill()  # SIGKILL: no goodbye, its lease just stops being renewed
        await bot.wait()

        settings = cloud_settings(nemo.url, tmp_path / "b.db")
        settings.bot.database_url = SecretStr(url)
        async with running_core(settings) as other:
            port = RecordingPort()
            port.platform = "console"
            other.register(port)
            render = next(iter(nemo.renders.values()))
            render.plan = RenderPlan(steps=0)  # it finished meanwhile
            # taken over once the dead process's lease lapses (about one lease period; bench/ measures it)
            await nemo.wait_for(lambda: len(port.deliveries) == 1, timeout=6 * RENDER_LEASE)
            await asyncio.sleep(1)
            assert len(port.deliveries) == 1 and render.id in port.deliveries[0][1]
            assert (await other.store.open_renders()) == []


async def test_a_killed_console_s_edit_is_finished_by_its_next_run_and_sent_to_nemo_once(
    nemo: FakeNemo, tmp_path: Path
) -> None:
    """SQLite, one bot process: it is killed while NEMO works on an edit it sent. The next run reports
    what the edit changed (it is not sent again), and says once that the work goes on, as it waited long."""
    clip_file = tmp_path / "clip.mp4"
    clip_file.write_bytes(b"z" * 4096)
    out = tmp_path / "console.log"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NEMO", "TELEGRAM_", "DISCORD_"))}
    env.update({"NEMOBOT_BACKEND": "cloud", "NEMO_BASE_URL": nemo.url, "NEMOBOT_DB_PATH": str(tmp_path / "bot.db"),
                "PYTHONUNBUFFERED": "1"})
    with out.open("w") as log:
        bot = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bots.cli", "console", cwd=ROOT, env=env, stdin=asyncio.subprocess.PIPE,
            stdout=log, stderr=asyncio.subprocess.STDOUT,
        )
    assert bot.stdin is not None
    try:
        bot.stdin.write(f"/upload {clip_file}\n".encode())
        await bot.stdin.drain()
        await nemo.wait_for(lambda: "Uploaded clip.mp4" in out.read_text(), timeout=30)
        session = next(iter(nemo.sessions.values()))
        titled = {"t": session.draft["t"] + [{"tt": 7, "sg": [{"st": 0, "d": 3000, "m": {"text": "Urban Dreams"}}]}]}
        nemo.script_chat(SetDraft(titled), Sleep(60), Text("never read"))  # applied, then the answer is slow
        bot.stdin.write(b"add the title Urban Dreams\n")
        await bot.stdin.drain()
        await nemo.wait_for(lambda: session.draft == titled, timeout=30)
        sent_at = time.monotonic()
    finally:
        bot.kill()  # SIGKILL, mid-edit
        await bot.wait()

    # the next run starts once the wait is one a user notices
    await asyncio.sleep(max(0.0, RESUME_NOTICE + 0.5 - (time.monotonic() - sent_at)))
    async with running_core(cloud_settings(nemo.url, tmp_path / "bot.db")) as again:
        port = RecordingPort()
        port.platform = "console"
        again.register(port)
        await nemo.wait_for(lambda: any("Urban Dreams" in t for t in port.texts()), timeout=30)
        await again.idle(timeout=10)
        nemo.script_chat(Text("Brighter now."))
        await again.handle(Incoming(Target("console", "local", "tester"), text="make it brighter"))
        await again.idle(timeout=10)
    assert nemo.chat_messages == ["add the title Urban Dreams", "make it brighter"]  # each sent once
    texts = port.texts()
    assert sum("added text 'Urban Dreams' 0-3s" in t for t in texts) == 1, texts  # what the edit changed
    assert sum(t == say("en", "job_resumed") for t in texts) == 1, texts
    assert texts[-1].startswith("Brighter now.")
    assert "Traceback" not in out.read_text()


async def test_a_job_waiting_when_the_bot_stops_runs_after_the_restart(nemo: FakeNemo, tmp_path: Path) -> None:
    """A clean stop interrupts the running edit (and says so); the one waiting behind it is not dropped:
    the next run (SQLite, one process) runs it, in the waiting job's own status message."""
    settings = cloud_settings(nemo.url, tmp_path / "bot.db")
    async with running_core(settings) as first:
        port = RecordingPort()
        first.register(port)
        await first.handle(Incoming(ANN, attachments=[clip()]))
        await first.idle()
        nemo.script_chat(Sleep(30), Text("never read"))
        await first.handle(Incoming(ANN, text="slow edit"))
        await nemo.wait_for(lambda: nemo.chat_messages == ["slow edit"])
        await first.handle(Incoming(ANN, text="waiting edit"))
        assert port.last().startswith("Queued (position 1)")
    assert say("en", "interrupted") in port.texts()
    nemo.script_chat(Text("Waiting edit done."))
    async with running_core(settings) as again:
        again.register(port)
        await nemo.wait_for(lambda: any(t.startswith("Waiting edit done.") for t in port.texts()), timeout=15)
        await again.idle()
    assert nemo.chat_messages == ["slow edit", "waiting edit"]
    assert sum(t.startswith("Waiting edit done.") for t in port.texts()) == 1
    assert not any(t.startswith("Queued") for t in port.texts())  # its queue message became the answer
