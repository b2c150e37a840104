"""Pictures reach each chat as the platform shows images: through the real python-telegram-bot and
discord.py clients against the stand-ins (which check images as Telegram and Discord do), the console
writes a file, and the recording port keeps them for core tests."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from PIL import Image

from bots.console.port import ConsolePort
from core.pictures.draw import encode
from core.ports import Button, Picture, Target, Video
from core.settings import Settings
from tests.clips import RED, color_clip, near
from tests.e2e.test_discord import running_bot, with_discord
from tests.e2e.test_telegram import ANN, world
from tests.fakes.discord import FakeDiscord
from tests.fakes.nemo import FakeNemo

pytestmark = [pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning"),
              pytest.mark.renders_done_when_polled]  # render time is not these tests' subject


def picture(size: tuple[int, int] = (640, 200), color: tuple[int, int, int] = (200, 40, 40)) -> Picture:
    return encode(Image.new("RGB", size, color), "timeline")


def buttons() -> list[Button]:
    return [Button("Export", action="export", owner=str(ANN)), Button("Status", action="status", owner=str(ANN))]


# -- Telegram -----------------------------------------------------------------------------------------------


async def test_telegram_sends_a_photo_with_the_caption_and_buttons_under_it(nemo: FakeNemo, tmp_path: Path) -> None:
    async with world(nemo, tmp_path) as w:
        target = Target("telegram", str(ANN), str(ANN))
        sent = picture()
        ref = await w.core.ports["telegram"].send_picture(target, sent, "Timeline (1 track)", buttons())

        photo = w.tg.last_message(ANN)
        assert photo is not None and photo.kind == "photo" and str(photo.message_id) == ref.id
        assert photo.caption == "Timeline (1 track)"
        assert photo.button_data == [f"a:export:{ANN}", f"a:status:{ANN}"]
        assert w.tg.files[photo.file_id or ""].data == sent.data
        assert photo.raw["photo"][-1]["width"] == 640 and photo.raw["photo"][-1]["height"] == 200


async def test_telegram_a_caption_too_long_for_a_photo_follows_as_text(nemo: FakeNemo, tmp_path: Path) -> None:
    async with world(nemo, tmp_path) as w:
        target = Target("telegram", str(ANN), str(ANN))
        caption = "Timeline: " + "clip, " * 300  # over Telegram's 1024-character caption limit

        await w.core.ports["telegram"].send_picture(target, picture(), caption, buttons())

        photo, text = w.tg.chat_log(ANN)[-2:]
        assert photo.kind == "photo" and not photo.caption and not photo.buttons
        assert text.text == caption.strip() or text.text == caption
        assert text.button_data == [f"a:export:{ANN}", f"a:status:{ANN}"]


async def test_telegram_refuses_what_is_not_a_photo(nemo: FakeNemo, tmp_path: Path) -> None:
    from telegram.error import BadRequest

    async with world(nemo, tmp_path) as w:
        target = Target("telegram", str(ANN), str(ANN))
        with pytest.raises(BadRequest, match="(?i)image_process_failed"):
            await w.core.ports["telegram"].send_picture(target, Picture(b"not a jpeg", "x.jpg", 1, 1), "caption")
        with pytest.raises(BadRequest, match="(?i)photo_invalid_dimensions"):
            await w.core.ports["telegram"].send_picture(target, picture((2100, 100)), "caption")


# -- Discord ------------------------------------------------------------------------------------------------


@pytest.fixture
async def dc() -> AsyncIterator[FakeDiscord]:
    async with FakeDiscord() as fake:
        yield fake


async def test_discord_attaches_the_picture_to_a_message_with_the_caption(settings: Settings, dc: FakeDiscord) -> None:
    async with running_bot(with_discord(settings, dc), dc) as (core, _):
        target = Target("discord", str(dc.channel_id), str(dc.user_id), extra={"channel": str(dc.channel_id)})
        sent = picture()
        await core.ports["discord"].send_picture(target, sent, "Timeline (1 track)",
                                                 [Button("Export", action="export", owner=str(dc.user_id))])

        message = dc.channel_messages()[-1]
        assert message["content"] == "Timeline (1 track)"
        [attachment] = message["attachments"]
        assert attachment["filename"] == "timeline.jpg" and attachment["content_type"] == "image/jpeg"
        assert (attachment["width"], attachment["height"]) == (640, 200)
        async with httpx.AsyncClient() as http:
            assert (await http.get(attachment["url"])).content == sent.data
        assert message["components"]  # the buttons under it


async def test_discord_a_link_only_result_shows_its_poster_frame(settings: Settings, dc: FakeDiscord) -> None:
    async with running_bot(with_discord(settings, dc, attach_video=False), dc) as (core, _):
        target = Target("discord", str(dc.channel_id), str(dc.user_id), extra={"channel": str(dc.channel_id)})
        poster = picture((320, 180), (20, 200, 40))
        video = Video("https://cdn.example/renders/r1.mp4", 1000, 6.0, poster=poster)

        await core.ports["discord"].deliver(target, "Your video is ready: https://cdn.example/renders/r1.mp4", video)

        message = dc.channel_messages()[-1]
        [embed] = message["embeds"]
        [attachment] = message["attachments"]
        assert embed["url"] == video.url and embed["image"]["url"] == attachment["url"]
        assert (embed["image"]["width"], embed["image"]["height"]) == (320, 180)


@pytest.mark.parametrize("deleted", [False, True], ids=["status-kept", "status-deleted"])
async def test_discord_a_link_only_result_takes_the_status_messages_place_with_its_poster(
        settings: Settings, dc: FakeDiscord, deleted: bool) -> None:
    async with running_bot(with_discord(settings, dc, attach_video=False), dc) as (core, _):
        port = core.ports["discord"]
        target = Target("discord", str(dc.channel_id), str(dc.user_id), extra={"channel": str(dc.channel_id)})
        status = await port.send(target, "⏳ rendering…")
        if deleted:  # someone deleted the status message: the result is a new message, poster and all
            dc.state.delete_message(dc.state.message(int(status.id)))
        video = Video("https://cdn.example/renders/r1.mp4", 1000, 6.0, poster=picture((320, 180), (20, 200, 40)))

        await port.deliver(target, "Your video is ready: https://cdn.example/renders/r1.mp4", video,
                           [Button("Status", action="status", owner=str(dc.user_id))], status)

        [message] = dc.channel_messages()  # one message: the status became the result, poster and all
        assert (message["id"] != status.id) == deleted and message["content"].startswith("Your video is ready")
        [embed] = message["embeds"]
        [attachment] = message["attachments"]
        assert embed["url"] == video.url and embed["image"]["url"] == attachment["url"]
        assert message["components"]


# -- the console ------------------------------------------------------------------------------------------


async def test_the_console_writes_the_picture_and_prints_its_path(tmp_path: Path) -> None:
    out = io.StringIO()
    port = ConsolePort(out, pictures=tmp_path / "pictures")
    sent = picture()

    await port.send_picture(Target("console", "local", "me"), sent, "Timeline (1 track)")

    caption, line = out.getvalue().splitlines()
    assert caption == "Timeline (1 track)"
    path = Path(line.removeprefix("🖼 "))
    assert path.parent == tmp_path / "pictures" and path.read_bytes() == sent.data


# -- end to end: an upload, /status and a render -------------------------------------------------------------


@pytest.fixture(scope="module")
def colors(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    return color_clip(tmp_path_factory.mktemp("sent") / "colors.mp4").read_bytes()


def first_cell_is_red(data: bytes) -> bool:
    return near(Image.open(io.BytesIO(data)).convert("RGB").getpixel((16 + 150, 52 + 84)), RED)


async def test_telegram_shows_the_footage_the_timeline_and_the_renders_thumbnail(
        nemo: FakeNemo, tmp_path: Path, colors: bytes) -> None:
    async with world(nemo, tmp_path) as w:
        tg = w.tg
        tg.user_sends(ANN, ANN, video=tg.add_file(colors, name="colors.mp4", mime="video/mp4"))
        sheet = await tg.wait_for(lambda: next((m for m in tg.chat_log(ANN) if m.kind == "photo"), None))
        answer = tg.chat_log(ANN)[0]  # the status message, edited into the answer; the sheet under it
        assert answer.text is not None and answer.text.startswith("Uploaded colors.mp4") and answer.edits
        assert answer.button_data[:2] == [f"a:export:{ANN}", f"a:status:{ANN}"]
        assert not sheet.caption and [m.kind for m in tg.chat_log(ANN)] == ["text", "photo"]
        assert first_cell_is_red(tg.files[sheet.file_id or ""].data or b"")

        tg.user_sends(ANN, ANN, "/status")
        timeline = await tg.wait_for(lambda: next((m for m in tg.chat_log(ANN)[2:] if m.kind == "photo"), None))
        assert (timeline.caption or "").startswith("Timeline (1 track)")

        nemo.render_plan.content = colors
        tg.user_sends(ANN, ANN, "/export")
        await tg.wait_for(lambda: tg.calls_to("sendVideo"))
        video = tg.last_message(ANN)
        assert video is not None and video.kind == "video" and video.thumbnail_id is not None
        thumbnail = Image.open(io.BytesIO(tg.files[video.thumbnail_id].data or b""))
        assert thumbnail.format == "JPEG" and max(thumbnail.size) <= 320
        assert video.raw["video"]["thumbnail"]["width"] == thumbnail.width


async def test_telegram_pictures_command_is_in_the_menu_and_answers(nemo: FakeNemo, tmp_path: Path) -> None:
    async with world(nemo, tmp_path) as w:
        w.tg.user_sends(ANN, ANN, "/pictures on")
        await w.reply_with(ANN, "Pictures on")
        assert "pictures" in [c["command"] for c in w.tg.commands['{"type": "default"}|']]


async def test_discord_upload_shows_the_contact_sheet_in_the_reply(
        settings: Settings, dc: FakeDiscord, nemo: FakeNemo, colors: bytes) -> None:
    nemo.fetch_urls = True  # NEMO takes the attachment's CDN link and fetches the file itself
    async with running_bot(with_discord(settings, dc), dc):
        assert "pictures" in {c["name"] for c in dc.registered_commands(dc.guild_id)}
        iid = dc.invoke_slash("upload", {"video": dc.attachment(colors, "colors.mp4")})
        await dc.wait_for(lambda: (dc.interaction(iid).original or {}).get("attachments"), timeout=15)
        record = dc.interaction(iid)
        reply = record.original  # the status message became the answer, the sheet attached to it
        assert str(reply["content"]).startswith("Uploaded colors.mp4") and not record.followups
        assert reply["components"]  # its buttons
        [sheet] = reply["attachments"]
        assert sheet["content_type"] == "image/jpeg" and sheet["width"] == 1280
        async with httpx.AsyncClient() as http:
            assert first_cell_is_red((await http.get(sheet["url"])).content)

        status = dc.invoke_slash("status")  # the deferred "thinking…" response becomes the picture
        await dc.wait_for(lambda: (dc.interaction(status).original or {}).get("attachments"), timeout=15)
        original = dc.interaction(status).original
        assert str(original["content"]).startswith("Timeline (1 track)")
        assert original["attachments"][0]["filename"] == "timeline.jpg"


async def test_discord_a_dm_upload_answers_in_its_status_message_with_the_sheet_attached(
        settings: Settings, dc: FakeDiscord, nemo: FakeNemo, colors: bytes) -> None:
    nemo.fetch_urls = True
    async with running_bot(with_discord(settings, dc), dc):
        dc.user_message("", attachments=[dc.attachment(colors, "colors.mp4")], dm=True)
        await dc.wait_for(lambda: any(m.get("attachments") for m in dc.dm_messages()), timeout=15)
        [answer] = [m for m in dc.dm_messages() if m["author"]["id"] != str(dc.user_id)]
        assert str(answer["content"]).startswith("Uploaded colors.mp4") and answer.get("edited_timestamp")
        [sheet] = answer["attachments"]
        assert sheet["filename"] == "footage.jpg"


def screen(written: str) -> list[str]:
    """The lines a terminal shows for what was written ("\\r\\x1b[2K" clears the line being written)."""
    return [line.rsplit("\r\x1b[2K", 1)[-1] for line in written.split("\n")]


async def test_in_a_terminal_a_picture_during_a_job_goes_above_its_status_line(tmp_path: Path) -> None:
    out = io.StringIO()
    port = ConsolePort(out, tty=True, pictures=tmp_path / "pictures")
    me = Target("console", "local", "me")
    status = await port.send(me, "⏳ Working… 0s")

    await port.send_picture(me, picture())  # a reel's moments, shown before it renders
    await port.edit(status, "⏳ rendering 40%… 2s")
    await port.edit(status, "🎬 Your video is ready.")

    shown = screen(out.getvalue())
    assert [line[:1] for line in shown if line] == ["🖼", "🎬"]  # no stale "⏳" line left behind
