"""The look, orientation, timing, sound, subtitle, watermark and output edits: each operation applied by the
engine's tools to a session's state, rendered through the engine's HTTP render API, and the file probed."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from engine import draft as dr
from engine import effects as ef
from engine import filters as flt
from engine.ffmpeg import find_ffmpeg, run_sync
from engine.planner import Op
from engine.server import EngineServer
from engine.tools import Outcome

from .conftest import Api, audio_levels, gray_frame, loudness, mean, media_info, region, yuv_frame

pytestmark = pytest.mark.slow

SIZE = (160, 90)
CORNER = (0.0, 0.0, 0.25, 1 / 3)  # the marker's white box, top left
SRT = """1
00:00:00,500 --> 00:00:02,000
Hello there

2
00:00:02,500 --> 00:00:03,500
<i>Second</i> line
"""


def _lavfi(path: Path, video: str, audio: str, seconds: float) -> Path:
    args = [find_ffmpeg(), "-v", "error", "-y", "-f", "lavfi", "-i", video, "-f", "lavfi", "-i", audio]
    args += ["-t", f"{seconds}", "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"]
    args += ["-c:a", "aac", "-b:a", "96k", str(path)]
    result = run_sync(args)
    assert result.returncode == 0, result.stderr[-500:]
    return path


@pytest.fixture(scope="module")
def media(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A 4 s grey clip with a white box top left, its background brightening with time (a frame-order
    marker) and a tone that grows louder; a colourful clip; a clip with hiss; a logo; subtitles."""
    d = tmp_path_factory.mktemp("fx")
    marker = _lavfi(
        d / "marker.mp4",
        "color=c=black:s=160x90:r=30:d=4,format=yuv420p,"
        "geq=lum='if(lt(X\\,40)*lt(Y\\,30)\\,235\\,16+T*40)':cb=128:cr=128",
        "aevalsrc='0.03*(1+2*t)*sin(2*PI*440*t)':s=48000:d=4",
        4,
    )
    colour = _lavfi(d / "colour.mp4", "testsrc2=s=160x90:r=30:d=3", "sine=f=330:d=3", 3)
    hiss = _lavfi(
        d / "hiss.mp4",
        "color=c=0x204060:s=160x90:r=30:d=3",
        "aevalsrc='0.02*(random(0)-0.5)+if(gt(t,1.5),0.3*sin(2*PI*300*t),0)':s=48000:d=3",
        3,
    )
    logo = d / "logo.png"
    assert (
        run_sync(
            [find_ffmpeg(), "-v", "error", "-y", "-f", "lavfi", "-i", "color=white:s=64x64"]
            + ["-frames:v", "1", str(logo)]
        ).returncode
        == 0
    )
    subs = d / "lines.srt"
    subs.write_text(SRT, encoding="utf-8")
    return {"marker": marker, "colour": colour, "hiss": hiss, "logo": logo, "srt": subs}


@dataclass
class Rendered:
    path: Path
    url: str
    content_type: str


class Editing:
    """One engine session: operations applied by the engine's tools, renders through the HTTP API."""

    def __init__(self, engine: EngineServer, api: Api) -> None:
        self.engine, self.api = engine, api
        self.state: dict[str, Any] = {}

    async def start(self, *paths: Path) -> Editing:
        await self.api.upload(*paths)
        self.state = await self.api.state()
        return self

    async def do(self, op: str, lang: str = "en", /, **args: Any) -> Outcome:
        out = await self.engine.tools.execute(Op(op, args), self.state, self.api.sid, uuid.uuid4().hex, lang)
        if out.ok:
            self.state.update(out.delta)
        return out

    @property
    def draft(self) -> dict[str, Any]:
        return self.state["draft"]

    async def render(self, dest: Path) -> Rendered:
        data = await self.api.wait(await self.api.submit(draft=self.draft))
        assert data["status"] == "completed", data
        r = await self.api.http.get(data["output"]["url"])
        assert r.status_code == 200
        path = dest.with_suffix(PurePosixPath(urlsplit(data["output"]["url"]).path).suffix)
        path.write_bytes(r.content)
        return Rendered(path, data["output"]["url"], r.headers["content-type"])


