"""Held-out outcome requests (issue 18 "How it will be checked"), judged on the exported file.

Instructions the planner's corpus (tests/engine/corpus/phrasings.tsv) does not hold, about 40 in English and
40 in Chinese: looks, a platform's shape by its name, teasers with a title, music on a silent clip, typed and
spoken captions, corrections ("no wait, 6"), slow motion of a part, boomerang, black bars, no sound, the quiet
parts, pixel sizes, speed. Each runs through the real engine at its default settings (``EngineServer`` in this
process, driven by the bot's ``NemoClient`` over HTTP: session, upload, the message(s), export), and the MP4
that comes back is judged with ffmpeg and Pillow: its shape, duration (±0.3 s), frame rate, sound (present and
not silent, or gone), letterbox rows dark across the width, the look against the source frame, the title's
and the captions' white pixels where they belong (captions: above the bottom safe margin), the caption words.

Printed: PASS/FAIL per item with the reason, the totals by language, the wall time.

    python bench/outcomes.py [--only WORD] [--jobs 2]
"""

from __future__ import annotations

import argparse
import asyncio
import re
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import httpx
from PIL import Image

from core.media.ffmpeg import find_ffmpeg
from core.media.probe import MediaInfo, probe
from core.nemo.client import NemoClient
from core.nemo.upload import UploadSource
from engine.sample import make_sample_clip
from engine.server import EngineServer
from engine.settings import EngineSettings
from tests.speech_clips import has_festival, speech_clip

SKILL = "free-editing-with-ai"
SPOKEN = "Good morning friends. This is a short walk through the old market by the river."
SPOKEN_ZH = "早上好朋友们，这是河边老市场的一次散步。"
TOL = 0.3  # seconds


@dataclass(frozen=True)
class Want:
    """What the exported file must show; None: not judged."""

    size: tuple[int, int] | None = None  # exact width, height
    aspect: float | None = None  # width / height, ±2 %
    duration: float | None = None  # ±TOL
    between: tuple[float, float] | None = None  # the duration within
    fps: float | None = None
    sound: bool | None = None  # True: an audio stream, not silent; False: none, or silent
    letterbox: bool = False  # dark rows across the width at the top and the bottom, picture between
    pillarbox: bool = False  # dark columns at the left and the right
    look: str | None = None  # vivid | muted | dreamy | moody: the frame against the source's at that moment
    title: bool = False  # white text in the middle of the picture in the first seconds
    captions: str | None = None  # the words the captions must say ("*": any words, from the speech)
    mirrored: bool = False  # a boomerang: near its end it shows what it showed near its start
    fade_in: bool = False  # the first frame far darker than the picture a moment later


@dataclass(frozen=True)
class Item:
    lang: str
    clip: str  # a key of CLIPS
    says: tuple[str, ...]  # the messages, one after another
    want: Want


def en(clip: str, *says: str, **want: Any) -> Item:
    return Item("en", clip, says, Want(**want))


def zh(clip: str, *says: str, **want: Any) -> Item:
    return Item("zh", clip, says, Want(**want))


V916, V11, V169 = 9 / 16, 1.0, 16 / 9

