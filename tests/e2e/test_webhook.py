"""The Telegram webhook keeps each update in the store before it answers 200: a call without the secret
runs nothing, a redelivered update (to the same process or another replica) runs once, and an update a
killed process had acknowledged but not handled is handled by its restart (SQLite) or by another process
(PostgreSQL)."""

from __future__ import annotations

import asyncio
import copy
import signal
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from pydantic import SecretStr

from bots.app import running_core
from bots.telegram.app import running_bot
from core.conversation.queue import JOB_LEASE
from core.settings import TelegramSettings
from tests.conftest import cloud_settings
from tests.e2e.test_telegram import ANN, BOB, World, clip, free_port, world
from tests.fakes.nemo import FakeNemo, Sleep, Text
from tests.fakes.telegram import FakeTelegram
from tests.postgres import PG_URL, needs_postgres, throwaway_database
from tests.processes import RoundRobin, nemobot_process

pytestmark = pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")

PUBLIC = "https://bot.example.com"
SECRET = "s3cret"


def help_update(update_id: int, chat: int) -> dict[str, Any]:
    return {"update_id": update_id, "message": {
        "message_id": update_id, "date": 1_700_000_000, "chat": {"id": chat, "type": "private", "first_name": "Bob"},
        "from": {"id": chat, "is_bot": False, "first_name": "Bob", "language_code": "en"},
        "text": "/help", "entities": [{"type": "bot_command", "offset": 0, "length": 5}]}}


async def post(url: str, update: dict[str, Any], secret: str | None = SECRET) -> int:
    headers = {"X-Telegram-Bot-Api-Secret-Token": secret} if secret is not None else {}
    async with aiohttp.ClientSession() as http, http.post(url, json=update, headers=headers) as resp:
        return resp.status


@pytest.fixture
async def hooked(nemo: FakeNemo, tmp_path: Path) -> AsyncIterator[tuple[World, str]]:
    port = free_port()
    async with world(nemo, tmp_path, webhook_url=f"{PUBLIC}/hook", webhook_listen="127.0.0.1", webhook_port=port,
                     webhook_secret=SecretStr(SECRET)) as w:
        w.tg.tls_proxy(PUBLIC, f"http://127.0.0.1:{port}")
        yield w, f"http://127.0.0.1:{port}/hook"


async def test_a_call_without_the_right_secret_is_refused_and_runs_nothing(hooked: tuple[World, str]) -> None:
    w, url = hooked
    assert await post(url, help_update(900, BOB), secret=None) == 403
    assert await post(url, help_update(900, BOB), secret="guess") == 403
    assert await post(url, help_update(900, BOB), secret=SECRET + "x") == 403
    await asyncio.sleep(0.5)
    assert not w.tg.chat_log(BOB)
    # nor was it kept: the same update with the secret is a new one, and runs
    assert await post(url, help_update(900, BOB)) == 200
    await w.reply_with(BOB, "Commands:")


async def test_an_update_delivered_twice_to_one_process_is_answered_once(hooked: tuple[World, str]) -> None:
    w, url = hooked
    w.tg.user_command(ANN, ANN, "/help")
    await w.reply_with(ANN, "Commands:")
    again = copy.deepcopy(w.tg.updates.delivered[-1])  # Telegram sends it again (its call timed out)
    assert await post(url, again) == 200
    assert await post(url, help_update(901, BOB)) == 200  # a later update, to know the first was seen
    await w.reply_with(BOB, "Commands:")
    await w.core.idle()
    assert len(w.tg.chat_log(ANN)) == 1


