"""“Ready to export” through the real discord.py client and the Discord stand-in, on the built-in engine at
default settings: once the edit's draft is rendered ahead, the edit's answer (its interaction response, edited)
gains the line; `/export` then answers with that file."""

from __future__ import annotations

import hashlib
from pathlib import Path

import httpx
import pytest

from engine.sample import make_sample_clip
from tests.e2e.test_discord import running_bot, with_discord
from tests.e2e.test_issue9_discord import answered, engine_settings
from tests.fakes.discord import FakeDiscord

pytestmark = pytest.mark.slow

READY = "⚡ Ready to export: say “export” and the video comes at once."


async def test_discord_edit_answer_says_ready_and_the_export_is_that_file(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    sample = make_sample_clip(tmp_path / "sample.mp4", 6, (360, 640)).read_bytes()
    async with FakeDiscord() as dc, running_bot(with_discord(engine_settings(tmp_path, monkeypatch), dc), dc) as (
        core, _
    ):
        upload = dc.invoke_slash("upload", {"video": dc.attachment(sample, "clip.mp4")})
        await answered(dc, upload, "Uploaded clip.mp4", timeout=60)
        await core.idle(timeout=60)
        edit = dc.invoke_slash("edit", {"prompt": "cut the first 2 seconds"})
        before = await answered(dc, edit, "Cut 0-2", timeout=60)
        after = await answered(dc, edit, READY, timeout=90)
        export = dc.invoke_slash("export")
        await answered(dc, export, "Your video is ready", timeout=60)
        (video,) = [a for a in dc.interaction(export).original["attachments"] if a["filename"].endswith(".mp4")]
        async with httpx.AsyncClient() as http:
            sent = (await http.get(video["url"])).content
    ahead = {hashlib.sha256(p.read_bytes()).hexdigest() for p in (tmp_path / "engine" / "renders").glob("ahead-*")}
    assert after.startswith(before) and after.count(READY) == 1
    assert hashlib.sha256(sent).hexdigest() in ahead  # the file rendered ahead
