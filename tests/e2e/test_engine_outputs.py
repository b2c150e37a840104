"""Exports in other formats reach the chat as what they are: Telegram gets a GIF as an animation, the
sound as an audio file and a cover as a photo, from the real engine."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.sample import make_sample_clip
from tests.e2e.telegram_engine import bot

pytestmark = [pytest.mark.slow, pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")]


async def test_telegram_gets_a_gif_an_mp3_and_a_cover_as_what_they_are(tmp_path: Path) -> None:
    clip = make_sample_clip(tmp_path / "clip.mp4", 4, (160, 90))
    async with bot(tmp_path) as b:
        tg, core = b.tg, b.core
        tg.user_sends(7, 7, caption="make it black and white",
                      video=tg.add_file(path=clip, name="clip.mp4", mime="video/mp4"))
        await core.idle(timeout=60)
        for ask, method in (("export as a gif", "sendAnimation"), ("提取音频为MP3", "sendAudio"),
                            ("make a cover image", "sendPhoto")):
            tg.user_sends(7, 7, ask)
            await core.idle(timeout=60)
            before = len(tg.calls_to(method))
            tg.user_sends(7, 7, "export")
            await tg.wait_for(lambda m=method, n=before: len(tg.calls_to(m)) > n, timeout=120)
            await core.idle(timeout=60)
        kinds = [m.kind for m in tg.chat_log(7) if m.kind != "text"]
        names = [m.file_name for m in tg.chat_log(7) if m.kind in ("animation", "audio")]
        said = " ".join(m.text or "" for m in tg.chat_log(7))
    assert kinds[-3:] == ["animation", "audio", "photo"]
    assert names[-2:] == ["animation.gif", "audio.mp3"]
    # each result is called what it is (in the client's language, English here)
    assert "Your GIF is ready" in said and "Your audio (MP3) is ready" in said and "Your cover image is ready" in said