@pytest.fixture
async def edit(engine: EngineServer, api: Api) -> Editing:
    return Editing(engine, api)


def luma(path: Path, t: float, box: tuple[float, float, float, float] = (0.3, 0.4, 1.0, 1.0)) -> float:
    return mean(region(gray_frame(path, t, SIZE), SIZE, box))


def chroma(path: Path, t: float, size: tuple[int, int] = SIZE) -> tuple[float, float, float]:
    """Mean distance of U and V from neutral, and the mean of U and V themselves."""
    _, u, v = yuv_frame(path, t, size)
    spread = (sum(abs(x - 128) for x in u) + sum(abs(x - 128) for x in v)) / (2 * len(u))
    return spread, sum(u) / len(u), sum(v) / len(v)


async def test_reverse_plays_the_frames_and_the_sound_backwards_and_undo_restores(
    edit: Editing, media: dict[str, Path], tmp_path: Path
) -> None:
    await edit.start(media["marker"])
    before = edit.draft
    out = await edit.do("reverse")
    assert out.ok and "backwards" in out.summary
    assert [s["m"].get("rev") for s in dr.segments(edit.draft, dr.VIDEO)] == [True]
    r = await edit.render(tmp_path / "rev")
    assert abs(media_info(r.path).duration - 4.0) < 0.1
    # the background brightens with time in the source: backwards, it darkens
    assert luma(r.path, 0.3) > luma(r.path, 3.6) + 60
    assert audio_levels(r.path, 0.1, 0.8)[0] > audio_levels(r.path, 3.1, 0.8)[0] + 6
    undone = await edit.do("undo")
    assert undone.ok and edit.draft == before


def test_reverse_of_a_long_segment_goes_piece_by_piece_and_twice_is_forwards() -> None:
    d = dr.append_media(dr.empty_draft(), {"id": "f1", "file_type": "video", "duration": 12.0})
    back = ef.reverse(d)
    segs = dr.segments(back, dr.VIDEO)
    assert [(s["m"]["in"], s["d"], s["m"]["rev"]) for s in segs] == [
        (8000, 4000, True),
        (4000, 4000, True),
        (0, 4000, True),
    ]
    again = dr.segments(ef.reverse(back), dr.VIDEO)
    assert [(s["m"]["in"], s["d"], "rev" in s["m"]) for s in again] == [
        (0, 4000, False),
        (4000, 4000, False),
        (8000, 4000, False),
    ]
    assert dr.total_ms(back) == 12000


async def test_looks_black_and_white_has_no_colour_and_warm_cool_shift_it(
    edit: Editing, media: dict[str, Path], tmp_path: Path
) -> None:
    await edit.start(media["colour"])
    plain = await edit.render(tmp_path / "plain")
    spread0 = chroma(plain.path, 1.0)[0]
    assert spread0 > 15
    assert (await edit.do("look", "zh", name="bw")).summary == "已应用黑白滤镜。"
    bw = await edit.render(tmp_path / "bw")
    assert chroma(bw.path, 1.0)[0] < 1.5
    await edit.do("look", name="warm")
    _, u_w, v_w = chroma((await edit.render(tmp_path / "warm")).path, 1.0)
    await edit.do("look", name="cool")
    _, u_c, v_c = chroma((await edit.render(tmp_path / "cool")).path, 1.0)
    assert v_w > v_c + 4 and u_c > u_w + 4  # warm is redder (V), cool bluer (U)
    await edit.do("look", name="sepia")
    sepia = await edit.render(tmp_path / "sepia")
    spread_s, u_s, v_s = chroma(sepia.path, 1.0)
    assert v_s > 128 > u_s and spread_s < spread0  # one brownish tint
    assert (await edit.do("look", name="none")).ok and "look" not in ef.effects(edit.draft)


async def test_brightness_accumulates_and_contrast_saturation_apply(
    edit: Editing, media: dict[str, Path], tmp_path: Path
) -> None:
    await edit.start(media["marker"])
    base = luma((await edit.render(tmp_path / "base")).path, 1.0)
    await edit.do("adjust", brightness=0.1)
    out = await edit.do("adjust", brightness=0.1)  # "a bit more"
    assert ef.effects(edit.draft)["adj"] == {"brightness": 0.2} and "+20%" in out.summary
    brighter = luma((await edit.render(tmp_path / "bright")).path, 1.0)
    assert brighter > base + 30
    await edit.do("adjust", brightness=-0.2, saturation=-1.0, contrast=0.2)
    assert ef.effects(edit.draft)["adj"] == {"saturation": -1.0, "contrast": 0.2}
    refused = await edit.do("adjust")
    assert not refused.ok and "brightness" in refused.summary


