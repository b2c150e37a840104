"""Captions as an edit: typed words timed to the speech, words from the speech (refused honestly when
unsure), a phone-readable layout, captions following later edits, edited by chat, the .srt handed out."""

from __future__ import annotations

import itertools
import re
from pathlib import Path

import httpx
import pytest
from PIL import Image

from core.media.fonts import has_cjk
from engine import captions as cap
from engine import draft as dr
from engine import effects as ef
from engine.understanding import plan
from tests.speech_clips import ENGLISH, has_festival, speech_clip

from .conftest import Api

MEDIA = [{"id": "f1", "filename": "clip.mp4", "file_type": "video", "duration": 10.0, "has_audio": True}]
ZH = "大家好，欢迎来到我的频道。今天我们一起做一道非常好吃的意大利面，希望你们喜欢。"


def words(text: str, start: int = 1000, step: int = 400) -> list[cap.TimedWord]:
    toks = text.split() if not has_cjk(text) else list(text)
    return [cap.TimedWord(t, start + i * step, start + i * step + step - 50) for i, t in enumerate(toks)]


def captioned(text: str = ENGLISH) -> dr.Draft:
    step = 220 if has_cjk(text) else 400
    return ef.set_captions(dr.join(dr.empty_draft(), MEDIA), [("f1", cap.cues(words(text, step=step)))])


def shown(d: dr.Draft) -> list[tuple[int, int, str]]:
    return [(s["st"], s["st"] + s["d"], s["m"]["text"]) for s in ef.caption_segments(d)]


# -- layout ----------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("text,limit", [(ENGLISH, 32), (ZH, 16)])
def test_cues_have_two_short_lines_and_last_a_moment(text: str, limit: int) -> None:
    cues = cap.cues(words(text, step=250))
    assert len(cues) >= 2
    for c in cues:
        lines = c.text.split("\n")
        assert 1 <= len(lines) <= 2
        assert all(len(ln) <= limit for ln in lines), lines
        assert c.end_ms - c.start_ms >= cap.MIN_CUE_MS
    assert "".join(c.text.replace("\n", "" if limit == 16 else " ") for c in cues).replace(" ", "") == text.replace(" ", "")


def test_a_short_word_alone_is_merged_or_held_for_a_second() -> None:
    ws = [cap.TimedWord("Hi.", 0, 200), cap.TimedWord("Welcome", 300, 600), cap.TimedWord("back.", 650, 900)]
    (only,) = cap.cues(ws)
    assert only.text == "Hi. Welcome back." and only.end_ms - only.start_ms >= 900
    lone = cap.cues([cap.TimedWord("Wow", 2000, 2200)])
    assert lone[0].end_ms - lone[0].start_ms == cap.MIN_CUE_MS


