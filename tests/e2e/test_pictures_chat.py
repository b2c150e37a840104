"""Pictures in the conversation, against the stand-in NEMO (whose CDN serves the uploaded clip back) and a
recording surface: the contact sheet after an upload, the timeline on /status and, when asked for, after an
edit; the reel's moments before it renders; a poster for the result; and the text answer always arrives."""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path

import pytest
from PIL import Image

from core.conversation import Core
from core.ports import Attachment, Button, Incoming, MessageRef, Picture, Target
from tests.clips import BLUE, GREEN, RED, color_clip, near
from tests.fakes.nemo import FakeNemo, SetDraft, Text
from tests.recording import RecordingPort

ANN = Target("test", "chat-1", "ann")
pytestmark = pytest.mark.renders_done_when_polled  # render time is not these tests' subject


@pytest.fixture(scope="module")
def colors(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    return color_clip(tmp_path_factory.mktemp("chat") / "colors.mp4").read_bytes()


def attachment(data: bytes, name: str = "colors.mp4") -> Attachment:
    async def chunks():  # type: ignore[no-untyped-def]
        yield data

    return Attachment(name, len(data), "video/mp4", open=chunks)


def image(picture: Picture) -> Image.Image:
    return Image.open(io.BytesIO(picture.data)).convert("RGB")


async def upload(core: Core, data: bytes) -> None:
    await core.handle(Incoming(ANN, attachments=[attachment(data)]))
    await core.idle()


def reel_draft(cdn_name: str = "colors.mp4") -> dict[str, object]:
    """Three moments of the uploaded clip, as a highlight reel's draft has them."""
    return {"t": [{"tt": 0, "sg": [
        {"st": 0, "d": 1000, "m": {"name": cdn_name, "in": 500}},
        {"st": 1000, "d": 1000, "m": {"name": cdn_name, "in": 2500}},
        {"st": 2000, "d": 1000, "m": {"name": cdn_name, "in": 4500}},
    ]}, {"tt": 7, "sg": [{"st": 0, "d": 1500, "m": {"text": "Finals"}}]}]}


async def test_an_upload_answers_in_its_status_message_with_the_contact_sheet_under_it(
        core: Core, port: RecordingPort, colors: bytes) -> None:
    await upload(core, colors)

    status, sheet = port.messages[-2:]
    assert status.text.startswith("Uploaded colors.mp4") and status.texts[0].startswith("⏳")
    assert [b.action for b in status.buttons][:2] == ["export", "status"]
    assert sheet.picture is not None and sheet.text == ""  # no "Done" line, no second answer
    assert not any(text.startswith("✅") for m in port.messages for text in m.texts)
    drawn = image(sheet.picture)
    assert near(drawn.getpixel((16 + 150, 52 + 84)), RED)  # the first frame, in the first cell


async def test_a_video_with_an_instruction_shows_the_footage_then_runs_the_edit(
        core: Core, port: RecordingPort, nemo: FakeNemo, colors: bytes) -> None:
    nemo.script_chat(Text("Cut the pauses."))
    await core.handle(Incoming(ANN, text="cut the pauses", attachments=[attachment(colors)]))
    await core.idle()

    status, sheet = port.messages[-2:]
    assert sheet.picture is not None and sheet.picture.filename == "footage.jpg" and sheet.text == ""
    assert status.text.startswith("Cut the pauses.")  # the status message ends in the edit's answer
    assert nemo.chat_messages == ["cut the pauses"]


async def test_footage_that_cannot_be_drawn_still_gets_its_answer(core: Core, port: RecordingPort) -> None:
    await upload(core, b"\x00\x00\x00\x18ftypmp42" + b"v" * 1000)

    assert port.pictures() == []
    assert port.last().startswith("Uploaded colors.mp4")


async def test_status_shows_the_timeline_drawn_with_thumbnails_of_the_upload(
        core: Core, port: RecordingPort, nemo: FakeNemo, colors: bytes) -> None:
    await upload(core, colors)
    nemo.script_chat(SetDraft(reel_draft()), Text("Picked three moments."))
    await core.handle(Incoming(ANN, text="make a highlight reel"))
    await core.idle()
    before = len(port.pictures())

    await core.handle(Incoming(ANN, command="status"))
    await core.idle()

    assert len(port.pictures()) == before + 1
    shown = port.messages[-1]
    assert shown.picture is not None and shown.text.startswith("Timeline (2 tracks)")
    drawn = image(shown.picture)
    row_y = 48 + 48
    runs = []
    for x in range(120, 1256):
        colour = next((c for c in (RED, GREEN, BLUE) if near(drawn.getpixel((x, row_y)), c)), None)
        if colour is not None and (not runs or runs[-1] != colour):
            runs.append(colour)
    assert runs == [RED, GREEN, BLUE]


async def test_pictures_after_edits_are_asked_for_per_conversation_and_remembered(
        core: Core, port: RecordingPort, nemo: FakeNemo, colors: bytes) -> None:
    await upload(core, colors)
    nemo.script_chat(SetDraft(reel_draft()), Text("Picked three moments."))
    await core.handle(Incoming(ANN, text="make a highlight reel"))
    await core.idle()
    assert port.messages[-1].picture is None and port.last().startswith("Picked three moments.")

    await core.handle(Incoming(ANN, command="pictures", args="on"))
    await core.idle()
    assert "Pictures on" in port.last()
    saved = await core.store.get_conversation(ANN.conversation)
    assert saved is not None and saved.pictures is True

    changed = reel_draft()
    changed["t"][1]["sg"][0]["m"]["text"] = "Semi-finals"  # type: ignore[index]
    nemo.script_chat(SetDraft(changed), Text("Title changed."))
    await core.handle(Incoming(ANN, text="title: Semi-finals"))
    await core.idle()
    status, timeline = port.messages[-2:]
    assert status.text.startswith("Title changed.") and status.texts[0].startswith("⏳")
    assert timeline.picture is not None and timeline.text == ""

    nemo.script_chat(Text("Nothing to change."))  # the timeline stays as it is: no picture
    await core.handle(Incoming(ANN, text="is it fine?"))
    await core.idle()
    assert port.messages[-1].picture is None

    await core.handle(Incoming(ANN, command="pictures", args="off"))
    await core.handle(Incoming(ANN, command="pictures", args="sometimes"))
    await core.idle()
    assert "Pictures off" in port.messages[-2].text and "/pictures on" in port.last()


async def test_the_default_comes_from_the_settings(core: Core, port: RecordingPort) -> None:
    core.settings.bot.pictures = True
    await core.handle(Incoming(ANN, command="pictures"))
    await core.idle()
    assert "Pictures on" in port.last()
    saved = await core.store.get_conversation(ANN.conversation)
    assert saved is None or saved.pictures is None  # asking changes nothing


class RefusingPort(RecordingPort):
    """A surface that cannot send pictures (the platform refused the image)."""

    async def send_picture(self, target: Target, picture: Picture, caption: str = "",
                           buttons: Sequence[Button] = ()) -> MessageRef:
        raise RuntimeError("refused")


async def test_a_picture_that_cannot_be_sent_leaves_the_answer_as_text(core: Core, colors: bytes) -> None:
    port = RefusingPort()
    core.register(port)
    await upload(core, colors)
    await core.handle(Incoming(ANN, command="status"))
    await core.idle()

    assert port.messages[-2].text.startswith("Uploaded colors.mp4")
    assert port.last().startswith("Timeline (1 track)")


async def test_a_reel_shows_its_moments_before_rendering_and_the_result_gets_a_poster(
        core: Core, port: RecordingPort, nemo: FakeNemo, colors: bytes) -> None:
    await core.handle(Incoming(ANN, command="mode", args="highlights"))  # the cloud's reels: its highlights skill
    await upload(core, colors)
    nemo.script_chat(SetDraft(reel_draft()), Text("Picked three moments."))
    await core.handle(Incoming(ANN, text="make a highlight reel"))
    await core.idle()
    nemo.render_plan.content = colors
    nemo.render_plan.duration = 6.0

    await core.handle(Incoming(ANN, command="export"))
    await core.idle()

    strip = port.pictures()[-1]
    assert strip.filename == "highlights.jpg"
    drawn = image(strip)
    cell = (1280 - 32 - 5 * 8) // 6
    assert [near(drawn.getpixel((16 + i * (cell + 8) + cell // 2, 52 + 20)), c)
            for i, c in enumerate((RED, GREEN, BLUE))] == [True, True, True]
    [(_, _, video)] = port.deliveries
    assert video.poster is not None and video.poster.filename == "poster.jpg"
    assert max(image(video.poster).size) <= 320


async def test_cuts_of_one_clip_made_by_the_editing_skill_show_no_highlights_before_rendering(
        core: Core, port: RecordingPort, nemo: FakeNemo, colors: bytes) -> None:
    await upload(core, colors)  # the default mode: the cloud's editing skill
    nemo.script_chat(SetDraft(reel_draft()), Text("Cut the pauses."))
    await core.handle(Incoming(ANN, text="cut the pauses"))
    await core.idle()
    shown = len(port.pictures())

    await core.handle(Incoming(ANN, command="export"))
    await core.idle()

    assert [p.filename for p in port.pictures()[shown:]] == []
    assert len(port.deliveries) == 1


async def test_a_render_that_is_not_a_video_is_delivered_without_a_poster(
        core: Core, port: RecordingPort, nemo: FakeNemo, tmp_path: Path) -> None:
    await upload(core, b"v" * 100)
    await core.handle(Incoming(ANN, command="export"))
    await core.idle()

    [(_, text, video)] = port.deliveries
    assert video.poster is None and "/files/" in text
