"""Two bot processes on one PostgreSQL store: one job at a time per conversation wherever its
updates land, queue positions over both, and /cancel taken by either."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from pathlib import Path

import pytest
from pydantic import SecretStr

from bots.app import running_core
from core.conversation import Core
from core.ports import Attachment, Incoming, Target
from core.renders import RENDER_LEASE
from tests.conftest import cloud_settings
from tests.fakes.nemo import FakeNemo, RenderPlan, Sleep, Text
from tests.postgres import PG_URL, needs_postgres, throwaway_database
from tests.recording import RecordingPort

pytestmark = needs_postgres
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
