"""The engine under many conversations at once (a smaller run of ``bench/engine_load.py``): every flow
(token, session, upload, edit, export at the bot's default poll cadence) ends with a rendered MP4."""

from __future__ import annotations

from pathlib import Path

from bench.engine_load import run_load
from engine.sample import make_sample_clip_async


async def test_twenty_conversations_at_once_all_finish(tmp_path: Path) -> None:
    clip = await make_sample_clip_async(tmp_path / "clip.mp4", 2, (160, 90))
    result = await run_load(20, clip, tmp_path / "engine")
    assert result.failures == []
    assert len(result.latency["export_seen"]) == 20
    assert result.replies == 20
