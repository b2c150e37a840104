"""“Ready to export” in the console (built-in engine, default settings): once the edit's draft is rendered
ahead, a line under the edit's answer says so (the answer is not printed twice), and the export that follows
is that file; on a backend that does not render ahead (the NEMO stand-in) nothing is asked of it."""

from __future__ import annotations

import asyncio
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
from tests.fakes.nemo import FakeNemo

READY = "⚡ Ready to export: say “export” and the video comes at once."
LINK = re.compile(r"(http://\S+/files/renders/(\S+?\.mp4))")


async def until_printed(out: io.StringIO, items: list[str], waits: dict[str, str],
                        timeout: float = 90) -> AsyncIterator[str]:
    """``items`` one by one; before the ones in ``waits``, until their text is printed."""
    for item in items:
        if item in waits:
            end = asyncio.get_running_loop().time() + timeout
            while waits[item] not in out.getvalue():
                assert asyncio.get_running_loop().time() < end, out.getvalue()
                await asyncio.sleep(0.1)
        yield item + "\n"


@pytest.mark.slow
async def test_the_answer_gains_a_ready_line_and_the_export_is_the_file_rendered_ahead(tmp_path: Path) -> None:
    clip = make_sample_clip(tmp_path / "phone.mp4", 6, (360, 640))
    out = io.StringIO()
    settings = Settings(bot=BotSettings(backend="engine", db_path=tmp_path / "bot.db"))
    async with running_core(settings, engine_dir=tmp_path / "engine", engine_port=0) as core:
        script = [str(clip), "cut the first 2 seconds", "export"]
        await run_console(core, until_printed(out, script, {"export": READY}), out, user="li")
    printed = out.getvalue()
    lines = printed.splitlines()
    answer = next(i for i, line in enumerate(lines) if line.startswith("Cut 0-2"))
    assert lines[answer + 1] == READY, printed  # right under the answer
    assert printed.count("Cut 0-2") == 1 and printed.count(READY) == 1
    link = LINK.search(printed)
    assert link is not None, printed
    assert link.group(2).startswith("ahead-")  # the export answered with the render made ahead


async def test_a_backend_that_does_not_render_ahead_is_not_asked(core: Core, nemo: FakeNemo,
                                                                 tmp_path: Path) -> None:
    clip = tmp_path / "beach.mov"
    clip.write_bytes(b"y" * 2048)
    out = io.StringIO()
    await run_console(core, until_printed(out, [str(clip), "cut the first 2 seconds"], {}), out, user="tester")
    await asyncio.sleep(2 * 1.5)  # two polls' time (ready.POLL_S)
    assert core.client.render_ahead is False
    assert not [r for r in nemo.requests if "render-ahead" in r.path], [r.path for r in nemo.requests]
    assert "⚡" not in out.getvalue()