@needs_postgres
async def test_an_update_delivered_to_two_replicas_is_answered_once(nemo: FakeNemo, tmp_path: Path) -> None:
    async with FakeTelegram() as tg, throwaway_database(PG_URL or "") as db, AsyncExitStack() as stack:
        urls = []
        for name in ("a", "b"):
            port = free_port()
            settings = cloud_settings(nemo.url, tmp_path / f"{name}.db")
            settings.bot.database_url = SecretStr(db)
            settings.telegram = TelegramSettings(
                token=SecretStr(tg.token), api_base_url=tg.base_url, file_base_url=tg.base_file_url,
                webhook_url=f"{PUBLIC}/hook", webhook_listen="127.0.0.1", webhook_port=port,
                webhook_secret=SecretStr(SECRET))
            core = await stack.enter_async_context(running_core(settings))
            await stack.enter_async_context(running_bot(core, settings))
            urls.append(f"http://127.0.0.1:{port}/hook")
        for update_id in (910, 911, 912):
            statuses = await asyncio.gather(*(post(url, help_update(update_id, BOB)) for url in urls))
            assert statuses == [200, 200]  # both answer (Telegram must not send it a third time)
        await tg.wait_for(lambda: len(tg.chat_log(BOB)) >= 3)
        await asyncio.sleep(1.0)  # a second answer would show by now
        assert [m.text.startswith("Commands:") for m in tg.chat_log(BOB) if m.text] == [True] * 3


def bot_env(tg: FakeTelegram, nemo: FakeNemo, port: int, **store: str) -> dict[str, str]:
    return {"NEMOBOT_BACKEND": "cloud", "NEMO_BASE_URL": nemo.url, "TELEGRAM_TOKEN": tg.token,
            "TELEGRAM_API_BASE_URL": tg.base_url, "TELEGRAM_FILE_BASE_URL": tg.base_file_url,
            "TELEGRAM_WEBHOOK_URL": f"{PUBLIC}/hook", "TELEGRAM_WEBHOOK_LISTEN": "127.0.0.1",
            "TELEGRAM_WEBHOOK_PORT": str(port), "TELEGRAM_WEBHOOK_SECRET": SECRET, **store}


def uploads(nemo: FakeNemo) -> list[Any]:
    return [r for r in nemo.requests if r.path.startswith("/api/upload-video/")]


def done(tg: FakeTelegram) -> list[str]:
    """The album's answer: the clips uploaded and the caption's edit done."""
    return [m.text for m in tg.chat_log(ANN) if m.text and m.text.startswith("Done.") and "a.mp4" in m.text]


async def send_album_and_kill_after_the_200(tg: FakeTelegram, nemo: FakeNemo, bot: Any) -> None:
    """An album: its updates are acknowledged at once, and its job starts only after a second of quiet
    (the album window): the process is killed in between, with its updates acknowledged and not handled."""
    files = [clip(tg, name="a.mp4"), clip(tg, name="b.mp4")]
    tg.user_sends_album(ANN, ANN, files, caption="make a montage")
    await tg.wait_for(lambda: len(tg.updates.delivered) == 2, timeout=10, interval=0.005)
    bot.send_signal(signal.SIGKILL)
    await asyncio.to_thread(bot.wait, 10)
    assert not uploads(nemo)  # nothing ran


@pytest.mark.slow  # two bot processes started
async def test_an_acknowledged_update_of_a_killed_bot_runs_once_after_its_restart(nemo: FakeNemo,
                                                                                  tmp_path: Path) -> None:
    async with FakeTelegram() as tg:
        port = free_port()
        tg.tls_proxy(PUBLIC, f"http://127.0.0.1:{port}")
        env = bot_env(tg, nemo, port, NEMOBOT_DB_PATH=str(tmp_path / "bot.db"))
        async with nemobot_process(tmp_path / "first.log", "webhook at", "telegram", **env) as bot:
            await send_album_and_kill_after_the_200(tg, nemo, bot)
        async with nemobot_process(tmp_path / "second.log", "webhook at", "telegram", **env):
            await tg.wait_for(lambda: done(tg), timeout=30)
            await asyncio.sleep(1.0)  # a second run would show by now
        assert "taking over 2 update(s)" in (tmp_path / "second.log").read_text()
        assert len(uploads(nemo)) == 1 and [n for _, n, _ in uploads(nemo)[0].files] == ["a.mp4", "b.mp4"]
        assert nemo.chat_messages == ["make a montage"] and len(done(tg)) == 1


