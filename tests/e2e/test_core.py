"""The conversation core against the stand-in NEMO, seen through a recording surface."""

from __future__ import annotations

import asyncio

import pytest

from core.conversation import Core
from core.ports import Attachment, Incoming, Target
from tests.fakes.nemo import (
    Drop,
    ErrorEvent,
    FakeNemo,
    Heartbeat,
    Partial,
    SetDraft,
    Sleep,
    Text,
    ToolCall,
    ToolResult,
)
from tests.recording import RecordingPort

ANN = Target("test", "chat-1", "ann")
pytestmark = pytest.mark.renders_done_when_polled  # render time is not these tests' subject


def text(message: str, target: Target = ANN, **kw: object) -> Incoming:
    return Incoming(target, text=message, **kw)  # type: ignore[arg-type]


def clip(name: str = "clip.mp4", data: bytes = b"v" * 1000) -> Attachment:
    async def chunks():  # type: ignore[no-untyped-def]
        yield data

    return Attachment(name, len(data), "video/mp4", open=chunks)


async def uploaded(core: Core, target: Target = ANN) -> None:
    await core.handle(Incoming(target, attachments=[clip()]))
    await core.idle()


async def test_status_message_ticks_then_ends_in_the_reply(core: Core, port: RecordingPort, nemo: FakeNemo) -> None:
    await uploaded(core)
    # a step that lasts past the status interval (5 s) is shown while it runs
    nemo.script_chat(ToolCall("edit_multitrack", {"op": "cut"}), Sleep(7.0), Heartbeat(), Text("Cut the pauses."))
    await core.handle(text("cut the pauses"))
    await core.idle()
    status = port.messages[-1]
    assert status.text.startswith("Cut the pauses.")
    assert any("applying edit_multitrack" in t for t in status.texts)   # the step from the tool call
    assert len(status.texts) == len(set(status.texts))                   # never the same text twice
    assert [b.action for b in status.buttons][:2] == ["export", "status"]


async def test_partial_text_is_shown_once(core: Core, port: RecordingPort, nemo: FakeNemo) -> None:
    await uploaded(core)
    nemo.script_chat(Partial(["Adding ", "a title."]))
    await core.handle(text("add a title"))
    await core.idle()
    assert port.last().startswith("Adding a title.")
    assert "Adding a title.Adding" not in port.last()


def with_track(nemo: FakeNemo, kind: int, label: str, seconds: int, **meta: object) -> dict[str, object]:
    """The session's draft with one more track holding one segment."""
    session = next(iter(nemo.sessions.values()))
    segment = {"st": 0, "d": seconds * 1000, "m": {"text" if kind == 7 else "name": label, **meta}}
    return {"t": session.draft["t"] + [{"tt": kind, "sg": [segment]}]}


async def test_separate_agent_turns_read_as_separate_paragraphs(
    core: Core, port: RecordingPort, nemo: FakeNemo
) -> None:
    await uploaded(core)
    music = with_track(nemo, 1, "Lo-fi", 10, vol=0.35)
    nemo.script_chat(
        Partial(["Sure, adding ", "lo-fi music now."]),                  # streamed, then repeated whole
        ToolCall("edit_multitrack", {"op": "add_music"}),
        ToolResult("edit_multitrack", {"ok": True}, {"draft": music}),
        Text("Added BGM 'Lo-fi' (0-10s, 35%)."),
    )
    await core.handle(text("add lo-fi music"))
    await core.idle()
    assert port.last().startswith("Sure, adding lo-fi music now.\n\nAdded BGM 'Lo-fi' (0-10s, 35%).")
    assert port.last().count("lo-fi music now") == 1