# -- following later edits -------------------------------------------------------------------------------------
def test_captions_follow_trims_speed_pauses_loops_and_leave_with_reversed_speech() -> None:
    d = captioned()
    before = shown(d)
    assert before[0][0] == 1000 and before[0][2].startswith("Hello everyone")
    cut = shown(dr.cut_range(d, 0, 1000))
    assert cut[0][0] == 0 and cut[0][2] == before[0][2]  # same words, a second earlier
    fast = shown(dr.set_speed(d, 2.0))
    assert [(a // 2, b // 2, t) for a, b, t in before] == [(a, b, t) for a, b, t in fast] or all(
        abs(a - 2 * fa) <= 2 for (a, _, _), (fa, _, _) in zip(before, fast, strict=True)
    )
    trimmed = shown(dr.keep_range(d, 0, 2500))  # the words after 2.5 s are gone with the picture
    assert trimmed and all(b <= 2500 for _, b, _ in trimmed) and "pasta" not in " ".join(t for *_, t in trimmed)
    paused = shown(dr.remove_source_ranges(d, {"f1": [(0, 1000)]}))
    assert paused[0][0] == 0
    looped = shown(ef.loop(d, 2))
    assert len(looped) == 2 * len(before) and looped[len(before)][0] == before[0][0] + 10000
    assert shown(ef.reverse(d)) == []


def test_fix_a_word_change_the_look_remove_and_srt() -> None:
    d = captioned("I love teh pasta.")
    fixed, n = ef.fix_caption_words(d, "teh", "the")
    assert n == 1 and shown(fixed)[0][2] == "I love the pasta."
    zh, _ = ef.fix_caption_words(captioned(ZH), "意大利面", "饺子")
    assert "饺子" in "".join(t for *_, t in shown(zh)) and "意大利面" not in "".join(t for *_, t in shown(zh))
    styled = ef.caption_style(d, pos="top", scale_by=1.25, karaoke=True)
    assert cap.style_of(ef.effects(styled)) == {"pos": "top", "scale": 1.25, "karaoke": True}
    assert shown(ef.remove_captions(d)) == [] and "cap" not in ef.effects(ef.remove_captions(styled))
    srt = cap.srt(ef.caption_segments(d))
    assert srt.startswith("1\n00:00:01,000 --> 00:00:") and "I love teh pasta." in srt


def test_the_ass_script_keeps_captions_in_the_safe_area_and_picks_a_cjk_font() -> None:
    d = dr.set_canvas(captioned(ZH), "9:16")
    script = cap.ass_script(ef.caption_segments(d), 1080, 1920, ef.effects(d), ("DejaVu Sans", "WenQuanYi Micro Hei"))
    style = next(ln for ln in script.splitlines() if ln.startswith("Style: CJK"))
    assert style.split(",")[1] == "WenQuanYi Micro Hei" and int(style.split(",")[-2]) >= 0.2 * 1920
    assert ",CJK,," in script and ",Latin,," not in script


REELS_SAFE = {"platform": "reels", "top": 0.1, "bottom": 0.22, "left": 0.05, "right": 0.12}


def style_margins(script: str, name: str = "Latin") -> tuple[int, int, int]:
    fields = next(ln for ln in script.splitlines() if ln.startswith(f"Style: {name},")).split(",")
    return int(fields[-4]), int(fields[-3]), int(fields[-2])


def test_a_platform_safe_area_moves_the_captions_out_of_its_buttons() -> None:
    d = dr.set_canvas(captioned(), "9:16")
    fonts = ("DejaVu Sans", "WenQuanYi Micro Hei")
    plain = style_margins(cap.ass_script(ef.caption_segments(d), 1080, 1920, ef.effects(d), fonts))
    left, right, bottom = style_margins(cap.ass_script(ef.caption_segments(d), 1080, 1920, ef.effects(d), fonts, REELS_SAFE))
    assert plain[0] == plain[1]  # no platform: centred, margins by shape
    assert left >= 0.05 * 1080 and right >= 0.12 * 1080 and right > left  # clear of Reels' buttons on the right
    assert bottom >= 0.22 * 1920
    top = ef.caption_style(d, pos="top")
    assert style_margins(cap.ass_script(ef.caption_segments(top), 1080, 1920, ef.effects(top), fonts, REELS_SAFE))[2] >= 0.1 * 1920


VTT = """WEBVTT - a talk
Kind: captions

NOTE written by hand; 00:00:09.000 --> 00:00:10.000 is not a cue

STYLE
::cue { color: lime }

intro
00:00.500 --> 00:02.000 align:start position:10% line:0
<v Sam>Hello <b>there</b> &amp; welcome

00:02.500 --> 00:00:04.000
第二行字幕，
分成三行的
一段很长很长的话
"""


def test_a_vtt_file_reads_like_an_srt_and_subtitles_wear_the_caption_look() -> None:
    from engine.subtitles import parse_srt

    cues = parse_srt(VTT)
    assert [(c.start_ms, c.end_ms, c.text) for c in cues] == [
        (500, 2000, "Hello there & welcome"),
        (2500, 4000, "第二行字幕，\n分成三行的\n一段很长很长的话"),
    ]
    d = ef.set_subtitles(dr.set_canvas(dr.join(dr.empty_draft(), MEDIA), "9:16"), cues)
    subs = [s for s in dr.segments(d, dr.TEXT) if cap.burned(s)]
    assert len(subs) == 2
    script = cap.ass_script(subs, 1080, 1920, ef.effects(d), ("DejaVu Sans", "WenQuanYi Micro Hei"), REELS_SAFE)
    events = [ln for ln in script.splitlines() if ln.startswith("Dialogue:")]
    assert len(events) == 2 and ",CJK,," in events[1]
    assert events[1].split(",,", 2)[-1].count("\\N") == 1  # three lines in the file, two on the picture
    assert style_margins(script, "CJK")[2] >= 0.22 * 1920  # the same safe area as captions


def test_the_timeline_text_calls_captions_captions_with_their_first_words() -> None:
    from core.i18n import timeline_summary
    from core.nemo.draft import Draft

    en = timeline_summary(Draft.parse(captioned()), "en")
    assert '2. Captions: "Hello everyone and welcome to my…"' in en and "Title" not in en
    zh = timeline_summary(Draft.parse(captioned(ZH)), "zh")
    assert "2. 字幕：“大家好，欢迎来到我的频道" in zh and "标题" not in zh
    titled = dr.add_text(captioned(), "Pasta night", 0, 2000, "center", "title")
    assert "Titles and captions" in timeline_summary(Draft.parse(titled), "en")
    assert "标题：“Pasta night”" in timeline_summary(Draft.parse(dr.add_text(dr.join(dr.empty_draft(), MEDIA), "Pasta night", 0, 2000, "center", "title")), "zh")


# -- planner -----------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "text,ops",
    [
        ("captions: Hello there, my friends. Welcome back!", [("captions", {"text": "Hello there, my friends. Welcome back!"})]),
        ("字幕：大家好，欢迎回来。", [("captions", {"text": "大家好，欢迎回来。"})]),
        ("caption what I say", [("captions", {})]),
        ("把我说的话加成字幕", [("captions", {})]),
        ("add word by word captions", [("captions", {"karaoke": True})]),
        ("make it 9:16 and add captions", [("set_aspect", {"aspect": "9:16", "fit": "crop"}), ("captions", {})]),
        ("change 'teh' to 'the' in the captions", [("caption_fix", {"old": "teh", "new": "the"})]),
        ("字幕里的意大利面改成饺子", [("caption_fix", {"old": "意大利面", "new": "饺子"})]),
    ],
)
def test_planner_reads_caption_requests(text: str, ops: list[tuple[str, dict[str, object]]]) -> None:
    assert [(o.name, o.args) for o in plan(text, None, MEDIA).ops] == ops


