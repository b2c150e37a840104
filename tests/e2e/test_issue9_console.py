"""Issue 9's last gaps, read as a user reads them in the console (built-in engine, default settings): a
reversed, pause-cut or looped clip exports without a "Highlights" strip and a highlight reel shows one; a
reversed clip's timeline reads as one range, not the engine's 5-second pieces; an upload's answer takes the
place of its status message ("✅ Done" never stands alone above an answer). English and Chinese."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bots.app import running_core
from bots.console.app import run_console
from core.settings import BotSettings, Settings
from engine.sample import make_sample_clip

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_sample_clip(tmp_path_factory.mktemp("clips") / "sample.mp4", 12, (320, 180))


async def lines(items: list[str]) -> AsyncIterator[str]:
    for item in items:
        yield item + "\n"


async def conversation(tmp_path: Path, script: list[str]) -> list[str]:
    """Every line the console printed for ``script`` (default settings, no locale)."""
    out = io.StringIO()
    settings = Settings(bot=BotSettings(backend="engine", db_path=tmp_path / "bot.db"))
    async with running_core(settings, engine_dir=tmp_path / "engine", engine_port=0) as core:
        await run_console(core, lines(script), out, user="li")
    return out.getvalue().splitlines()


def after(printed: list[str], needle: str) -> list[str]:
    """The lines from the first that holds ``needle`` on."""
    return printed[next(i for i, line in enumerate(printed) if needle in line):]


def until(printed: list[str], needle: str) -> list[str]:
    """The lines up to and with the first that holds ``needle``."""
    return printed[:next(i for i, line in enumerate(printed) if needle in line) + 1]


def strips(printed: list[str]) -> list[str]:
    return [line for line in printed if line.startswith("🖼") and "highlights" in line]


async def test_only_a_highlight_reel_shows_its_moments_before_it_renders(clip: Path, tmp_path: Path) -> None:
    printed = await conversation(tmp_path, [
        str(clip), "reverse the video", "status", "export",
        "cut the pauses", "loop it 2 times", "export",
        "make a 6-second highlight reel", "export",
    ])

    reversed_part = until(after(printed, "plays backwards"), "Your video is ready")
    assert "Timeline (1 track): 1. Video: sample.mp4 (0-12s, backwards)" in reversed_part  # one range, not 5 s pieces
    assert strips(reversed_part) == []
    looped_part = until(after(printed, "times in a row"), "Your video is ready")
    assert strips(looped_part) == []
    reel_part = after(printed, "Highlight reel")
    assert len(strips(reel_part)) == 1 and any("Your video is ready" in line for line in reel_part)


async def test_an_upload_answers_in_its_status_message_and_chinese_reads_a_reversed_clip_as_one(
        clip: Path, tmp_path: Path) -> None:
    for script, answer in (([str(clip), "cut the first 2 seconds"], "Uploaded sample.mp4"),
                           (["你好", str(clip), "倒放", "状态"], "已上传 sample.mp4")):
        printed = await conversation(tmp_path / answer[:3], script)

        assert not any(line.startswith("✅") for line in printed), printed
        shown = after(printed, answer)
        assert shown[1].startswith("🖼") and shown[1].endswith("footage.jpg")  # its contact sheet right under it
    assert "时间线（1条轨道）：1. 视频：sample.mp4（0-12秒，倒放）" in printed
