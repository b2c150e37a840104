"""The Discord front-end: the real discord.py client against the stand-in Discord and NEMO.

Every test runs the bot as ``nemobot discord`` would (``serve``: log in, sync commands, connect
to the gateway), plays the Discord user through ``FakeDiscord`` and reads back what the bot did.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bots.app import running_core
from bots.discord.app import build_client, serve
from bots.discord.client import NemoBotMixin
from core.conversation import Core
from core.i18n import say
from core.settings import DiscordSettings, Settings
from tests.fakes.discord import FakeDiscord
from tests.fakes.nemo import FakeNemo, RenderPlan, Sleep, Text, ToolCall
from tests.fakes.nemo.script import DEFAULT_CONTENT

ROOT = Path(__file__).resolve().parents[2]
JSON = dict[str, Any]
CLIP = b"\x00\x00\x00\x18ftypmp42" + b"v" * 4096
MESSAGE_CONTENT_INTENT = 1 << 15


@pytest.fixture
async def dc() -> AsyncIterator[FakeDiscord]:
    async with FakeDiscord() as fake:
        yield fake


def with_discord(settings: Settings, dc: FakeDiscord, **discord: Any) -> Settings:
    """The test settings, with the Discord front-end pointed at the stand-in."""
    section = DiscordSettings(token=dc.bot_token, api_base_url=dc.api_base, gateway_url=dc.gateway_url,
                              dev_guilds=[dc.guild_id], **discord)
    return settings.model_copy(update={"discord": section})


@contextlib.asynccontextmanager
async def running_bot(settings: Settings, dc: FakeDiscord) -> AsyncIterator[tuple[Core, NemoBotMixin]]:
    """A core and the Discord client on it, connected; both closed cleanly on exit."""
    async with running_core(settings) as core:
        client = build_client(core, settings, identify_delay=0)
        task = asyncio.create_task(serve(client))
        ready = asyncio.create_task(dc.wait_ready(timeout=15))
        done, _ = await asyncio.wait({task, ready}, return_when=asyncio.FIRST_COMPLETED)
        if task in done:
            ready.cancel()
            task.result()  # raises why the client stopped
            raise AssertionError("the client stopped before it was ready")
        ready.result()
        try:
            yield core, client
            await core.idle(timeout=10)  # let the last edits land before the client closes
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            assert client.is_closed()  # type: ignore[attr-defined]


def content(message: JSON | None) -> str:
    return str((message or {}).get("content") or "")


def custom_ids(message: JSON | None) -> list[str]:
    return [c.get("custom_id", "") for row in (message or {}).get("components", []) for c in row.get("components", [])]


def link_buttons(message: JSON) -> list[str]:
    return [c["url"] for row in message.get("components", []) for c in row.get("components", []) if c.get("url")]


def final(dc: FakeDiscord, iid: int, prefix: str) -> Any:
    """A predicate: the original response of ``iid`` starts with ``prefix``."""
    return lambda: content(dc.interaction(iid).original).startswith(prefix)


def delivered(messages: list[JSON]) -> JSON | None:
    """The message that carries the rendered MP4."""
    return next((m for m in messages if any(a["filename"].endswith(".mp4") for a in m.get("attachments") or [])),
                None)


def in_status(dc: FakeDiscord, iid: int) -> JSON | None:
    """The interaction's original response (the job's status message) once it carries the rendered MP4."""
    return delivered([dc.interaction(iid).original or {}])


READY = "🎬 Your video is ready"
pytestmark = pytest.mark.renders_done_when_polled  # render time is not these tests' subject (unless set)


async def test_edit_with_a_video_streams_progress_then_export_sends_link_and_file(
    settings: Settings, dc: FakeDiscord, nemo: FakeNemo
) -> None:
    # a step that lasts past the status interval (5 s) is shown while it runs
    nemo.script_chat(ToolCall("edit_multitrack", {"op": "cut"}), Sleep(7.0), Text("Cut the pauses."))
    async with running_bot(with_discord(settings, dc), dc):
        names = {c["name"] for c in dc.registered_commands(dc.guild_id)}
        assert {"edit", "upload", "export", "status", "credits", "new", "mode", "lang", "cancel"} <= names

        iid = dc.invoke_slash("edit", {"prompt": "cut the pauses", "video": dc.attachment(CLIP, "clip.mp4")})
        await dc.wait_for(final(dc, iid, "Cut the pauses."), timeout=20)
        record = dc.interaction(iid)
        assert record.deferred and record.deferred_at is not None and record.deferred_at - record.created_at < 3
        shown = [content(m) for m in record.original_edits]
        assert shown[0].startswith("⏳")                                     # the status replaces "thinking…"
        assert any("applying edit_multitrack" in text for text in shown)    # progress, edited in place
        assert len(shown) == len(set(shown))                                # never the same text twice
        assert f"nb:export:{dc.user_id}" in custom_ids(record.original)      # the owner's buttons
        upload = next(r for r in nemo.requests if r.path.startswith("/api/upload-video/"))
        assert "/attachments/" in upload.json["urls"][0]                   # NEMO got the signed CDN URL...
        assert [c.status for c in dc.cdn_calls] == [200]  # ...NEMO fetched it once; the bot never downloaded it

        export = dc.invoke_slash("export")
        await dc.wait_for(lambda: in_status(dc, export), timeout=15)
        record = dc.interaction(export)
        assert record.deferred
        result = in_status(dc, export)                                      # the status became the result:
        assert result is not None and content(result).startswith(READY)    # its text,
        assert f"nb:status:{dc.user_id}" in custom_ids(result)              # its buttons,
        files = result["attachments"]                                       # and the MP4, in one message
        assert not record.followups
        assert "http" not in content(result)                                # a loopback link opens nowhere
        assert not [u for u in link_buttons(result) if "/files/" in u]
        assert [a["size"] for a in files] == [len(DEFAULT_CONTENT)] and files[0]["filename"].endswith(".mp4")
        assert not [c for c in dc.calls if c.status >= 400]


@pytest.mark.slow  # follows a cloud render at NEMO's 30 s cadence
async def test_a_job_that_outlives_the_interaction_token_finishes_in_a_bot_message(
    settings: Settings, nemo: FakeNemo
) -> None:
    # a token of 28 s for Discord's 15 min: the bot moves at 60% to 80% of its life (17-22 s), where a
    # status tick (every 5 s) falls, as in life; the render, done at the second poll (30 s), outlives it
    async with FakeDiscord(interaction_ttl=28.0) as dc:
        bot_settings = with_discord(settings, dc, interaction_lifetime=28.0)  # timing is the point: the token
        async with running_bot(bot_settings, dc):
            upload = dc.invoke_slash("upload", {"video": dc.attachment(CLIP, "clip.mp4")})
            await dc.wait_for(final(dc, upload, "Uploaded clip.mp4"), timeout=10)

            nemo.render_plan = RenderPlan(pending_polls=1)
            export = dc.invoke_slash("export")
            await dc.wait_for(lambda: delivered(dc.channel_messages()), timeout=60)
            (result,) = [m for m in dc.channel_messages() if content(m).startswith(READY)]
            assert delivered([result]) and result["components"]  # the status moved (bot token), became the result
            assert content(dc.interaction(export).original) == say("en", "discord_moved")   # and took the file
            assert not dc.interaction(export).followups
            assert not [c for c in dc.calls if c.status >= 400]            # never used an expired token


async def test_an_mp4_discord_refuses_as_too_large_leaves_the_result_without_it(
    settings: Settings, nemo: FakeNemo
) -> None:
    # Discord answers the edit that carries the MP4 with 413 (its request limit, under the attachment
    # limit the interaction announced): the status message still becomes the result, buttons and all
    async with FakeDiscord(request_size_limit=len(DEFAULT_CONTENT) // 2) as dc:
        async with running_bot(with_discord(settings, dc), dc):
            upload = dc.invoke_slash("upload", {"video": dc.attachment(CLIP, "clip.mp4")})
            await dc.wait_for(final(dc, upload, "Uploaded clip.mp4"), timeout=10)
            export = dc.invoke_slash("export")
            await dc.wait_for(final(dc, export, READY), timeout=15)
        record = dc.interaction(export)
        assert f"nb:status:{dc.user_id}" in custom_ids(record.original)
        assert not delivered([record.original, *record.followups, *dc.channel_messages()])
        assert not record.followups and not dc.channel_messages()
        (refused,) = [c for c in dc.calls if c.status >= 400]
        assert refused.status == 413 and refused.method == "PATCH" and refused.path.endswith(f"/messages/{record.original['id']}")


async def test_buttons_work_after_a_restart_and_only_for_their_owner(
    settings: Settings, dc: FakeDiscord, nemo: FakeNemo
) -> None:
    bot_settings = with_discord(settings, dc)
    async with running_bot(bot_settings, dc):
        upload = dc.invoke_slash("upload", {"video": dc.attachment(CLIP, "clip.mp4")})
        await dc.wait_for(final(dc, upload, "Uploaded clip.mp4"), timeout=10)
    message_id = int(dc.interaction(upload).original["id"])  # type: ignore[index]
    export_id = f"nb:export:{dc.user_id}"
    assert export_id in custom_ids(dc.message(message_id))

    async with running_bot(bot_settings, dc):  # a new process: new client, new core, same database
        bob = dc.add_user("bob")
        refused = dc.press_button(message_id, export_id, user_id=bob)
        await dc.wait_for(lambda: dc.interaction(refused).acknowledged)
        record = dc.interaction(refused)
        assert record.ephemeral and content(record.original) == say("en", "not_yours")

        forged = dc.press_button(message_id, "nb:export:1; drop", check=False)
        await dc.wait_for(lambda: dc.interaction(forged).acknowledged)
        assert dc.interaction(forged).ephemeral
        assert content(dc.interaction(forged).original) == say("en", "stale_button")
        assert not nemo.renders                                           # nothing was exported

        pressed = dc.press_button(message_id, export_id)
        await dc.wait_for(lambda: in_status(dc, pressed), timeout=15)
        assert dc.interaction(pressed).deferred
        assert len(nemo.renders) == 1


@pytest.mark.parametrize("token_expired", [False, True], ids=["token-alive", "token-expired"])
async def test_a_render_that_finishes_while_the_bot_is_down_is_delivered_after_a_restart(
    settings: Settings, dc: FakeDiscord, nemo: FakeNemo, tmp_path: Path, token_expired: bool
) -> None:
    db = tmp_path / "bot.db"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NEMO", "TELEGRAM_", "DISCORD_"))}
    env.update(dc.env(), NEMOBOT_BACKEND="cloud", NEMO_BASE_URL=nemo.url, NEMOBOT_DB_PATH=str(db))
    bot = await asyncio.create_subprocess_exec(sys.executable, "-m", "bots.cli", "discord", cwd=ROOT, env=env,
                                               stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE)
    try:
        await dc.wait_ready(timeout=30)
        upload = dc.invoke_slash("upload", {"video": dc.attachment(CLIP, "clip.mp4")})
        await dc.wait_for(final(dc, upload, "Uploaded clip.mp4"), timeout=15)
        nemo.render_plan = RenderPlan(stuck=True)
        export = dc.invoke_slash("export")
        await dc.wait_for(lambda: "rendering" in content(dc.interaction(export).original), timeout=15)
    finally:
        bot.send_signal(signal.SIGKILL)
        _, err = await bot.communicate()
    assert b"Traceback" not in err, err.decode()[-2000:]

    nemo.renders[next(iter(nemo.renders))].plan = RenderPlan(steps=0)  # it finished while the bot was down
    if token_expired:
        dc.advance_time(1000)  # Discord no longer takes the interaction token
    assert settings.bot.db_path == db
    async with running_bot(with_discord(settings, dc), dc):  # a new process on the same database
        if token_expired:  # the token is refused: the result goes out with the bot token, the MP4 attached
            await dc.wait_for(lambda: delivered(dc.channel_messages()), timeout=15)
            assert content(delivered(dc.channel_messages())).startswith(READY)
        else:  # the stored interaction token still works: the status message becomes the result
            await dc.wait_for(lambda: in_status(dc, export), timeout=15)
            assert content(in_status(dc, export)).startswith(READY)
            assert not dc.channel_messages() and not dc.interaction(export).followups
    assert len(nemo.renders) == 1


async def test_a_dm_with_a_video_is_edited_and_answered_in_the_dm(
    settings: Settings, dc: FakeDiscord, nemo: FakeNemo
) -> None:
    nemo.fail_next("upload", code=4001)  # NEMO cannot fetch the URL: the bot streams the file instead
    nemo.script_chat(Text("Cut the pauses."))
    async with running_bot(with_discord(settings, dc), dc):
        dc.user_message("cut the pauses", attachments=[dc.attachment(CLIP, "clip.mp4")], dm=True)
        await dc.wait_for(lambda: any(content(m).startswith("Cut the pauses.") for m in dc.dm_messages()), timeout=10)
        assert [c.status for c in dc.cdn_calls] == [200]
        streamed = [r for r in nemo.requests if r.files]
        assert streamed and streamed[-1].files[0][1:] == ("clip.mp4", len(CLIP))
        assert any(c.path.endswith("/typing") for c in dc.calls)         # "nemobot is typing…"
        assert not dc.channel_messages()                                  # nothing in the guild


@pytest.mark.slow  # follows a cloud render at NEMO's 30 s cadence
async def test_a_gateway_drop_in_the_middle_of_a_job_loses_nothing(
    settings: Settings, dc: FakeDiscord, nemo: FakeNemo
) -> None:
    async with running_bot(with_discord(settings, dc), dc):
        upload = dc.invoke_slash("upload", {"video": dc.attachment(CLIP, "clip.mp4")})
        await dc.wait_for(final(dc, upload, "Uploaded clip.mp4"), timeout=10)
        nemo.render_plan = RenderPlan(pending_polls=1)  # done at the second poll, 30 s on (NEMO's cadence)
        export = dc.invoke_slash("export")
        await dc.wait_for(lambda: dc.interaction(export).deferred)

        await dc.drop_gateway(resumable=True, hold=30)
        credits = dc.invoke_slash("credits")  # sent while the bot is offline
        await asyncio.sleep(0.3)
        dc.release_gateway()

        await dc.wait_for(final(dc, credits, "Credits:"), timeout=10)
        await dc.wait_for(lambda: in_status(dc, export), timeout=60)
        assert any("rendering" in content(m) for m in dc.interaction(export).original_edits)  # while it ran
        assert dc.resume_count == 1 and dc.identify_count == 1


async def test_cancel_stops_the_running_job_and_answers_the_command(
    settings: Settings, dc: FakeDiscord, nemo: FakeNemo
) -> None:
    nemo.script_chat(Sleep(30), Text("never"))
    async with running_bot(with_discord(settings, dc), dc):
        edit = dc.invoke_slash("edit", {"prompt": "slow edit", "video": dc.attachment(CLIP, "clip.mp4")})
        await nemo.wait_for(lambda: nemo.chat_messages == ["slow edit"])
        cancel = dc.invoke_slash("cancel")
        await dc.wait_for(final(dc, edit, "Cancelled."))
        await dc.wait_for(final(dc, cancel, "Cancelled."))
        again = dc.invoke_slash("cancel")
        await dc.wait_for(final(dc, again, "Nothing is running."))


async def test_a_second_cancel_while_the_job_is_still_stopping_says_nothing_is_running(
    settings: Settings, dc: FakeDiscord, nemo: FakeNemo
) -> None:
    """Discord is slow to take the stopped job's "Cancelled." (its webhook bucket says wait 3 s). A
    /cancel meanwhile has nothing left to stop and says so; the job's message still ends "Cancelled."."""
    nemo.script_chat(Sleep(30), Text("never"))
    async with running_bot(with_discord(settings, dc), dc):
        edit = dc.invoke_slash("edit", {"prompt": "slow edit", "video": dc.attachment(CLIP, "clip.mp4")})
        await nemo.wait_for(lambda: nemo.chat_messages == ["slow edit"])
        cancel = dc.invoke_slash("cancel")
        dc.rate_limit(f"/webhooks/{dc.application_id}/{dc.interaction(edit).token}/messages/", retry_after=3.0,
                      method="PATCH")
        await dc.wait_for(final(dc, cancel, "Cancelled."))
        assert not final(dc, edit, "Cancelled.")()  # the job is still stopping
        again = dc.invoke_slash("cancel")
        await dc.wait_for(final(dc, again, "Nothing is running."))
        await dc.wait_for(final(dc, edit, "Cancelled."))


