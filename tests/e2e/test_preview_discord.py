"""Previews through the real discord.py client and the Discord stand-in, on the built-in engine: `/preview`
answers with the small MP4 of the draft attached (with its sound), and after `/preview on` an edit that
changes the picture brings one of its result."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from engine.probe import probe
from engine.sample import make_sample_clip
from tests.e2e.test_discord import running_bot, with_discord
from tests.e2e.test_issue9_discord import answered, engine_settings, shown
from tests.fakes.discord import FakeDiscord

pytestmark = pytest.mark.slow


def previews(messages: list[dict[str, Any] | None]) -> list[dict[str, Any]]:
    """The preview files attached to ``messages``."""
    return [a for m in messages if m for a in m.get("attachments") or [] if a["filename"].startswith("preview_")]


async def test_discord_user_gets_previews_attached(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    sample = make_sample_clip(tmp_path / "sample.mp4", 8, (360, 640)).read_bytes()
    async with FakeDiscord() as dc, running_bot(with_discord(engine_settings(tmp_path, monkeypatch), dc), dc) as (
        core, _
    ):
        upload = dc.invoke_slash("upload", {"video": dc.attachment(sample, "clip.mp4")})
        await answered(dc, upload, "Uploaded clip.mp4", timeout=60)
        await core.idle(timeout=60)
        asked = dc.invoke_slash("preview")
        text = await answered(dc, asked, "Preview of the draft", timeout=60)
        await dc.wait_for(lambda: previews([dc.interaction(asked).original, *dc.interaction(asked).followups]),
                          timeout=30)
        (first,) = previews([dc.interaction(asked).original, *dc.interaction(asked).followups])
        on = dc.invoke_slash("preview", {"choice": "on"})
        await answered(dc, on, "Previews on")
        edit = dc.invoke_slash("edit", {"prompt": "cut the first 2 seconds"})
        await answered(dc, edit, "Preview of the draft", timeout=90)
        await core.idle(timeout=60)
        everywhere = [dc.interaction(edit).original, *dc.interaction(edit).followups, *dc.channel_messages()]
        (after_cut,) = previews(everywhere)
        files = []
        async with httpx.AsyncClient() as http:
            for i, attached in enumerate((first, after_cut)):
                path = tmp_path / f"attached{i}.mp4"
                path.write_bytes((await http.get(attached["url"])).content)
                files.append(path)
    assert "(8s, " in text and "Say “export” for the full video" in shown(dc, asked)
    for path in files:
        assert path.stat().st_size < 1_000_000
    one, two = await probe(files[0]), await probe(files[1])
    assert one.has_audio and one.width <= 480 and abs(one.duration - 8.0) < 0.3  # an attachment keeps the sound
    assert abs(two.duration - 6.0) < 0.3
