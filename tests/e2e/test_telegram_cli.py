"""``nemobot telegram`` as a process: configured from the environment, killed during a render, restarted;
the link reaches the group as a reply to the request, once; Ctrl-C stops it cleanly."""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import sys
from pathlib import Path

import pytest

from tests.fakes.nemo import FakeNemo, RenderPlan
from tests.fakes.telegram import FakeTelegram

ROOT = Path(__file__).resolve().parents[2]
ANN, GROUP = 1001, -100555

pytestmark = pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")


async def start_bot(tg: FakeTelegram, nemo: FakeNemo, db: Path) -> asyncio.subprocess.Process:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NEMO", "TELEGRAM_", "DISCORD_"))}
    env.update({
        "NEMOBOT_BACKEND": "cloud", "NEMO_BASE_URL": nemo.url, "NEMOBOT_DB_PATH": str(db),
        "PYTHONUNBUFFERED": "1",
        "TELEGRAM_TOKEN": tg.token, "TELEGRAM_API_BASE_URL": tg.base_url,
        "TELEGRAM_FILE_BASE_URL": tg.base_file_url,
    })
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bots.cli", "telegram", cwd=ROOT, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)


def renders(db: Path) -> list[tuple[str, int]]:
    if not db.exists():
        return []
    with sqlite3.connect(db) as conn:
        return conn.execute("SELECT id, delivered FROM renders").fetchall()


async def test_killed_during_a_render_the_restarted_bot_delivers_to_the_group(nemo: FakeNemo, tmp_path: Path) -> None:
    db = tmp_path / "bot.db"
    nemo.render_plan = RenderPlan(stuck=True)
    async with FakeTelegram() as tg:
        bot = await start_bot(tg, nemo, db)
        clip = tg.add_file(b"\x00\x00\x00\x18ftypmp42" + b"v" * 4000, name="finals.mp4")
        tg.user_sends(GROUP, ANN, caption="@nemo_test_bot", video=clip, chat_type="supergroup")
        await tg.wait_for(lambda: any("Uploaded finals.mp4" in (m.text or "") for m in tg.chat_log(GROUP)), 30)
        export = tg.user_command(GROUP, ANN, "/export@nemo_test_bot", chat_type="supergroup")
        await nemo.wait_for(lambda: len(nemo.renders) == 1, timeout=15)
        await nemo.wait_for(lambda: len(renders(db)) == 1, timeout=10)
        bot.kill()
        await bot.wait()
        assert renders(db)[0][1] == 0

        nemo.renders[next(iter(nemo.renders))].plan = RenderPlan(steps=0)  # it finished while the bot was down
        restarted = await start_bot(tg, nemo, db)
        try:
            link = await tg.wait_for(lambda: next(
                (m for m in tg.chat_log(GROUP) if "Your video is ready" in (m.text or "")), None), 30)
            assert link.reply_to_message_id == export["message_id"]        # Target.extra survived the restart
            await tg.wait_for(lambda: renders(db)[0][1] == 1, 10)
            restarted.send_signal(signal.SIGINT)
            _, err = await asyncio.wait_for(restarted.communicate(), 20)
        finally:
            if restarted.returncode is None:
                restarted.kill()
                await restarted.wait()
        assert restarted.returncode in (0, 130), err.decode()[-2000:]
        assert "Traceback" not in err.decode() and tg.token not in err.decode()
        assert sum("Your video is ready" in (m.text or "") for m in tg.chat_log(GROUP)) == 1


async def test_sigterm_stops_the_polling_bot_with_one_info_line(nemo: FakeNemo, tmp_path: Path) -> None:
    async with FakeTelegram() as tg:
        bot = await start_bot(tg, nemo, tmp_path / "bot.db")
        try:
            tg.user_command(ANN, ANN, "/help")
            await tg.wait_for(lambda: any("Commands:" in (m.text or "") for m in tg.chat_log(ANN)), 30)
            bot.send_signal(signal.SIGTERM)
            _, err = await asyncio.wait_for(bot.communicate(), 20)
        finally:
            if bot.returncode is None:
                bot.kill()
                await bot.wait()
    log = err.decode()
    assert bot.returncode == 130, log[-2000:]                    # as Ctrl-C
    assert "Traceback" not in log and "CRITICAL" not in log and "ERROR" not in log, log[-2000:]
    assert [line for line in log.splitlines() if "stop" in line] == [line for line in log.splitlines()
                                                                   if line.endswith("INFO nemobot: nemobot telegram stopped")]
    assert log.count("INFO nemobot: nemobot telegram stopped") == 1, log[-2000:]
