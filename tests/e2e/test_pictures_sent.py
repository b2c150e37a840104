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
from tests.e2e.test_discord import running_bot, with_discord
from tests.e2e.test_telegram import ANN, world
from tests.fakes.discord import FakeDiscord
from tests.fakes.nemo import FakeNemo

pytestmark = pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")


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
