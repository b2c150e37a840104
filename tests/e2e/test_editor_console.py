"""The hand-editing page from the console (issue 21), built-in engine at default settings: the status
answer prints the page's local URL, that URL opens the conversation's draft, and an edit applied there is
told in the console."""

from __future__ import annotations

import asyncio
import io
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from bots.app import running_core
from bots.console.app import run_console
from core.settings import BotSettings, Settings
from engine.sample import make_sample_clip

pytestmark = pytest.mark.slow


async def lines(items: list[str]) -> AsyncIterator[str]:
    for item in items:
        yield item + "\n"


async def test_status_prints_the_editing_page_and_it_opens(tmp_path: Path) -> None:
    clip = make_sample_clip(tmp_path / "sample.mp4", 6, (320, 180))
    out = io.StringIO()
    settings = Settings(bot=BotSettings(backend="engine", db_path=tmp_path / "bot.db"))
    async with running_core(settings, engine_dir=tmp_path / "engine", engine_port=0) as core:
        await run_console(core, lines([f"/upload {clip}", "/status"]), out, user="li")
        (line,) = [x for x in out.getvalue().splitlines() if x.startswith("✋ Edit by hand: ")]
        url = line.split(": ", 1)[1]
        assert url.startswith("http://127.0.0.1:") and "/edit/" in url and "/any?c=" in url and "&exp=" in url
        base, query = url.split("?", 1)
        async with httpx.AsyncClient() as http:
            page = await http.get(url)
            draft = (await http.get(f"{base}/draft?{query}")).json()
            applied = await http.post(f"{base}/apply?{query}", json={
                "version": draft["version"], "edits": [{"op": "trim", "seg": 0, "in": 0, "d": 2500}]})
        assert page.status_code == 200 and "<video" in page.text
        assert draft["total"] == 6000 and draft["video"][0]["name"] == "sample.mp4"
        assert applied.status_code == 200, applied.text
        # the console hears what the page did
        for _ in range(100):
            if "Edited by hand" in out.getvalue():
                break
            await asyncio.sleep(0.1)
        assert "✋ Edited by hand: Segment 1 now 2.5 s. The video is now 2.5 s." in out.getvalue()
