"""Read as a Discord user reads it (the real discord.py client, the stand-in, the built-in engine at default
settings): a DM user who writes Chinese from an English client reads Chinese after pressing a button too
(Discord sends a press with the client's locale, a typed message with none); a link alone given to
``/edit`` is fetched like a typed link, not read as an instruction about "mp4"."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from engine.sample import make_sample_clip
from tests.e2e.test_discord import content, custom_ids, delivered, in_status, running_bot, with_discord
from tests.e2e.test_issue9_discord import answered, engine_settings
from tests.fakes.discord import FakeDiscord

pytestmark = pytest.mark.slow


async def test_a_dm_user_who_writes_chinese_reads_chinese_after_pressing_export(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sample = make_sample_clip(tmp_path / "sample.mp4", 4, (160, 90)).read_bytes()
    async with FakeDiscord() as dc, running_bot(with_discord(engine_settings(tmp_path, monkeypatch), dc), dc) as (
        core, _
    ):
        dc.user_message("倒放", dm=True, attachments=[dc.attachment(sample, "clip.mp4")])
        await dc.wait_for(lambda: any("倒放" in content(m) and custom_ids(m) for m in dc.dm_messages()), timeout=60)
        await core.idle(timeout=60)
        edited: Any = next(m for m in dc.dm_messages() if "倒放" in content(m) and custom_ids(m))
        export = next(cid for cid in custom_ids(edited) if ":export:" in cid)
        press = dc.press_button(int(edited["id"]), export, locale="en-US")   # the client is in English
        record = dc.interaction(press)
        await dc.wait_for(lambda: in_status(dc, press), timeout=60)
        await core.idle(timeout=60)
        said = "\n".join(content(m) for m in [record.original, *record.followups] if m)
        assert "🎬 视频已完成" in content(in_status(dc, press))  # the status message became the result, MP4 attached
        assert not delivered(record.followups)
    assert "ready" not in said


async def test_a_link_alone_in_edit_is_fetched_and_a_failure_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with FakeDiscord() as dc, running_bot(with_discord(engine_settings(tmp_path, monkeypatch), dc), dc) as (
        core, _
    ):
        edit = dc.invoke_slash("edit", {"prompt": "https://video.invalid/clip.mp4"})
        said = await answered(dc, edit, "couldn't fetch the video at that link", timeout=60)
        await core.idle(timeout=60)
    assert "export" not in said.lower()