async def test_events_sent_to_two_sessions_of_a_shard_are_answered_once_without_errors(
    settings: Settings, dc: FakeDiscord, nemo: FakeNemo, caplog: pytest.LogCaptureFixture
) -> None:
    """While a deploy hands a shard to a new process, Discord sends each event to both sessions. An
    interaction's second acknowledgement is refused (40060), and the session that lost does nothing; a
    DM has no acknowledgement, so the first process to note its id in the store answers it. The edit
    reaches NEMO once, the user reads one answer to each, and nothing is logged as a failure."""
    settings = with_discord(settings, dc)
    nemo.script_chat(Text("Cut the pauses."))
    async with running_bot(settings, dc) as (core, _):
        second = build_client(core, settings, identify_delay=0)
        task = asyncio.create_task(serve(second))
        try:
            await dc.wait_for(lambda: len(dc.gateway.sessions_of(dc.guild_id)) == 2 and second.is_ready(),
                              timeout=15)
            caplog.set_level(logging.INFO)
            caplog.clear()
            edit = dc.invoke_slash("edit", {"prompt": "cut the pauses", "video": dc.attachment(CLIP, "clip.mp4")})
            refused = dc.invoke_slash("upload", {"video": dc.attachment(b"not a video", "notes.txt")})
            await dc.wait_for(final(dc, edit, "Cut the pauses."), timeout=20)
            await dc.wait_for(lambda: dc.interaction(refused).original is not None, timeout=20)
            user = dc.add_user("dm-user")
            dm = dc.user_message("credits", user_id=user, dm=True)
            await dc.wait_for(lambda: any(content(m).startswith("Credits:") for m in dc.dm_messages(user)), timeout=20)
            await core.idle(timeout=10)
            await asyncio.sleep(0.5)  # time for a second answer, were one coming
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
    told = [f for f in dc.gateway_frames if f.direction == "out" and f.t == "INTERACTION_CREATE"
            and str(f.d["id"]) in (str(edit), str(refused))]
    assert len(told) == 4  # both sessions got both interactions
    assert [f.t for f in dc.gateway_frames if f.direction == "out" and f.t == "MESSAGE_CREATE"
            and str(f.d["id"]) == str(dm)] == ["MESSAGE_CREATE"] * 2
    assert [content(m) for m in dc.dm_messages(user)].count(content(dc.dm_messages(user)[0])) == 1
    assert len(dc.dm_messages(user)) == 1
    assert nemo.chat_messages == ["cut the pauses"]
    record = dc.interaction(edit)
    assert [content(m) for m in [record.original, *record.followups]].count(content(record.original)) == 1
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == []
    assert sum("acknowledged by another session" in r.getMessage() for r in caplog.records) == 2
    assert sum("received by another process first" in r.getMessage() for r in caplog.records) == 1