# -- through the engine, rendered --------------------------------------------------------------------------------
needs_festival = pytest.mark.skipif(not has_festival(), reason="festival (text2wave) is not installed")


def frame(path: Path, t: float, tmp: Path) -> Image.Image:
    import subprocess

    from core.media.ffmpeg import find_ffmpeg

    png = tmp / f"f{t}.png"
    subprocess.run([find_ffmpeg(), "-v", "error", "-y", "-ss", str(t), "-i", str(path), "-frames:v", "1", str(png)], check=True)
    return Image.open(png).convert("RGB")


def rows_with(img: Image.Image, test: object) -> list[int]:
    w, h = img.size
    px = img.load()
    return [y for y in range(h) if sum(1 for x in range(w) if test(px[x, y])) >= 2]  # type: ignore[operator,index]


def white(p: tuple[int, int, int]) -> bool:
    return min(p) > 215


def yellow(p: tuple[int, int, int]) -> bool:
    return p[0] > 190 and p[1] > 150 and p[2] < 110


@pytest.mark.slow
@needs_festival
async def test_typed_captions_on_a_9x16_export_sit_in_the_safe_area_and_the_srt_comes_as_a_link(
    api: Api, tmp_path: Path
) -> None:
    clip = speech_clip(tmp_path / "talk.mp4", size=(360, 640))
    await api.upload(clip)
    s = await api.chat("captions: " + ENGLISH)
    assert re.search(r"Added \d+ captions timed to your speech", s.texts[-1]), s.texts
    segs = [x for x in (await api.state())["draft"]["t"][-1]["sg"] if x["m"]["kind"] == "caption"]
    assert len(segs) >= 3 and segs[0]["st"] >= 300  # the speech starts after half a second of silence
    s = await api.chat("give me the subtitles file")
    url = re.search(r"https?://\S+\.srt\S*", s.texts[-1])
    assert url, s.texts
    async with httpx.AsyncClient() as http:
        body = (await http.get(url.group(0))).text
    assert body.startswith("1\n00:00:0") and "welcome" in body.lower()
    out = await api.export(tmp_path / "captioned.mp4")
    img = frame(out, segs[0]["st"] / 1000 + 0.5, tmp_path)
    img.save(tmp_path / "look-9x16.png")
    ys = rows_with(img, white)
    h = img.size[1]
    assert ys, "no caption on the picture"
    assert max(ys) < 0.8 * h and min(ys) > 0.5 * h  # above the bottom controls (the lowest 20 %)


@pytest.mark.slow
@needs_festival
async def test_word_by_word_highlights_the_spoken_word_and_chinese_draws_real_glyphs(api: Api, tmp_path: Path) -> None:
    clip = speech_clip(tmp_path / "talk.mp4", size=(640, 360))
    await api.upload(clip)
    await api.chat("karaoke captions: " + ENGLISH)
    out = await api.export(tmp_path / "karaoke.mp4")
    img = frame(out, 2.0, tmp_path)
    assert rows_with(img, yellow) and rows_with(img, white)  # one word lit, the others white
    await api.chat("字幕：" + ZH)
    await api.chat("no karaoke on the captions")
    out = await api.export(tmp_path / "zh.mp4")
    img = frame(out, 2.0, tmp_path)
    img.save(tmp_path / "look-zh.png")
    ys = rows_with(img, white)
    assert ys
    # CJK glyphs, not empty boxes: the caption has far more white pixels than the outline of boxes would
    w = img.size[0]
    px = img.load()
    lit = sum(1 for y in ys for x in range(w) if white(px[x, y]))  # type: ignore[index]
    assert lit > 150


