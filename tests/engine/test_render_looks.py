"""Looks, platform recipes, corrections and the speed edits, driven over HTTP and rendered to real MP4s:
what a viewer would see (bars, shape, length)."""

from __future__ import annotations

from pathlib import Path

import pytest

from .conftest import Api, gray_frame, mean, media_info, region

pytestmark = pytest.mark.slow


async def test_film_look_has_cinema_letterbox_bars(api: Api, clips: dict[str, Path], tmp_path: Path) -> None:
    await api.upload(clips["talk"])
    s = await api.chat("give it a film look")
    assert [c["args"]["op"] for c in s.calls] == ["look", "bars", "fades"]
    fx = (await api.state())["draft"]["fx"]
    assert fx["look"] == "film" and fx["bars"] == 2.39 and fx["fade_in"] == 500
    out = await api.export(tmp_path / "film.mp4")
    info = media_info(out)
    size = (info.width, info.height)
    assert size == (320, 180)
    frame = gray_frame(out, 5.0, size)
    bar = (info.height - info.width / 2.39) / 2 / info.height  # 23 of 180 rows top and bottom
    top = region(frame, size, (0, 0, 1, bar - 0.02))
    bottom = region(frame, size, (0, 1 - bar + 0.02, 1, 1))
    middle = region(frame, size, (0, bar + 0.05, 1, 1 - bar - 0.05))
    assert max(top) < 24 and max(bottom) < 24  # dark across the whole width
    assert mean(middle) > 40  # the picture between them
    just_inside = region(frame, size, (0, bar + 0.02, 1, bar + 0.06))
    assert mean(just_inside) > 30  # the bars end where a 2.39:1 picture starts


async def test_reels_teaser_is_vertical_and_within_its_length(
    api: Api, clips: dict[str, Path], tmp_path: Path
) -> None:
    await api.upload(clips["talk"])
    s = await api.chat("make a 12 s teaser for Reels titled 'Finals'")
    assert [c["args"]["op"] for c in s.calls if c["name"] != "analyze_media"] == [
        "highlights",
        "set_aspect",
        "add_text",
    ]
    draft = (await api.state())["draft"]
    assert draft["safe"]["platform"] == "reels" and draft["safe"]["bottom"] >= 0.2
    assert any(seg["m"].get("text") == "Finals" for tr in draft["t"] for seg in tr["sg"])
    out = await api.export(tmp_path / "teaser.mp4")
    info = media_info(out)
    assert info.width * 16 == info.height * 9
    assert info.duration <= 12.1


async def test_slow_motion_of_a_part_and_boomerang_lengths(
    api: Api, clips: dict[str, Path], tmp_path: Path
) -> None:
    await api.login("zh")
    await api.upload(clips["talk"])
    s = await api.chat("2到4秒慢放")
    assert [c["args"]["op"] for c in s.calls] == ["speed_range"]
    out = await api.export(tmp_path / "slowmo.mp4")
    assert abs(media_info(out).duration - 22.0) < 0.15  # 2 s at half speed last 4 s
    await api.chat("保留前5秒")
    s = await api.chat("回旋")
    assert [c["args"]["op"] for c in s.calls] == ["boomerang"]
    out = await api.export(tmp_path / "boomerang.mp4")
    info = media_info(out)
    assert abs(info.duration - 10.0) < 0.15
    size = (info.width, info.height)
    # the second half is the first played backwards: frames mirror around the middle
    a, b = gray_frame(out, 2.0, size), gray_frame(out, 8.0, size)
    c = gray_frame(out, 4.5, size)
    assert mean([abs(x - y) for x, y in zip(a, b)]) < mean([abs(x - y) for x, y in zip(a, c)]) + 1


async def test_a_correction_revises_the_length_as_one_step(
    api: Api, clips: dict[str, Path], tmp_path: Path
) -> None:
    await api.upload(clips["talk"])
    await api.chat("make it 5 s")
    s = await api.chat("no wait, 6")
    assert [c["args"]["op"] for c in s.calls] == ["revise", "keep_range"]
    assert s.texts and "6 s" in s.texts[-1]
    out = await api.export(tmp_path / "six.mp4")
    assert abs(media_info(out).duration - 6.0) < 0.15
    await api.chat("undo")  # one step: back to before "make it 5 s"
    state = await api.state()
    assert max(sg["st"] + sg["d"] for sg in state["draft"]["t"][0]["sg"]) == 20000
