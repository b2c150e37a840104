"""The fake Telegram Bot API server, driven by the real python-telegram-bot client."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import BadRequest, Conflict, Forbidden, InvalidToken, NetworkError, RetryAfter
from telegram.ext import (
    Application,
    ApplicationBuilder,
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from tests.fakes.telegram import FakeTelegram, FloodLimits

MB = 1024 * 1024
pytestmark = pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")


@pytest.fixture
async def tg() -> AsyncIterator[FakeTelegram]:
    """Flood control off: these tests call the fake's methods back to back in one chat to check its
    other answers; the limits have their own tests (``strict``) below."""
    async with FakeTelegram(limits=FloodLimits.off()) as fake:
        yield fake


@pytest.fixture
async def strict() -> AsyncIterator[FakeTelegram]:
    """The fake with Telegram's limits, as every other test gets it."""
    async with FakeTelegram() as fake:
        yield fake


@pytest.fixture
async def strict_bot(strict: FakeTelegram) -> AsyncIterator[Bot]:
    async with Bot(strict.token, base_url=strict.base_url, base_file_url=strict.base_file_url) as b:
        yield b


@pytest.fixture
async def bot(tg: FakeTelegram) -> AsyncIterator[Bot]:
    async with Bot(tg.token, base_url=tg.base_url, base_file_url=tg.base_file_url) as b:
        yield b


@contextlib.asynccontextmanager
async def running_app(
    tg: FakeTelegram, *handlers: BaseHandler, local_mode: bool = False
) -> AsyncIterator[Application]:
    """A real PTB Application polling the fake, as run_polling would."""
    builder = ApplicationBuilder().token(tg.token).base_url(tg.base_url).base_file_url(tg.base_file_url)
    app = builder.local_mode(local_mode).build()
    for handler in handlers:
        app.add_handler(handler)
    async with app:
        await app.start()
        assert app.updater is not None
        await app.updater.start_polling(poll_interval=0, timeout=5)
        try:
            yield app
        finally:
            await app.updater.stop()
            await app.stop()


async def test_get_me(bot: Bot, tg: FakeTelegram) -> None:
    me = await bot.get_me()
    assert me.is_bot and me.id == tg.bot_id == 123456
    assert me.username == tg.bot_username == bot.username
    assert tg.url.startswith("http://127.0.0.1:") and tg.base_url == f"{tg.url}/bot"


async def test_unknown_token_is_unauthorized(tg: FakeTelegram) -> None:
    with pytest.raises(InvalidToken):
        async with Bot("999:wrong", base_url=tg.base_url):
            pass


async def test_handler_receives_text_and_reply_is_recorded(tg: FakeTelegram) -> None:
    async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_user is not None and update.effective_user.language_code == "de"
        await update.effective_message.reply_text(f"you said: {update.effective_message.text}", do_quote=True)

    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await update.effective_message.reply_text(f"hello, args={context.args}")

    handlers = (CommandHandler("start", start), MessageHandler(filters.TEXT & ~filters.COMMAND, echo))
    async with running_app(tg, *handlers):
        sent = tg.user_sends(42, 42, "make it red", language_code="de")
        await tg.wait_for(lambda: tg.chat_log(42))
        tg.user_command(42, 42, "/start now")
        await tg.wait_for(lambda: len(tg.chat_log(42)) == 2)
    first, second = tg.chat_log(42)
    assert first.text == "you said: make it red" and first.kind == "text"
    assert first.message_id > sent["message_id"]
    assert first.raw["reply_to_message"]["message_id"] == sent["message_id"]
    assert second.text == "hello, args=['now']"
    assert tg.updates.pending == []  # confirmed through the getUpdates offset on stop


