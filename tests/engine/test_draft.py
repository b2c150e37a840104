"""Pure timeline edits on the NEMO draft (short keys)."""

from __future__ import annotations

from engine import draft as dr
from engine import effects as ef
from engine.analysis import Analysis, pick_highlights, silences
from engine.fonts import font_for_text
from engine.probe import parse_ffmpeg_info

CLIP = {"id": "f1", "filename": "clip.mp4", "file_type": "video", "duration": 20.0}
CLIP2 = {"id": "f2", "filename": "b.mp4", "file_type": "video", "duration": 6.0}


def video(d: dr.Draft) -> list[tuple[int, int, int]]:
    return [(s["st"], s["d"], s["m"].get("in", 0)) for s in dr.segments(d, dr.VIDEO)]


def test_upload_appends_whole_clip_in_short_keys() -> None:
    d = dr.append_media(dr.empty_draft(), CLIP)
    assert d["t"] == [
        {
            "tt": 0,
            "sg": [
                {
                    "st": 0,
                    "d": 20000,
                    "m": {"name": "clip.mp4", "src": "f1", "in": 0, "speed": 1.0, "vol": 1.0},
                }
            ],
        }
    ]


def test_cut_and_keep_ranges_map_to_source_in_points() -> None:
    d = dr.join(dr.empty_draft(), [CLIP])
    cut = dr.cut_range(d, 3000, 5000)
    assert video(cut) == [(0, 3000, 0), (3000, 15000, 5000)]
    kept = dr.keep_range(cut, 2000, 10000)
    assert video(kept) == [(0, 1000, 2000), (1000, 7000, 5000)] and dr.total_ms(kept) == 8000


def test_text_after_a_cut_moves_up_and_music_follows_the_length() -> None:
    d = dr.add_music(dr.add_text(dr.join(dr.empty_draft(), [CLIP]), "Hi", 10000, 2000), {"id": "m"}, 0.35)
    d = dr.cut_range(d, 0, 4000)
    assert dr.segments(d, dr.TEXT)[0]["st"] == 6000
    assert dr.segments(d, dr.AUDIO)[0]["d"] == 16000 and dr.segments(d, dr.AUDIO)[0]["m"]["vol"] == 0.35


def test_remove_source_ranges_splits_segments() -> None:
    d = dr.remove_source_ranges(dr.join(dr.empty_draft(), [CLIP]), {"f1": [(3200, 4800), (13200, 14800)]})
    assert video(d) == [(0, 3200, 0), (3200, 8400, 4800), (11600, 5200, 14800)]


def test_speed_and_transitions_change_the_length() -> None:
    d = dr.set_speed(dr.join(dr.empty_draft(), [CLIP, CLIP2]), 2.0)
    assert dr.total_ms(d) == 13000
    d = dr.set_transitions(d, "fade", 500)
    assert dr.total_ms(d) == 12500 and dr.segments(d, dr.VIDEO)[1]["m"]["tr"] == {"type": "fade", "d": 500}


def test_unknown_keys_and_garbage_survive() -> None:
    d = dr.clone(
        {
            "t": [{"tt": 0, "sg": [{"st": "x", "d": None, "m": {"src": "f1", "extra": 1}}, "junk"]}],
            "other": True,
        }
    )
    assert d["other"] is True and d["t"][0]["sg"][0]["m"]["extra"] == 1
    assert dr.total_ms(dr.clone({"t": "nonsense"})) == 0


def test_silences_keep_a_margin_and_ignore_short_gaps() -> None:
    peaks = [-10.0] * 10 + [-60.0] * 20 + [-10.0] * 10 + [-60.0] * 3 + [-10.0] * 10
    an = Analysis(duration=len(peaks) / 10, peak_db=peaks)
    assert silences(an) == [(1.2, 2.8)]


def test_highlights_pick_the_loud_part_in_time_order() -> None:
    rms = [-30.0] * 600
    for i in range(400, 450):
        rms[i] = -5.0
    for i in range(100, 130):
        rms[i] = -8.0
    an = Analysis(duration=60.0, peak_db=[x + 3 for x in rms], rms_db=rms, cuts=[10.0, 39.0, 46.0])
    picks = pick_highlights([an], 8)
    assert [p.start for p in picks] == sorted(p.start for p in picks)
    assert any(p.start <= 42 and p.end >= 43 for p in picks) and any(p.start <= 11.5 <= p.end for p in picks)
    assert abs(sum(p.end - p.start for p in picks) - 8) < 0.2


def test_probe_parses_rotation_and_streams() -> None:
    video = (
        "  Stream #0:0[0x1](und): Video: h264 (High) (avc1 / 0x31637661), yuv420p(tv, bt709), 1920x1080, "
        "8000 kb/s, 29.97 fps, 29.97 tbr, 600 tbn (default)\n"
    )
    banner = (
        """Input #0, mov,mp4,m4a,3gp,3g2,mj2, from 'phone.mov':
  Duration: 00:00:12.50, start: 0.000000, bitrate: 9000 kb/s
"""
        + video
        + """      Side data:
        displaymatrix: rotation of -90.00 degrees
  Stream #0:1[0x2](und): Audio: aac (LC) (mp4a / 0x6134706D), 44100 Hz, stereo, fltp, 128 kb/s (default)"""
    )
    mi = parse_ffmpeg_info(banner, "mov")
    assert (mi.file_type, mi.duration, mi.width, mi.height, mi.fps, mi.rotation, mi.has_audio) == (
        "video",
        12.5,
        1080,
        1920,
        29.97,
        90,
        True,
    )


def test_font_is_chosen_by_script() -> None:
    assert "DejaVu" in font_for_text("Urban Dreams").name
    cjk = font_for_text("城市梦想")
    assert "DejaVu" not in cjk.name and cjk.exists()


def test_effects_on_a_malformed_effects_table_start_afresh() -> None:
    d = {**dr.append_media(dr.empty_draft(), CLIP), "fx": {"adj": "bright", "rot": "x", "zoom": 3}}
    assert ef.effects(ef.adjust(d, {"brightness": 0.1}))["adj"] == {"brightness": 0.1}
    assert ef.orientation(ef.rotate(d, 90)) == (90, False)
    assert ef.effects(ef.set_look(d, "bw"))["look"] == "bw"


def test_footage_fills_a_session_that_has_no_draft_yet() -> None:
    d = dr.ensure_footage(None, [CLIP])
    assert video(d) == [(0, 20000, 0)]
    assert dr.ensure_footage(None, []) == dr.empty_draft()
