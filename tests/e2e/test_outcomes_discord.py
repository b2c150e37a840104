"""Outcomes, as a Discord user asks for them (the real discord.py client against the stand-in, the built-in
engine at default settings): a silent clip, "a film look and some upbeat music" in Chinese, then export; the
MP4 the status message carries has cinema bars and music."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import httpx
import pytest

from core.media.ffmpeg import find_ffmpeg
from engine.sample import make_sample_clip
from tests.e2e.test_discord import content, custom_ids, in_status, running_bot, with_discord
from tests.e2e.test_issue9_discord import engine_settings
from tests.engine.conftest import audio_levels, gray_frame, mean, media_info, region
from tests.fakes.discord import FakeDiscord

pytestmark = pytest.mark.slow


async def test_a_chinese_dm_user_gets_a_film_look_and_music_on_a_silent_clip(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sample = make_sample_clip(tmp_path / "sample.mp4", 6, (320, 180))
    silent = tmp_path / "silent.mp4"
    subprocess.run([find_ffmpeg(), "-v", "error", "-i", str(sample), "-an", "-c", "copy", str(silent)], check=True)
    async with FakeDiscord() as dc, running_bot(with_discord(engine_settings(tmp_path, monkeypatch), dc), dc) as (
        core, _
    ):
        dc.user_message("加点电影感，再来点欢快的背景音乐", dm=True,
                        attachments=[dc.attachment(silent.read_bytes(), "silent.mp4")])
        await dc.wait_for(lambda: any("音乐" in content(m) and custom_ids(m) for m in dc.dm_messages()), timeout=90)
        await core.idle(timeout=60)
        answer: Any = next(m for m in dc.dm_messages() if "音乐" in content(m) and custom_ids(m))
        export = next(cid for cid in custom_ids(answer) if ":export:" in cid)
        press = dc.press_button(int(answer["id"]), export, locale="zh-CN")
        await dc.wait_for(lambda: in_status(dc, press), timeout=120)
        await core.idle(timeout=60)
        result: Any = in_status(dc, press)
        mp4 = next(a for a in result["attachments"] if a["filename"].endswith(".mp4"))
        async with httpx.AsyncClient() as http:
            (tmp_path / "out.mp4").write_bytes((await http.get(mp4["url"])).content)
    assert "电影" in content(answer) and "欢快" in content(answer)  # told what was done, in Chinese
    assert "🎬 视频已完成" in content(result)
    info = media_info(tmp_path / "out.mp4")
    w, h = info.width, info.height
    frame = gray_frame(tmp_path / "out.mp4", 3.0, (w, h))
    assert mean(region(frame, (w, h), (0, 0, 1, 0.08))) < 20  # the bars: dark across the whole width
    assert mean(region(frame, (w, h), (0, 0.92, 1, 1))) < 20
    assert mean(region(frame, (w, h), (0, 0.3, 1, 0.7))) > 40  # the picture between them
    assert info.has_audio and audio_levels(tmp_path / "out.mp4")[0] > -40  # music where the clip had no sound
