"""One language, the user's: whole conversations through the console against the built-in engine,
with no /lang and no client locale, read back for words of the other language."""

from __future__ import annotations

import io
import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bots.app import running_core
from bots.console.app import run_console
from core.settings import BotSettings, Settings
from engine.sample import make_sample_clip
from tests.language import english_words

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_sample_clip(tmp_path_factory.mktemp("clips") / "sample.mp4", 6, (320, 180))


async def lines(items: list[str]) -> AsyncIterator[str]:
    for item in items:
        yield item + "\n"


async def conversation(tmp_path: Path, script: list[str]) -> str:
    """Everything the console printed for ``script`` (default settings, no locale)."""
    out = io.StringIO()
    settings = Settings(bot=BotSettings(backend="engine", db_path=tmp_path / "bot.db"))
    async with running_core(settings, engine_dir=tmp_path / "engine", engine_port=0) as core:
        await run_console(core, lines(script), out, user="li")
    return out.getvalue()


async def test_a_chinese_conversation_reads_chinese_from_upload_to_export(clip: Path, tmp_path: Path) -> None:
    printed = await conversation(tmp_path, [
        "你好", str(clip), "加上标题“决赛”，3秒", "改成9:16", "状态", "积分", "导出",
        "https://video.invalid/clip.mp4", "/foo", "撤销",
    ])
    assert "已上传 sample.mp4" in printed
    assert "已添加标题“决赛”" in printed
    assert '时间线（2条轨道）：1. 视频：sample.mp4（0-6秒） 2. 标题：“决赛”（0-3秒）' in printed
    assert "🎬 视频已完成" in printed and ".mp4" in printed
    assert "无法获取该链接中的视频" in printed
    assert "没有 /foo 这个命令" in printed
    assert english_words(printed, clip.name) == []


async def test_an_english_conversation_has_no_chinese(clip: Path, tmp_path: Path) -> None:
    printed = await conversation(tmp_path, [
        "hello", str(clip), "add the title 'Finals' for 3 seconds", "make it 9:16", "status", "credits", "export",
        "upload https://video.invalid/clip.mp4", "/foo", "undo",
    ])
    assert "Uploaded sample.mp4" in printed
    assert 'Timeline (2 tracks): 1. Video: sample.mp4 (0-6s) 2. Title: "Finals" (0-3s)' in printed
    assert "🎬 Your video is ready" in printed
    assert re.findall(r"[\u3000-\u9fff\uff00-\uffef]", printed) == []


async def test_lang_zh_makes_the_engine_answer_chinese_to_english_words(clip: Path, tmp_path: Path) -> None:
    printed = await conversation(tmp_path, [
        "hello", str(clip), "/lang zh", "add the title 'Finals' for 3 seconds", "status",
    ])
    after = printed[printed.index("语言：中文。"):]
    assert "已添加标题“Finals”（0-3秒）" in after                  # the session was made in English
    assert "时间线（2条轨道）" in after
    assert english_words(after, "Finals", clip.name) == []


async def test_a_message_without_words_keeps_the_language_and_mixed_text_goes_by_its_sentence(
    clip: Path, tmp_path: Path
) -> None:
    printed = await conversation(tmp_path, ["加上标题 Urban Dreams", "👍", str(clip), "status"])
    assert "已上传 sample.mp4" in printed                       # 👍 and the file had no words: still Chinese
    assert "\nTimeline (1 track): 1. Video: sample.mp4 (0-6s)" in printed        # "status" is English


async def test_the_language_the_user_wrote_in_outlives_a_restart(clip: Path, tmp_path: Path) -> None:
    await conversation(tmp_path, ["你好"])
    printed = await conversation(tmp_path, [str(clip)])                 # the same database, a new process
    assert "已上传 sample.mp4" in printed
