"""Each instruction, driven over HTTP, rendered to a real MP4 and checked by probing the file."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from engine.sample import sample_layout

from .conftest import Api, audio_levels, gray_frame, mean, media_info, region

pytestmark = pytest.mark.slow


async def test_seed_recipe_9x16_title_and_music(api: Api, clips: dict[str, Path], tmp_path: Path) -> None:
    await api.upload(clips["talk"], clips["music"])
    s = await api.chat("make it 9:16, add the title 'Urban Dreams' and background music at 35%")
    assert [c["args"]["op"] for c in s.calls] == ["set_aspect", "add_text", "add_music"]
    assert s.texts and "Urban Dreams" in s.texts[-1]
    draft = (await api.state())["draft"]
    assert draft["cv"] == {"w": 1080, "h": 1920, "fit": "crop"}
    assert [t["tt"] for t in draft["t"]] == [0, 1, 7]
    assert draft["t"][1]["sg"][0]["m"]["vol"] == 0.35 and draft["t"][2]["sg"][0] == {
        "st": 0,
        "d": 3000,
        "m": {"text": "Urban Dreams", "pos": "center", "kind": "title"},
    }

    out = await api.export(tmp_path / "recipe.mp4")
    info = media_info(out)
    assert abs(info.duration - 20.0) < 0.15
    assert (info.width, info.height) == (180, 320)  # 9:16, never upscaled past the footage
    assert info.has_audio
    size = (info.width, info.height)
    band = (0.1, 0.42, 0.9, 0.58)  # where a centred title sits
    with_title = region(gray_frame(out, 1.5, size), size, band)
    without = region(gray_frame(out, 5.5, size), size, band)
    assert sum(1 for p in with_title if p > 235) > 40  # white glyphs
    assert sum(abs(a - b) for a, b in zip(with_title, without)) / len(with_title) > 20


async def test_music_is_mixed_at_its_volume_and_mute_keeps_it(
    api: Api, clips: dict[str, Path], tmp_path: Path
) -> None:
    await api.upload(clips["talk"], clips["music"])
    s = await api.chat("mute")
    assert s.texts == [] and [c["args"]["op"] for c in s.calls] == ["mute"]  # closes without text, like NEMO
    silent = await api.export(tmp_path / "muted.mp4")
    assert media_info(silent).has_audio and audio_levels(silent)[1] < -80
    await api.chat("add background music at 35%")
    with_music = await api.export(tmp_path / "music.mp4")
    _, peak = audio_levels(with_music, 3.2, 1.5)  # a silent stretch of the clip: only the music is there
    expected = audio_levels(clips["music"])[1] + 20 * math.log10(0.35)  # 35% is about -9 dB
    assert expected - 4.5 < peak < expected + 1  # (mono music spread to stereo loses up to 3 dB)


async def test_cut_pauses_removes_the_silent_parts(api: Api, clips: dict[str, Path], tmp_path: Path) -> None:
    await api.upload(clips["talk"])
    s = await api.chat("cut the pauses")
    assert [c["name"] for c in s.calls] == ["analyze_media", "edit_multitrack"]
    out = await api.export(tmp_path / "pauses.mp4")
    silent = sum(b - a for a, b in sample_layout(20).silences)  # 4 s, cut less 0.2 s margins each side
    assert abs(media_info(out).duration - (20 - silent + 0.8)) < 0.3
    mean_db, _ = audio_levels(out)
    assert mean_db > audio_levels(clips["talk"])[0]


async def test_keep_range_speed_and_fades_in_chinese(
    api: Api, clips: dict[str, Path], tmp_path: Path
) -> None:
    await api.login("zh")
    await api.upload(clips["talk"])
    s = await api.chat("保留2到12秒，然后2倍速，淡入淡出")
    assert [c["args"]["op"] for c in s.calls] == ["keep_range", "speed", "fades"]
    assert "导出" in s.texts[-1]
    out = await api.export(tmp_path / "zh.mp4")
    info = media_info(out)
    assert abs(info.duration - 5.0) < 0.15 and (info.width, info.height) == (320, 180)
    size = (info.width, info.height)
    assert mean(gray_frame(out, 0.03, size)) < 30  # fading in from black
    assert mean(gray_frame(out, 2.5, size)) > 60


async def test_square_with_blurred_background_from_portrait(
    api: Api, clips: dict[str, Path], tmp_path: Path
) -> None:
    await api.upload(clips["portrait"])
    await api.chat("make it square with a blurred background")
    out = await api.export(tmp_path / "square.mp4")
    info = media_info(out)
    assert info.width == info.height == 180
    size = (info.width, info.height)
    frame = gray_frame(out, 1.0, size)
    # the padded sides hold blurred picture, not black bars
    assert mean(region(frame, size, (0.0, 0.2, 0.2, 0.8))) > 20


async def test_join_with_crossfades_and_undo(api: Api, clips: dict[str, Path], tmp_path: Path) -> None:
    await api.upload(clips["talk"], clips["portrait"])
    await api.chat("join the clips")
    await api.chat("add crossfade transitions")
    draft = (await api.state())["draft"]
    assert draft["t"][0]["sg"][1]["m"]["tr"] == {"type": "fade", "d": 500}
    out = await api.export(tmp_path / "joined.mp4")
    info = media_info(out)
    assert abs(info.duration - (20 + 6 - 0.5)) < 0.15 and (info.width, info.height) == (320, 180)
    s = await api.chat("undo")
    assert s.last_draft is not None and "tr" not in s.last_draft["t"][0]["sg"][1]["m"]


async def test_highlights_land_on_the_loud_parts(api: Api, clips: dict[str, Path], tmp_path: Path) -> None:
    await api.upload(clips["long"])
    s = await api.chat("extract the best moments and compile them into a 4 second highlight reel")
    segs = (await api.state())["draft"]["t"][0]["sg"]
    loud = sample_layout(40).loud  # 17-19 s and 37-39 s
    for seg in segs:
        a, b = seg["m"]["in"] / 1000, seg["m"]["in"] / 1000 + seg["d"] / 1000
        assert any(a < lb and b > la for la, lb in loud), (a, b)
    assert [seg["m"]["in"] for seg in segs] == sorted(seg["m"]["in"] for seg in segs)
    assert "Highlight reel" in s.texts[-1]
    out = await api.export(tmp_path / "highlights.mp4")
    assert abs(media_info(out).duration - 4.0) < 0.3
    assert audio_levels(out)[0] > audio_levels(clips["long"])[0] + 6


async def test_example_clip_is_short_and_vertical(api: Api, clips: dict[str, Path], tmp_path: Path) -> None:
    await api.upload(clips["long"])
    s = await api.chat("show me an example of a video clip I can create from this footage")
    assert "example clip" in s.texts[-1]
    out = await api.export(tmp_path / "example.mp4")
    info = media_info(out)
    assert (info.width, info.height) == (180, 320) and 12 <= info.duration <= 15.3


async def test_video_prompt_and_storyboard(api: Api, tmp_path: Path) -> None:
    s = await api.chat(
        "generate a detailed video prompt for a 6-second product showcase with cinematic lighting"
    )
    text = s.texts[-1]
    assert "Subject: product showcase with cinematic lighting" in text and "Shots:" in text
    assert "Negative prompt:" in text and "cinematic" in text
    state = await api.state()
    assert state["generated_media"][0]["type"] == "video_prompt"
    assert len(state["draft"]["t"][0]["sg"]) == 3
    out = await api.export(tmp_path / "storyboard.mp4")
    info = media_info(out)
    assert abs(info.duration - 6.0) < 0.15 and (info.width, info.height) == (1920, 1080)
    size = (480, 270)
    card = region(gray_frame(out, 1.0, size), size, (0.1, 0.35, 0.9, 0.65))
    assert sum(1 for p in card if p > 220) > 50  # the scene caption is drawn


async def test_chinese_title_is_drawn_with_a_cjk_font(
    api: Api, clips: dict[str, Path], tmp_path: Path
) -> None:
    await api.upload(clips["portrait"])
    await api.chat("加标题「城市梦想」")
    out = await api.export(tmp_path / "cjk.mp4")
    size = (180, 320)
    band = (0.05, 0.4, 0.95, 0.6)
    drawn = region(gray_frame(out, 1.5, size), size, band)
    plain = region(gray_frame(out, 4.5, size), size, band)
    assert sum(1 for p in drawn if p > 235) > sum(1 for p in plain if p > 235) + 30
