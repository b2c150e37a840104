"""The gateway latency the bot reports is true when the gateway answers at once.

discord.py 2.7 times a heartbeat's ACK against the previous heartbeat when the ACK arrives before its
heartbeat thread has recorded the send (a gateway in another process on loopback answers in
microseconds): the client then says it is a whole heartbeat interval behind and logs "Can't keep up" on
every beat while idle. The stand-in runs in a process of its own, as in the load bench, with a short
heartbeat interval (that is this test's point) so a few beats happen in two seconds.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import sys
from pathlib import Path

import pytest

from bots.app import running_core
from bots.discord.app import build_client, serve
from core.settings import DiscordSettings, Settings

ROOT = Path(__file__).resolve().parents[2]
INTERVAL_MS = 400
BEATS = 5
TOKEN = "MTIzNDU2Nzg5.heartbeat.test-token-for-the-stand-in-only"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_an_idle_bot_on_a_gateway_that_answers_at_once_is_not_behind(
    settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    port = free_port()
    stand_in = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tests.fakes.discord", "--port", str(port), "--token", TOKEN,
        "--heartbeat-ms", str(INTERVAL_MS), cwd=ROOT, stdout=asyncio.subprocess.PIPE)
    try:
        assert stand_in.stdout is not None
        await asyncio.wait_for(stand_in.stdout.readline(), 30)  # "Fake Discord on ...": listening
        base = f"http://127.0.0.1:{port}"
        section = DiscordSettings(token=TOKEN, api_base_url=f"{base}/api/v10", gateway_url=f"ws://127.0.0.1:{port}/gateway")
        settings = settings.model_copy(update={"discord": section})
        async with running_core(settings) as core:
            client = build_client(core, settings, identify_delay=0)
            task = asyncio.create_task(serve(client))
            try:
                async with asyncio.timeout(30):
                    while not client.is_ready():  # type: ignore[attr-defined]
                        assert not task.done(), task
                        await asyncio.sleep(0.05)
                with caplog.at_level(logging.WARNING, logger="discord.gateway"):
                    await asyncio.sleep(BEATS * INTERVAL_MS / 1000)
                latency = client.latency  # type: ignore[attr-defined]
            finally:
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)
    finally:
        stand_in.kill()
        await stand_in.wait()
    behind = [r.getMessage() for r in caplog.records if "behind" in r.getMessage()]
    assert behind == []
    assert latency < INTERVAL_MS / 1000 / 2  # the loop answers in far less than a beat