ITEMS: tuple[Item, ...] = (
    # --- looks
    en("wide10", "can you give this a movie-like feel", letterbox=True, duration=10, sound=True, fade_in=True),
    en("wide10", "cinematic look with letterbox please", letterbox=True, duration=10),
    en("wide10", "make it look like an old vintage photo", look="muted", duration=10),
    en("wide10", "give it a dreamy soft vibe", look="dreamy", duration=10),
    en("wide10", "dark and moody please", look="moody", duration=10),
    en("wide10", "make the colours pop more", look="vivid", duration=10),
    en("wide10", "vibrant colors", look="vivid", duration=10),
    # --- platforms by name
    en("wide10", "format this for tiktok", aspect=V916, duration=10, sound=True),
    en("wide10", "I want to post it as a reel", aspect=V916),
    en("wide10", "resize for youtube shorts", aspect=V916),
    en("wide10", "turn it into an instagram story", aspect=V916),
    en("tall6", "make it fit youtube", aspect=V169, duration=6),
    en("wide10", "square for instagram", aspect=V11),
    # --- teasers
    en("wide20", "make me a 15 second teaser for my bakery titled 'Fresh Bread'", duration=15, aspect=V169, title=True),
    en("wide20", "cut a 15s promo for tiktok called 'Summer Sale'", duration=15, aspect=V916, title=True),
    en("wide20", "15 sec trailer for the shorts channel", duration=15, aspect=V916),
    # --- music on a silent clip
    en("silent", "some chill music", sound=True, duration=10),
    en("silent", "lofi beats in the background please", sound=True, duration=10),
    en("silent", "put an upbeat track under it", sound=True, duration=10),
    en("silent", "throw some happy tunes on this", sound=True, duration=10),
    # --- captions
    en("talk", "captions: " + SPOKEN, captions=SPOKEN, sound=True),
    en("talk", "subtitle this: " + SPOKEN, captions=SPOKEN),
    en("talk", "put what I'm saying as subtitles", captions="*"),
    en("talk", "transcribe my speech into captions", captions="*"),
    # --- corrections
    en("wide10", "cut it to 5 sec", "no wait, 6 s", duration=6),
    en("wide10", "keep only the first 8 seconds", "a little shorter", between=(5.0, 7.8)),
    en("wide10", "make it 7 seconds", "actually make that 4", duration=4),
    # --- part slow motion, boomerang, bars
    en("wide10", "slow motion from 2s to 4s", duration=12, sound=True),
    en("wide10", "slow down the part between 5 and 7 seconds", duration=12),
    en("short6", "boomerang it", duration=12, mirrored=True),
    en("short6", "loop it back and forth", duration=12),
    en("wide10", "put black bars on top and bottom", letterbox=True, duration=10),
    en("wide10", "add cinema bars", letterbox=True),
    # --- no sound, the quiet parts
    en("wide10", "no sound please", sound=False, duration=10),
    en("wide10", "turn the volume off", sound=False),
    en("wide10", "drop the audio track", sound=False),
    en("wide10", "cut out the silent parts", between=(7.0, 9.5), sound=True),
    en("wide10", "remove the parts where nothing is happening sound-wise", between=(7.0, 9.5)),
    # --- pixels, speed, frame rate
    en("hd6", "resize to 360x640", size=(360, 640)),
    en("hd6", "make it 320x180 pixels", size=(320, 180), duration=6),
    en("wide10", "speed it up by 50%", duration=10 / 1.5),
    en("short6", "play it at half speed", duration=12),
    en("wide10", "make it 15 fps", fps=15, duration=10),
    # --- two edits at once, a part at one end, a platform's safe area
    en("silent", "make it for TikTok with some chill music", aspect=V916, sound=True, duration=10),
    en("wide10", "old movie look", pillarbox=True, look="muted"),
    en("talk_tall", "make it for reels", "captions: " + SPOKEN, aspect=V916, captions=SPOKEN),
    en("wide10", "slow-mo the first 2 seconds", duration=12),
    en("wide10", "speed up the last 4 seconds 2x", duration=8),
    en("wide10", "mute it and add upbeat music", sound=True),
    en("hd6", "make it 1080x1920", aspect=V916),
    en("wide10", "make it 6 seconds", "a bit longer", between=(6.2, 9.5)),
    # ===== Chinese
    zh("wide10", "来点电影质感", letterbox=True, duration=10, fade_in=True),
    zh("wide10", "调成电影的感觉", letterbox=True),
    zh("wide10", "整成复古风", look="muted", duration=10),
    zh("wide10", "梦幻风格", look="dreamy"),
    zh("wide10", "弄得暗黑忧郁一些", look="moody"),
    zh("wide10", "色彩再艳丽些", look="vivid"),
    zh("wide10", "做成抖音的格式", aspect=V916, duration=10),
    zh("wide10", "发小红书用的", aspect=V916),
    zh("tall6", "B站横屏", aspect=V169),
    zh("wide10", "改成快手竖版", aspect=V916),
    zh("wide10", "适合发视频号", aspect=V916),
    zh("wide10", "ins方形", aspect=V11),
    zh("wide20", "剪个15秒的预告片，标题叫「周末市集」", duration=15, title=True),
    zh("wide20", "帮我做一个15秒抖音宣传视频，名为「新品上市」", duration=15, aspect=V916, title=True),
    zh("wide20", "做一个15秒的B站预告", duration=15, aspect=V169),
    zh("silent", "来点欢快的背景音乐", sound=True, duration=10),
    zh("silent", "配一段轻松的音乐", sound=True),
    zh("silent", "加点lo-fi背景音乐", sound=True),
    zh("silent", "加个BGM", sound=True),
    zh("silent", "配上抒情的音乐", sound=True),
    zh("talk", "字幕：" + SPOKEN, captions=SPOKEN),
    zh("talk", "加上字幕：" + SPOKEN_ZH, captions=SPOKEN_ZH),
    zh("talk", "把我说的话做成字幕", captions="*"),
    zh("wide10", "剪成5秒", "不对，要八秒", duration=8),
    zh("wide10", "保留前8秒", "再短一点", between=(5.0, 7.8)),
    zh("wide10", "剪到7秒", "不是，改成4秒", duration=4),
    zh("wide10", "2秒到4秒放慢", duration=12),
    zh("wide10", "第5秒到第7秒慢动作", duration=12),
    zh("short6", "弄成回旋镖", duration=12, mirrored=True),
    zh("short6", "正放一遍再倒放一遍", duration=12),
    zh("wide10", "上下加黑条", letterbox=True, duration=10),
    zh("wide10", "加电影黑边", letterbox=True),
    zh("wide10", "把原声去掉", sound=False),
    zh("wide10", "不要声音", sound=False),
    zh("wide10", "把没声音的片段删掉", between=(7.0, 9.5)),
    zh("wide10", "去掉安静的部分", between=(7.0, 9.5)),
    zh("hd6", "尺寸改成360x640", size=(360, 640)),
    zh("hd6", "分辨率改为320*180", size=(320, 180)),
    zh("wide10", "速度提高百分之五十", duration=10 / 1.5),
    zh("short6", "放慢到一半速度", duration=12),
    zh("wide10", "帧率改成15", fps=15),
    zh("wide10", "导出成正方形", aspect=V11),
    zh("wide10", "做成竖屏", aspect=V916),
    zh("silent", "做成抖音竖屏，再配点轻松的音乐", aspect=V916, sound=True),
    zh("wide10", "老电影风格", pillarbox=True, look="muted"),
    zh("talk_tall", "发小红书", "字幕：" + SPOKEN, aspect=V916, captions=SPOKEN),
    zh("wide10", "前两秒慢动作", duration=12),
    zh("wide10", "最后4秒两倍速", duration=8),
    zh("wide10", "静音然后加欢快的音乐", sound=True),
    zh("hd6", "1080x1920竖屏", aspect=V916),
    zh("wide10", "剪成6秒", "长一点", between=(6.2, 9.5)),
)


