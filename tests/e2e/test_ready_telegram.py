"""“Ready to export” through the real Telegram client on the built-in engine at default settings: once the
edit's draft is rendered ahead, the edit's answer (the same message) gains a line saying so, in the user's
language; the export then answers with that very file."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from engine.sample import make_sample_clip
from tests.e2e.telegram_engine import bot

pytestmark = [pytest.mark.slow, pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")]


@pytest.mark.parametrize(("locale", "edit", "ready", "export"), [
    ("en", "cut the first 2 seconds", "⚡ Ready to export", "export"),
    ("zh-hans", "剪掉前2秒", "⚡ 已提前渲染好", "导出"),
])
async def test_the_edits_answer_says_ready_to_export_and_the_export_is_that_file(
        tmp_path: Path, locale: str, edit: str, ready: str, export: str) -> None:
    clip = make_sample_clip(tmp_path / "phone.mp4", 6, (360, 640))
    async with bot(tmp_path) as b:
        tg, core = b.tg, b.core
        tg.user_sends(7, 7, video=tg.add_file(path=clip, name="phone.mp4", mime="video/mp4"), language_code=locale)
        await tg.wait_for(lambda: tg.chat_log(7), timeout=30)
        await core.idle(timeout=60)
        uploaded = len(tg.chat_log(7))
        tg.user_sends(7, 7, edit, language_code=locale)
        await tg.wait_for(lambda: len(tg.chat_log(7)) > uploaded, timeout=30)
        await core.idle(timeout=60)
        answer = tg.chat_log(7)[-1]
        answered = answer.text or "?"
        await tg.wait_for(lambda: ready in (answer.text or ""), timeout=90)  # the same message, edited
        edited = answer.text
        tg.user_sends(7, 7, export, language_code=locale)
        await tg.wait_for(lambda: tg.calls_to("sendVideo"), timeout=60)
        await core.idle(timeout=60)
        sent = next(m for m in tg.chat_log(7) if m.kind == "video")
        video = tg.files[sent.file_id].data or b""
    ahead = list((tmp_path / "engine" / "renders").glob("ahead-*.mp4"))
    assert edited is not None and edited.startswith(answered) and edited.count("⚡") == 1  # one line more
    assert hashlib.sha256(video).hexdigest() in {hashlib.sha256(p.read_bytes()).hexdigest() for p in ahead}