async def test_without_the_message_content_intent_guild_messages_need_a_mention(
    settings: Settings, dc: FakeDiscord, nemo: FakeNemo
) -> None:
    async with running_bot(with_discord(settings, dc), dc):
        assert not dc.intents & MESSAGE_CONTENT_INTENT
        dc.user_message("credits")  # arrives empty: ignored
        mention = dc.user_message("credits", mention_bot=True)
        await dc.wait_for(lambda: any(content(m).startswith("Credits:") for m in dc.channel_messages()))
        answers = dc.channel_messages()
        assert len(answers) == 1 and str(answers[0]["message_reference"]["message_id"]) == str(mention)


async def test_a_file_nemo_cannot_take_is_refused_at_once_by_the_sharded_client(
    settings: Settings, dc: FakeDiscord, nemo: FakeNemo
) -> None:
    async with running_bot(with_discord(settings, dc, sharded=True), dc) as (_, client):
        assert client.shard_count == 1  # type: ignore[attr-defined]
        iid = dc.invoke_slash("upload", {"video": dc.attachment(b"hello", "notes.txt")})
        await dc.wait_for(lambda: dc.interaction(iid).acknowledged)
        record = dc.interaction(iid)
        assert record.ephemeral and content(record.original) == say("en", "error_unsupported_file")
        assert not nemo.requests