# -- the clips (generated) ---------------------------------------------------------------------------------------
def _ffmpeg(*args: str) -> None:
    subprocess.run([find_ffmpeg(), "-hide_banner", "-loglevel", "error", "-y", *args], check=True)


def _dimmed(src: Path, out: Path, *, audio: bool = True) -> Path:
    """The sample clip with its picture at 70 % (no pixel near white: a white pixel is a title or a caption)."""
    _ffmpeg("-i", str(src), "-vf", "lutrgb=r=val*0.7:g=val*0.7:b=val*0.7", "-c:v", "libx264", "-preset",
            "ultrafast", "-pix_fmt", "yuv420p", *(["-c:a", "copy"] if audio else ["-an"]), str(out))
    return out


def make_clips(folder: Path, keys: set[str]) -> dict[str, Path]:
    def sample(name: str, seconds: float, size: tuple[int, int], audio: bool = True) -> Path:
        raw = make_sample_clip(folder / f"raw-{name}.mp4", seconds, size)
        return _dimmed(raw, folder / f"{name}.mp4", audio=audio)

    makers: dict[str, Callable[[], Path]] = {
        "wide10": lambda: sample("wide10", 10, (320, 180)),
        "wide20": lambda: sample("wide20", 20, (320, 180)),
        "silent": lambda: sample("silent", 10, (320, 180), audio=False),
        "short6": lambda: sample("short6", 6, (320, 180)),
        "hd6": lambda: sample("hd6", 6, (640, 360)),
        "tall6": lambda: sample("tall6", 6, (360, 640)),
        "talk": lambda: speech_clip(folder / "talk.mp4", SPOKEN),
        "talk_tall": lambda: speech_clip(folder / "talk_tall.mp4", SPOKEN, (360, 640)),
    }
    return {k: makers[k]() for k in sorted(keys)}