async def test_edits_recorded_and_identical_edit_rejected(bot: Bot, tg: FakeTelegram) -> None:
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Cancel", callback_data="x:1")]])
    msg = await bot.send_message(7, "queued", reply_markup=keyboard)
    edited = await bot.edit_message_text(
        "rendering 10%", chat_id=7, message_id=msg.message_id, reply_markup=keyboard
    )
    assert isinstance(edited, type(msg)) and edited.text == "rendering 10%" and edited.edit_date is not None
    with pytest.raises(BadRequest, match="(?i)message is not modified"):
        await bot.edit_message_text(
            "rendering 10%", chat_id=7, message_id=msg.message_id, reply_markup=keyboard
        )
    await bot.edit_message_text("done", chat_id=7, message_id=msg.message_id)  # no markup: keyboard removed
    sent = tg.messages[(7, msg.message_id)]
    assert sent.edits == ["rendering 10%", "done"] and sent.text == "done" and sent.reply_markup is None
    with pytest.raises(BadRequest, match="(?i)message to edit not found"):
        await bot.edit_message_text("x", chat_id=7, message_id=999)
    assert await bot.delete_message(7, msg.message_id)
    assert tg.chat_log(7) == [] and sent.deleted


async def test_limits_on_text_markup_and_buttons(bot: Bot, tg: FakeTelegram) -> None:
    await bot.send_message(1, "x" * 4096)
    with pytest.raises(BadRequest, match="(?i)message is too long"):
        await bot.send_message(1, "x" * 4097)
    with pytest.raises(BadRequest, match="(?i)BUTTON_DATA_INVALID"):
        await bot.send_message(
            1,
            "pick",
            reply_markup=InlineKeyboardMarkup([[InlineKeyboardButton("a", callback_data="d" * 65)]]),
        )
    with pytest.raises(BadRequest, match="(?i)can't parse entities"):
        await bot.send_message(1, "size < 20 MB", parse_mode="HTML")
    with pytest.raises(BadRequest, match="(?i)reserved"):
        await bot.send_message(1, "Done.", parse_mode="MarkdownV2")
    ok = await bot.send_message(1, "<b>Done</b> &lt;3", parse_mode="HTML")
    assert ok.text == "Done <3" and tg.last_message(1).raw_text == "<b>Done</b> &lt;3"


