"""Issue 9 through the real discord.py client and the strict Discord stand-in: a render over the
interaction's upload limit with no public link offers a smaller version that fits; separate agent turns
read as separate paragraphs, an error after an applied edit tells what applied (and the next edit reports
only its own change), a link whose download fails says so; a user who writes Chinese in DMs (a message
carries no locale) reads only Chinese from upload to export. The built-in engine runs at default settings."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from core.settings import BotSettings, Settings
from core.sizes import megabytes
from engine.sample import make_sample_clip
from tests.e2e.test_core import with_track
from tests.e2e.test_discord import (
    CLIP,
    READY,
    content,
    custom_ids,
    delivered,
    in_status,
    running_bot,
    with_discord,
)
from tests.fakes.discord import FakeDiscord
from tests.fakes.nemo import ErrorEvent, FakeNemo, Partial, SetDraft, Text, ToolCall, ToolResult
from tests.language import english_words
from tests.renders import exported

JSON = dict[str, Any]


def shown(dc: FakeDiscord, iid: int) -> str:
    """Everything an interaction's answer reads now (its original response and follow-ups)."""
    record = dc.interaction(iid)
    return "\n".join(content(m) for m in [record.original, *record.followups])


async def answered(dc: FakeDiscord, iid: int, needle: str, timeout: float = 15) -> str:
    await dc.wait_for(lambda: needle in shown(dc, iid), timeout=timeout)
    return shown(dc, iid)


def engine_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    monkeypatch.setenv("NEMOBOT_ENGINE_PORT", "0")
    monkeypatch.setenv("NEMOBOT_ENGINE_DATA_DIR", str(tmp_path / "engine"))
    monkeypatch.setenv("NEMOBOT_ENGINE_ALLOW_PRIVATE_URLS", "true")  # the stand-in's CDN is on loopback
    return Settings(bot=BotSettings(backend="engine", db_path=tmp_path / "bot.db"))


async def test_turns_read_as_paragraphs_an_error_tells_what_applied_and_a_failed_link_says_so(
    settings: Settings, nemo: FakeNemo
) -> None:
    async with FakeDiscord() as dc, running_bot(with_discord(settings, dc), dc) as (core, _):
        upload = dc.invoke_slash("upload", {"video": dc.attachment(CLIP, "clip.mp4")})
        await answered(dc, upload, "Uploaded clip.mp4")
        await core.idle()

        nemo.script_chat(
            Partial(["Sure, adding ", "lo-fi music now."]),
            ToolCall("edit_multitrack", {"op": "add_music"}),
            ToolResult("edit_multitrack", {"ok": True}, {"draft": with_track(nemo, 1, "Lo-fi", 10, vol=0.35)}),
            Text("Added BGM 'Lo-fi' (0-10s, 35%)."),
        )
        turns = dc.invoke_slash("edit", {"prompt": "add lo-fi music"})
        await answered(dc, turns, "Added BGM 'Lo-fi'")
        await core.idle()
        reply = content(dc.interaction(turns).original)
        assert reply.startswith("Sure, adding lo-fi music now.\n\nAdded BGM 'Lo-fi' (0-10s, 35%).")
        assert reply.count("lo-fi music now") == 1

        nemo.script_chat(
            Text("Adding rain sounds."),
            ToolCall("edit_multitrack", {"op": "add_music"}),
            ToolResult("edit_multitrack", {"ok": True}, {"draft": with_track(nemo, 1, "Rain", 10, vol=0.5)}),
            ErrorEvent("UNAVAILABLE", "model overloaded (503)"),
        )
        failed = dc.invoke_slash("edit", {"prompt": "add rain sounds"})
        await answered(dc, failed, "this much went through")
        await core.idle()
        reply = content(dc.interaction(failed).original)
        assert "added music 'Rain' 0-10s" in reply
        assert "503" not in reply and "rephras" not in reply.lower()
        assert nemo.chat_messages == ["add lo-fi music", "add rain sounds"]          # never resent

        session = next(iter(nemo.sessions.values()))
        nemo.script_chat(SetDraft({"t": session.draft["t"] + [{"tt": 7, "sg": [{"st": 0, "d": 3000,
                                                                                  "m": {"text": "Night"}}]}]}))
        titled = dc.invoke_slash("edit", {"prompt": "add the title Night"})
        await answered(dc, titled, "added text 'Night' 0-3s")
        await core.idle()
        assert "music" not in content(dc.interaction(titled).original).split("\n")[0]  # the rain is not told again

        nemo.fail_next("upload", code=4004, http_status=502, message="download failed")
        dc.user_message("https://videos.example.org/clip.mp4", dm=True)
        await dc.wait_for(lambda: any("couldn't fetch the video at that link" in content(m)
                                      for m in dc.dm_messages()), timeout=15)
        assert not any("can't be reached" in content(m) for m in dc.dm_messages())


def _texts(value: Any) -> Iterator[str]:
    """The texts a user reads in a message body: contents, component labels, embed texts."""
    if isinstance(value, dict):
        for key, item in value.items():
            if key in {"content", "label", "title", "description", "placeholder"} and isinstance(item, str):
                yield item
            else:
                yield from _texts(item)
    elif isinstance(value, list):
        for item in value:
            yield from _texts(item)


