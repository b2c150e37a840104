"""Pictures, checked by their pixels: the contact sheet's grid and loudness, the timeline's thumbnails,
titles, cuts and scale, the highlights strip, the poster frame, their sizes, and what happens without
ffmpeg or with unreadable media (no picture, never an exception)."""

from __future__ import annotations

import io
import subprocess
from pathlib import Path

import pytest
from PIL import Image, ImageDraw

from core.media.ffmpeg import find_ffmpeg
from core.media.fonts import font_for_text
from core.nemo.draft import Draft
from core.pictures import PictureMaker
from core.pictures.draw import (
    AUDIO_BAND,
    BACKGROUND,
    CUT,
    INK,
    MAX_BYTES,
    PANEL,
    SPEED,
    TITLE_FILL,
    clock,
    font,
)
from core.pictures.sheet import COLUMNS, HEADER, frame_times
from core.pictures.strip import picked_moments
from core.pictures.timeline import timeline_picture
from core.ports import Picture, Target
from tests.clips import BLUE, GREEN, RED, color_clip, near

TELEGRAM_PHOTO_SIDES = 10000  # sendPhoto: width + height at most this, ratio at most 20
TELEGRAM_THUMBNAIL_SIDE = 320


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return color_clip(tmp_path_factory.mktemp("pictures") / "colors.mp4")


def opened(picture: Picture) -> Image.Image:
    image = Image.open(io.BytesIO(picture.data))
    assert image.format == "JPEG"
    assert (image.width, image.height) == (picture.width, picture.height)
    return image.convert("RGB")


def reel(name: str = "colors.mp4", picked: bool = True) -> Draft:
    """Three cuts of the colour clip (red, green at double speed, blue), music, and two titles; marked as a
    highlight reel's picks (as the local engine marks them) unless ``picked`` is false."""
    mark = {"pick": True} if picked else {}
    return Draft.parse({"t": [
        {"tt": 0, "sg": [
            {"st": 0, "d": 1000, "m": {"name": name, "in": 500, **mark}},
            {"st": 1000, "d": 500, "m": {"name": name, "in": 2500, "speed": 2.0, **mark}},
            {"st": 1500, "d": 1500, "m": {"name": name, "in": 4200, **mark}},
        ]},
        {"tt": 1, "sg": [{"st": 0, "d": 3000, "m": {"title": "Lo-fi", "vol": 0.35}}]},
        {"tt": 7, "sg": [{"st": 0, "d": 1500, "m": {"text": "Urban Dreams"}},
                         {"st": 1500, "d": 1500, "m": {"text": "城市之光"}}]},
    ]})


def ink(image: Image.Image, box: tuple[int, int, int, int], color: tuple[int, int, int] = INK) -> int:
    """How many pixels in ``box`` are close to ``color`` (text drawn in the ink colour)."""
    data = image.crop(box).convert("RGB").tobytes()
    return sum(1 for i in range(0, len(data), 3) if near((data[i], data[i + 1], data[i + 2]), color, 60))


# -- the contact sheet ------------------------------------------------------------------------------------