@pytest.mark.slow  # two bot processes started
async def test_an_update_whose_job_was_noted_before_the_kill_runs_once_as_that_job(nemo: FakeNemo,
                                                                                 tmp_path: Path) -> None:
    """Killed after the job row of an update was noted and before its lane was through (its queue position
    message waiting out a 429): the next run takes the job over, and does not run the update again."""
    async with FakeTelegram() as tg:
        port = free_port()
        tg.tls_proxy(PUBLIC, f"http://127.0.0.1:{port}")
        env = bot_env(tg, nemo, port, NEMOBOT_DB_PATH=str(tmp_path / "bot.db"))
        async with nemobot_process(tmp_path / "first.log", "webhook at", "telegram", **env) as bot:
            tg.user_sends(ANN, ANN, video=clip(tg, name="a.mp4"))
            await tg.wait_for(lambda: any("Uploaded" in (m.text or "") for m in tg.chat_log(ANN)), timeout=20)
            nemo.script_chat(Sleep(3.0), Text("First done."))  # running while the second edit comes in
            tg.user_sends(ANN, ANN, "first edit")
            await nemo.wait_for(lambda: nemo.chat_messages == ["first edit"], timeout=20)
            tg.force_429("sendMessage", retry_after=5)  # the second edit's "Queued (position 1)" waits
            tg.user_sends(ANN, ANN, "second edit")
            await tg.wait_for(lambda: tg.count_429 == 1, timeout=10)
            bot.send_signal(signal.SIGKILL)
            await asyncio.to_thread(bot.wait, 10)
        nemo.script_chat(Text("Second done."))
        async with nemobot_process(tmp_path / "second.log", "webhook at", "telegram", **env):
            await tg.wait_for(lambda: any((m.text or "").startswith("Second done.") for m in tg.chat_log(ANN)),
                              timeout=30)
            await asyncio.sleep(2.0)  # a second run would show by now
        assert nemo.chat_messages == ["first edit", "second edit"]
        log = (tmp_path / "second.log").read_text()
        assert "taking over job" in log and "update(s)" not in log  # the job ran it, not the update again


@needs_postgres
@pytest.mark.slow  # waits for the killed process's heartbeat to lapse (a job lease)
async def test_an_acknowledged_update_of_a_killed_replica_runs_once_on_another(nemo: FakeNemo,
                                                                               tmp_path: Path) -> None:
    async with FakeTelegram() as tg, throwaway_database(PG_URL or "") as db, RoundRobin() as proxy:
        tg.tls_proxy(PUBLIC, proxy.url)
        ports = [free_port(), free_port()]
        envs = [bot_env(tg, nemo, p, NEMOBOT_DATABASE_URL=db, NEMOBOT_DB_PATH=str(tmp_path / f"unused-{p}.db"))
                for p in ports]
        async with nemobot_process(tmp_path / "a.log", "webhook at", "telegram", **envs[0]) as a, \
                nemobot_process(tmp_path / "b.log", "webhook at", "telegram", **envs[1]):
            proxy.upstreams.append(f"http://127.0.0.1:{ports[0]}")  # the album reaches the first replica
            await send_album_and_kill_after_the_200(tg, nemo, a)
            assert a.returncode == -signal.SIGKILL
            await tg.wait_for(lambda: done(tg), timeout=3 * JOB_LEASE)
            await asyncio.sleep(1.0)
        assert "taking over 2 update(s)" in (tmp_path / "b.log").read_text()
        assert len(uploads(nemo)) == 1 and nemo.chat_messages == ["make a montage"] and len(done(tg)) == 1