@pytest.mark.slow
@needs_festival
async def test_caption_what_i_say_refuses_unsure_words_and_offers_the_typed_path(api: Api, tmp_path: Path) -> None:
    await api.upload(speech_clip(tmp_path / "noisy.mp4", noise=0.6))
    s = await api.chat("caption what I say")
    assert "won't burn guessed words" in s.texts[-1] and "captions: …" in s.texts[-1]
    assert not [x for t in (await api.state())["draft"]["t"] for x in t["sg"] if x["m"].get("kind") == "caption"]
    zh = await Api(api.http).login("zh")
    await zh.upload(speech_clip(tmp_path / "talk.mp4"))
    s = await zh.chat("加字幕")
    assert "不会把猜测的文字" in s.texts[-1] and "字幕：" in s.texts[-1]


def columns_with(img: Image.Image, test: object) -> list[int]:
    w, h = img.size
    px = img.load()
    return [x for x in range(w) if sum(1 for y in range(h) if test(px[x, y])) >= 2]  # type: ignore[operator,index]


@pytest.mark.slow
@needs_festival
async def test_captions_on_a_reels_video_keep_out_of_the_reels_buttons(api: Api, tmp_path: Path) -> None:
    await api.upload(speech_clip(tmp_path / "talk.mp4", size=(360, 640)))
    await api.chat("make it for instagram reels")
    assert (await api.state())["draft"]["safe"]["bottom"] == 0.22
    await api.chat("captions: " + ENGLISH)
    for _ in range(3):  # as big as they go: the longest line reaches the edges of the safe area
        await api.chat("make the captions bigger")
    segs = [x for x in (await api.state())["draft"]["t"][-1]["sg"] if x["m"]["kind"] == "caption"]
    out = await api.export(tmp_path / "reels.mp4")
    img = frame(out, (segs[0]["st"] + segs[0]["d"] / 2) / 1000, tmp_path)
    img.save(tmp_path / "reels.png")
    w, h = img.size
    ys, xs = rows_with(img, white), columns_with(img, white)
    assert ys and xs, "no caption on the picture"
    assert max(ys) < (1 - 0.22) * h  # above the bottom 22 %: Reels' description and buttons
    assert min(xs) >= 0.05 * w and max(xs) <= (1 - 0.12) * w  # clear of the like/comment/share column
    assert (min(xs) + max(xs)) / 2 < 0.48 * w  # centred in the safe area: nudged away from the buttons


@pytest.mark.slow
@needs_festival
async def test_typed_captions_of_a_trimmed_clip_land_where_the_kept_part_says_them(api: Api, tmp_path: Path) -> None:
    from engine import speech

    clip = speech_clip(tmp_path / "talk.mp4")
    spoken = {w.text: w.start for w in (await speech.align(clip, ENGLISH, "en")).words}
    await api.upload(clip)
    cut = spoken["Today"] - 0.2  # the first sentence is cut away
    await api.chat(f"cut the first {cut:.1f} seconds")
    second = ENGLISH.split(". ", 1)[1]
    s = await api.chat("captions: " + second)
    assert "timed to your speech" in s.texts[-1], s.texts
    segs = [x for x in (await api.state())["draft"]["t"][-1]["sg"] if x["m"]["kind"] == "caption"]
    on_timeline = {w.text: w.start_ms / 1000 for seg in segs for w in cap.timeline_words(seg)}
    assert set(on_timeline) == set(second.split())  # every word kept, none lost with the cut part
    for word in ("Today", "pasta", "together."):
        assert abs(on_timeline[word] - (spoken[word] - round(cut, 1))) < 0.35, (word, on_timeline, spoken)


@pytest.mark.slow
@needs_festival
async def test_an_uploaded_vtt_is_drawn_with_the_caption_look_in_the_safe_area(api: Api, tmp_path: Path) -> None:
    await api.upload(speech_clip(tmp_path / "talk.mp4", size=(360, 640)))
    await api.chat("make it for tiktok")
    subs = tmp_path / "talk.vtt"
    subs.write_text(VTT, encoding="utf-8")
    (info,) = await api.upload(subs)
    assert info["file_type"] == "subtitle"
    s = await api.chat("add the subtitles from talk.vtt")
    assert "Added 2 subtitle line(s)" in s.texts[-1], s.texts
    out = await api.export(tmp_path / "subs.mp4")
    img = frame(out, 3.2, tmp_path)
    img.save(tmp_path / "subs.png")
    h = img.size[1]
    ys = rows_with(img, white)
    assert ys and max(ys) < 0.8 * h  # TikTok's bottom 20 % kept clear, as for captions
    lines = 1 + sum(1 for a, b in itertools.pairwise(ys) if b - a > 2)
    assert lines == 2  # three lines in the file, two short lines on the picture like every caption
