"""A bot killed with SIGKILL during a render delivers the link, once, after it restarts."""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import sys
from pathlib import Path

import pytest

from tests.fakes.nemo import FakeNemo, RenderPlan

ROOT = Path(__file__).resolve().parents[2]


def bot_env(nemo: FakeNemo, db: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NEMO", "TELEGRAM_", "DISCORD_"))}
    env.update({
        "NEMOBOT_BACKEND": "cloud", "NEMO_BASE_URL": nemo.url, "NEMOBOT_DB_PATH": str(db),
        "PYTHONUNBUFFERED": "1",
    })
    return env


async def start_console(nemo: FakeNemo, db: Path) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bots.cli", "console", cwd=ROOT, env=bot_env(nemo, db),
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )


async def console_rendering(nemo: FakeNemo, tmp_path: Path, *lines: str) -> tuple[asyncio.subprocess.Process, Path]:
    """A console bot that uploaded a clip, ran ``lines`` and has a render stuck at NEMO."""
    db = tmp_path / "bot.db"
    clip = tmp_path / "clip.mp4"
    clip.write_bytes(b"z" * 4096)
    nemo.render_plan = RenderPlan(stuck=True)
    bot = await start_console(nemo, db)
    assert bot.stdin is not None
    bot.stdin.write("\n".join([f"/upload {clip}", *lines, "export", ""]).encode())
    await bot.stdin.drain()
    await nemo.wait_for(lambda: len(nemo.renders) == 1, timeout=30)
    await nemo.wait_for(lambda: db.exists() and len(open_renders(db)) == 1, timeout=10)
    return bot, db


def open_renders(db: Path) -> list[tuple[str, int]]:
    with sqlite3.connect(db) as conn:
        return conn.execute("SELECT id, delivered FROM renders").fetchall()


@pytest.mark.slow  # follows a cloud render at NEMO's 30 s cadence
async def test_sigkill_during_render_delivers_the_link_once_after_restart(nemo: FakeNemo, tmp_path: Path) -> None:
    bot, db = await console_rendering(nemo, tmp_path, "add the title 'Finals'")
    bot.send_signal(signal.SIGKILL)
    await bot.wait()
    assert open_renders(db)[0][1] == 0  # not delivered before the kill

    # the render goes on after the restart: still running at the first poll, done at the next, 30 s later
    render = next(iter(nemo.renders.values()))
    render.plan = RenderPlan(steps=render.polls + 1)  # (the polls before the kill count too)
    restarted = await start_console(nemo, db)
    out, err = await asyncio.wait_for(restarted.communicate(b""), timeout=120)
    printed = out.decode()
    render_id = next(iter(nemo.renders))
    assert restarted.returncode == 0, err.decode()[-2000:]
    assert printed.count(f"/files/{render_id}.mp4") == 1, printed
    assert open_renders(db) == [(render_id, 1)]

    again = await start_console(nemo, db)
    out, _ = await asyncio.wait_for(again.communicate(b""), timeout=60)
    assert "/files/" not in out.decode()  # delivered once, not on every start


async def test_sigterm_stops_cleanly_and_leaves_the_render_for_the_next_start(nemo: FakeNemo, tmp_path: Path) -> None:
    bot, db = await console_rendering(nemo, tmp_path)
    bot.send_signal(signal.SIGTERM)
    await asyncio.wait_for(bot.wait(), timeout=15)
    render = next(iter(nemo.renders.values()))
    assert bot.returncode == 130
    assert render.status != "cancelled" and open_renders(db) == [(render.id, 0)]