async def test_callback_press_reaches_handler_and_is_answered(tg: FakeTelegram) -> None:
    pressed: list[str] = []

    async def on_press(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        assert query is not None and query.message is not None
        pressed.append(f"{query.data}@{query.message.message_id}")
        await query.answer("Cancelled")
        await query.edit_message_text("cancelled")

    async with running_app(tg, CallbackQueryHandler(on_press)):
        msg = await tg_bot_send(tg, 5, "job 1", "x:1")
        with pytest.raises(ValueError):
            tg.user_presses(5, 5, msg, "y:2")  # no such button
        query_id = tg.user_presses(5, 5, msg, "x:1")
        await tg.wait_for(lambda: tg.messages[(5, msg)].edits)
    assert pressed == [f"x:1@{msg}"]
    assert tg.answered_callbacks[query_id] == ("Cancelled", False)
    assert tg.messages[(5, msg)].text == "cancelled"


async def tg_bot_send(tg: FakeTelegram, chat_id: int, text: str, data: str) -> int:
    async with Bot(tg.token, base_url=tg.base_url) as b:
        keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Go", callback_data=data)]])
        return (await b.send_message(chat_id, text, reply_markup=keyboard)).message_id


async def test_callback_answer_too_late(bot: Bot, tg: FakeTelegram) -> None:
    msg = await bot.send_message(
        3, "x", reply_markup=InlineKeyboardMarkup([[InlineKeyboardButton("a", callback_data="a")]])
    )
    query_id = tg.user_presses(3, 3, msg.message_id, "a")
    tg.advance_time(16)
    with pytest.raises(BadRequest, match="(?i)query is too old"):
        await bot.answer_callback_query(query_id)


async def test_get_file_cloud_limit_and_download(bot: Bot, tg: FakeTelegram) -> None:
    big = tg.add_file(b"head", size=30 * MB)
    with pytest.raises(BadRequest, match="(?i)file is too big"):
        await bot.get_file(big)
    small = tg.add_file(b"small video bytes", name="a.mp4")
    f = await bot.get_file(small)
    assert f.file_path == f"{tg.base_file_url}{tg.token}/videos/file_0.mp4"
    assert bytes(await f.download_as_bytearray()) == b"small video bytes"


async def test_get_file_local_mode_gives_local_path(tmp_path: Path) -> None:
    async with FakeTelegram(local_mode=True) as tg:
        big = tg.add_file(b"head", size=30 * MB)
        given = tmp_path / "mine.mp4"
        given.write_bytes(b"on disk")
        mine = tg.add_file(path=given)
        async with Bot(
            tg.token, base_url=tg.base_url, base_file_url=tg.base_file_url, local_mode=True
        ) as bot:
            f = await bot.get_file(big)
            assert f.file_size == 30 * MB and Path(f.file_path).is_absolute()
            assert Path(f.file_path).stat().st_size == 30 * MB
            assert Path(f.file_path).read_bytes()[:4] == b"head"
            assert (await bot.get_file(mine)).file_path == str(given.resolve())
        files_dir = tg.files_dir
    assert not files_dir.exists()


async def test_user_video_reaches_handler_with_ptb_fields(tg: FakeTelegram) -> None:
    seen: list[tuple[int, int, str]] = []

    async def on_video(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        video = update.effective_message.video
        seen.append((video.file_size, int(video.duration), video.mime_type))
        f = await context.bot.get_file(video.file_id)
        await update.effective_message.reply_text(f"got {len(await f.download_as_bytearray())} bytes")

    async with running_app(tg, MessageHandler(filters.VIDEO, on_video)):
        tg.user_sends(9, 9, caption="trim it", video=tg.add_file(b"v" * 1000, duration=7))
        await tg.wait_for(lambda: tg.chat_log(9))
    assert seen == [(1000, 7, "video/mp4")]
    assert tg.chat_log(9)[0].text == "got 1000 bytes"


async def test_album_shares_media_group(tg: FakeTelegram) -> None:
    ids = [tg.add_file(b"a"), tg.add_file(b"b", name="p.jpg", mime="image/jpeg")]
    first, second = tg.user_sends_album(2, 2, ids, caption="both")
    assert first["media_group_id"] == second["media_group_id"]
    assert first["caption"] == "both" and "caption" not in second
    assert "video" in first and "photo" in second


async def test_send_video_upload_recorded_and_size_limit(bot: Bot, tg: FakeTelegram) -> None:
    msg = await bot.send_video(4, b"\0" * 2048, caption="your edit", filename="out.mp4")
    sent = tg.messages[(4, msg.message_id)]
    assert (sent.kind, sent.caption, sent.file_size) == ("video", "your edit", 2048)
    assert tg.calls_to("sendVideo")[0].files == {"video": ("out.mp4", 2048)}
    assert msg.video is not None and msg.video.file_size == 2048
    with pytest.raises(NetworkError, match="(?i)Request Entity Too Large"):
        await bot.send_document(4, b"\0" * (50 * MB + 1), filename="big.mp4")
    group = await bot.send_media_group(4, [_input_video(b"1"), _input_video(b"2")])
    assert len({m.media_group_id for m in group}) == 1 and len(tg.chat_log(4)) == 3


def _input_video(data: bytes) -> object:
    from telegram import InputMediaVideo

    return InputMediaVideo(data, filename="v.mp4")


async def test_force_429_and_network_failures(bot: Bot, tg: FakeTelegram) -> None:
    tg.force_429("sendMessage", times=2, retry_after=3)
    with pytest.raises(RetryAfter) as info:
        await bot.send_message(1, "a")
    assert "Retry in 3 seconds" in str(info.value)
    await bot.send_chat_action(1, "typing")  # other methods are unaffected
    with pytest.raises(RetryAfter):
        await bot.send_message(1, "a")
    await bot.send_message(1, "a")
    assert tg.count_429 == 2 and [c.status for c in tg.calls_to("sendMessage")] == [429, 429, 200]
    assert tg.chat_actions[0][:2] == (1, "typing")

    tg.fail_network("sendMessage", times=1)
    with pytest.raises(NetworkError):
        await bot.send_message(1, "lost")
    tg.fail_network("sendMessage", times=1, after=True)  # delivered, but the answer is lost
    with pytest.raises(NetworkError):
        await bot.send_message(1, "twice?")
    assert tg.count_network_failures == 2
    assert [m.text for m in tg.chat_log(1)] == ["a", "twice?"]


async def test_get_updates_offset_and_long_poll(bot: Bot, tg: FakeTelegram) -> None:
    tg.user_sends(1, 1, "one")
    tg.user_sends(1, 1, "two")
    first = await bot.get_updates(timeout=0)
    assert [u.message.text for u in first] == ["one", "two"]
    assert len(await bot.get_updates(timeout=0)) == 2  # not confirmed yet
    assert await bot.get_updates(offset=first[-1].update_id + 1, timeout=0) == ()

    async def later() -> None:
        await asyncio.sleep(0.2)
        tg.user_sends(1, 1, "three")

    task = asyncio.create_task(later())
    loop = asyncio.get_running_loop()
    started = loop.time()
    got = await bot.get_updates(offset=first[-1].update_id + 1, timeout=5)
    await task
    assert [u.message.text for u in got] == ["three"] and loop.time() - started < 2
    started = loop.time()
    assert await bot.get_updates(offset=got[-1].update_id + 1, timeout=0.3) == ()
    assert loop.time() - started >= 0.25


async def test_commands_and_blocked_user(bot: Bot, tg: FakeTelegram) -> None:
    await bot.set_my_commands([("start", "Start"), ("edit", "Edit a video")])
    assert [c.command for c in await bot.get_my_commands()] == ["start", "edit"]
    await bot.delete_my_commands()
    assert await bot.get_my_commands() == ()
    tg.user_blocks_bot(11)
    with pytest.raises(Forbidden, match="(?i)blocked"):
        await bot.send_message(11, "hi")


async def test_webhook_push_with_secret(bot: Bot, tg: FakeTelegram) -> None:
    received: list[tuple[dict, str | None]] = []

    async def hook(request: web.Request) -> web.Response:
        received.append((await request.json(), request.headers.get("X-Telegram-Bot-Api-Secret-Token")))
        return web.Response()

    app = web.Application()
    app.router.add_post("/hook", hook)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        with pytest.raises(BadRequest, match="(?i)https url must be provided"):
            await bot.set_webhook(f"http://127.0.0.1:{port}/hook")
        with pytest.raises(BadRequest, match="(?i)only on ports 80, 88, 443 or 8443"):
            await bot.set_webhook("https://bot.example.com:8080/hook")
        tg.tls_proxy("https://bot.example.com", f"http://127.0.0.1:{port}")  # as a deployed bot sits behind TLS
        await bot.set_webhook("https://bot.example.com/hook", secret_token="s3cret")
        with pytest.raises(Conflict):
            await bot.get_updates(timeout=0)
        tg.user_sends(8, 8, "via webhook")
        await tg.wait_for(lambda: received)
        assert received[0][0]["message"]["text"] == "via webhook" and received[0][1] == "s3cret"
        info = await bot.get_webhook_info()
        assert info.url.endswith("/hook") and info.pending_update_count == 0
        await bot.delete_webhook()
        assert (await bot.get_webhook_info()).url == ""
    finally:
        await runner.cleanup()


async def test_group_chat_and_control_endpoint(bot: Bot, tg: FakeTelegram) -> None:
    tg.user_command(-100500, 77, "/start@nemo_test_bot", chat_type="supergroup", chat_title="Editors")
    async with aiohttp.ClientSession() as http:
        resp = await http.post(f"{tg.url}/_fake/send", json={"chat_id": 1, "text": "by hand"})
        assert resp.status == 200 and (await resp.json())["text"] == "by hand"
    group, private = await bot.get_updates(timeout=0)
    assert group.effective_chat.type == "supergroup" and group.effective_chat.title == "Editors"
    assert group.effective_message.entities[0].type == "bot_command"
    assert group.effective_user.id == 77 and private.effective_message.text == "by hand"


async def raw_answer(tg: FakeTelegram, method: str, **params: object) -> tuple[int, dict]:
    async with aiohttp.ClientSession() as http, http.post(f"{tg.base_url}{tg.token}/{method}", json=params) as r:
        return r.status, await r.json()


async def test_a_chat_gets_a_short_burst_then_one_message_a_second(strict_bot: Bot, strict: FakeTelegram) -> None:
    for n in range(3):
        await strict_bot.send_message(5, f"burst {n}")
    status, body = await raw_answer(strict, "sendMessage", chat_id=5, text="one too many")
    assert status == 429
    assert body == {"ok": False, "error_code": 429, "description": "Too Many Requests: retry after 1",
                    "parameters": {"retry_after": 1}}
    with pytest.raises(RetryAfter):
        await strict_bot.edit_message_text("edits count too", chat_id=5, message_id=1)
    await strict_bot.send_message(6, "another chat is not held up")
    await asyncio.sleep(1.0)
    await strict_bot.send_message(5, "after the wait")
    assert [m.text for m in strict.chat_log(5)][-1] == "after the wait"
    assert [r.reason for r in strict.flood.refusals] == ["chat", "chat"] and strict.count_429 == 2
    await strict_bot.send_chat_action(5, "typing")  # chat actions and callback answers are not messages


async def test_a_group_gets_20_messages_a_minute(strict: FakeTelegram) -> None:
    strict.flood.limits.chat_per_second = 100.0  # relaxed: this test is about the group's minute only
    strict.flood.limits.chat_burst = 100
    for n in range(20):
        assert (await raw_answer(strict, "sendMessage", chat_id=-100200, text=f"m{n}"))[0] == 200
    status, body = await raw_answer(strict, "sendMessage", chat_id=-100200, text="the 21st")
    assert status == 429 and 55 <= body["parameters"]["retry_after"] <= 60
    assert (await raw_answer(strict, "sendMessage", chat_id=300, text="a private chat is fine"))[0] == 200


async def test_the_bot_gets_30_messages_a_second_overall(strict: FakeTelegram) -> None:
    answers = await asyncio.gather(*(raw_answer(strict, "sendMessage", chat_id=1000 + n, text="hi")
                                     for n in range(40)))
    assert sorted(status for status, _ in answers) == [200] * 30 + [429] * 10
    assert {r.reason for r in strict.flood.refusals} == {"overall"}


async def test_lengths_are_utf16_units_and_buttons_must_point_at_public_hosts(strict_bot: Bot) -> None:
    await strict_bot.send_message(1, "😀" * 2048)  # 2048 characters, 4096 UTF-16 units
    with pytest.raises(BadRequest, match="(?i)message is too long"):
        await strict_bot.send_message(2, "😀" * 2049)  # 2049 characters, but 4098 units
    for chat, url in enumerate(("http://127.0.0.1:8080/files/a.mp4", "http://localhost/x", "http://10.0.0.5/x",
                                "http://[::1]/x", "http://engine/x"), start=10):
        with pytest.raises(BadRequest, match="(?i)button URL .* is invalid: Wrong HTTP URL"):
            await strict_bot.send_message(chat, "open", reply_markup=InlineKeyboardMarkup(
                [[InlineKeyboardButton("Open", url=url)]]))
    sent = await strict_bot.send_message(4, "open", reply_markup=InlineKeyboardMarkup(
        [[InlineKeyboardButton("Open", url="https://cdn.example.com/a.mp4")]]))
    assert sent.reply_markup is not None
