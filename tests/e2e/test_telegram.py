"""The Telegram front-end end to end: the real PTB Application against FakeTelegram and FakeNemo on
loopback, as a user would see it in the chat."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr
from telegram.ext import Application

from bots.app import running_core
from bots.telegram.app import running_bot, surface_of
from core.conversation import Core
from core.settings import Settings, TelegramSettings
from tests.conftest import cloud_settings
from tests.fakes.nemo import FakeNemo, Sleep, Text, ToolCall
from tests.fakes.telegram import FakeTelegram, SentMessage
from tests.fakes.tokens import NEMO_SHAPED_LONG

pytestmark = [
    pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning"),
    pytest.mark.renders_done_when_polled,  # render time is not these tests' subject (but the first test's)
]

MB = 1024 * 1024
ANN, BOB = 1001, 1002
GROUP = -100777


@dataclass
class World:
    tg: FakeTelegram
    nemo: FakeNemo
    core: Core
    app: Application
    settings: Settings

    def texts(self, chat: int) -> list[str]:
        return [m.text or m.caption or "" for m in self.tg.chat_log(chat)]

    async def reply_with(self, chat: int, needle: str, timeout: float = 10.0) -> SentMessage:
        """The first bot message in `chat` whose current text contains `needle`."""
        return await self.tg.wait_for(
            lambda: next((m for m in self.tg.chat_log(chat) if needle in (m.text or m.caption or "")), None),
            timeout=timeout)

    def uploads(self) -> list[Any]:
        return [r for r in self.nemo.requests if r.path.startswith("/api/upload-video/")]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@asynccontextmanager
async def world(nemo: FakeNemo, tmp_path: Path, *, local_mode: bool = False, **telegram: Any) -> AsyncIterator[World]:
    async with FakeTelegram(local_mode=local_mode) as tg:
        settings = cloud_settings(nemo.url, tmp_path / "bot.db")
        settings.telegram = TelegramSettings(
            token=SecretStr(tg.token), api_base_url=tg.base_url, file_base_url=tg.base_file_url,
            local_mode=local_mode, **telegram)
        async with running_core(settings) as core, running_bot(core, settings) as app:
            yield World(tg, nemo, core, app, settings)
            await core.idle()
        for sent in tg.messages.values():  # whatever happened, nothing private or raw reached a chat
            shown = " ".join(filter(None, [sent.text, sent.caption, *sent.edits]))
            assert tg.token not in shown and "Traceback" not in shown and '{"' not in shown


@pytest.fixture
async def w(nemo: FakeNemo, tmp_path: Path) -> AsyncIterator[World]:
    async with world(nemo, tmp_path) as running:
        yield running


def clip(tg: FakeTelegram, size: int = 4096, name: str = "holiday.mp4", mime: str = "video/mp4") -> str:
    return tg.add_file(b"\x00\x00\x00\x18ftypmp42" + b"v" * (size - 12), name=name, mime=mime)


@pytest.mark.slow  # follows a cloud render at NEMO's 30 s cadence
async def test_video_with_caption_edits_one_status_message_then_export_delivers_link_and_video(w: World) -> None:
    tg, nemo = w.tg, w.nemo
    # a step that lasts past the status interval (5 s) is shown while it runs
    nemo.script_chat(ToolCall("edit_multitrack", {"op": "add_text"}), Sleep(7.0), Text("Title added."))
    tg.user_sends(ANN, ANN, caption="add the title 'Urban Dreams'", video=clip(tg))
    status = await w.reply_with(ANN, "Title added.", timeout=20)
    assert len(tg.chat_log(ANN)) == 1                                   # one message, edited in place
    assert any("applying edit_multitrack" in t for t in status.edits)
    assert len(status.edits) == len(set(status.edits))                  # never the same text twice
    assert status.button_data[:2] == [f"a:export:{ANN}", f"a:status:{ANN}"]
    assert nemo.chat_messages == ["add the title 'Urban Dreams'"]
    assert w.uploads()[0].files == [("files", "holiday.mp4", 4096)]
    assert tg.calls_to("getFile") and tg.chat_actions                   # streamed from Telegram; "typing" shown

    # a cloud render followed at NEMO's cadence: 50% at once (the first poll), done at the next, 30 s later
    nemo.render_plan.steps = 1
    tg.user_sends(ANN, ANN, "export")
    await tg.wait_for(lambda: tg.calls_to("sendVideo"), timeout=60)
    video = tg.last_message(ANN)
    assert video is not None and video.kind == "video" and video.file_size == len(nemo.render_plan.content)
    assert tg.calls_to("sendVideo")[0].params.get("supports_streaming") is True
    result = tg.chat_log(ANN)[1]                                        # the export's status became the result
    assert len(tg.chat_log(ANN)) == 3 and result.text == "🎬 Your video is ready."
    assert any("rendering 50%" in t for t in result.edits)
    # the render's loopback address opens nowhere on a phone: no link, in the text or as a button
    assert "http" not in " ".join(result.edits) and not any("url" in b for b in result.buttons)
    assert not [c for c in tg.calls if c.status == 400]
    assert not tg.flood.refusals                                        # the bot paced itself
    # the command menu, in English and Chinese
    assert [c["command"] for c in tg.commands['{"type": "default"}|']][:3] == ["start", "help", "new"]
    assert tg.commands['{"type": "default"}|zh'][-1] == {"command": "cancel", "description": "停止当前任务"}


async def test_a_30_mb_file_on_the_cloud_bot_api_is_explained_without_calling_get_file(w: World) -> None:
    big = w.tg.add_file(size=30 * MB, name="wedding.mp4")
    w.tg.user_sends(ANN, ANN, caption="cut the pauses", video=big)
    answer = await w.reply_with(ANN, "20 MB")
    assert "wedding.mp4" in (answer.text or "") and "30 MB" in (answer.text or "")
    assert "link" in (answer.text or "") and "local mode" in (answer.text or "")
    assert not w.tg.calls_to("getFile") and not w.uploads() and not w.nemo.chat_messages


async def test_local_mode_streams_a_large_file_from_disk(nemo: FakeNemo, tmp_path: Path) -> None:
    async with world(nemo, tmp_path, local_mode=True, upload_limit_mb=2000) as w:
        big = w.tg.add_file(size=30 * MB, name="match.mp4")
        w.tg.user_sends(ANN, ANN, video=big)
        await w.reply_with(ANN, "Uploaded match.mp4", timeout=20)
        assert w.uploads()[0].files == [("files", "match.mp4", 30 * MB)]
        assert w.tg.calls_to("getFile")
        w.tg.user_sends(ANN, ANN, "export")                              # the render goes back as a local file
        await w.tg.wait_for(lambda: w.tg.calls_to("sendVideo"))
        assert str(w.tg.calls_to("sendVideo")[0].params["video"]).startswith("file://")


async def test_export_button_renders_and_delivers(w: World) -> None:
    tg = w.tg
    tg.user_sends(ANN, ANN, video=clip(tg))
    uploaded = await w.reply_with(ANN, "Uploaded holiday.mp4")
    query = tg.user_presses(ANN, ANN, uploaded.message_id, f"a:export:{ANN}")
    await w.reply_with(ANN, "Your video is ready")
    assert tg.answered_callbacks[query] == (None, False)


async def test_in_a_group_only_the_asker_may_press_and_chatter_is_ignored(w: World) -> None:
    tg, nemo = w.tg, w.nemo
    tg.user_sends(GROUP, BOB, "nice weather today", chat_type="supergroup")
    tg.user_sends(GROUP, ANN, caption="@nemo_test_bot", video=clip(tg), chat_type="supergroup")
    uploaded = await w.reply_with(GROUP, "Uploaded holiday.mp4")
    assert uploaded.reply_to_message_id is not None                     # answers the person who asked
    query = tg.user_presses(GROUP, BOB, uploaded.message_id, f"a:export:{ANN}", first_name="Bob")
    await tg.wait_for(lambda: query in tg.answered_callbacks)
    assert tg.answered_callbacks[query] == ("Only the person who asked can use these buttons.", True)
    tg.user_command(GROUP, BOB, "/credits@nemo_test_bot", chat_type="supergroup", first_name="Bob")
    await w.reply_with(GROUP, "Credits:")
    await w.core.idle()
    assert not [r for r in nemo.requests if r.path.startswith("/api/render")]
    assert len(tg.chat_log(GROUP)) == 2                                 # the chatter got no answer


async def test_forged_button_is_stale_and_does_nothing(w: World) -> None:
    tg = w.tg
    tg.user_sends(ANN, ANN, "/help")
    help_message = await w.reply_with(ANN, "Commands:")
    query = tg.user_presses(ANN, ANN, help_message.message_id, "a:rm -rf:1", check_button=False)
    await tg.wait_for(lambda: query in tg.answered_callbacks)
    assert tg.answered_callbacks[query] == ("That button is no longer valid.", False)
    await w.core.idle()
    assert len(tg.chat_log(ANN)) == 1


async def test_start_offers_mode_buttons_that_switch_the_mode(w: World) -> None:
    tg = w.tg
    tg.user_command(ANN, ANN, "/start")
    welcome = await w.reply_with(ANN, "Send me a video")
    assert f"m:highlights:{ANN}" in welcome.button_data and f"a:export:{ANN}" in welcome.button_data
    tg.user_presses(ANN, ANN, welcome.message_id, f"m:highlights:{ANN}")
    await w.reply_with(ANN, "Mode: highlights")


async def test_cancel_stops_a_running_edit(w: World) -> None:
    tg, nemo = w.tg, w.nemo
    tg.user_sends(ANN, ANN, video=clip(tg))
    await w.reply_with(ANN, "Uploaded")
    nemo.script_chat(Sleep(30), Text("never"))
    tg.user_sends(ANN, ANN, "make it black and white")
    await nemo.wait_for(lambda: nemo.chat_messages)
    tg.user_command(ANN, ANN, "/cancel")
    await w.reply_with(ANN, "Cancelled.")
    await w.core.idle(timeout=5)
    assert "never" not in " ".join(w.texts(ANN))


async def test_a_conversation_in_chinese(w: World) -> None:
    tg = w.tg
    tg.user_sends(ANN, ANN, video=clip(tg), language_code="zh-hans")
    await w.reply_with(ANN, "已上传 holiday.mp4")
    tg.user_command(ANN, ANN, "/help", language_code="zh-hans")
    await w.reply_with(ANN, "命令：")
    tg.user_sends(ANN, ANN, "导出", language_code="zh-hans")
    await w.reply_with(ANN, "视频已完成")
    big = tg.add_file(size=25 * MB, name="big.mp4")
    tg.user_sends(ANN, ANN, video=big, language_code="zh-hans")
    await w.reply_with(ANN, "本地模式")


async def test_a_429_storm_loses_nothing(w: World) -> None:
    tg = w.tg
    tg.force_429("sendMessage", times=6, retry_after=1)
    tg.force_429("editMessageText", times=6, retry_after=1)
    chats = [ANN, BOB, 1003]
    for chat in chats:
        tg.user_sends(chat, chat, video=clip(tg))
        tg.user_command(chat, chat, "/help")
        tg.user_sends(chat, chat, "credits")
    for chat in chats:
        await w.reply_with(chat, "Uploaded", timeout=30)
        await w.reply_with(chat, "Commands:", timeout=30)
        await w.reply_with(chat, "Credits:", timeout=30)
    await w.core.idle()
    assert tg.count_429 == 12
    for chat in chats:
        assert len(tg.chat_log(chat)) == 3, w.texts(chat)


async def test_forty_chats_at_once_are_all_answered_without_meeting_telegrams_flood_limit(w: World) -> None:
    tg = w.tg
    chats = range(5000, 5040)  # more answers than Telegram takes in a second (30)
    for chat in chats:
        tg.user_command(chat, chat, "/help")
    await tg.wait_for(lambda: all(tg.chat_log(chat) for chat in chats), timeout=30)
    assert all("Commands:" in (tg.chat_log(chat)[0].text or "") for chat in chats)
    assert tg.count_429 == 0 and not tg.flood.refusals, tg.flood.refusals  # the bot paced itself: none refused
    sent = sorted(c.time for c in tg.calls_to("sendMessage"))
    assert max(sum(1 for t in sent if start <= t < start + 1.0) for start in sent) <= 30


async def test_an_album_is_one_upload_with_the_caption_as_the_instruction(w: World) -> None:
    tg, nemo = w.tg, w.nemo
    files = [clip(tg, name="a.mp4"), clip(tg, name="b.mp4"), tg.add_file(b"\xff\xd8" + b"p" * 500, name="c.jpg",
                                                                             mime="image/jpeg")]
    tg.user_sends_album(ANN, ANN, files, caption="make a montage")
    await nemo.wait_for(lambda: nemo.chat_messages, timeout=10)
    await w.core.idle()
    assert len(w.uploads()) == 1
    assert [name for _, name, _ in w.uploads()[0].files] == ["a.mp4", "b.mp4", "photo_U0003.jpg"]
    assert nemo.chat_messages == ["make a montage"]


async def test_a_link_is_uploaded_by_url(w: World) -> None:
    w.nemo.fetch_urls = False  # relaxed: a public host is out of reach, and this is about passing the link on
    w.tg.user_sends(ANN, ANN, "https://example.org/clips/surf.mp4")
    await w.reply_with(ANN, "Uploaded")
    assert w.uploads()[0].json == {"urls": ["https://example.org/clips/surf.mp4"], "source_type": "url"}


async def test_long_text_is_split(w: World) -> None:
    w.tg.user_sends(ANN, ANN, video=clip(w.tg))
    await w.reply_with(ANN, "Uploaded")
    w.nemo.script_chat(Text("word " * 1500))
    w.tg.user_sends(ANN, ANN, "tell me everything")
    await w.tg.wait_for(lambda: len(w.tg.chat_log(ANN)) == 3)
    await w.core.idle()
    first, second = w.tg.chat_log(ANN)[1:]
    assert first.text and second.text and len(first.text) <= 4096
    assert (first.text + " " + second.text).split() == ["word"] * 1500
    assert second.button_data and not first.button_data


async def test_webhook_mode(nemo: FakeNemo, tmp_path: Path) -> None:
    port = free_port()
    async with world(nemo, tmp_path, webhook_url="https://bot.example.com/telegram-hook",
                     webhook_listen="127.0.0.1", webhook_port=port, webhook_secret=SecretStr("s3cret")) as w:
        w.tg.tls_proxy("https://bot.example.com", f"http://127.0.0.1:{port}")  # the TLS proxy in front of the bot
        assert w.tg.updates.webhook_url == "https://bot.example.com/telegram-hook"
        assert w.tg.updates.webhook_secret == "s3cret"
        w.tg.user_command(ANN, ANN, "/credits")
        await w.reply_with(ANN, "Credits:")
        assert not w.tg.calls_to("getUpdates")


async def test_chats_outside_the_allowlist_get_one_short_refusal(nemo: FakeNemo, tmp_path: Path) -> None:
    async with world(nemo, tmp_path, allowed_chats=[ANN]) as w:
        w.tg.user_sends(BOB, BOB, "hello")
        w.tg.user_sends(BOB, BOB, "hello again")
        w.tg.user_sends(GROUP, BOB, "/help", chat_type="group")
        w.tg.user_command(ANN, ANN, "/help")
        await w.reply_with(ANN, "Commands:")
        await w.reply_with(BOB, "not open to this chat")
        await surface_of(w.app).drain()
        assert len(w.tg.chat_log(BOB)) == 1 and not w.tg.chat_log(GROUP)


async def test_a_429_on_one_chat_does_not_hold_up_another(w: World) -> None:
    tg = w.tg
    tg.force_429("sendMessage", times=1, retry_after=4)
    tg.user_command(ANN, ANN, "/help")
    await tg.wait_for(lambda: tg.count_429 == 1)
    tg.user_command(BOB, BOB, "/help")
    await w.reply_with(BOB, "Commands:", timeout=3)
    assert not tg.chat_log(ANN)                                         # still waiting out its 4 s
    await w.reply_with(ANN, "Commands:", timeout=6)


async def test_network_failures_are_retried(w: World) -> None:
    tg = w.tg
    tg.fail_network("sendMessage", times=2)
    tg.user_command(ANN, ANN, "/help")
    await w.reply_with(ANN, "Commands:")
    assert tg.count_network_failures == 2 and len(tg.chat_log(ANN)) == 1


async def test_a_token_message_is_deleted_after_use(w: World) -> None:
    sent = w.tg.user_command(ANN, ANN, f"/token {NEMO_SHAPED_LONG}")
    await w.reply_with(ANN, "token is saved")
    await w.tg.wait_for(lambda: w.tg.calls_to("deleteMessage"))
    assert (ANN, sent["message_id"]) not in w.tg.user_messages


async def test_an_unexpected_failure_is_logged_and_the_user_told(w: World, monkeypatch: pytest.MonkeyPatch,
                                                                  caplog: pytest.LogCaptureFixture) -> None:
    async def broken(incoming: object) -> None:
        raise RuntimeError("bug in the core")

    monkeypatch.setattr(w.core, "handle", broken)
    w.tg.user_sends(ANN, ANN, "hello")
    await w.reply_with(ANN, "something went wrong on my side")
    assert "bug in the core" in caplog.text
    assert "bug in the core" not in " ".join(w.texts(ANN))


async def test_a_wrong_token_stops_the_start_with_a_clear_message(nemo: FakeNemo, tmp_path: Path) -> None:
    async with FakeTelegram() as tg:
        settings = cloud_settings(nemo.url, tmp_path / "bot.db")
        wrong = "999999:WRONG-token-xxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
        settings.telegram = TelegramSettings(token=SecretStr(wrong), api_base_url=tg.base_url,
                                             file_base_url=tg.base_file_url)
        async with running_core(settings) as core:
            with pytest.raises(SystemExit) as stopped:
                async with running_bot(core, settings):
                    pass
    assert "refused TELEGRAM_TOKEN" in str(stopped.value) and wrong not in str(stopped.value)


async def test_documents_animations_video_notes_and_audio_are_uploaded(w: World) -> None:
    tg = w.tg
    tg.user_sends(ANN, ANN, document=clip(tg, name="raw footage.mov", mime="video/quicktime"))
    tg.user_sends(ANN, ANN, animation=clip(tg, name="loop.mp4"))
    tg.user_sends(ANN, ANN, video_note=clip(tg, name="note.mp4"))
    tg.user_sends(ANN, ANN, audio=tg.add_file(b"ID3" + b"a" * 900, name="theme.mp3", mime="audio/mpeg"))
    await tg.wait_for(lambda: len(w.uploads()) == 4)
    await w.core.idle()
    names = [name for upload in w.uploads() for _, name, _ in upload.files]
    assert names[0] == "raw footage.mov" and names[1] == "loop.mp4" and names[3] == "theme.mp3"
    assert names[2].startswith("video_note_") and names[2].endswith(".mp4")