async def test_contact_sheet_shows_a_grid_of_frames_in_time_order_with_the_loudness(clip: Path) -> None:
    picture = await PictureMaker().contact_sheet(str(clip), "colors.mp4", "en")

    assert picture is not None and len(picture.data) <= MAX_BYTES
    image = opened(picture)
    assert image.width + image.height <= TELEGRAM_PHOTO_SIDES
    frames = frame_times(6.0)
    assert len(frames) == 8
    # eight frames: two full rows of four; the frame colours follow the clip
    cell_w = (image.width - 32 - (COLUMNS - 1) * 8) // COLUMNS
    cell_h = cell_w * 9 // 16
    centres = [(16 + (i % COLUMNS) * (cell_w + 8) + cell_w // 2, HEADER + (i // COLUMNS) * (cell_h + 8) + cell_h // 2)
               for i in range(8)]
    expected = [RED, RED, RED, GREEN, GREEN, BLUE, BLUE, BLUE]
    for centre, colour in zip(centres, expected, strict=True):
        assert near(image.getpixel(centre), colour), (centre, image.getpixel(centre), colour)
    # the third row is not there: under the two rows comes the loudness strip, not another frame
    strip_top = HEADER + 2 * (cell_h + 8)
    assert not any(near(image.getpixel((x, strip_top + 28)), c) for x in (100, 400) for c in (RED, GREEN, BLUE))
    # loud at the start, silent from 2 s to 4 s: the band is tall at 1 s and thin at 3 s
    left, right = 16, image.width - 16

    def band_height(seconds: float) -> int:
        x = int(left + (right - left) * seconds / 6)
        return sum(1 for y in range(strip_top, strip_top + 56) if near(image.getpixel((x, y)), AUDIO_BAND, 50))

    assert band_height(1.0) > 20
    assert band_height(3.0) <= 4
    assert band_height(5.0) > 20


def cut(clip: Path, to: Path, seconds: float) -> Path:
    """The first ``seconds`` of ``clip`` (re-encoded, a keyframe every second as before)."""
    subprocess.run([find_ffmpeg(), "-hide_banner", "-loglevel", "error", "-y", "-i", str(clip), "-t", str(seconds),
                    "-c:v", "libx264", "-preset", "ultrafast", "-g", "10", "-pix_fmt", "yuv420p", "-c:a", "aac",
                    str(to)], check=True, capture_output=True, timeout=60)
    return to


def busy(image: Image.Image, box: tuple[int, int, int, int]) -> float:
    """The share of the pixels in ``box`` that are not the sheet's empty background."""
    data = image.crop(box).tobytes()
    pixels = [(data[i], data[i + 1], data[i + 2]) for i in range(0, len(data), 3)]
    return sum(1 for p in pixels if not near(p, BACKGROUND)) / len(pixels)


@pytest.mark.parametrize("size", [(160, 90), (90, 160)], ids=["landscape", "portrait"])
async def test_a_short_clips_sheet_fills_its_width_with_frames_in_time_order(
        tmp_path: Path, size: tuple[int, int]) -> None:
    short = cut(color_clip(tmp_path / "six.mp4", size), tmp_path / "three.mp4", 3.0)  # red 0-2 s, green 2-3 s
    image = opened(await PictureMaker().contact_sheet(str(short), "three.mp4", "en"))  # type: ignore[arg-type]

    # the frames' band, under the header and above the loudness strip: its rightmost quarter is a frame
    band = (HEADER, HEADER + 100)
    right_quarter = (image.width * 3 // 4, band[0], image.width - 16, band[1])
    assert busy(image, right_quarter) > 0.5, busy(image, right_quarter)
    # across the whole width, the frames run from red to green as the clip does
    runs: list[tuple[int, int, int]] = []
    for x in range(16, image.width - 16):
        colour = next((c for c in (RED, GREEN, BLUE) if near(image.getpixel((x, HEADER + 60)), c)), None)
        if colour is not None and (not runs or runs[-1] != colour):
            runs.append(colour)
    assert runs == [RED, GREEN]
    # every frame keeps its time: four cells of a quarter each, each with its clock on a tag
    cell_w = (image.width - 32 - 3 * 8) // 4
    cell_bottom = next(y for y in range(image.height - 1, HEADER, -1)
                       if near(image.getpixel((16 + cell_w // 2, y)), RED))
    for i in range(4):
        x = 16 + i * (cell_w + 8)
        assert ink(image, (x + 6, cell_bottom - 30, x + 70, cell_bottom)) > 15, i


async def test_contact_sheet_header_names_the_footage(clip: Path) -> None:
    maker = PictureMaker()
    english = opened(await maker.contact_sheet(str(clip), "colors.mp4", "en"))  # type: ignore[arg-type]
    chinese = opened(await maker.contact_sheet(str(clip), "colors.mp4", "zh"))  # type: ignore[arg-type]

    header = (0, 0, 1280, HEADER - 4)
    assert ink(english, header) > 200
    assert list(english.crop(header).tobytes()) != list(chinese.crop(header).tobytes())


async def test_contact_sheet_of_unreadable_media_or_without_ffmpeg_is_none(clip: Path, tmp_path: Path) -> None:
    junk = tmp_path / "junk.mp4"
    junk.write_bytes(b"this is not a video" * 100)

    assert await PictureMaker().contact_sheet(str(junk), "junk.mp4", "en") is None
    assert await PictureMaker().contact_sheet(str(tmp_path / "missing.mp4"), "missing.mp4", "en") is None
    assert await PictureMaker(ffmpeg=str(tmp_path / "no-ffmpeg")).contact_sheet(str(clip), "c.mp4", "en") is None


async def test_pictures_are_cached_per_media(clip: Path, tmp_path: Path) -> None:
    copy = tmp_path / "copy.mp4"
    copy.write_bytes(clip.read_bytes())
    maker = PictureMaker()
    first = await maker.contact_sheet(str(copy), "copy.mp4", "en")
    copy.unlink()  # a second ffmpeg run would now fail

    assert first is not None
    assert await maker.contact_sheet(str(copy), "copy.mp4", "en") == first


# -- the timeline -----------------------------------------------------------------------------------------


async def test_timeline_shows_each_video_segments_part_of_the_users_upload(clip: Path) -> None:
    maker = PictureMaker()
    picture = await maker.timeline(reel(), "en", {"colors.mp4": str(clip)})

    assert picture is not None and len(picture.data) <= MAX_BYTES
    image = opened(picture)
    _, layout = timeline_picture(reel(), "en", {})
    video_row = layout.rows[0]
    y = (video_row[1] + video_row[3]) // 2
    # walk along the video row: the thumbnails are the only red, green and blue runs
    runs: list[tuple[int, int, int]] = []
    for x in range(video_row[0], video_row[2]):
        pixel = image.getpixel((x, y))
        colour = next((c for c in (RED, GREEN, BLUE) if near(pixel, c)), None)
        if colour is not None and (not runs or runs[-1] != colour):
            runs.append(colour)
    assert runs == [RED, GREEN, BLUE]


def along(image: Image.Image, row: tuple[int, int, int, int], y: int) -> list[tuple[int, int, int] | None]:
    """The clip's colour (or ``None``) at each pixel along ``y`` of a timeline row."""
    return [next((c for c in (RED, GREEN, BLUE) if near(image.getpixel((x, y)), c)), None)
            for x in range(row[0], row[2])]


@pytest.mark.parametrize(("meta", "expected"), [
    ({"in": 0}, [RED, GREEN, BLUE]),
    ({"in": 0, "rev": True}, [BLUE, GREEN, RED]),
    ({"in": 0, "speed": 2.0, "d": 3000}, [RED, GREEN, BLUE]),
    ({"in": 2000, "d": 4000}, [GREEN, BLUE]),
], ids=["whole", "reversed", "double-speed", "trimmed"])
async def test_a_video_segment_is_a_filmstrip_of_the_times_it_plays(
        clip: Path, meta: dict[str, object], expected: list[tuple[int, int, int]]) -> None:
    duration = meta.pop("d", 6000)
    draft = Draft.parse({"t": [{"tt": 0, "sg": [{"st": 0, "d": duration, "m": {"name": "colors.mp4", **meta}}]}]})
    picture = await PictureMaker().timeline(draft, "en", {"colors.mp4": str(clip)})

    assert picture is not None
    image = opened(picture)
    _, layout = timeline_picture(draft, "en", {})
    row = layout.rows[0]
    colours = along(image, row, (row[1] + row[3]) // 2)
    # the bar is frames from end to end, not one thumbnail and then a plain bar
    assert sum(c is not None for c in colours) > 0.8 * len(colours)
    runs: list[tuple[int, int, int]] = []
    for colour in colours:
        if colour is not None and (not runs or runs[-1] != colour):
            runs.append(colour)
    assert runs == expected
    # each colour where the segment plays it: the middle of each part of the bar
    parts = len(expected)
    for i, colour in enumerate(expected):
        assert colours[int((i + 0.5) * len(colours) / parts)] == colour


def test_a_filmstrip_has_a_frame_per_stretch_of_its_segment_and_a_still_shows_its_one_picture() -> None:
    from core.nemo.draft import Segment
    from core.pictures.timeline import filmstrip_times, filmstrips

    whole = Draft.parse({"t": [{"tt": 0, "sg": [{"st": 0, "d": 60000, "m": {"name": "a.mp4", "in": 0}}]}]})
    assert len(filmstrips(whole)[(0, 0)]) == 7  # about 16:9 frames at the row's height, the picture's width
    assert filmstrip_times(Segment(0, 4000, {"in": 1000}), 4) == [1.5, 2.5, 3.5, 4.5]
    assert filmstrip_times(Segment(0, 4000, {"in": 1000, "rev": True}), 2) == [4.0, 2.0]
    assert filmstrip_times(Segment(0, 4000, {"in": 1000, "still": True}), 3) == [1.0, 1.0, 1.0]
    cards = Draft.parse({"t": [{"tt": 0, "sg": [{"d": 1000, "m": {"card": "#ff0000", "text": "Intro"}}]}]})
    assert filmstrips(cards) == {}


async def test_a_clip_played_back_in_pieces_is_drawn_as_one_segment(clip: Path) -> None:
    from engine.effects import reverse

    one = {"t": [{"tt": 0, "sg": [{"st": 0, "d": 6000, "m": {"name": "colors.mp4", "in": 0, "speed": 1.0}}]}]}
    backwards = Draft.parse(reverse(one))
    assert len(backwards.tracks[0].segments) == 2  # the engine plays it back in pieces
    _, as_stored = timeline_picture(backwards, "en", {})
    assert len(as_stored.cuts) == 1
    assert timeline_picture(backwards.joined(), "en", {})[1].cuts == []

    picture = await PictureMaker().timeline(backwards, "en", {"colors.mp4": str(clip)})

    assert picture is not None
    image = opened(picture)
    assert not near(image.getpixel((as_stored.cuts[0], as_stored.rows[0][1] + 40)), CUT)  # no seam drawn


async def test_timeline_without_the_media_draws_labelled_blocks(tmp_path: Path) -> None:
    no_ffmpeg = PictureMaker(ffmpeg=str(tmp_path / "no-ffmpeg"))
    with_media = await no_ffmpeg.timeline(reel(), "en", {"colors.mp4": str(tmp_path / "gone.mp4")})
    cloud = await PictureMaker().timeline(reel(), "en", {})

    for picture in (with_media, cloud):
        assert picture is not None
        image = opened(picture)
        _, layout = timeline_picture(reel(), "en", {})
        row = layout.rows[0]
        colours = [image.getpixel((x, (row[1] + row[3]) // 2)) for x in range(row[0], row[2])]
        assert not any(near(p, c) for p in colours for c in (RED, GREEN, BLUE))
        # each block carries its file's name
        first_block = (row[0], row[1], row[0] + 100, row[1] + 26)
        assert ink(image, first_block) > 30


def test_timeline_draws_to_scale_with_cuts_speed_and_titles_in_their_script() -> None:
    image, layout = timeline_picture(reel(), "en", {})

    # three segments, two seams: a cut at 1 s and one at 1.5 s of 3 s
    left, right = layout.rows[0][0], layout.rows[0][2]
    assert layout.cuts == [left + int((right - left) / 3), left + int((right - left) / 2)]
    for x in layout.cuts:
        assert near(image.getpixel((x, layout.rows[0][1] + 40)), CUT)
    # the doubled segment wears its speed
    assert [text for _, text in layout.speeds] == ["2×"]
    badge = layout.speeds[0][0]
    assert near(image.getpixel((badge[0] + 1, badge[1] + 1)), SPEED)
    # titles: the text is drawn inside its box, each in a font that has its letters
    assert [text for _, text in layout.titles] == ["Urban Dreams", "城市之光"]
    for box, _ in layout.titles:
        assert near(image.getpixel((box[2] - 3, box[1] + 3)), TITLE_FILL)
        assert ink(image, box) > 40
    cjk_box = layout.titles[1][0]
    drawn = image.crop(cjk_box)
    tofu = Image.new("RGB", drawn.size, TITLE_FILL)
    ImageDraw.Draw(tofu).text((6, drawn.height / 2 - 10), "城市之光", font=font(18, "Latin only"), fill=INK)
    assert list(drawn.tobytes()) != list(tofu.tobytes())
    assert font_for_text("城市之光") != font_for_text("Urban Dreams")


def test_timeline_speaks_the_conversations_language() -> None:
    english, _ = timeline_picture(reel(), "en", {})
    chinese, layout = timeline_picture(reel(), "zh", {})

    names = (0, layout.rows[0][1], layout.rows[0][0], layout.rows[-1][3])  # the track names column
    assert list(english.crop(names).tobytes()) != list(chinese.crop(names).tobytes())


def test_an_empty_or_odd_draft_still_draws() -> None:
    for raw in (None, {}, {"t": "x"}, {"t": [{"tt": 0, "sg": [{"d": "soon"}]}]},
                {"t": [{"tt": 0, "sg": [{"d": 1000, "m": {"speed": "fast", "in": "x", "card": "no-colour"}}]}]}):
        image, _ = timeline_picture(Draft.parse(raw), "en", {})
        assert image.width == 1280


async def test_music_is_a_loudness_band_at_its_volume(clip: Path) -> None:
    draft = Draft.parse({"t": [{"tt": 1, "sg": [{"st": 0, "d": 6000, "m": {"title": "colors.mp4", "vol": 1.0}}]}]})
    picture = await PictureMaker().timeline(draft, "en", {"colors.mp4": str(clip)})

    assert picture is not None
    image = opened(picture)
    _, layout = timeline_picture(draft, "en", {})
    row = layout.rows[0]

    def height(seconds: float) -> int:
        x = int(row[0] + (row[2] - row[0]) * seconds / 6)
        return sum(1 for y in range(row[1], row[3]) if near(image.getpixel((x, y)), AUDIO_BAND, 50))

    assert height(1.0) > 3 * max(height(3.0), 1)


def test_a_music_segment_shows_the_part_of_its_source_it_plays() -> None:
    from core.nemo.draft import Segment
    from core.pictures.timeline import music_window

    whole = [0.0] * 5 + [1.0] * 5  # ten seconds: quiet, then loud
    second_half = Segment(0, 4000, {"in": 5000})
    looped = Segment(0, 20000, {"loop": True})
    too_long = Segment(0, 20000, {})

    assert set(music_window(second_half, whole, 10.0, points=8)) == {1.0}
    assert music_window(looped, whole, 10.0, points=4) == [0.0, 1.0, 0.0, 1.0]
    assert music_window(too_long, whole, 10.0, points=4)[2:] == [0.0, 0.0]  # silence after its end
    assert music_window(second_half, [], 0.0) == []


# -- highlights and the poster ----------------------------------------------------------------------------


async def test_highlights_strip_shows_each_picked_moment(clip: Path) -> None:
    assert [(m.start, m.end) for m in picked_moments(reel())] == [(0.5, 1.5), (2.5, 3.5), (4.2, 5.7)]
    picture = await PictureMaker().highlights(reel(), "en", {"colors.mp4": str(clip)})

    assert picture is not None
    image = opened(picture)
    cell_w = (1280 - 32 - 5 * 8) // 6
    centres = [(16 + i * (cell_w + 8) + cell_w // 2, 52 + 20) for i in range(3)]
    assert [next(c for c in (RED, GREEN, BLUE) if near(image.getpixel(p), c)) for p in centres] == [RED, GREEN, BLUE]
    assert near(image.getpixel((16 + 3 * (cell_w + 8) + cell_w // 2, 52 + 20)), (22, 24, 29), 10)


async def test_a_single_clip_is_not_a_reel() -> None:
    one = Draft.parse({"t": [{"tt": 0, "sg": [{"d": 3000, "m": {"name": "a.mp4", "in": 0}}]}]})
    assert await PictureMaker().highlights(one, "en", {}) is None
    assert await PictureMaker().highlights(one, "en", {}, reel=True) is None


async def test_several_cuts_are_a_reel_only_when_marked_or_said() -> None:
    cuts = reel(picked=False)  # a reversed, looped or pause-cut clip has several segments too
    assert picked_moments(cuts) == []
    assert await PictureMaker().highlights(cuts, "en", {}) is None
    assert [(m.start, m.end) for m in picked_moments(cuts, reel=True)] == [(0.5, 1.5), (2.5, 3.5), (4.2, 5.7)]
    looped = Draft.parse({"t": [{"tt": 0, "sg": [*reel().raw["t"][0]["sg"], *reel().raw["t"][0]["sg"]]}]})
    assert len(picked_moments(looped)) == 3  # a looped reel picked its moments once


async def test_poster_frame_fits_telegrams_thumbnail(clip: Path) -> None:
    picture = await PictureMaker().poster(str(clip), 6.0)

    assert picture is not None
    image = opened(picture)
    assert max(image.size) <= TELEGRAM_THUMBNAIL_SIDE and len(picture.data) < 200 * 1024
    assert near(image.getpixel((image.width // 2, image.height // 2)), GREEN)  # a third of 6 s: green begins
    assert await PictureMaker().poster(str(clip)) is not None  # the duration found by probing


def test_a_link_is_read_over_the_web_only(tmp_path: Path) -> None:
    from core.pictures.frames import FrameAt, grab_args

    args = grab_args("ffmpeg", [FrameAt("https://cdn.example/a.mp4", 1.0, (160, 90)),
                                FrameAt(str(tmp_path / "b.mp4"), 1.0, (160, 90))], tmp_path)
    whitelists = [args[i + 1] for i, a in enumerate(args) if a == "-protocol_whitelist"]
    assert whitelists == ["http,https,tcp,tls,crypto", "file"]


async def test_a_caption_passes_the_redactor() -> None:
    from core.secrets import RedactingPort, Redactor
    from tests.recording import RecordingPort

    recording = RecordingPort()
    port = RedactingPort(recording, Redactor(["nmv_s3cr3t_token_value"]))
    await port.send_picture(Target("test", "1", "1"), encode_image(), "your token nmv_s3cr3t_token_value")

    assert "nmv_s3cr3t_token_value" not in recording.last() and recording.pictures()


def encode_image() -> Picture:
    from core.pictures.draw import encode

    return encode(Image.new("RGB", (64, 64)), "x")


def test_clock() -> None:
    assert [clock(s) for s in (0, 3.5, 3.99999, 12.4, 75, 3725)] == ["0:00", "0:03.5", "0:04", "0:12", "1:15", "1:02:05"]


def test_an_empty_panel_is_not_a_frame() -> None:
    assert not any(near(PANEL, c) for c in (RED, GREEN, BLUE))


async def test_a_big_file_behind_a_link_gets_a_sheet_without_the_loudness_strip(
        clip: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from aiohttp import web

    from core.pictures import maker

    async def serve(request: web.Request) -> web.FileResponse:
        return web.FileResponse(clip)

    app = web.Application()
    app.router.add_get("/colors.mp4", serve)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    url = f"http://127.0.0.1:{runner.addresses[0][1]}/colors.mp4"
    try:
        small = opened(await PictureMaker().contact_sheet(url, "colors.mp4", "en"))  # type: ignore[arg-type]
        monkeypatch.setattr(maker, "REMOTE_LOUDNESS_MAX", clip.stat().st_size - 1)
        big = opened(await PictureMaker().contact_sheet(url, "colors.mp4", "en"))  # type: ignore[arg-type]
    finally:
        await runner.cleanup()

    assert big.height < small.height  # the same grid, no strip under it
    assert near(big.getpixel((16 + 150, HEADER + 84)), RED)