async def test_rotate_swaps_the_sides_and_flip_mirrors_the_marker(
    edit: Editing, media: dict[str, Path], tmp_path: Path
) -> None:
    await edit.start(media["marker"])
    assert (await edit.do("rotate", degrees=90)).summary == "Rotated 90° clockwise."
    r = await edit.render(tmp_path / "rot")
    info = media_info(r.path)
    assert (info.width, info.height) == (90, 160)
    size = (90, 160)
    frame = gray_frame(r.path, 0.5, size)
    # turned clockwise, the top-left box is now top right
    assert mean(region(frame, size, (0.72, 0.0, 1.0, 0.22))) > 200
    assert mean(region(frame, size, (0, 0, 0.3, 0.22))) < 100
    await edit.do("undo")
    await edit.do("flip", axis="horizontal")
    f = await edit.render(tmp_path / "flip")
    frame = gray_frame(f.path, 0.5, SIZE)
    assert mean(region(frame, SIZE, (0.78, 0.0, 1.0, 0.3))) > 200
    assert mean(region(frame, SIZE, CORNER)) < 100
    await edit.do("flip", axis="vertical")  # and upside down: the box is bottom right
    assert ef.orientation(edit.draft) == (180, False)
    fv = gray_frame((await edit.render(tmp_path / "flip2")).path, 0.5, SIZE)
    assert mean(region(fv, SIZE, (0.78, 0.7, 1.0, 1.0))) > 200


async def test_zoom_punch_in_and_ken_burns(edit: Editing, media: dict[str, Path], tmp_path: Path) -> None:
    await edit.start(media["marker"])
    await edit.do("zoom", factor=2.0, mode="punch")
    punch = await edit.render(tmp_path / "punch")
    assert mean(region(gray_frame(punch.path, 0.5, SIZE), SIZE, (0, 0, 0.2, 0.25))) < 100  # box cropped away
    await edit.do("zoom", factor=2.0, mode="kenburns")
    kb = await edit.render(tmp_path / "kb")
    assert mean(region(gray_frame(kb.path, 0.05, SIZE), SIZE, (0, 0, 0.2, 0.25))) > 200  # starts wide
    end = gray_frame(kb.path, 3.9, SIZE)  # ends zoomed in: the box is gone, the background (~172) fills it
    assert mean(region(end, SIZE, (0.02, 0.05, 0.2, 0.25))) < 205
    assert (await edit.do("zoom", factor=1.0, mode="punch")).summary == "Zoom removed."


async def test_loop_resolution_and_frame_rate(edit: Editing, media: dict[str, Path], tmp_path: Path) -> None:
    await edit.start(media["marker"])
    out = await edit.do("loop", "zh", times=3)
    assert out.summary == "视频已循环播放3遍（共12秒）。" and dr.total_ms(edit.draft) == 12000
    looped = await edit.render(tmp_path / "loop")
    assert abs(media_info(looped.path).duration - 12.0) < 0.1
    assert abs(luma(looped.path, 4.3) - luma(looped.path, 0.3)) < 8  # each pass starts over
    await edit.do("undo")
    await edit.do("resolution", height=720)
    await edit.do("fps", fps=24)
    info = media_info((await edit.render(tmp_path / "res")).path)
    assert (info.width, info.height, info.fps) == (1280, 720, 24.0) and abs(info.duration - 4.0) < 0.1
    bad = await edit.do("fps", fps=500)
    assert not bad.ok and "60" in bad.summary


