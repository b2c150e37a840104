"""Read as a Telegram user reads it (the real PTB client, the stand-in, the built-in engine at default
settings): an edit's answer says how to export in the same words the bot uses everywhere, once."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.sample import make_sample_clip
from tests.e2e.telegram_engine import bot

pytestmark = [pytest.mark.slow, pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")]


@pytest.mark.parametrize(("language", "ask", "hint", "button"), [
    ("en", "reverse", "Say “export” (or press Export) when you are ready.", "Export"),
    ("zh", "倒放", "准备好后说“导出”（或点“导出”按钮）即可。", "导出"),
])
async def test_an_edit_says_how_to_export_in_the_bots_own_words(
        tmp_path: Path, language: str, ask: str, hint: str, button: str) -> None:
    sample = make_sample_clip(tmp_path / "sample.mp4", 4, (160, 90))
    async with bot(tmp_path) as b:
        tg, core = b.tg, b.core
        video = tg.add_file(path=sample, name="clip.mp4", mime="video/mp4")
        tg.user_sends(7, 7, caption=ask, video=video, language_code=language)
        await tg.wait_for(lambda: any(hint in (m.text or "") for m in tg.chat_log(7)), timeout=60)
        await core.idle(timeout=60)
        answer = next(m for m in tg.chat_log(7) if hint in (m.text or ""))
    text = answer.text or ""
    assert text.endswith(hint) and text.count("“") == hint.count("“")   # said once, not wrapped in itself
    assert button in [b.get("text") for b in answer.buttons]            # and the button it names is there
