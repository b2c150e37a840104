"""Previews in the console, as a user reads them: "preview" prints the path of a small MP4 of the draft
(built-in engine, default settings), `/preview on` brings one after each edit that changes the picture, and
on a backend that does not announce previews (the NEMO stand-in) the word says so and no button is offered."""

from __future__ import annotations

import io
import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bots.app import running_core
from bots.console.app import run_console
from core.conversation import Core
from core.settings import BotSettings, Settings
from engine.sample import make_sample_clip
from tests.engine.conftest import media_info
from tests.fakes.nemo import FakeNemo

PREVIEW_LINE = re.compile(r"^🎞 (.+\.mp4)$")


async def lines(items: list[str]) -> AsyncIterator[str]:
    for item in items:
        yield item + "\n"


def previews(printed: list[str]) -> list[Path]:
    return [Path(m.group(1)) for line in printed if (m := PREVIEW_LINE.match(line))]


@pytest.mark.slow
async def test_preview_word_and_after_each_edit_print_a_small_playable_file(tmp_path: Path) -> None:
    clip = make_sample_clip(tmp_path / "phone.mp4", 8, (360, 640))
    out = io.StringIO()
    settings = Settings(bot=BotSettings(backend="engine", db_path=tmp_path / "bot.db"))
    async with running_core(settings, engine_dir=tmp_path / "engine", engine_port=0) as core:
        await run_console(core, lines([str(clip), "preview", "/preview on", "cut the first 2 seconds",
                                       "add lo-fi music", "/preview off", "add the title 'Hi' for 2 seconds",
                                       "预览"]), out, user="li")
        assert "preview" in [b.action for b in core.main_buttons("en", "li")]  # the engine announced previews
    printed = out.getvalue().splitlines()
    files = previews(printed)
    assert len(files) == 3, printed  # asked, after the cut (not after the music, nor once off), 预览
    first, after_cut, chinese = (media_info(f) for f in files)
    assert all(f.is_file() and f.stat().st_size < 1_000_000 for f in files)
    assert (first.width, first.height) == (360, 640) and abs(first.duration - 8.0) < 0.3
    assert abs(after_cut.duration - 6.0) < 0.3  # the edit's result, not the draft before it
    assert abs(chinese.duration - 6.0) < 0.3
    assert first.has_audio  # the console's has the sound (a Telegram animation has none)
    assert any(line.startswith("👀 Preview of the draft (8s, ") for line in printed), printed
    assert any(line.startswith("👀 草稿预览") for line in printed)
    assert any("Previews on" in line for line in printed) and any("Previews off" in line for line in printed)


async def test_a_backend_without_previews_says_so_and_offers_no_button(core: Core, nemo: FakeNemo,
                                                                        tmp_path: Path) -> None:
    clip = tmp_path / "beach.mov"
    clip.write_bytes(b"y" * 2048)
    out = io.StringIO()
    await run_console(core, lines([str(clip), "preview", "/preview"]), out, user="tester")
    printed = out.getvalue()
    assert printed.count("This backend makes no previews: say “export”") == 2, printed
    assert [b.action for b in core.main_buttons("en", "tester")] == ["export", "status", "credits"]  # no Preview
    assert not any(r.path.startswith("/api/preview/") for r in nemo.requests)  # nothing asked of the cloud
