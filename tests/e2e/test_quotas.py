"""A day's quota on the built-in engine, as a Telegram user meets it (the real PTB client against the
Telegram stand-in): past it, a clear answer with when it starts again, in the user's language, and nothing
started; an operator is exempt."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.sample import make_sample_clip
from tests.e2e.telegram_engine import Bot, bot
from tests.fakes.telegram import FakeTelegram

pytestmark = [pytest.mark.slow, pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")]


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_sample_clip(tmp_path_factory.mktemp("clips") / "sample.mp4", 12, (320, 180))


def _texts(tg: FakeTelegram, chat: int) -> list[str]:
    return [m.text or m.caption or "" for m in tg.chat_log(chat)]


async def _answered(b: Bot, chat: int, *words: str) -> None:
    """Wait until ``chat`` has one more answer holding one of ``words`` than before, and the bot is idle."""
    before = sum(any(w in t for w in words) for t in _texts(b.tg, chat))
    await b.tg.wait_for(lambda: sum(any(w in t for w in words) for t in _texts(b.tg, chat)) > before, timeout=60)
    await b.core.idle(timeout=60)


async def test_past_the_upload_quota_nothing_is_uploaded_and_the_user_is_told_when_it_resets(
        sample: Path, tmp_path: Path) -> None:
    async with bot(tmp_path, {"quota_uploads": 1, "operators": ["telegram:9"]}) as b:
        tg = b.tg
        for user, lang in ((7, "en"), (8, "zh"), (9, "en")):
            for _ in range(2):
                tg.user_sends(user, user, video=tg.add_file(path=sample, name="clip.mp4", mime="video/mp4"),
                              language_code=lang)
                await _answered(b, user, "Uploaded", "已上传", "upload limit", "个文件")
        en, zh, operator = _texts(tg, 7), _texts(tg, 8), _texts(tg, 9)
    assert sum("Uploaded clip.mp4" in t for t in en) == 1
    refusal = next(t for t in en if "upload limit" in t)
    assert "You have reached today's upload limit (1)" in refusal
    assert "starts again in" in refusal and "midnight UTC" in refusal
    assert "this was not uploaded" in refusal and "Traceback" not in refusal
    assert any("你今天已发送 1 个文件" in t and "后重置" in t for t in zh)
    assert sum("Uploaded clip.mp4" in t for t in operator) == 2  # operators are exempt
    assert len(list((tmp_path / "engine" / "media").rglob("*.mp4"))) == 4  # 1 + 1 + 2: nothing past the quota


async def test_an_export_longer_than_what_is_left_of_the_render_quota_is_not_started(
        sample: Path, tmp_path: Path) -> None:
    async with bot(tmp_path, {"quota_render_seconds": 10}) as b:
        tg = b.tg
        tg.user_sends(7, 7, video=tg.add_file(path=sample, name="clip.mp4", mime="video/mp4"))
        await _answered(b, 7, "Uploaded")
        tg.user_sends(7, 7, "export")
        await _answered(b, 7, "of video")
        texts = _texts(tg, 7)
        assert not tg.calls_to("sendVideo")
        tg.user_sends(7, 7, "keep the first 6 seconds")
        await _answered(b, 7, "6")
        tg.user_sends(7, 7, "export")
        await tg.wait_for(lambda: tg.calls_to("sendVideo"), timeout=120)
        await b.core.idle(timeout=60)
    refusal = next(t for t in texts if "of video" in t)
    assert "That export is 12 s of video, and 10 s of your 10 s a day is left" in refusal
    assert "nothing was started" in refusal
    assert len(tg.calls_to("sendVideo")) == 1  # the 6 s export alone was delivered
