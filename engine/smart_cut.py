"""Rendering only what changed: the source's untouched groups of pictures copied, the rest re-encoded.

A draft qualifies when its picture is the source's own (one H.264 source file, 8-bit 4:2:0, constant
frame rate equal to the output's, the output's size, no rotation) cut into pieces at normal speed, with no
filter over the whole frame (no look, zoom, fades, transitions, watermark, captions or music) and titles
that stay inside one piece. Then each piece's source frames are split at the source's keyframes: whole
groups of pictures (GOPs) are stream-copied, the partial GOPs at cut points and the GOPs under a title are
re-encoded by ``render.build_command`` itself (so they are the full render's frames) with the source's
H.264 profile, level and frame reordering, and the concat demuxer joins them (its ``auto_convert`` puts
each part's parameter sets in band). The sound is rendered whole (cheap) exactly as the full render
makes it. Anything else: ``plan`` answers None and the draft renders as today.
"""

from __future__ import annotations

import asyncio
import dataclasses
import itertools
import logging
import math
import os
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import captions as cap
from . import draft as dr
from . import effects as ef
from .ffmpeg import find_ffmpeg, run
from .render import AUDIO_KBPS, FPS, RenderCommand, SourceFile, build_command

log = logging.getLogger(__name__)

PROFILES = {66: "baseline", 77: "main", 100: "high"}
MAX_SEGMENTS = 24  # one audio input per piece, as the full render
_facts_cache: dict[tuple[str, float, int], StreamFacts | None] = {}
FACTS_KEPT = 64  # sources whose facts stay known (a long clip's keyframes are thousands of numbers)


@dataclass(frozen=True)
class StreamFacts:
    """What copying a source's video needs to know: its frames, keyframes and encoder settings."""

    width: int
    height: int
    fps: float
    frames: int
    keyframes: tuple[int, ...]  # frame numbers
    profile_idc: int
    level_idc: int
    reorder: int  # frames of decode delay (B-frames)
    time_base: int  # the track's timescale
    heads: frozenset[int] = frozenset()
    """Frame numbers ``e`` where a GOP's head ends cleanly: its keyframe's packet and the ones after it, up to
    frame ``e`` (excluded), are exactly the frames it shows before ``e`` (every ``e`` without B-frames; after an
    anchor frame with them). Copying those packets copies those frames, and they need no later one."""


@dataclass(frozen=True)
class Piece:
    """A run of one segment's source frames: copied, or re-encoded with the titles over it."""

    copy: bool
    start: int  # source frame
    count: int
    out_start_ms: float  # where it lands in the output
    texts: tuple[dict[str, Any], ...] = ()


@dataclass(frozen=True)
class Plan:
    source: SourceFile
    facts: StreamFacts
    pieces: tuple[Piece, ...]
    segments: tuple[tuple[float, float, float], ...]  # (source in s, duration s, volume) for the sound
    total: float  # seconds
    frames: int

    @property
    def copied_frames(self) -> int:
        return sum(p.count for p in self.pieces if p.copy)


ProgressFn = Callable[[float], None]


async def stream_facts(path: Path, ffmpeg: str | None = None) -> StreamFacts | None:
    """The video stream's frames and keyframes (a packet listing, no decoding) and its SPS; None when it
    is not constant-frame-rate 8-bit 4:2:0 H.264 starting at 0. Cached per file version."""
    try:
        st = path.stat()
    except OSError:
        return None
    key = (str(path), st.st_mtime, st.st_size)
    if key not in _facts_cache:
        facts = await _read_facts(path, find_ffmpeg(ffmpeg))
        while len(_facts_cache) >= FACTS_KEPT:  # the oldest first: an open engine meets a new source per upload
            _facts_cache.pop(next(iter(_facts_cache)))
        _facts_cache[key] = facts
    return _facts_cache[key]


