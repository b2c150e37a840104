"""Previews through the real Telegram client on the built-in engine: "preview" (or the Preview button)
brings a small silent animation of the draft (sendAnimation), and with `/preview on` each edit that changes
the picture brings one of its result."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.probe import probe
from engine.sample import make_sample_clip
from tests.e2e.telegram_engine import bot

pytestmark = [pytest.mark.slow, pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")]


async def test_telegram_user_gets_previews_as_animations(tmp_path: Path) -> None:
    clip = make_sample_clip(tmp_path / "phone.mp4", 8, (360, 640))
    async with bot(tmp_path) as b:
        tg, core = b.tg, b.core
        tg.user_sends(7, 7, video=tg.add_file(path=clip, name="phone.mp4", mime="video/mp4"))
        await core.idle(timeout=60)
        tg.user_sends(7, 7, "preview")
        await tg.wait_for(lambda: tg.calls_to("sendAnimation"), timeout=60)
        await core.idle(timeout=60)
        asked = [m for m in tg.chat_log(7) if m.kind == "animation"]
        caption = next(m for m in reversed(tg.chat_log(7)) if (m.text or "").startswith("👀"))
        press = next(d for d in caption.button_data if d.startswith("a:preview:"))  # the Preview button
        tg.user_presses(7, 7, caption.message_id, press)
        await tg.wait_for(lambda: len(tg.calls_to("sendAnimation")) == 2, timeout=60)
        tg.user_sends(7, 7, "/preview on")
        await tg.wait_for(lambda: any("Previews on" in (m.text or "") for m in tg.chat_log(7)), timeout=30)
        tg.user_sends(7, 7, "cut the first 2 seconds")
        await tg.wait_for(lambda: len(tg.calls_to("sendAnimation")) == 3, timeout=90)
        await core.idle(timeout=60)
        animations = [m for m in tg.chat_log(7) if m.kind == "animation"]
        files = [tmp_path / f"sent{i}.mp4" for i in range(3)]
        for path, message in zip(files, animations, strict=True):
            path.write_bytes(tg.files[message.file_id].data or b"")
    assert len(asked) == 1 and caption.text and "Preview of the draft (8s, " in caption.text
    first, pressed, after_cut = [await probe(f) for f in files]
    for info, path in ((first, files[0]), (pressed, files[1]), (after_cut, files[2])):
        assert path.stat().st_size < 1_000_000 and info.width <= 480 and not info.has_audio  # an animation: no sound
    assert abs(first.duration - 8.0) < 0.3 and abs(pressed.duration - 8.0) < 0.3
    assert abs(after_cut.duration - 6.0) < 0.3  # the edit's result
