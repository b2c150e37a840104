"""Platform recipes and corrections through the real Telegram client on the built-in engine: a teaser for
Reels comes back as a vertical MP4 within the length asked, and "no wait, 6" after "make it 5 s" gives 6 s."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.probe import probe
from engine.sample import make_sample_clip
from tests.e2e.telegram_engine import bot
from tests.renders import exported

pytestmark = [pytest.mark.slow, pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")]


async def _export(b, tmp_path: Path, name: str) -> Path:  # type: ignore[no-untyped-def]
    tg, core = b.tg, b.core
    before = len(tg.calls_to("sendVideo"))
    tg.user_sends(7, 7, "export")
    await tg.wait_for(lambda: len(tg.calls_to("sendVideo")) > before, timeout=120)
    await core.idle(timeout=60)
    newest = exported(tmp_path / "engine")
    return newest.rename(tmp_path / name)


async def test_telegram_reels_teaser_and_a_correction(tmp_path: Path) -> None:
    clip = make_sample_clip(tmp_path / "clip.mp4", 20, (320, 180))
    async with bot(tmp_path) as b:
        tg, core = b.tg, b.core
        tg.user_sends(7, 7, caption="make a 15 s teaser for Reels titled 'Finals'",
                      video=tg.add_file(path=clip, name="clip.mp4", mime="video/mp4"))
        await tg.wait_for(lambda: any("Reels" in (m.text or "") for m in tg.chat_log(7)), timeout=90)
        await core.idle(timeout=60)
        said = " ".join(m.text or "" for m in tg.chat_log(7))
        assert "Instagram Reels" in said and "Finals" in said
        teaser = await _export(b, tmp_path, "teaser.mp4")
        info = await probe(teaser)
        assert info.height > info.width and abs(info.width / info.height - 9 / 16) < 0.02
        assert info.duration <= 15.1

        tg.user_sends(7, 7, "undo")
        await core.idle(timeout=60)
        tg.user_sends(7, 7, "make it 5 s")
        await core.idle(timeout=60)
        tg.user_sends(7, 7, "no wait, 6")
        await tg.wait_for(lambda: any("6 s" in (m.text or "") for m in tg.chat_log(7)), timeout=60)
        await core.idle(timeout=60)
        replies = [m.text or "" for m in tg.chat_log(7)]
        assert any("6 s" in r for r in replies[-3:])
        assert not any("I didn't understand" in r for r in replies[-3:])
        six = await _export(b, tmp_path, "six.mp4")
    assert abs((await probe(six)).duration - 6.0) < 0.2