async def test_audio_fade_loudness_and_denoise(edit: Editing, media: dict[str, Path], tmp_path: Path) -> None:
    await edit.start(media["hiss"])
    plain = await edit.render(tmp_path / "plain")
    await edit.do("denoise")
    clean = await edit.render(tmp_path / "clean")
    hiss_before, hiss_after = audio_levels(plain.path, 0.3, 1.0)[0], audio_levels(clean.path, 0.3, 1.0)[0]
    assert hiss_after < hiss_before - 6  # the hiss alone is much lower
    assert (
        abs(audio_levels(clean.path, 2.0, 0.8)[1] - audio_levels(plain.path, 2.0, 0.8)[1]) < 3
    )  # voice kept
    await edit.do("audio_fade", **{"in": 0.0, "out": 1.0})
    faded = await edit.render(tmp_path / "fade")
    assert audio_levels(faded.path, 2.75, 0.25)[0] < audio_levels(faded.path, 1.7, 0.25)[0] - 8
    assert luma(faded.path, 2.9, (0, 0, 1, 1)) > 20  # the picture did not fade


async def test_loudness_normalisation_brings_a_quiet_clip_to_minus_16_lufs(
    edit: Editing, media: dict[str, Path], tmp_path: Path
) -> None:
    await edit.start(media["colour"])
    await edit.do("volume", volume=0.1)
    quiet = loudness((await edit.render(tmp_path / "quiet")).path)
    assert (await edit.do("loudnorm", "zh")).summary == "已统一响度（EBU R128，-16 LUFS）。"
    normal = loudness((await edit.render(tmp_path / "norm")).path)
    assert quiet < -35 and abs(normal + 16) < 1.5


async def test_subtitles_from_an_uploaded_srt_and_from_typed_lines(
    edit: Editing, media: dict[str, Path], tmp_path: Path
) -> None:
    await edit.start(media["marker"])
    refused = await edit.do("subtitles", "zh")
    assert not refused.ok and ".srt" in refused.summary
    files = await edit.api.upload(media["srt"])
    assert files[0]["file_type"] == "subtitle"
    edit.state = await edit.api.state()
    assert len(dr.segments(edit.draft, dr.VIDEO)) == 1  # the subtitle file is not a clip
    out = await edit.do("subtitles")
    assert out.summary == "Added 2 subtitle line(s) from lines.srt."
    texts = [(s["st"], s["d"], s["m"]["text"]) for s in dr.segments(edit.draft, dr.TEXT)]
    assert texts == [(500, 1500, "Hello there"), (2500, 1000, "Second line")]
    r = await edit.render(tmp_path / "subs")
    band = (0.05, 0.6, 0.95, 0.95)
    on = region(gray_frame(r.path, 1.0, SIZE), SIZE, band)
    off = region(gray_frame(r.path, 2.2, SIZE), SIZE, band)
    assert sum(1 for p in on if p > 230) > 20 and sum(1 for p in off if p > 230) == 0
    typed = await edit.do("subtitles", lines=[{"start": 0, "end": 1.5, "text": "你好"}])
    assert typed.ok and [s["m"]["text"] for s in dr.segments(edit.draft, dr.TEXT)] == ["你好"]
    bad = await edit.do("subtitles", lines=[{"start": 2, "end": 1, "text": "x"}])
    assert not bad.ok and "time" in bad.summary


async def test_watermark_sits_in_its_corner_at_its_opacity(
    edit: Editing, media: dict[str, Path], tmp_path: Path
) -> None:
    await edit.start(media["marker"], media["logo"])
    assert dr.total_ms(edit.draft) == 4000 + dr.STILL_MS  # the upload put the logo on the timeline
    out = await edit.do("watermark", corner="bottom-right", opacity=0.5, size=0.2)
    assert out.ok and dr.total_ms(edit.draft) == 4000  # ...as a watermark it is not a clip any more
    r = await edit.render(tmp_path / "wm")
    assert abs(media_info(r.path).duration - 4.0) < 0.1
    frame = gray_frame(r.path, 0.2, SIZE)
    logo = mean(region(frame, SIZE, (0.85, 0.72, 0.94, 0.92)))
    bg = mean(region(frame, SIZE, (0.5, 0.72, 0.6, 0.92)))
    assert 0.35 < (logo - bg) / (235 - bg) < 0.65  # half opacity
    assert mean(region(frame, SIZE, (0.85, 0.0, 0.94, 0.2))) < 60  # not in the other corners


