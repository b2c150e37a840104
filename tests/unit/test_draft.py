"""The short-key draft: the seeds' summary, odd drafts, and what changed between two drafts (en / zh)."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from core.i18n import describe_change, elapsed_text, in_seconds, timeline_summary
from core.nemo.draft import Draft, draft_changes

SEED_DRAFT: dict[str, Any] = {
    "t": [
        {"tt": 0, "sg": [{"d": 10000, "m": {"title": "city timelapse"}}]},
        {"tt": 1, "sg": [{"d": 10000, "m": {"title": "Lo-fi", "volume": 0.35}}]},
        {"tt": 7, "sg": [{"d": 3000, "m": {"text": "Urban Dreams"}}]},
    ]
}
SEED_SUMMARY = 'Timeline (3 tracks): 1. Video: city timelapse (0-10s) 2. BGM: Lo-fi (0-10s, 35%) 3. Title: "Urban Dreams" (0-3s)'
VIDEO_ONLY = {"t": [{"tt": 0, "sg": [{"d": 10000, "m": {"title": "city timelapse"}}]}]}


def changes(before: Any, after: Any, lang: str = "en") -> list[str]:
    return [describe_change(lang, c) for c in draft_changes(Draft.parse(before), Draft.parse(after))]


# -- summary --------------------------------------------------------------------------------------------


def test_the_seeds_example_summary() -> None:
    draft = Draft.parse(SEED_DRAFT)

    assert timeline_summary(draft, "en") == SEED_SUMMARY
    assert draft.ready
    assert draft.duration_ms == 10000


def test_unknown_keys_are_kept() -> None:
    raw = {
        "t": [
            {
                "tt": 0,
                "zz": {"future": True},
                "sg": [{"d": 4000, "fx": ["blur"], "m": {"title": "a.mp4", "lut": "warm"}}],
            }
        ],
        "cv": {"w": 1080, "h": 1920},
        "x_future": [1, 2, 3],
    }
    original = copy.deepcopy(raw)

    draft = Draft.parse(raw)

    assert (
        draft.raw == original
        and draft.raw["x_future"] == [1, 2, 3]
        and draft.raw["cv"] == {"w": 1080, "h": 1920}
    )
    assert draft.raw["t"][0]["sg"][0]["fx"] == ["blur"]
    (segment,) = draft.tracks[0].segments
    assert segment.meta["lut"] == "warm"
    assert timeline_summary(draft, "en") == "Timeline (1 track): 1. Video: a.mp4 (0-4s) Effects: canvas (9:16)"
    assert raw == original  # parsing never edits what NEMO sent


def test_segments_follow_each_other_unless_they_say_where_they_start() -> None:
    raw = {
        "t": [
            {"tt": 0, "sg": [{"d": 5000, "m": {"title": "intro"}}, {"d": 2500, "m": {"title": "middle"}}]},
            {
                "tt": 7,
                "sg": [
                    {"d": 2000, "st": 6000, "m": {"text": "Hello"}},
                    {"d": 1000, "m": {"text": "Bye", "st": 9000}},
                ],
            },
        ]
    }

    assert timeline_summary(Draft.parse(raw), "en") == (
        'Timeline (2 tracks): 1. Video: intro (0-5s), middle (5-7.5s) 2. Title: "Hello" (6-8s), "Bye" (9-10s)'
    )


def test_durations_and_metadata_may_sit_in_m() -> None:
    raw = {"t": [{"tt": 1, "sg": [{"m": {"name": "song.mp3", "d": "12000", "vol": 80}}]}]}

    assert timeline_summary(Draft.parse(raw), "en") == "Timeline (1 track): 1. BGM: song.mp3 (0-12s, 80%)"


def test_long_tracks_are_shortened() -> None:
    raw = {"t": [{"tt": 0, "sg": [{"d": 1000, "m": {"title": f"c{i}"}} for i in range(9)]}]}

    summary = timeline_summary(Draft.parse(raw), "en")

    assert summary == (
        "Timeline (1 track): 1. Video: c0 (0-1s), c1 (1-2s), c2 (2-3s), c3 (3-4s), c4 (4-5s), c5 (5-6s), +3 more"
    )


def test_empty_tracks_are_not_counted_and_an_empty_draft_is_not_ready() -> None:
    draft = Draft.parse({"t": [{"tt": 0, "sg": []}, {"tt": 1}]})

    assert timeline_summary(draft, "en") == "Timeline (0 tracks): empty"
    assert not draft.ready and draft.duration_ms == 0


@pytest.mark.parametrize(
    "raw, summary",
    [
        (None, "Timeline (0 tracks): empty"),
        ("a draft, but as a string", "Timeline (0 tracks): empty"),
        ([1, 2, 3], "Timeline (0 tracks): empty"),
        ({"t": "tracks"}, "Timeline (0 tracks): empty"),
        ({"t": [None, "x", 5, [], {"sg": None}]}, "Timeline (0 tracks): empty"),
        (
            {"t": [{"tt": 7, "sg": [{"d": -500, "m": {"text": "neg"}}]}]},
            'Timeline (1 track): 1. Title: "neg" (0-0s)',
        ),
        ({"t": [{"tt": 0, "sg": [{"d": "abc", "m": [1, 2]}]}]}, "Timeline (1 track): 1. Video: (0-0s)"),
        (
            {"t": [{"tt": {"a": 1}, "sg": [[[]], {"d": 2000, "m": {"title": None, "name": {"deep": [1]}}}]}]},
            "Timeline (1 track): 1. Track: {'deep': [1]} (0-2s)",
        ),
        ({"t": [{"tt": 3, "sg": [{"d": 1e300, "st": -4000}]}]}, "Timeline (1 track): 1. Track 3: (0-0s)"),
        (
            {"t": [{"tt": True, "sg": [{"d": True, "m": {"text": 12}}]}]},
            "Timeline (1 track): 1. Track: 12 (0-0s)",
        ),
        (
            {"t": [{"tt": "7", "sg": [{"d": "3000", "m": {"text": "from strings"}}]}]},
            'Timeline (1 track): 1. Title: "from strings" (0-3s)',
        ),
    ],
)
def test_odd_drafts_still_summarise(raw: Any, summary: str) -> None:
    draft = Draft.parse(raw)

    assert timeline_summary(draft, "en") == summary
    assert draft.raw is raw


# -- changes ---------------------------------------------------------------------------------------------


def test_an_added_title_in_english_and_chinese() -> None:
    assert changes(VIDEO_ONLY, {"t": [*VIDEO_ONLY["t"], SEED_DRAFT["t"][2]]}) == [
        "added text 'Urban Dreams' 0-3s"
    ]
    assert changes(VIDEO_ONLY, {"t": [*VIDEO_ONLY["t"], SEED_DRAFT["t"][2]]}, "zh") == [
        "添加了 文字 'Urban Dreams' 0-3秒"
    ]


def test_removals() -> None:
    assert changes(SEED_DRAFT, VIDEO_ONLY) == [
        "removed music 'Lo-fi' 0-10s",
        "removed text 'Urban Dreams' 0-3s",
    ]
    assert changes(SEED_DRAFT, VIDEO_ONLY, "zh") == [
        "删除了 音乐 'Lo-fi' 0-10秒",
        "删除了 文字 'Urban Dreams' 0-3秒",
    ]


def test_a_changed_span() -> None:
    after = copy.deepcopy(SEED_DRAFT)
    after["t"][2]["sg"][0]["d"] = 5000

    assert changes(SEED_DRAFT, after) == ["changed text 'Urban Dreams' 0-5s (was 0-3s)"]
    (chinese,) = changes(SEED_DRAFT, after, "zh")
    assert chinese == "修改了 文字 'Urban Dreams' 0-5秒 (原为 0-3秒)"


def test_a_volume_change() -> None:
    after = copy.deepcopy(SEED_DRAFT)
    after["t"][1]["sg"][0]["m"]["volume"] = 0.6

    assert changes(SEED_DRAFT, after) == ["changed music 'Lo-fi' 0-10s (volume 60%)"]
    (chinese,) = changes(SEED_DRAFT, after, "zh")
    assert chinese == "修改了 音乐 'Lo-fi' 0-10秒 (音量 60%)"


def test_a_volume_given_in_percent_reads_the_same_in_the_summary_and_the_change() -> None:
    before = {"t": [{"tt": 1, "sg": [{"d": 10000, "m": {"title": "Lo-fi", "volume": 35}}]}]}
    after = {"t": [{"tt": 1, "sg": [{"d": 10000, "m": {"title": "Lo-fi", "volume": 60}}]}]}

    assert timeline_summary(Draft.parse(after), "en") == "Timeline (1 track): 1. BGM: Lo-fi (0-10s, 60%)"
    assert changes(before, after) == ["changed music 'Lo-fi' 0-10s (volume 60%)"]


def test_a_canvas_change() -> None:
    after = SEED_DRAFT | {"cv": {"w": 1080, "h": 1920}}

    assert changes(SEED_DRAFT, after) == ["changed canvas (9:16)"]
    assert changes(SEED_DRAFT, after, "zh") == ["修改了 画布 (9:16)"]


def test_a_renamed_clip_is_a_removal_and_an_addition() -> None:
    after = copy.deepcopy(SEED_DRAFT)
    after["t"][0]["sg"][0]["m"]["title"] = "night timelapse"

    assert changes(SEED_DRAFT, after) == [
        "added clip 'night timelapse' 0-10s",
        "removed clip 'city timelapse' 0-10s",
    ]


def test_other_metadata_changes_are_reported_without_detail() -> None:
    after = copy.deepcopy(SEED_DRAFT)
    after["t"][0]["sg"][0]["m"]["speed"] = 2

    assert changes(SEED_DRAFT, after) == ["changed clip 'city timelapse' 0-10s"]


def test_no_change_means_no_changes() -> None:
    assert changes(SEED_DRAFT, copy.deepcopy(SEED_DRAFT)) == []
    assert changes(None, "garbage") == []


def test_everything_added_to_an_empty_timeline() -> None:
    assert changes({"t": []}, SEED_DRAFT) == [
        "added clip 'city timelapse' 0-10s",
        "added music 'Lo-fi' 0-10s",
        "added text 'Urban Dreams' 0-3s",
    ]
    assert changes({"t": []}, SEED_DRAFT, "zh") == [
        "添加了 片段 'city timelapse' 0-10秒",
        "添加了 音乐 'Lo-fi' 0-10秒",
        "添加了 文字 'Urban Dreams' 0-3秒",
    ]


def test_gui_talk_becomes_chat_talk() -> None:
    from core.routing import translate_gui

    done = translate_gui("Done. Click the Apply button to keep it, or drag the clip to reorder.", "en")
    assert done.text == "Done. Say “apply” to keep it, or tell me the change in words."
    export = translate_gui("BGM added. Click Export when you are ready.", "en")
    assert (
        export.text == "BGM added. Say “export” (or press Export) when you are ready." and export.offer_export
    )
    said = "BGM added. Say “export” (or press Export) when you are ready."  # already chat talk: kept as it is
    assert translate_gui(said, "en").text == said and translate_gui(said, "en").offer_export
    assert translate_gui("请拖拽片段到时间线上调整顺序。", "zh").text == "请用文字告诉我要改什么。"
    assert translate_gui("You can preview it in the timeline.", "en").show_timeline


def _with(raw: dict[str, Any], **top: Any) -> dict[str, Any]:
    out = copy.deepcopy(raw)
    out.update(top)
    return out


def test_effects_are_reported_one_by_one_in_both_languages() -> None:
    before = _with(SEED_DRAFT, fx={"fade_in": 500})
    after = _with(
        SEED_DRAFT,
        fx={"look": "bw", "rot": 90, "mirror": True, "adj": {"brightness": 0.2}, "afade_out": 1500},
        out={"format": "gif"},
    )
    assert changes(before, after) == [
        "added colour adjustment (brightness=0.2)",
        "added sound fade-out (1.5s)",
        "removed fade-in",
        "added look (black and white)",
        "added mirror",
        "added rotation (90)",
        "changed export format (GIF)",
    ]
    assert changes(before, after, "zh") == [
        "添加了 色彩调整 (亮度=0.2)",
        "添加了 声音淡出 (1.5秒)",
        "删除了 淡入",
        "添加了 滤镜 (黑白)",
        "添加了 镜像",
        "添加了 旋转 (90)",
        "修改了 导出格式 (GIF动图)",
    ]
    assert changes(after, SEED_DRAFT)[-1] == "changed export format (MP4 video)"


def test_a_watermark_change_names_the_corner_not_the_file_id() -> None:
    wm = {"src": "f0123abcd", "corner": "top-left", "opacity": 0.8, "size": 0.15}
    after = _with(SEED_DRAFT, fx={"wm": wm})
    assert changes(SEED_DRAFT, after, "zh") == ["添加了 水印 (位置=左上角，不透明度=0.8，大小=0.15)"]


def test_the_summary_lists_the_effects_and_the_export_format() -> None:
    raw = _with(SEED_DRAFT, fx={"look": "sepia", "loudnorm": True}, out={"format": "mp3"})
    assert timeline_summary(Draft.parse(raw), "en").endswith(
        "Effects: look (sepia), loudness normalisation, export format (MP3 audio)")
    assert timeline_summary(Draft.parse(raw), "zh").endswith("效果：滤镜（怀旧棕褐），响度统一，导出格式（MP3音频）")


def _clip(seconds: float) -> dict[str, object]:
    return {"t": [{"tt": 0, "sg": [{"st": 0, "d": int(seconds * 1000),
                                    "m": {"name": "sample.mp4", "src": "f1", "in": 0, "speed": 1.0, "vol": 1.0}}]}]}


def test_a_reversed_clip_reads_as_one_range_not_its_pieces() -> None:
    from engine.effects import reverse

    backwards = reverse(_clip(17.5))
    assert len(backwards["t"][0]["sg"]) == 4  # the engine plays it back in pieces

    assert timeline_summary(Draft.parse(backwards), "en") == (
        "Timeline (1 track): 1. Video: sample.mp4 (0-17.5s, backwards)")
    assert timeline_summary(Draft.parse(backwards), "zh") == "时间线（1条轨道）：1. 视频：sample.mp4（0-17.5秒，倒放）"
    [change] = draft_changes(Draft.parse(_clip(17.5)), Draft.parse(backwards))  # one clip changed, no pieces
    assert (change.verb, change.label, change.span) == ("changed", "sample.mp4", "0-17.5s")
    forwards = reverse(backwards)  # forwards again, still in pieces
    assert timeline_summary(Draft.parse(forwards), "en") == "Timeline (1 track): 1. Video: sample.mp4 (0-17.5s)"


def test_pieces_stay_apart_where_the_source_jumps_or_changes() -> None:
    def seg(st: int, d: int, at: int, **meta: object) -> dict[str, object]:
        return {"st": st, "d": d, "m": {"name": "a.mp4", "in": at, **meta}}

    raw = {"t": [{"tt": 0, "sg": [
        seg(0, 2000, 0), seg(2000, 2000, 2000),                  # one range: 0-4 s of the file
        seg(4000, 2000, 0),                                       # the file again from its start (a loop)
        seg(6000, 1000, 2000, speed=2.0),                         # faster
        seg(7000, 1000, 4000, speed=2.0, tr={"type": "fade"}),    # a transition into it
        seg(8000, 1000, 9000, rev=True), seg(9000, 1000, 8000, rev=True),  # backwards: one range
        seg(10000, 1000, 9000, rev=True),                         # backwards, but not where the last ended
    ]}]}

    assert timeline_summary(Draft.parse(raw), "en") == (
        "Timeline (1 track): 1. Video: a.mp4 (0-4s), a.mp4 (4-6s), a.mp4 (6-7s, 2×), a.mp4 (7-8s, 2×), "
        "a.mp4 (8-10s, backwards), a.mp4 (10-11s, backwards)")


def test_seconds_read_in_the_conversation_s_language_but_names_keep_theirs() -> None:
    assert [elapsed_text(7), elapsed_text(7, "zh"), elapsed_text(65, "zh")] == ["7s", "7秒", "1:05"]
    assert in_seconds("zh", "0-3s, 35%") == "0-3秒, 35%"
    clip = {"t": [{"tt": 0, "sg": [{"id": "a", "st": 0, "d": 3000, "m": {"name": "intro_3s.mp4"}}]}]}
    assert timeline_summary(Draft.parse(clip), "zh").endswith("intro_3s.mp4（0-3秒）")
