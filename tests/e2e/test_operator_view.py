"""The operator's view of an open bot on the built-in engine, as an operator reads it on Telegram (the real
PTB client against the stand-in) and as Prometheus scrapes the engine: renders queued, running and of the
last hour, disk against the budget, files pruned, users at a quota."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest

from engine.sample import make_sample_clip
from tests.e2e.telegram_engine import bot

pytestmark = [pytest.mark.slow, pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")]


async def test_stats_and_metrics_show_renders_disk_and_users_at_a_quota(tmp_path: Path) -> None:
    clip = make_sample_clip(tmp_path / "clip.mp4", 4, (320, 180))
    async with bot(tmp_path, {"quota_uploads": 1, "operators": ["telegram:7"]}) as b:
        tg = b.tg
        tg.user_sends(7, 7, video=tg.add_file(path=clip, name="clip.mp4", mime="video/mp4"))
        await tg.wait_for(lambda: any("Uploaded" in (m.text or "") for m in tg.chat_log(7)), timeout=60)
        await b.core.idle(timeout=60)
        tg.user_sends(7, 7, "export")
        await tg.wait_for(lambda: tg.calls_to("sendVideo"), timeout=120)
        for _ in range(2):  # the second is past user 8's quota
            tg.user_sends(8, 8, video=tg.add_file(path=clip, name="clip.mp4", mime="video/mp4"))
            await b.core.idle(timeout=60)
        await tg.wait_for(lambda: any("upload limit" in (m.text or "") for m in tg.chat_log(8)), timeout=60)
        tg.user_sends(7, 7, "/stats")
        stats = await tg.wait_for(lambda: next((m.text for m in tg.chat_log(7) if "Engine:" in (m.text or "")),
                                               None), timeout=30)
        tg.user_sends(8, 8, "/stats")
        await tg.wait_for(lambda: any("operators" in (m.text or "") for m in tg.chat_log(8)), timeout=30)
        async with httpx.AsyncClient() as http:
            metrics = (await http.get(b.engine_url + "/metrics")).text
    assert "users at a quota today: 1" in stats
    assert "Engine: renders queued 0, running 0, 1 in the last hour" in stats
    assert re.search(r"disk \d+(\.\d)? MB of \d+(\.\d)? GB; files pruned 0\.", stats)  # a few MB of a budget in GB
    assert "Engine:" not in " ".join(m.text or "" for m in tg.chat_log(8))  # not for users
    assert "nemobot_engine_renders_last_hour 1.0" in metrics
    assert 'nemobot_engine_renders{state="queued"} 0.0' in metrics
    used = next(line for line in metrics.splitlines() if line.startswith("nemobot_engine_disk_used_bytes "))
    assert float(used.split()[1]) > clip.stat().st_size  # the uploads and the render