async def test_the_allowlist_refuses_others_ephemerally_in_their_language(
    settings: Settings, dc: FakeDiscord, nemo: FakeNemo
) -> None:
    async with running_bot(with_discord(settings, dc, allowed_users=[1234]), dc):
        iid = dc.invoke_slash("credits", locale="zh-CN")
        await dc.wait_for(lambda: dc.interaction(iid).acknowledged)
        record = dc.interaction(iid)
        assert record.ephemeral and content(record.original) == say("zh", "discord_not_allowed")
        assert not nemo.requests


async def test_edit_with_a_video_starts_a_fresh_timeline_from_it(
    settings: Settings, dc: FakeDiscord, nemo: FakeNemo
) -> None:
    nemo.script_chat(ToolCall("edit_multitrack", {"op": "cut"}), Text("Cut the pauses."))
    async with running_bot(with_discord(settings, dc), dc):
        first = dc.invoke_slash("upload", {"video": dc.attachment(CLIP, "first.mp4")})
        await dc.wait_for(final(dc, first, "Uploaded first.mp4"), timeout=15)
        edit = dc.invoke_slash("edit", {"prompt": "cut the pauses", "video": dc.attachment(CLIP, "second.mp4")})
        await dc.wait_for(final(dc, edit, "Cut the pauses."), timeout=15)
        said = [content(m) for m in dc.interaction(edit).followups]
    assert "Starting a fresh timeline from second.mp4." in said
    uploads = [r.path for r in nemo.requests if r.path.startswith("/api/upload-video/")]
    assert len(uploads) == 2 and uploads[0] != uploads[1]   # the second video went to a new, empty session
    assert len(nemo.sessions) == 2
