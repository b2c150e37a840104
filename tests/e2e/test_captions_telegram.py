"""Captions through a real chat client: a Telegram user (the real python-telegram-bot client against the
stand-in) uploads a clip with speech, types the words, sees them listed on the timeline and gets the export;
asking for words from unclear speech gets the honest answer and the typed path."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.renders import exported
from tests.speech_clips import ENGLISH, has_festival, speech_clip

from .telegram_engine import bot

pytestmark = [
    pytest.mark.slow,
    pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning"),
    pytest.mark.skipif(not has_festival(), reason="festival (text2wave) is not installed"),
]


async def test_telegram_typed_captions_are_on_the_timeline_and_in_the_export(tmp_path: Path) -> None:
    clip = speech_clip(tmp_path / "talk.mp4")
    async with bot(tmp_path) as b:
        tg = b.tg
        tg.user_sends(7, 7, video=tg.add_file(path=clip, name="talk.mp4", mime="video/mp4"))
        await tg.wait_for(lambda: any("talk.mp4" in (m.text or "") for m in tg.chat_log(7)), timeout=60)
        tg.user_sends(7, 7, "captions: " + ENGLISH)
        await tg.wait_for(lambda: any("timed to your speech" in (m.text or "") for m in tg.chat_log(7)), timeout=60)
        tg.user_command(7, 7, "/status")
        status = await tg.wait_for(
            lambda: [t for m in tg.chat_log(7) if "Hello everyone" in (t := m.text or m.caption or "") and "timed" not in t],
            timeout=60)
        tg.user_sends(7, 7, "export")
        await tg.wait_for(lambda: tg.calls_to("sendVideo"), timeout=120)
        await b.core.idle(timeout=60)
        tg.user_sends(7, 7, "caption what I say")  # festival's voice is clear: words from speech, or the honest no
        await tg.wait_for(lambda: any(("from your speech" in (m.text or "") or "won't burn guessed words" in (m.text or ""))
                                      for m in tg.chat_log(7)), timeout=90)
    assert 'Captions: "Hello everyone and welcome' in str(status[-1])  # named as captions, by their first words
    render = exported(tmp_path / "engine")
    assert render.stat().st_size > 10_000


async def test_telegram_caption_what_i_say_on_chinese_speech_says_so_and_offers_typed_words(tmp_path: Path) -> None:
    clip = speech_clip(tmp_path / "noisy.mp4", noise=0.6)
    async with bot(tmp_path) as b:
        tg = b.tg
        tg.user_sends(8, 8, video=tg.add_file(path=clip, name="noisy.mp4", mime="video/mp4"), language_code="zh-hans")
        await tg.wait_for(lambda: any("noisy.mp4" in (m.text or "") for m in tg.chat_log(8)), timeout=60)
        tg.user_sends(8, 8, "把我说的话加成字幕", language_code="zh-hans")
        answer = await tg.wait_for(lambda: [m.text for m in tg.chat_log(8) if "猜测" in (m.text or "")], timeout=90)
    assert "字幕：" in str(answer[-1])