# -- judging the file ----------------------------------------------------------------------------------------------
def frame(path: Path, t: float) -> Image.Image:
    png = path.with_name(f"{path.stem}-{t:.2f}.png")
    _ffmpeg("-ss", f"{max(0.0, t):.3f}", "-i", str(path), "-frames:v", "1", str(png))
    return Image.open(png).convert("RGB")


def volume(path: Path) -> float | None:
    """Mean volume in dB of the first audio stream, None without one."""
    out = subprocess.run([find_ffmpeg(), "-hide_banner", "-i", str(path), "-map", "0:a:0?", "-af", "volumedetect",
                          "-f", "null", "-"], check=False, capture_output=True, text=True).stderr
    m = re.search(r"mean_volume: (-?[\d.]+|-inf) dB", out)
    if not m:
        return None
    return -200.0 if m.group(1) == "-inf" else float(m.group(1))


def dark(p: tuple[int, int, int]) -> bool:
    return max(p) < 40


def white(p: tuple[int, int, int]) -> bool:
    return min(p) > 215


def pixel(img: Image.Image, x: int, y: int) -> tuple[int, int, int]:
    r, g, b = img.getpixel((x, y))  # type: ignore[misc]
    return int(r), int(g), int(b)


def row_dark(img: Image.Image, y: int) -> bool:
    w = img.size[0]
    return sum(1 for x in range(w) if dark(pixel(img, x, y))) >= 0.97 * w


def col_dark(img: Image.Image, x: int) -> bool:
    h = img.size[1]
    return sum(1 for y in range(h) if dark(pixel(img, x, y))) >= 0.97 * h


def white_rows(img: Image.Image, y0: float = 0.0, y1: float = 1.0) -> list[int]:
    w, h = img.size
    return [y for y in range(int(y0 * h), int(y1 * h)) if sum(1 for x in range(w) if white(pixel(img, x, y))) >= 2]


