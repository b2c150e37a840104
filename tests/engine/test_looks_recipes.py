"""Composed looks, platform recipes, corrections, slow motion of a part, boomerang and black bars: the
planner's reading (with the previous message's edits), the draft edits, the filter text and the tools'
undo history. Pure or in-process, no render."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine import draft as dr
from engine import effects as ef
from engine import filters as flt
from engine.effect_ops import Refused, apply_effect
from engine.planner import Op, plan
from engine.settings import EngineSettings
from engine.store import Store
from engine.tools import EditTools
from engine.understanding.edits.recipes import PLATFORMS

MEDIA = [{"id": "f1", "filename": "clip.mp4", "file_type": "video", "duration": 20.0, "width": 320, "height": 180}]


def _draft() -> dr.Draft:
    return dr.ensure_footage(None, MEDIA)


def test_film_look_is_a_grade_cinema_bars_and_soft_fades_in_both_languages() -> None:
    for text in ("give it a film look", "加点电影感"):
        p = plan(text, None, MEDIA)
        assert [(o.name, o.args) for o in p.ops] == [
            ("look", {"name": "film"}),
            ("bars", {"ratio": 2.39}),
            ("fades", {"fade_in": 0.5, "fade_out": 0.5}),
        ], text


def test_a_plain_look_named_beside_a_style_wins() -> None:
    assert [o.args for o in plan("cinematic black and white", None, MEDIA).ops] == [{"name": "bw"}]


@pytest.mark.parametrize(
    "text, aspect, platform",
    [
        ("make it for TikTok", "9:16", "tiktok"),
        ("Instagram size", "1:1", "feed"),
        ("youtube shorts", "9:16", "shorts"),
        ("抖音尺寸", "9:16", "tiktok"),
        ("小红书", "9:16", "xiaohongshu"),
        ("b站", "16:9", "bilibili"),
        ("make it vertical for youtube", "9:16", "youtube"),  # the shape said wins over the platform's
    ],
)
def test_a_platform_by_its_name_gives_its_shape(text: str, aspect: str, platform: str) -> None:
    (op,) = plan(text, None, MEDIA).ops
    assert (op.name, op.args["aspect"], op.args["platform"]) == ("set_aspect", aspect, platform)


def test_every_platform_declares_a_safe_area_inside_the_frame() -> None:
    for p in PLATFORMS:
        assert set(p.safe) == {"top", "bottom", "left", "right"}, p.name
        assert all(0 <= v < 0.5 for v in p.safe.values()), p.name


async def test_a_platform_records_its_safe_area_and_trims_to_its_limit(tmp_path: Path) -> None:
    tools = EditTools(Store(tmp_path / "e.db"), EngineSettings(data_dir=tmp_path), tmp_path)
    long = [{**MEDIA[0], "duration": 100.0}]
    state = {"draft": dr.ensure_footage(None, long), "video_infos": long}
    await tools.store.open()
    try:
        out = await tools.execute(Op("set_aspect", {"aspect": "9:16", "platform": "story"}), state, "s", "i1")
        assert out.ok and "60 s" in out.summary
        assert dr.total_ms(out.delta["draft"]) == 60000
        assert out.delta["draft"]["safe"] == {"platform": "story", **PLATFORMS[3].safe}
        plain = await tools.execute(Op("set_aspect", {"aspect": "16:9"}), {**state, **out.delta}, "s", "i2")
        assert "safe" not in plain.delta["draft"]  # a shape with no platform has no platform's safe area
    finally:
        await tools.store.close()


def test_the_misreadings() -> None:
    cases = {
        "加快50%": [("speed", {"factor": 1.5})],
        "慢放，半速": [("speed", {"factor": 0.5})],
        "1080x1920": [("set_aspect", {"aspect": "9:16", "fit": "crop"}), ("resolution", {"height": 1080})],
        "silence it": [("mute", {})],
        "cut out the quiet bits": [("cut_pauses", {})],
        "把静音的地方剪掉": [("cut_pauses", {})],
    }
    for text, want in cases.items():
        p = plan(text, None, MEDIA)
        assert [(o.name, o.args) for o in p.ops] == want, text
        assert p.reply is None, (text, p.reply)


@pytest.mark.parametrize(
    "text, last, want",
    [
        ("no wait, 6", [Op("keep_range", {"start": 0.0, "end": 5.0})], [("keep_range", {"start": 0.0, "end": 6.0})]),
        ("不对，要六秒", [Op("keep_range", {"start": 0.0, "end": 5.0})], [("keep_range", {"start": 0.0, "end": 6.0})]),
        ("actually, ten seconds", [Op("keep_range", {"start": 0.0, "end": 5.0})], [("keep_range", {"start": 0.0, "end": 10.0})]),
        ("no, 4", [Op("cut_range", {"start": 17.0, "end": 20.0})], [("cut_range", {"start": 16.0, "end": 20.0})]),
        ("a bit shorter", [Op("keep_range", {"start": 0.0, "end": 10.0})], [("keep_range", {"start": 0.0, "end": 8.0})]),
        ("less zoom", [Op("zoom", {"factor": 2.0, "mode": "punch"})], [("zoom", {"factor": 1.5, "mode": "punch"})]),
    ],
)
def test_a_correction_revises_the_last_edit(text: str, last: list[Op], want: list) -> None:
    total = 17.0 if last[0].name == "cut_range" else 5.0
    d = dr.keep_range(_draft(), 0, int(total * 1000))
    p = plan(text, d, MEDIA, last=last)
    assert [(o.name, o.args) for o in p.ops] == [("revise", {}), *want]


def test_no_correction_without_a_last_edit() -> None:
    p = plan("no wait, 6", None, MEDIA)
    assert not any(o.name == "revise" for o in p.ops)


async def test_a_correction_is_one_undo_step(tmp_path: Path) -> None:
    tools = EditTools(Store(tmp_path / "e.db"), EngineSettings(data_dir=tmp_path), tmp_path)
    await tools.store.open()
    try:
        state = {"draft": _draft(), "video_infos": MEDIA}
        for inv, op in (("m1", Op("keep_range", {"start": 0, "end": 5})), ("m2", Op("revise")),
                        ("m2", Op("keep_range", {"start": 0, "end": 6}))):
            out = await tools.execute(op, state, "s", inv)
            state.update(out.delta)
        assert dr.total_ms(state["draft"]) == 6000  # from where the 5 s edit started, not 5 s stacked on
        out = await tools.execute(Op("undo"), state, "s", "m3")
        assert dr.total_ms(out.delta["draft"]) == 20000
        # a correction after a message that changed nothing takes nothing back
        state.update(out.delta)
        await tools.execute(Op("loop", {"times": 1}), state, "s", "m4")
        before = dr.total_ms(state["draft"])
        out = await tools.execute(Op("revise"), state, "s", "m5")
        assert out.ok and not out.delta and dr.total_ms(state["draft"]) == before
    finally:
        await tools.store.close()


def test_slow_motion_of_a_part_lengthens_only_that_part() -> None:
    for text in ("slow-mo 2-4 s", "2到4秒慢放"):
        (op,) = plan(text, None, MEDIA).ops
        assert (op.name, op.args) == ("speed_range", {"start": 2.0, "end": 4.0, "factor": 0.5}), text
    d = dr.set_speed_range(_draft(), 2000, 4000, 0.5)
    assert dr.total_ms(d) == 22000
    speeds = [(s["st"], s["d"], s["m"]["speed"], s["m"]["in"]) for s in dr.segments(d, dr.VIDEO)]
    assert speeds == [(0, 2000, 1.0, 0), (2000, 4000, 0.5, 2000), (6000, 16000, 1.0, 4000)]


async def test_boomerang_plays_forwards_then_backwards() -> None:
    d = dr.keep_range(_draft(), 0, 4000)
    done = await apply_effect("boomerang", {}, d, MEDIA, _no_file)
    segs = dr.segments(done.draft, dr.VIDEO)
    assert dr.total_ms(done.draft) == 8000
    assert [bool(s["m"].get("rev")) for s in segs] == [False, True]
    assert "回旋" not in done.en and "倒放" in done.zh


async def _no_file(file_id: str) -> bytes | None:
    return None


async def test_black_bars_letterbox_a_landscape_and_refuse_the_canvas_own_shape() -> None:
    done = await apply_effect("bars", {}, _draft(), MEDIA, _no_file)
    assert ef.effects(done.draft)["bars"] == 2.39 and "top and bottom" in done.en and "上下" in done.zh
    assert flt.bars_filters(ef.effects(done.draft), 320, 180) == [
        "drawbox=x=0:y=0:w=320:h=23:color=black:t=fill",
        "drawbox=x=0:y=157:w=320:h=23:color=black:t=fill",
    ]
    pillar = await apply_effect("bars", {"ratio": 1.333}, _draft(), MEDIA, _no_file)
    assert flt.bars_filters(ef.effects(pillar.draft), 320, 180)[1].startswith("drawbox=x=280:y=0:w=40")
    gone = await apply_effect("bars", {"ratio": 0}, done.draft, MEDIA, _no_file)
    assert "bars" not in ef.effects(gone.draft)
    with pytest.raises(Refused):
        await apply_effect("bars", {"ratio": 16 / 9}, _draft(), MEDIA, _no_file)
