"""The planner: English and Chinese phrasings, several edits per message, help answers, and a fuzz test."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine import draft as dr
from engine.planner import HELP_EN, HELP_ZH, NEED_FOOTAGE_EN, _plan, plan

MEDIA = [
    {"id": "f1", "filename": "clip.mp4", "file_type": "video", "duration": 20.0},
    {"id": "m1", "filename": "song.mp3", "file_type": "audio", "duration": 60.0},
]


def ops(text: str, draft: dict | None = None) -> list[tuple[str, dict]]:
    return [(o.name, o.args) for o in plan(text, draft, MEDIA).ops]


@pytest.mark.parametrize(
    "text, expected",
    [
        ("keep 0:05 to 0:12", [("keep_range", {"start": 5.0, "end": 12.0})]),
        ("only keep from 2s to 8s", [("keep_range", {"start": 2.0, "end": 8.0})]),
        ("trim to 10 seconds", [("keep_range", {"start": 0.0, "end": 10.0})]),
        ("cut the first 3 seconds", [("cut_range", {"start": 0.0, "end": 3.0})]),
        ("delete the last 4 seconds", [("cut_range", {"start": 16.0, "end": 20.0})]),
        ("remove 3-5s", [("cut_range", {"start": 3.0, "end": 5.0})]),
        ("保留5到10秒", [("keep_range", {"start": 5.0, "end": 10.0})]),
        ("剪掉前5秒", [("cut_range", {"start": 0.0, "end": 5.0})]),
        ("删除最后3秒", [("cut_range", {"start": 17.0, "end": 20.0})]),
        ("把视频剪成15秒", [("keep_range", {"start": 0.0, "end": 15.0})]),
    ],
)
def test_ranges(text: str, expected: list) -> None:
    assert ops(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "cut the pauses",
        "trim the pauses",
        "remove silences",
        "remove dead air",
        "去掉停顿",
        "剪掉静音",
        "去掉静音部分",
    ],
)
def test_cut_pauses(text: str) -> None:
    assert [n for n, _ in ops(text)] == ["cut_pauses"]


@pytest.mark.parametrize(
    "text, aspect, fit",
    [
        ("make it 9:16", "9:16", "crop"),
        ("vertical please", "9:16", "crop"),
        ("for tiktok", "9:16", "crop"),
        ("square with a blurred background", "1:1", "blur"),
        ("16:9", "16:9", "crop"),
        ("landscape", "16:9", "crop"),
        ("改成竖屏", "9:16", "crop"),
        ("正方形，模糊背景", "1:1", "blur"),
        ("横屏", "16:9", "crop"),
        ("9：16", "9:16", "crop"),
    ],
)
def test_aspect(text: str, aspect: str, fit: str) -> None:
    ((name, args),) = ops(text)
    args.pop("platform", None)  # a platform named ("for tiktok") comes along: its safe area, its length limit
    assert (name, args) == ("set_aspect", {"aspect": aspect, "fit": fit})


def test_the_seed_recipe_in_order() -> None:
    got = ops("make it 9:16, add the title 'Urban Dreams' and background music at 35%")
    assert [n for n, _ in got] == ["set_aspect", "add_text", "add_music"]
    assert got[1][1]["text"] == "Urban Dreams" and got[1][1]["start"] == 0.0 and got[1][1]["duration"] == 3.0
    assert got[2][1] == {"volume": 0.35}


def test_the_seed_recipe_in_chinese() -> None:
    got = ops("改成9:16竖屏，加标题「城市梦想」，加背景音乐 音量35%")
    assert [n for n, _ in got] == ["set_aspect", "add_text", "add_music"]
    assert got[1][1]["text"] == "城市梦想"
    assert plan("改成9:16竖屏", None, MEDIA).lang == "zh"


@pytest.mark.parametrize(
    "text, start, duration, content",
    [
        ('add text "Sale" at 5s for 2 seconds', 5.0, 2.0, "Sale"),
        ("add title Hello World at 2s", 2.0, 3.0, "Hello World"),
        ('title "Big Day" from 1s to 4s', 1.0, 3.0, "Big Day"),
        ("在第2秒加字幕“你好”持续3秒", 2.0, 3.0, "你好"),
    ],
)
def test_text(text: str, start: float, duration: float, content: str) -> None:
    ((name, args),) = ops(text)
    assert name == "add_text" and args["text"] == content
    assert args["start"] == start and args["duration"] == duration


def test_words_inside_a_quoted_title_are_not_edits() -> None:
    assert [n for n, _ in ops('add the title "Mute the music, cut 3-5s"')] == ["add_text"]


@pytest.mark.parametrize(
    "text, factor",
    [
        ("2x speed", 2.0),
        ("speed up 1.5x", 1.5),
        ("slow motion", 0.5),
        ("2倍速", 2.0),
        ("加速1.5倍", 1.5),
        ("慢动作", 0.5),
    ],
)
def test_speed(text: str, factor: float) -> None:
    assert ops(text) == [("speed", {"factor": factor})]


@pytest.mark.parametrize(
    "text, expected",
    [
        ("mute", [("mute", {})]),
        ("remove the audio", [("mute", {})]),
        ("静音", [("mute", {})]),
        ("unmute", [("unmute", {})]),
        ("取消静音", [("unmute", {})]),
        ("volume 50%", [("volume", {"volume": 0.5})]),
        ("音量50%", [("volume", {"volume": 0.5})]),
        ("fade in and out", [("fades", {"fade_in": 1.0, "fade_out": 1.0})]),
        ("淡入淡出", [("fades", {"fade_in": 1.0, "fade_out": 1.0})]),
        ("fade out over 2 seconds", [("fades", {"fade_in": None, "fade_out": 2.0})]),
        ("add crossfade transitions", [("transitions", {"kind": "fade", "duration": 0.5})]),
        ("加转场", [("transitions", {"kind": "fade", "duration": 0.5})]),
        ("join the clips", [("join", {})]),
        ("合并视频", [("join", {})]),
        ("undo", [("undo", {"steps": 1})]),
        ("撤销", [("undo", {"steps": 1})]),
        ("add background music", [("add_music", {"volume": 0.3})]),
    ],
)
def test_simple_edits(text: str, expected: list) -> None:
    assert ops(text) == expected


def test_music_volume_when_music_exists() -> None:
    d = dr.add_music(dr.join(dr.empty_draft(), MEDIA), MEDIA[1], 0.3)
    assert ops("music volume 20%", d) == [("music_volume", {"volume": 0.2})]
    assert ops("remove the music", d) == [("remove_music", {})]


@pytest.mark.parametrize(
    "text, seconds",
    [
        ("make a 2-minute highlight reel", 120.0),
        ("extract the best moments and compile them into a 10 second highlight reel", 10.0),
        ("做一个30秒的精彩集锦", 30.0),
        ("三十秒的集锦", 30.0),
        ("highlights", 30.0),
    ],
)
def test_highlights(text: str, seconds: float) -> None:
    assert ops(text) == [("highlights", {"seconds": seconds})]


@pytest.mark.parametrize(
    "text", ["show me an example of a video clip I can create from this footage", "给我一个示例片段"]
)
def test_example_clip(text: str) -> None:
    assert [n for n, _ in ops(text)] == ["example_clip"]


@pytest.mark.parametrize(
    "text, lang, seconds",
    [
        (
            "generate a detailed video prompt for a 30-second product showcase with cinematic lighting",
            "en",
            30.0,
        ),
        ("生成一个15秒产品展示的视频提示词", "zh", 15.0),
    ],
)
def test_video_prompt(text: str, lang: str, seconds: float) -> None:
    p = plan(text, None, [])
    assert [o.name for o in p.ops] == ["video_prompt"]
    assert p.ops[0].args["lang"] == lang and p.ops[0].args["seconds"] == seconds


def test_unknown_text_gets_help_and_no_edit() -> None:
    assert plan("hello there", None, MEDIA).ops == [] and plan("hello there", None, MEDIA).reply == HELP_EN
    assert plan("你好", None, MEDIA).reply == HELP_ZH


def test_edits_without_footage_ask_for_an_upload() -> None:
    p = plan("make it 9:16", None, [])
    assert p.ops == [] and p.reply == NEED_FOOTAGE_EN


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=300))
def test_planner_never_raises_on_any_text(text: str) -> None:
    # _plan is the planner without its safety net: a crash here is a real bug
    p = _plan(text, None, MEDIA)
    assert p.ops or p.reply


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            [
                "cut",
                "keep",
                "from",
                "to",
                "first",
                "last",
                "title",
                "'x'",
                "9:16",
                "2x",
                "35%",
                "music",
                "fade",
                "0:05",
                "3s",
                "12 seconds",
                "保留",
                "剪掉",
                "前",
                "秒",
                "到",
                "标题",
                "「好」",
                "静音",
                "停顿",
                "and",
                ",",
                "-",
                "99999999",
                "1e999",
                "highlight",
                "undo",
                "prompt",
                "generate",
            ]
        ),
        max_size=12,
    ).map(" ".join),
    st.sampled_from([None, {"t": "junk"}, {"t": [{"tt": 0, "sg": [{"d": "x"}]}]}]),
)
def test_planner_never_raises_on_instruction_soup(text: str, draft: dict | None) -> None:
    p = _plan(text, draft, MEDIA)
    assert p.ops or p.reply
    for op in p.ops:
        for v in op.args.values():
            assert v is None or isinstance(v, (str, int, float))