@pytest.mark.slow
async def test_a_user_who_writes_chinese_in_dms_reads_only_chinese(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sample = make_sample_clip(tmp_path / "sample.mp4", 4, (160, 90)).read_bytes()
    async with FakeDiscord() as dc, running_bot(with_discord(engine_settings(tmp_path, monkeypatch), dc), dc) as (
        core, _
    ):
        async def says(needle: str, text: str, **message: Any) -> None:
            dc.user_message(text, dm=True, **message)
            await dc.wait_for(lambda: any(needle in content(m) for m in dc.dm_messages()), timeout=60)
            await core.idle(timeout=60)

        await says("", "你好")  # whatever the greeting, in Chinese
        await says("已上传 clip.mp4", "", attachments=[dc.attachment(sample, "clip.mp4")])
        await says("已添加标题“决赛”", "加上标题“决赛”，3秒")
        await says("时间线（2条轨道）", "状态")
        await says("积分：不限", "积分")
        await says("🎬 视频已完成", "导出")
        await dc.wait_for(lambda: delivered(dc.dm_messages()), timeout=30)
        written = [text for call in dc.calls if "/commands" not in call.path for text in _texts(call.json)]
    assert english_words("\n".join(written), "clip.mp4") == []


@pytest.mark.slow
async def test_a_render_over_the_upload_limit_offers_a_smaller_version_that_fits(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    limit = 100 * 1024
    sample = make_sample_clip(tmp_path / "sample.mp4", 6, (320, 180)).read_bytes()
    async with FakeDiscord(attachment_size_limit=limit) as dc, \
            running_bot(with_discord(engine_settings(tmp_path, monkeypatch), dc), dc) as (core, _):
        upload = dc.invoke_slash("upload", {"video": dc.attachment(sample, "clip.mp4")})
        await answered(dc, upload, "Uploaded clip.mp4", timeout=60)
        export = dc.invoke_slash("export")
        await answered(dc, export, "Smaller version", timeout=60)
        await core.idle(timeout=60)
        render = exported(tmp_path / "engine")
        assert render.stat().st_size > limit, "the sample must render over the limit for this test"
        result = dc.interaction(export).original
        assert result is not None and "NEMOBOT_ENGINE_PUBLIC_BASE_URL" in content(result)
        assert delivered([result, *dc.interaction(export).followups]) is None and "http" not in content(result)
        smaller = next(cid for cid in custom_ids(result) if ":smaller:" in cid)
        press = dc.press_button(int(result["id"]), smaller)
        await dc.wait_for(lambda: in_status(dc, press), timeout=90)
        await core.idle(timeout=60)
        video = in_status(dc, press)  # the status message became the result, the smaller MP4 attached
        assert video is not None and READY in content(video) and not delivered(dc.interaction(press).followups)
        (attached,) = [a for a in video["attachments"] if a["filename"].endswith(".mp4")]
        assert 0 < attached["size"] <= limit


@pytest.mark.slow
async def test_slash_commands_from_a_chinese_client_read_only_chinese(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Discord sends every interaction with the user's client locale (the stand-in, like Discord, always
    sets one): a zh-CN client's slash commands and the export button are answered in Chinese throughout."""
    sample = make_sample_clip(tmp_path / "sample.mp4", 4, (160, 90)).read_bytes()
    async with FakeDiscord() as dc, running_bot(with_discord(engine_settings(tmp_path, monkeypatch), dc), dc) as (
        core, _
    ):
        async def runs(needle: str, name: str, **options: Any) -> int:
            iid = dc.invoke_slash(name, options, locale="zh-CN")
            await answered(dc, iid, needle, timeout=60)
            await core.idle(timeout=60)
            return iid

        await runs("已上传 clip.mp4", "upload", video=dc.attachment(sample, "clip.mp4"))
        edit = await runs("已添加标题“决赛”", "edit", prompt="加上标题“决赛”，3秒")
        await runs("时间线（2条轨道）", "status")
        await runs("积分：不限", "credits")
        export = next(cid for cid in custom_ids(dc.interaction(edit).original) if ":export:" in cid)
        press = dc.press_button(int(dc.interaction(edit).original["id"]), export, locale="zh-CN")  # type: ignore[index]
        await dc.wait_for(lambda: in_status(dc, press), timeout=60)
        await core.idle(timeout=60)
        assert "🎬 视频已完成" in content(in_status(dc, press))
        written = [text for call in dc.calls if "/commands" not in call.path for text in _texts(call.json)]
    assert english_words("\n".join(written), "clip.mp4") == []


@pytest.mark.parametrize("limit", [10 * 1024 * 1024, 50 * 1024 * 1024])
async def test_help_gives_what_this_discord_user_can_attach(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, limit: int
) -> None:
    """/help names the interaction's attachment_size_limit (10 MiB by default, more in a boosted server),
    not the backend's 500 MB that a Discord user cannot send."""
    async with FakeDiscord(attachment_size_limit=limit) as dc, running_bot(
        with_discord(engine_settings(tmp_path, monkeypatch), dc), dc
    ) as (_core, _):
        text = await answered(dc, dc.invoke_slash("help", {}), "Commands:")
    assert f"up to {megabytes(limit)} MB" in text
    assert "500 MB" not in text