async def test_an_error_after_an_applied_edit_says_what_applied_and_the_next_edit_reports_only_its_own(
    core: Core, port: RecordingPort, nemo: FakeNemo
) -> None:
    await uploaded(core)
    music = with_track(nemo, 1, "Lo-fi", 10, vol=0.35)
    nemo.script_chat(
        Text("Sure, adding lo-fi music now."),
        ToolCall("edit_multitrack", {"op": "add_music"}),
        ToolResult("edit_multitrack", {"ok": True}, {"draft": music}),
        ErrorEvent("UNAVAILABLE", "model overloaded (503)"),
    )
    await core.handle(text("add lo-fi music"))
    await core.idle()
    reply = port.last()
    assert reply.startswith("The editor stopped with an error partway, but this much went through: "
                            "added music 'Lo-fi' 0-10s.")
    assert "503" not in reply and "overloaded" not in reply and "rephras" not in reply.lower()
    assert nemo.chat_messages == ["add lo-fi music"]                      # never resent
    session = next(iter(nemo.sessions.values()))
    titled = {"t": session.draft["t"] + [{"tt": 7, "sg": [{"st": 0, "d": 3000, "m": {"text": "Night"}}]}]}
    nemo.script_chat(SetDraft(titled))                                   # the next edit closes silently
    await core.handle(text("add the title Night"))
    await core.idle()
    assert "added text 'Night' 0-3s" in port.last()
    assert "music" not in port.last().split("\n")[0]                    # the old change is not reported again


async def test_an_error_before_any_change_says_nothing_changed_in_the_users_language(
    core: Core, port: RecordingPort, nemo: FakeNemo
) -> None:
    await uploaded(core)
    await core.handle(Incoming(ANN, command="lang", args="zh"))
    nemo.script_chat(ErrorEvent("MALFORMED_FUNCTION_CALL", "Traceback: KeyError 'draft'"))
    await core.handle(text("加音乐"))
    await core.idle()
    assert port.last().startswith("编辑器出错停止了，没有做任何改动。")
    assert "Traceback" not in port.last() and "KeyError" not in port.last()


async def test_later_messages_queue_with_position_and_cancel_stops_the_running_one(
    core: Core, port: RecordingPort, nemo: FakeNemo
) -> None:
    await uploaded(core)
    nemo.script_chat(Sleep(30), Text("never"))
    await core.handle(text("first: slow edit"))
    await nemo.wait_for(lambda: len(nemo.chat_messages) == 1)
    await core.handle(text("second"))
    await core.handle(text("third"))
    assert "Queued (position 1)" in port.texts()[-2]
    assert "Queued (position 2)" in port.texts()[-1]
    await core.handle(Incoming(ANN, command="cancel"))
    await core.idle(timeout=5)
    texts = port.texts()
    assert texts.count("Cancelled.") == 3   # the running edit and both queued ones
    assert nemo.chat_messages == ["first: slow edit"]


async def test_chinese_conversation(core: Core, port: RecordingPort, nemo: FakeNemo) -> None:
    zh = Target("test", "chat-zh", "li")
    await core.handle(Incoming(zh, attachments=[clip()], locale="zh-CN"))
    await core.idle()
    assert port.last().startswith("已上传 clip.mp4")
    await core.handle(Incoming(zh, text="积分", locale="zh-CN"))
    await core.idle()
    assert port.last().startswith("积分：可用")
    await core.handle(Incoming(zh, text="状态", locale="zh-CN"))
    await core.idle()
    assert port.last().startswith("时间线（1条轨道）：1. 视频：clip.mp4")
    await core.handle(Incoming(zh, text="导出", locale="zh-CN"))
    await core.idle()
    assert port.deliveries and port.deliveries[-1][1].startswith("🎬 视频已完成")


async def test_delivered_renders_are_not_held_in_memory(core: Core, port: RecordingPort, nemo: FakeNemo) -> None:
    users = [Target("test", f"chat-{n}", f"user-{n}") for n in range(12)]
    for user in users:
        await core.handle(Incoming(user, attachments=[clip()]))
    await core.idle()
    for user in users:
        await core.handle(Incoming(user, text="export"))
    await core.idle()
    assert len(port.deliveries) == len(users)
    assert core.renders.followed == 0  # an open bot delivers thousands: none stays behind


async def test_without_lang_or_locale_the_language_follows_what_the_user_writes_and_nemo_is_told(
    core: Core, port: RecordingPort, nemo: FakeNemo
) -> None:
    nemo.script_chat(Text("好的。"))
    await core.handle(text("加上标题 Urban Dreams"))                   # Chinese, with an English title
    await core.idle()
    await core.handle(Incoming(ANN, attachments=[clip()]))              # no words: the language stays
    await core.idle()
    assert port.last().startswith("已上传 clip.mp4")
    (created,) = [r for r in nemo.requests if r.path.startswith("/api/tasks/me/with-session/")]
    assert created.json["language"] == "zh"
    await core.handle(Incoming(ANN, command="lang", args="en"))
    await core.handle(text("加音乐"))
    await core.idle()
    chats = [r.json for r in nemo.requests if r.path == "/run_sse"]
    assert [c["state_delta"] for c in chats] == [{"language": "zh"}, {"language": "en"}]   # /lang wins