def stats(img: Image.Image) -> tuple[float, float, float]:
    """Mean colourfulness (max - min channel), mean lightness (0..1) and sharpness (mean neighbour difference)
    of the middle band."""
    w, h = img.size
    band = img.crop((0, int(h * 0.3), w, int(h * 0.7))).resize((80, 24)).tobytes()
    px = [tuple(band[i : i + 3]) for i in range(0, len(band), 3)]
    sat = light = 0.0
    for r, g, b in px:
        sat += (max(r, g, b) - min(r, g, b)) / 255
        light += (max(r, g, b) + min(r, g, b)) / 510
    grey = img.crop((0, int(h * 0.3), w, int(h * 0.7))).convert("L")
    gw, gh = grey.size
    gb = grey.tobytes()
    diff = sum(abs(gb[y * gw + x] - gb[y * gw + x + 1]) for y in range(0, gh, 2) for x in range(gw - 1))
    return sat / len(px), light / len(px), diff / (gw * (gh // 2 + 1))


def picture_distance(a: Image.Image, b: Image.Image) -> float:
    """Mean absolute difference of two frames, at a small size (0..255)."""
    x, y = a.convert("L").resize((64, 36)).tobytes(), b.convert("L").resize((64, 36)).tobytes()
    return sum(abs(p - q) for p, q in zip(x, y, strict=True)) / len(x)


def judge_look(kind: str, got: Image.Image, src: Image.Image) -> str | None:
    (s1, l1, k1), (s0, l0, k0) = stats(got), stats(src)
    figures = f"colourfulness {s0:.2f}->{s1:.2f}, lightness {l0:.2f}->{l1:.2f}, sharpness {k0:.1f}->{k1:.1f}"
    ok = {
        "vivid": s1 > s0 * 1.1,
        "muted": s1 < s0 * 0.95,
        "dreamy": k1 < k0 * 0.9,
        "moody": l1 < l0 * 0.97 and s1 < s0,
    }[kind]
    return None if ok else f"look {kind}: {figures}"


def caption_words(raw: Any) -> tuple[str, list[tuple[int, int]]]:
    """The caption text on the draft's timeline and each caption's (start, end) in ms."""
    texts: list[str] = []
    spans: list[tuple[int, int]] = []
    for track in (raw or {}).get("t", []):
        for seg in track.get("sg", []):
            if seg.get("m", {}).get("kind") == "caption":
                texts.append(str(seg["m"].get("text", "")))
                spans.append((int(seg["st"]), int(seg["st"]) + int(seg["d"])))
    return " ".join(texts), spans


def _norm(text: str) -> list[str]:
    if re.search(r"[\u4e00-\u9fff]", text):
        return [ch for ch in text if "\u4e00" <= ch <= "\u9fff"]
    return re.findall(r"[a-z']+", text.lower())


def judge(item: Item, out: Path, info: MediaInfo, src: Path, raw: Any) -> list[str]:
    want, bad = item.want, []
    w, h = info.width, info.height
    if want.size and (w, h) != want.size:
        bad.append(f"size {w}x{h}, wanted {want.size[0]}x{want.size[1]}")
    if want.aspect and h and abs(w / h - want.aspect) > 0.02 * want.aspect:
        bad.append(f"shape {w}x{h} ({w / h:.3f}), wanted {want.aspect:.3f}")
    if want.duration is not None and abs(info.duration - want.duration) > TOL:
        bad.append(f"duration {info.duration:.2f} s, wanted {want.duration:.2f}")
    if want.between and not want.between[0] <= info.duration <= want.between[1]:
        bad.append(f"duration {info.duration:.2f} s, wanted {want.between[0]}-{want.between[1]}")
    if want.fps and abs(info.fps - want.fps) > 0.5:
        bad.append(f"{info.fps:g} fps, wanted {want.fps:g}")
    if want.sound is not None:
        vol = volume(out) if info.has_audio else None
        heard = vol is not None and vol > -45
        if heard != want.sound:
            bad.append(f"sound {'none' if vol is None else f'{vol:.0f} dB'}, wanted {'sound' if want.sound else 'none'}")
    t = min(2.5, info.duration / 2)  # inside the first shot (the test pattern: no dark rows of its own)
    if want.letterbox or want.pillarbox or want.look:
        img = frame(out, t)
        if want.letterbox:
            rows = [0, 1, 2, h - 3, h - 2, h - 1]
            if not all(row_dark(img, y) for y in rows) or row_dark(img, h // 2):
                bad.append("no letterbox: the top and bottom rows are not dark across the width")
        if want.pillarbox and (not col_dark(img, 0) or not col_dark(img, w - 1) or col_dark(img, w // 2)):
            bad.append("no pillarbox")
        if want.look:
            ref = frame(src, t).resize(img.size)
            reason = judge_look(want.look, img, ref)
            if reason:
                bad.append(reason)
    if want.mirrored:
        a, z = frame(out, 0.3), frame(out, info.duration - 0.3)
        far = frame(out, info.duration / 2 - 0.3)
        same, other = picture_distance(a, z), picture_distance(a, far)
        if not same < 0.5 * other:
            bad.append(f"not a boomerang: the end differs from the start ({same:.1f} vs {other:.1f} mid-way)")
    if want.fade_in:
        first, later = stats(frame(out, 0.0))[1], stats(frame(out, 1.5))[1]
        if not first < 0.6 * later:
            bad.append(f"no fade in: lightness {first:.2f} at 0 s, {later:.2f} at 1.5 s")
    if want.title:
        ys = white_rows(frame(out, 1.2), 0.2, 0.8)
        if not ys:
            bad.append("no title on the picture at 1.2 s")
    if want.captions is not None:
        text, spans = caption_words(raw)
        if not spans:
            bad.append("no captions on the timeline")
        else:
            if want.captions != "*":
                said, shown = _norm(want.captions), _norm(text)
                if said != shown:
                    bad.append(f"caption words {' '.join(shown)[:60]!r}, wanted {' '.join(said)[:60]!r}")
            else:
                truth = set(_norm(SPOKEN))
                right = sum(1 for x in _norm(text) if x in truth)
                if right < 0.5 * len(truth):
                    bad.append(f"caption words from the speech: {right}/{len(truth)} right ({text[:50]!r})")
            st, en_ = spans[0]
            img = frame(out, (st + en_) / 2000)
            ys = white_rows(img)
            safe = (raw or {}).get("safe") or {}
            floor = 1 - float(safe.get("bottom", 0.0))
            if not ys:
                bad.append("no caption pixels on the picture")
            elif min(ys) < 0.5 * h or max(ys) > floor * h:
                bad.append(f"caption rows {min(ys)}-{max(ys)} of {h}: not in the bottom safe area")
    return bad


# -- running -------------------------------------------------------------------------------------------------------
@dataclass
class Outcome:
    item: Item
    reasons: list[str] = field(default_factory=list)
    replies: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def passed(self) -> bool:
        return not self.reasons


async def run_item(n: int, item: Item, client: NemoClient, clips: dict[str, Path], work: Path) -> Outcome:
    from core.nemo.events import Text

    res = Outcome(item)
    started = time.perf_counter()
    try:
        tok = (await client.anonymous_token(str(uuid.uuid4()), skill=SKILL)).token
        sid = (await client.create_session(tok, skill=SKILL, language=item.lang)).session_id
        await client.upload_files(tok, sid, [UploadSource.from_path(clips[item.clip])], skill=SKILL)
        for text in item.says:
            res.replies.append(" ".join(
                [e.text async for e in client.chat(tok, sid, text, skill=SKILL) if isinstance(e, Text)]))
        state = await client.state(tok, sid, skill=SKILL)
        if not state.draft.ready:
            res.reasons.append("no timeline after the edit")
            return res
        rid = await client.submit_render(tok, sid, state.draft.raw, skill=SKILL)
        status = await client.render_status(tok, rid, skill=SKILL)
        while not status.final:
            if status.wait_max <= 0:
                await asyncio.sleep(0.3)
            status = await client.render_status(tok, rid, skill=SKILL, seen=status)
        if status.status != "completed" or not status.url:
            res.reasons.append(f"render {status.status}: {status.error}")
            return res
        out = work / f"out{n:03d}.mp4"
        async with httpx.AsyncClient(timeout=120) as http:
            resp = await http.get(status.url)
            resp.raise_for_status()
            out.write_bytes(resp.content)
        info = await probe(out)
        res.reasons = await asyncio.to_thread(judge, item, out, info, clips[item.clip], state.draft.raw)
    except Exception as exc:  # noqa: BLE001 - a failed item is what this bench reports
        res.reasons.append(f"{type(exc).__name__}: {exc}"[:200])
    finally:
        res.seconds = time.perf_counter() - started
    return res


async def run_all(items: list[Item], work: Path, jobs: int) -> list[Outcome]:
    clips = await asyncio.to_thread(make_clips, work, {i.clip for i in items})
    gate = asyncio.Semaphore(jobs)
    async with EngineServer(EngineSettings(port=0, data_dir=work / "engine")) as eng, NemoClient(eng.url) as client:

        async def one(n: int, item: Item) -> Outcome:
            async with gate:
                return await run_item(n, item, client, clips, work)

        return await asyncio.gather(*(one(n, i) for n, i in enumerate(items)))


def report(results: list[Outcome], wall: float) -> None:
    for r in results:
        said = " / ".join(r.item.says)
        line = f"{'PASS' if r.passed else 'FAIL'} [{r.item.lang}] {said[:70]!r} ({r.seconds:.1f} s)"
        if not r.passed:
            line += "\n       " + "; ".join(r.reasons)
            if r.replies:
                line += f"\n       reply: {r.replies[-1][:160]!r}"
        print(line)
    for lang in ("en", "zh"):
        mine = [r for r in results if r.item.lang == lang]
        if mine:
            print(f"{lang}: {sum(r.passed for r in mine)}/{len(mine)} pass")
    print(f"all: {sum(r.passed for r in results)}/{len(results)} pass, wall {wall:.0f} s")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--only", default="", help="run the items whose text contains this")
    ap.add_argument("--lang", choices=("en", "zh"), help="one language only")
    ap.add_argument("--jobs", type=int, default=2, help="items at once")
    args = ap.parse_args()
    items = [i for i in ITEMS if args.only in " ".join(i.says) and (not args.lang or i.lang == args.lang)]
    if not has_festival():
        print("festival (text2wave) is not installed: the caption items are left out")
        items = [i for i in items if not i.clip.startswith("talk")]
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        results = asyncio.run(run_all(items, Path(tmp), args.jobs))
    report(results, time.perf_counter() - started)


if __name__ == "__main__":
    main()