async def test_outputs_gif_mp3_and_cover_are_what_they_say(
    edit: Editing, media: dict[str, Path], tmp_path: Path
) -> None:
    await edit.start(media["marker"])
    await edit.do("output", format="gif")
    gif = await edit.render(tmp_path / "out")
    info = media_info(gif.path)
    assert gif.path.suffix == ".gif" and gif.content_type == "image/gif"
    assert gif.path.read_bytes()[:6] == b"GIF89a" and abs(info.duration - 4.0) < 0.2 and not info.has_audio
    await edit.do("output", format="mp3")
    mp3 = await edit.render(tmp_path / "out")
    info = media_info(mp3.path)
    assert mp3.path.suffix == ".mp3" and mp3.content_type == "audio/mpeg"
    assert info.has_audio and not info.has_video and abs(info.duration - 4.0) < 0.2
    await edit.do("output", format="cover", at=1.0)
    cover = await edit.render(tmp_path / "out")
    assert cover.path.suffix == ".jpg" and cover.content_type == "image/jpeg"
    assert cover.path.read_bytes()[:2] == b"\xff\xd8" and media_info(cover.path).file_type == "image"
    assert abs(luma(cover.path, 0) - (16 + 40 * 1.0)) < 12  # the background at 1 s
    back = await edit.do("output", format="mp4")
    assert back.ok and "out" not in edit.draft


async def test_mp3_of_a_silent_video_is_refused_in_the_users_language(
    engine: EngineServer, tmp_path: Path
) -> None:
    clip = _lavfi(tmp_path / "quiet.mp4", "color=c=gray:s=64x36:r=10:d=1", "anullsrc=r=48000", 1)
    run_sync(
        [find_ffmpeg(), "-v", "error", "-y", "-i", str(clip), "-an", "-c", "copy", str(tmp_path / "mute.mp4")]
    )
    async with httpx.AsyncClient(base_url=engine.url, timeout=60) as http:
        edit = await Editing(engine, await Api(http).login()).start(tmp_path / "mute.mp4")
        out = await edit.do("output", "zh", format="mp3")
    assert not out.ok and out.summary == "这个视频没有可提取的声音。" and "out" not in edit.draft


async def test_spoken_edits_through_the_planner_render_as_asked(
    api: Api, media: dict[str, Path], tmp_path: Path
) -> None:
    await api.upload(media["colour"])
    s = await api.chat("make it black and white, rotate it 90 degrees and loop it twice")
    assert [c["args"]["op"] for c in s.calls] == ["look", "rotate", "loop"]
    out = await api.export(tmp_path / "spoken.mp4")
    info = media_info(out)
    assert (info.width, info.height) == (90, 160) and abs(info.duration - 6.0) < 0.1
    assert chroma(out, 1.0, (90, 160))[0] < 1.5
    s = await api.chat("撤销")
    assert ef.effects((await api.state())["draft"]) == {}
    s = await api.chat("倒放，导出为GIF")
    assert [c["args"]["op"] for c in s.calls][:2] == ["reverse", "output"]
    data = await api.wait(await api.submit())
    assert urlsplit(data["output"]["url"]).path.endswith(".gif") and data["output"]["format"] == "gif"


def test_film_bars_on_a_phone_frame_leave_a_picture_not_a_strip() -> None:
    """A film look (2.39:1 bars) made on a 16:9 clip that then becomes 9:16 for Reels: the bars cover at most
    40% of the frame, so the picture stays about square instead of a strip a sixth of the screen high."""
    wide = ef.set_bars(dr.set_canvas(dr.empty_draft(), "16:9"), 2.39)
    assert ef.refit_bars(wide, 16 / 9)["fx"]["bars"] == 2.39  # fine as it is on a wide frame
    tall = ef.refit_bars(dr.set_canvas(wide, "9:16"), 9 / 16)
    assert tall["fx"]["bars"] == pytest.approx(0.9375, abs=0.001)
    bars = flt.bars_filters({"bars": 2.39}, 360, 640)  # rendered on a vertical source with no canvas change
    assert bars == ["drawbox=x=0:y=0:w=360:h=128:color=black:t=fill",
                    "drawbox=x=0:y=512:w=360:h=128:color=black:t=fill"]
