"""Issue 9's replies and language through the real PTB client and the Telegram stand-in: separate agent
turns read as separate paragraphs, an error after an applied edit tells what applied (and the next edit
reports only its own change), a link whose download fails says so; a user who writes Chinese and whose
client sends no language_code reads Chinese from upload to export (built-in engine, default settings)."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.sample import make_sample_clip
from tests.e2e.telegram_engine import bot
from tests.e2e.test_core import with_track
from tests.e2e.test_telegram import ANN, clip, world
from tests.fakes.nemo import ErrorEvent, FakeNemo, Partial, SetDraft, Text, ToolCall, ToolResult
from tests.language import english_words

pytestmark = pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")
LI = 8


async def test_turns_read_as_paragraphs_an_error_tells_what_applied_and_a_failed_link_says_so(
    nemo: FakeNemo, tmp_path: Path
) -> None:
    async with world(nemo, tmp_path) as w:
        w.tg.user_sends(ANN, ANN, video=clip(w.tg))
        await w.reply_with(ANN, "Uploaded holiday.mp4")
        await w.core.idle()

        nemo.script_chat(
            Partial(["Sure, adding ", "lo-fi music now."]),
            ToolCall("edit_multitrack", {"op": "add_music"}),
            ToolResult("edit_multitrack", {"ok": True}, {"draft": with_track(nemo, 1, "Lo-fi", 10, vol=0.35)}),
            Text("Added BGM 'Lo-fi' (0-10s, 35%)."),
        )
        w.tg.user_sends(ANN, ANN, "add lo-fi music")
        turns = await w.reply_with(ANN, "Added BGM 'Lo-fi'")
        await w.core.idle()
        assert (turns.text or "").startswith("Sure, adding lo-fi music now.\n\nAdded BGM 'Lo-fi' (0-10s, 35%).")
        assert (turns.text or "").count("lo-fi music now") == 1

        nemo.script_chat(
            Text("Adding rain sounds."),
            ToolCall("edit_multitrack", {"op": "add_music"}),
            ToolResult("edit_multitrack", {"ok": True}, {"draft": with_track(nemo, 1, "Rain", 10, vol=0.5)}),
            ErrorEvent("UNAVAILABLE", "model overloaded (503)"),
        )
        w.tg.user_sends(ANN, ANN, "add rain sounds")
        failed = await w.reply_with(ANN, "this much went through")
        await w.core.idle()
        assert "added music 'Rain' 0-10s" in (failed.text or "")
        assert "503" not in (failed.text or "") and "rephras" not in (failed.text or "").lower()
        assert nemo.chat_messages == ["add lo-fi music", "add rain sounds"]          # never resent

        session = next(iter(nemo.sessions.values()))
        nemo.script_chat(SetDraft({"t": session.draft["t"] + [{"tt": 7, "sg": [{"st": 0, "d": 3000,
                                                                                  "m": {"text": "Night"}}]}]}))
        w.tg.user_sends(ANN, ANN, "add the title Night")
        titled = await w.reply_with(ANN, "added text 'Night' 0-3s")
        await w.core.idle()
        assert "music" not in (titled.text or "").split("\n")[0]           # the rain is not reported again

        nemo.fail_next("upload", code=4004, http_status=502, message="download failed")
        w.tg.user_sends(ANN, ANN, "https://videos.example.org/clip.mp4")
        link = await w.reply_with(ANN, "couldn't fetch the video at that link")
        assert "can't be reached" not in (link.text or "")


@pytest.mark.slow
async def test_a_user_without_language_code_who_writes_chinese_reads_chinese(tmp_path: Path) -> None:
    sample = make_sample_clip(tmp_path / "sample.mp4", 4, (160, 90))
    async with bot(tmp_path) as b:
        tg, core = b.tg, b.core

        async def says(needle: str, **message: object) -> None:
            tg.user_sends(LI, LI, language_code=None, **message)  # type: ignore[arg-type]
            await tg.wait_for(lambda: any(needle in (m.text or m.caption or "") for m in tg.chat_log(LI)),
                              timeout=60)
            await core.idle(timeout=60)

        await says("", text="你好")  # whatever the greeting, in Chinese
        await says("已上传 clip.mp4", video=tg.add_file(path=sample, name="clip.mp4", mime="video/mp4"))
        await says("已添加标题“决赛”", text="加上标题“决赛”，3秒")
        await says("时间线（2条轨道）", text="状态")
        await says("积分：不限", text="积分")
        await says("🎬 视频已完成", text="导出")
        await tg.wait_for(lambda: tg.calls_to("sendVideo"), timeout=30)
    shown = [text for m in tg.chat_log(LI) for text in [m.text or "", m.caption or "", *m.edits]]
    shown += [str(button.get("text", "")) for m in tg.chat_log(LI) for button in m.buttons]
    assert english_words("\n".join(shown), "clip.mp4") == []
