"""Secrets never reach a chat message or a log line: a whole bot run at DEBUG level, searched."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from core.logs import Redactor
from tests.e2e.test_restart import ROOT, bot_env
from tests.fakes.nemo import Drop, FakeNemo, RenderPlan, Text
from tests.fakes.tokens import NEMO_SECRET, NEMO_SHAPED, TELEGRAM_SHAPED

TOKEN = NEMO_SECRET


async def test_a_full_console_run_never_prints_the_token(tmp_path: Path) -> None:
    # render time is not this test's subject: the render is done when first polled
    async with FakeNemo(static_tokens={TOKEN}, render_plan=RenderPlan(steps=0)) as nemo:
        clip = tmp_path / "clip.mp4"
        clip.write_bytes(b"q" * 3000)
        nemo.script_chat(Text(f"Your token is {TOKEN}, keep it safe."))   # even the backend echoing it
        nemo.script_chat(Drop())
        nemo.fail_next("credits", http_status=500)
        env = bot_env(nemo, tmp_path / "bot.db") | {"NEMO_TOKEN": TOKEN, "NEMOBOT_LOG_LEVEL": "DEBUG"}
        bot = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bots.cli", "console", cwd=ROOT, env=env,
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        script = f"/upload {clip}\nadd a title\nadd music\ncredits\nexport\n/token {TOKEN}\n"
        out, err = await asyncio.wait_for(bot.communicate(script.encode()), timeout=60)
    printed = out.decode() + err.decode()
    assert bot.returncode == 0, printed[-2000:]
    assert "Your video is ready" in printed          # the run really happened
    assert "DEBUG" in printed                         # and logged verbosely
    assert TOKEN not in printed
    assert any(r.headers.get("authorization") == f"Bearer {TOKEN}" for r in nemo.requests)


def test_redactor_masks_token_shapes_and_known_secrets() -> None:
    redactor = Redactor(["my-discord-secret-value"])
    line = (f"GET https://api.telegram.org/bot{TELEGRAM_SHAPED}/getMe "
            f"Authorization: Bearer abc.def-123 {NEMO_SHAPED} my-discord-secret-value "
            "/webhooks/1234/aW50ZXJhY3Rpb246MTIzNDU2Nzg5MDp0b2tlbg/messages/@original")
    masked = redactor.redact(line)
    for secret in (TELEGRAM_SHAPED.split(":")[1], "abc.def-123", NEMO_SHAPED,
                   "my-discord-secret-value", "aW50ZXJhY3Rpb246MTIzNDU2Nzg5MDp0b2tlbg"):
        assert secret not in masked
    assert "/getMe" in masked and "/messages/@original" in masked