async def _read_facts(path: Path, ffmpeg: str) -> StreamFacts | None:
    base = [ffmpeg, "-hide_banner", "-nostdin", "-i", str(path), "-map", "0:v:0", "-c", "copy"]
    listing, info = await asyncio.gather(
        _output([*base, "-f", "framecrc", "-"]),
        _output([*base, "-frames:v", "1", "-bsf:v", "trace_headers", "-f", "null", "-"], stderr=True),
    )
    stream = re.search(r"Video: h264 \([^)]*\)[^,]*, (yuv420p|yuvj420p)\b.*?, (\d+)x(\d+)", info)
    if stream is None or "displaymatrix" in info.lower() or "rotation" in info.lower():
        return None
    sps = {k: int(v) for k, v in re.findall(r"\b(profile_idc|level_idc)\s+[01]+ = (\d+)", info)}
    tb = re.search(r"#tb 0: 1/(\d+)", listing)
    rows = [r.split(",") for r in listing.splitlines() if r.startswith("0,")]
    if tb is None or not rows or sps.get("profile_idc") not in PROFILES or "level_idc" not in sps:
        return None
    dts = [int(r[1]) for r in rows]
    pts = [int(r[2]) for r in rows]
    dur = {int(r[3]) for r in rows}
    if len(dur) != 1 or min(pts) != 0:
        return None
    step = dur.pop()
    if step <= 0 or sorted(pts) != [i * step for i in range(len(pts))]:
        return None  # not constant frame rate
    keys = tuple(sorted(p // step for p, r in zip(pts, rows, strict=True) if len(r) < 7))
    if not keys or keys[0] != 0:
        return None
    reorder = max(0, -dts[0] // step)
    shown = [p // step for p in pts]  # in decode order
    return StreamFacts(int(stream.group(2)), int(stream.group(3)), int(tb.group(1)) / step, len(rows), keys,
                       sps["profile_idc"], sps["level_idc"], reorder, int(tb.group(1)), clean_heads(shown, keys))


def clean_heads(shown: list[int], keys: tuple[int, ...]) -> frozenset[int]:
    """``StreamFacts.heads`` from the frame each packet shows, in decode order: after a keyframe's packet, the
    first n packets end a clean head where they show exactly its frames k .. k+n-1."""
    keyset, heads = set(keys), set()
    lowest = highest = -1
    start = 0
    for n, frame in enumerate(shown):
        if frame in keyset:
            start, lowest, highest = n, frame, frame
        else:
            lowest, highest = min(lowest, frame), max(highest, frame)
        if lowest == shown[start] and highest - lowest == n - start:
            heads.add(highest + 1)
    return frozenset(heads - keyset)


async def _output(args: list[str], *, stderr: bool = False) -> str:
    proc = await asyncio.create_subprocess_exec(
        *args, stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    out, err = await proc.communicate()
    return (err if stderr else out).decode("utf-8", "replace")


# what a qualifying draft may hold: any other key (a newer edit this module does not know) renders as today
DRAFT_KEYS = {"t", "cv", "mute", "fx", "out"}
SEGMENT_KEYS = {"name", "src", "in", "speed", "vol", "pick", "tr"}
TEXT_KEYS = {"text", "kind", "pos"}


def _only_known_keys(d: dr.Draft) -> bool:
    if any(v for k, v in d.items() if k not in DRAFT_KEYS):
        return False
    for tr in d["t"]:
        if tr.get("sg") and tr.get("tt") not in (dr.VIDEO, dr.TEXT):
            return False
        known = SEGMENT_KEYS if tr.get("tt") == dr.VIDEO else TEXT_KEYS
        if any(v for s in tr["sg"] for k, v in s["m"].items() if k not in known):
            return False
    return True


def _picture_is_the_source(d: dr.Draft, cmd: RenderCommand, src: SourceFile, facts: StreamFacts) -> bool:
    fx = ef.effects(d)
    rate = dr._num(fx.get("fps"), FPS) or FPS
    if any(v not in (None, False, 0, "", {}, []) for v in fx.values()):
        return False  # a look, zoom, fade, rotation, watermark, sound effect...: rendered as today
    if not _only_known_keys(d) or any(cap.is_caption(s) for s in dr.segments(d, dr.TEXT)):
        return False
    return (
        cmd.format == "mp4"
        and (cmd.width, cmd.height) == (src.width, src.height) == (facts.width, facts.height)
        and abs(rate - facts.fps) < 1e-3
    )


def plan(draft: dr.Draft, sources: dict[str, SourceFile], cmd: RenderCommand,
         facts: dict[str, StreamFacts | None]) -> Plan | None:
    """What to copy and what to re-encode, or None when the draft must render as today. ``cmd`` is the
    full render's command (its output size and length); ``facts`` the sources' ``stream_facts``."""
    d = dr.relayout(dr.clone(draft))
    vsegs = dr.segments(d, dr.VIDEO)
    srcs = {s["m"].get("src") for s in vsegs}
    if not vsegs or len(vsegs) > MAX_SEGMENTS or len(srcs) != 1:
        return None
    src_id = str(next(iter(srcs)))
    src, fact = sources.get(src_id), facts.get(src_id)
    if src is None or fact is None or src.file_type != "video" or not _picture_is_the_source(d, cmd, src, fact):
        return None
    if any(s["m"].get(k) for s in vsegs for k in ("card", "still", "rev")):
        return None
    if any(abs(dr.speed_of(s) - 1) > 1e-3 or dr.transition_ms(s) > 0 for s in vsegs):
        return None
    fps = fact.fps
    texts = [s for s in dr.segments(d, dr.TEXT) if str(s["m"].get("text", "")).strip()]
    spans = [(s["st"], s["st"] + s["d"]) for s in vsegs]
    homes: dict[int, list[dict[str, Any]]] = {}
    for t in texts:  # each title must sit inside one piece of footage
        home = next((i for i, (a, b) in enumerate(spans) if a <= t["st"] and t["st"] + t["d"] <= b), None)
        if home is None:
            return None
        homes.setdefault(home, []).append(t)
    total_frames = math.ceil(cmd.duration * fps - 1e-6)
    pieces: list[Piece] = []
    sound: list[tuple[float, float, float]] = []
    made = 0
    muted = bool(d.get("mute"))
    for i, s in enumerate(vsegs):
        src_in = max(0.0, dr._num(s["m"].get("in"), 0) / 1000.0)
        first = math.ceil(src_in * fps - 1e-6)
        wanted = min(math.ceil(s["d"] / 1000.0 * fps - 1e-6), total_frames - made)
        count = min(wanted, fact.frames - first)  # the footage may end first (the last piece only)
        if count <= 0 or (count < wanted and i < len(vsegs) - 1):
            return None
        vol = 0.0 if muted else max(0.0, min(dr._num(s["m"].get("vol", 1.0), 1.0), 4.0))
        sound.append((src_in, s["d"] / 1000.0, vol))
        over = [
            (first + math.floor((t["st"] - s["st"]) / 1000.0 * fps),
             first + math.ceil((t["st"] + t["d"] - s["st"]) / 1000.0 * fps))
            for t in homes.get(i, [])
        ]
        pieces += _split(fact, first, count, over, made / fps * 1000.0, homes.get(i, []))
        made += count
    return Plan(src, fact, tuple(pieces), tuple(sound), cmd.duration, made)


def _split(fact: StreamFacts, first: int, count: int, over: list[tuple[int, int]], out_ms: float,
           texts: list[dict[str, Any]]) -> list[Piece]:
    """One segment's frames as copied whole GOPs and re-encoded runs (cut points, titles)."""
    end = first + count
    keys = set(fact.keyframes) | {fact.frames}
    last_key = max((k for k in fact.keyframes if k < end), default=0)
    # a cut inside a GOP: its head copies up to the last clean end before the cut (every frame without B-frames)
    head = max((e for e in fact.heads if max(first, last_key) < e <= end), default=None) if end not in keys else None
    marks = sorted({first, *(k for k in fact.keyframes if first < k < end), *([head] if head else []), end})
    runs: list[list[Any]] = []  # [copy, start, end]
    for a, b in itertools.pairwise(marks):
        # a whole GOP copies, and so does a GOP's head that ends cleanly
        copyable = a in keys and (b in keys or b in fact.heads)
        covered = any(a < o1 and o0 < b for o0, o1 in over)
        copy = copyable and not covered
        if runs and runs[-1][0] == copy:
            runs[-1][2] = b
        else:
            runs.append([copy, a, b])
    fps = fact.fps
    pieces = []
    for copy, a, b in runs:
        at = out_ms + (a - first) / fps * 1000.0
        until = at + (b - a) / fps * 1000.0
        mine = () if copy else tuple(t for t in texts if at - 0.5 <= t["st"] and t["st"] + t["d"] <= until + 0.5)
        pieces.append(Piece(copy, a, b - a, at, mine))
    return pieces


def _encoder_args(fact: StreamFacts) -> list[str]:
    """x264 settings whose stream joins the source's: its profile, level and frame reordering."""
    bframes = {0: ["-bf", "0"], 1: ["-bf", "1", "-x264-params", "b-pyramid=none"]}.get(fact.reorder, [])
    return ["-profile:v", PROFILES[fact.profile_idc], "-level:v", f"{fact.level_idc / 10:g}", *bframes,
            "-video_track_timescale", str(fact.time_base)]


def _sub_draft(plan_: Plan, piece: Piece, src_id: str) -> dr.Draft:
    fps = plan_.facts.fps
    ms = piece.count / fps * 1000.0
    # a quarter frame early: the seek keeps the piece's first frame whatever the rounding to ms
    seg = {"st": 0, "d": math.ceil(ms), "m": {"src": src_id, "in": max(0.0, (piece.start - 0.25) / fps * 1000.0)}}
    texts = [dict(t, st=round(t["st"] - piece.out_start_ms)) for t in piece.texts]
    tracks: list[dict[str, Any]] = [{"tt": dr.VIDEO, "sg": [seg]}]
    if texts:
        tracks.append({"tt": dr.TEXT, "sg": texts})
    return {"t": tracks}


def supported_reorder(fact: StreamFacts) -> bool:
    return fact.reorder in (0, 1, 2)


async def execute(
    plan_: Plan,
    src_id: str,
    out: Path,
    work: Path,
    *,
    ffmpeg: str | None = None,
    preset: str = "veryfast",
    crf: int = 23,
    font_latin: Path | None = None,
    font_cjk: Path | None = None,
    on_progress: ProgressFn | None = None,
    cancel_event: asyncio.Event | None = None,
    prefix: Sequence[str] = (),
    on_start: Callable[[int], None] | None = None,
) -> None:
    """Make ``out``: the pieces (copied or re-encoded) joined, the sound rendered whole."""
    exe = find_ffmpeg(ffmpeg)
    work.mkdir(parents=True, exist_ok=True)
    fps = plan_.facts.fps
    head = [*prefix, exe, "-hide_banner", "-nostdin", "-nostats", "-loglevel", "error", "-y"]
    encoded = sum(p.count for p in plan_.pieces if not p.copy)
    weight = max(1, encoded + plan_.frames // 20)
    done = 0.0

    async def step(args: list[str], frames: float) -> None:
        nonlocal done
        await run(args, cancel_event=cancel_event, timeout=max(600.0, plan_.total * 20), on_start=on_start)
        done += frames
        if on_progress is not None:
            on_progress(min(99.0, done / weight * 100))

    files: list[Path] = []
    steps: list[tuple[list[str], float]] = []
    for n, piece in enumerate(plan_.pieces):
        part = work / f"part{n}.mp4"
        files.append(part)
        if piece.copy:
            # the keyframe's own time to the microsecond: the seek lands on it and nothing is shifted
            at = round(piece.start * plan_.facts.time_base / fps) / plan_.facts.time_base
            steps.append(([*head, "-ss", f"{at:.6f}", "-i", str(plan_.source.path), "-map", "0:v:0", "-c", "copy",
                           "-frames:v", str(piece.count), "-an", str(part)], piece.count / 40))
            continue
        sub = _sub_draft(plan_, piece, src_id)
        cmd = await asyncio.to_thread(  # its own scratch files: the pieces run side by side
            build_command, sub, {src_id: plan_.source}, part, work / f"piece{n}", ffmpeg=ffmpeg, preset=preset,
            crf=crf, font_latin=font_latin, font_cjk=font_cjk,
        )
        for path, text in cmd.text_files:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        body = cmd.args[len(head) - len(prefix):-3]  # without its own head, progress and output
        steps.append(([*head, *body, *_encoder_args(plan_.facts), "-frames:v", str(piece.count), "-an", str(part)],
                      piece.count))
    # short pieces leave cores idle (a partial GOP gives x264 few frames to thread over): one per core at once
    gate = asyncio.Semaphore(max(1, os.cpu_count() or 1))

    async def gated(args: list[str], frames: float) -> None:
        async with gate:
            await step(args, frames)

    tasks = [asyncio.ensure_future(gated(args, frames)) for args, frames in steps]
    try:
        await asyncio.gather(*tasks)
    except BaseException:  # one failed or the render was stopped: the others' ffmpegs go too
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise
    listing = work / "parts.txt"
    listing.write_text("".join(f"file '{p.name}'\n" for p in files), encoding="utf-8")
    await step([*head, "-f", "concat", "-safe", "0", "-i", str(listing), *_sound_inputs(plan_),
                "-filter_complex", _sound_graph(plan_), "-map", "0:v:0", "-map", "[aout]", "-c:v", "copy",
                "-c:a", "aac", "-b:a", f"{AUDIO_KBPS}k", "-ar", "48000", "-ac", "2", "-movflags", "+faststart",
                str(out)], plan_.frames / 20)
    if on_progress is not None:
        on_progress(100.0)


def _sound_inputs(plan_: Plan) -> list[str]:
    if not plan_.source.has_audio:
        return []
    args: list[str] = []
    for src_in, dur, _ in plan_.segments:
        args += ["-ss", f"{src_in:.3f}", "-t", f"{dur:.3f}", "-i", str(plan_.source.path)]
    return args


def _sound_graph(plan_: Plan) -> str:
    """The full render's sound, piece by piece: trimmed, at its volume, 48 kHz stereo, joined."""
    graph = []
    for i, (_, dur, vol) in enumerate(plan_.segments):
        if plan_.source.has_audio and vol > 0:
            vol_f = f",volume={vol:.3f}" if abs(vol - 1) > 1e-3 else ""
            graph.append(f"[{i + 1}:a]asetpts=PTS-STARTPTS{vol_f},aresample=48000,"
                         f"aformat=sample_fmts=fltp:channel_layouts=stereo,apad,atrim=duration={dur:.3f}[a{i}]")
        else:
            graph.append(f"anullsrc=r=48000:cl=stereo,atrim=duration={dur:.3f},"
                         f"aformat=sample_fmts=fltp:channel_layouts=stereo[a{i}]")
    joined = "".join(f"[a{i}]" for i in range(len(plan_.segments)))
    graph.append(f"{joined}concat=n={len(plan_.segments)}:v=0:a=1,apad,atrim=duration={plan_.total:.3f}[aout]")
    return ";".join(graph)


def describe(plan_: Plan) -> dict[str, Any]:
    """For logs and the bench: how much was copied."""
    return dataclasses.asdict(plan_) | {"copied_frames": plan_.copied_frames}


async def render_copying(
    draft: dr.Draft,
    sources: dict[str, SourceFile],
    cmd: RenderCommand,
    out: Path,
    work: Path,
    settings: Any,
    *,
    on_progress: ProgressFn | None = None,
    cancel_event: asyncio.Event | None = None,
    prefix: Sequence[str] = (),
    on_start: Callable[[int], None] | None = None,
) -> bool:
    """Render ``draft`` by copying what is untouched, when it qualifies (``settings.smart_cut`` on); False
    (nothing done) when it must render as today with ``cmd``."""
    if not getattr(settings, "smart_cut", True) or cmd.format != "mp4":
        return False
    facts = {fid: await stream_facts(s.path, settings.ffmpeg) for fid, s in sources.items()
             if s.file_type == "video"}
    chosen = plan(draft, sources, cmd, facts)
    if chosen is None or not supported_reorder(chosen.facts) or chosen.copied_frames == 0:
        return False
    src_id = next(fid for fid, s in sources.items() if s is chosen.source)
    log.info("render by copying %d of %d frames", chosen.copied_frames, chosen.frames)
    await execute(chosen, src_id, out, work, ffmpeg=settings.ffmpeg, preset=settings.preset, crf=settings.crf,
                  font_latin=settings.font_latin, font_cjk=settings.font_cjk, on_progress=on_progress,
                  cancel_event=cancel_event, prefix=prefix, on_start=on_start)
    return True