async def test_lang_command_overrides_the_locale(core: Core, port: RecordingPort) -> None:
    await core.handle(Incoming(ANN, command="lang", args="zh", locale="en-US"))
    await core.handle(Incoming(ANN, command="help", locale="en-US"))
    assert port.texts()[-2] == "语言：中文。"
    assert port.last().startswith("命令：")


async def test_silent_close_reports_the_state_difference(core: Core, port: RecordingPort, nemo: FakeNemo) -> None:
    await uploaded(core)
    session = next(iter(nemo.sessions.values()))
    new_draft = {"t": session.draft["t"] + [{"tt": 7, "sg": [{"st": 0, "d": 3000, "m": {"text": "Urban Dreams"}}]}]}
    nemo.script_chat(SetDraft(new_draft))
    await core.handle(text("add the title Urban Dreams"))
    await core.idle()
    assert "added text 'Urban Dreams' 0-3s" in port.last()
    assert 'Title: "Urban Dreams" (0-3s)' in port.last()


async def test_dropped_stream_is_not_resent_and_the_state_is_read(core: Core, port: RecordingPort, nemo: FakeNemo) -> None:
    await uploaded(core)
    session = next(iter(nemo.sessions.values()))
    nemo.script_chat(SetDraft({"t": session.draft["t"] + [{"tt": 7, "sg": [{"d": 2000, "m": {"text": "Hi"}}]}]}), Drop())
    await core.handle(text("add Hi"))
    await core.idle()
    assert nemo.chat_messages.count("add Hi") == 1
    assert "connection dropped, but the edit went through: added text 'Hi' 0-2s" in port.last()


async def test_session_lost_mid_conversation_restarts_and_says_so(core: Core, port: RecordingPort, nemo: FakeNemo) -> None:
    await uploaded(core)
    nemo.forget_session(next(iter(nemo.sessions)))
    await core.handle(text("add a title 'Again'"))
    await core.idle()
    assert "timeline restarted" in port.last()
    assert nemo.chat_messages == ["add a title 'Again'"]


@pytest.mark.parametrize(("code", "expected"), [
    (2001, "out of credits. Register to get more"),
    (4001, "Supported formats: mp4, mov"),
    (4002, "over the 500 MB limit"),
])
async def test_nemo_errors_become_clear_messages(core: Core, port: RecordingPort, nemo: FakeNemo, code: int, expected: str) -> None:
    nemo.fail_next("upload", code=code)
    await uploaded(core)
    assert expected in port.last()
    assert "{" not in port.last() and "Traceback" not in port.last()


async def test_export_blocked_and_failed_render(core: Core, port: RecordingPort, nemo: FakeNemo) -> None:
    await uploaded(core)
    nemo.fail_next("export", http_status=402)
    await core.handle(text("export"))
    await core.idle()
    assert "Register or upgrade your plan to unlock export" in port.last()
    from tests.fakes.nemo import RenderPlan

    nemo.render_plan = RenderPlan(steps=0, fail=True, error="encoder crashed")
    await core.handle(text("export"))
    await core.idle()
    assert "The render failed on the video service." in port.last() and "encoder" not in port.last()
    assert not port.deliveries


async def test_export_with_an_empty_timeline_says_what_to_do(core: Core, port: RecordingPort, nemo: FakeNemo) -> None:
    await core.handle(text("export"))
    await core.idle()
    assert port.last() == "There is nothing to export yet: send a video first."
    assert not [r for r in nemo.requests if r.path == "/api/render/proxy/lambda"]


async def test_a_button_pressed_by_someone_else_is_refused(core: Core, port: RecordingPort, nemo: FakeNemo) -> None:
    group_ann = Target("test", "group-1", "ann", group=True)
    group_bob = Target("test", "group-1", "bob", group=True)
    await uploaded(core, group_ann)
    await core.handle(Incoming(group_bob, button="export", button_owner="ann"))
    await core.idle()
    assert port.notices == ["Only the person who asked can use these buttons."]
    assert not [r for r in nemo.requests if r.path == "/api/render/proxy/lambda"]
    await core.handle(Incoming(group_ann, button="export", button_owner="ann"))
    await core.idle()
    assert len(port.deliveries) == 1


async def test_group_members_have_separate_conversations(core: Core, port: RecordingPort, nemo: FakeNemo) -> None:
    await uploaded(core, Target("test", "g", "ann", group=True))
    await uploaded(core, Target("test", "g", "bob", group=True))
    assert len(nemo.sessions) == 2


async def test_control_characters_and_empty_text(core: Core, port: RecordingPort, nemo: FakeNemo) -> None:
    await core.handle(text("\x00\x07  \u200b"))
    assert port.last() == "Tell me what to do with your video, or send one."
    await core.handle(text("x" * 100_000))
    assert port.last().startswith("That message is too long (100000 characters")
    assert nemo.chat_messages == []


async def test_other_chats_keep_being_served_while_one_waits(core: Core, port: RecordingPort, nemo: FakeNemo) -> None:
    await uploaded(core)
    nemo.script_chat(Sleep(30), Text("slow"))
    await core.handle(text("slow edit"))
    await nemo.wait_for(lambda: len(nemo.chat_messages) == 1)
    other = Target("test", "chat-2", "bob")
    await core.handle(Incoming(other, text="credits"))
    await asyncio.wait_for(port.changed.wait(), 5)
    assert any(m.target == other and m.text.startswith("Credits:") for m in port.messages)
    await core.handle(Incoming(ANN, command="cancel"))
    await core.idle(timeout=5)


async def test_a_shutdown_interrupts_edits_but_leaves_renders_to_the_next_start(
    settings, nemo: FakeNemo  # type: ignore[no-untyped-def]
) -> None:
    from bots.app import running_core
    from tests.fakes.nemo import RenderPlan

    nemo.render_plan = RenderPlan(stuck=True)
    first = RecordingPort()
    async with running_core(settings) as core:
        core.register(first)
        other = Target("test", "chat-9", "zoe")
        await uploaded(core)
        await uploaded(core, other)
        await core.handle(text("export"))
        await nemo.wait_for(lambda: len(nemo.renders) == 1)
        nemo.script_chat(Sleep(30), Text("never"))
        await core.handle(text("slow edit", other))
        await nemo.wait_for(lambda: "slow edit" in nemo.chat_messages)
    render = next(iter(nemo.renders.values()))
    assert render.status != "cancelled"                       # not cancelled at NEMO by a shutdown
    assert any(m.text.startswith("⏸ The bot restarted") for m in first.messages if m.target == other)
    assert not first.deliveries

    render.plan = RenderPlan(steps=0)                         # it finished while the bot was down
    second = RecordingPort()
    async with running_core(settings) as core:
        core.register(second)
        await core.idle()
    assert len(second.deliveries) == 1 and render.id in second.deliveries[0][2].url


async def test_an_idle_conversation_leaves_memory_and_comes_back_as_it_was(
    core: Core, port: RecordingPort, nemo: FakeNemo
) -> None:
    """An open bot meets thousands of users: the idle ones leave memory (their record is in the store) and a
    user coming back finds their language, session and timeline as they left them; one at work stays."""
    await uploaded(core)
    await core.handle(Incoming(ANN, command="lang", args="zh"))
    await core.idle()
    busy = Target("test", "chat-2", "bo")
    await uploaded(core, busy)
    nemo.script_chat(Sleep(30), Text("never"))
    await core.handle(text("slow edit", busy))
    await nemo.wait_for(lambda: len(nemo.chat_messages) == 1)
    assert core.forget_idle(0) == 1
    assert ANN.conversation not in core.conversations and busy.conversation in core.conversations
    session = (await core.store.get_conversation(ANN.conversation)).session_id  # type: ignore[union-attr]
    nemo.script_chat(Text("好的，已加音乐。"))
    await core.handle(text("加音乐"))
    async with asyncio.timeout(5):
        while not port.last().startswith("好的，已加音乐。"):  # still Chinese: the record came back from the store
            await asyncio.sleep(0.02)
    assert core.conversations[ANN.conversation].record.session_id == session  # the same NEMO session
    await core.handle(Incoming(busy, command="cancel"))
    await core.idle(timeout=5)
