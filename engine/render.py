"""Rendering a draft to an H.264/AAC MP4 in ONE ffmpeg run (a filter_complex).

Each video segment becomes a chain (seek/trim, speed, fps, fit to the canvas), consecutive segments are
concatenated and joined by xfade/acrossfade where a transition asks for it, then text (drawtext, the font
chosen by script), whole-video fades, and the music bed (looped, delayed, at its volume) mixed in.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import draft as dr
from .ffmpeg import filter_path, find_ffmpeg, run
from .fonts import font_for_text, has_cjk

FPS = 30
MAX_SEGMENT_INPUTS = 24  # above this, one input per source file, split and trimmed in the graph
XFADE_TYPES = {
    "fade",
    "dissolve",
    "wipeleft",
    "wiperight",
    "slideleft",
    "slideright",
    "circleopen",
    "fadeblack",
    "fadewhite",
    "smoothleft",
    "distance",
    "radial",
}
QUALITY_SHORT_SIDE = {"low": 480, "medium": 720, "high": 1080}


AUDIO_KBPS = 128
MIN_VIDEO_KBPS = 24
SIZE_MARGIN = 0.9  # of a size cap given to the streams: container overhead and VBV slack stay under it
BITS_PER_PIXEL = 0.06  # per frame, below which a smaller picture looks better than a blockier one
SHORT_SIDES = (1080, 720, 540, 480, 360, 240)


@dataclass(frozen=True)
class SizeBudget:
    video_kbps: int
    audio_kbps: int


def _mb_bytes(mb: float | None) -> int | None:
    return int(mb * 1_000_000) if mb else None


def size_budget(max_bytes: int, seconds: float) -> SizeBudget:
    """Bitrates that keep ``seconds`` of video under ``max_bytes`` in one pass."""
    seconds = max(seconds, 0.1)
    index = seconds * (FPS + 48) * 12  # the MP4's sample tables: ~12 bytes per video and audio frame
    kbps = max(max_bytes - index, 0) * 8 * SIZE_MARGIN / seconds / 1000
    audio = AUDIO_KBPS if kbps >= 4 * AUDIO_KBPS else 64 if kbps >= 4 * 64 else 32
    return SizeBudget(max(int(kbps - audio), MIN_VIDEO_KBPS), audio)


def fit_to_bitrate(w: int, h: int, video_kbps: int) -> tuple[int, int]:
    """The largest picture of the same shape, not above ``w`` x ``h``, that the bitrate can carry."""
    short = min(w, h)
    for side in (short, *(s for s in SHORT_SIDES if s < short)):
        k = side / short
        if video_kbps * 1000 / (w * k * h * k * FPS) >= BITS_PER_PIXEL:
            return _even(w * k), _even(h * k)
    k = SHORT_SIDES[-1] / short if short > SHORT_SIDES[-1] else 1.0
    return _even(w * k), _even(h * k)


class RenderError(ValueError):
    """The draft cannot be rendered (nothing on it, a missing file...)."""


@dataclass
class SourceFile:
    path: Path
    file_type: str
    duration: float
    width: int
    height: int
    has_audio: bool


@dataclass
class RenderCommand:
    args: list[str]
    duration: float  # seconds of output
    width: int
    height: int
    text_files: list[tuple[Path, str]] = field(default_factory=list)  # written before running


def _even(x: float) -> int:
    return max(2, int(round(x / 2)) * 2)


def output_size(d: dr.Draft, sources: dict[str, SourceFile], quality: str = "high") -> tuple[int, int]:
    """The canvas size, never upscaled beyond the footage's short side, capped at 1080x1920."""
    used = [
        sources[s["m"]["src"]]
        for s in dr.segments(d, dr.VIDEO)
        if s["m"].get("src") in sources and sources[s["m"]["src"]].width > 0
    ]
    cv = d.get("cv") if isinstance(d.get("cv"), dict) else None
    if cv and dr._num(cv.get("w"), 0) > 0 and dr._num(cv.get("h"), 0) > 0:
        cw, ch = float(cv["w"]), float(cv["h"])
    elif used:
        cw, ch = float(used[0].width), float(used[0].height)
    else:
        cw, ch = 1920.0, 1080.0
    short = min(cw, ch)
    cap = float(QUALITY_SHORT_SIDE.get(quality, 1080))
    if used:
        cap = min(cap, float(max(min(s.width, s.height) for s in used)))
    k = min(1.0, cap / short, 1920.0 / max(cw, ch))
    return _even(cw * k), _even(ch * k)


def _atempo(speed: float) -> str:
    parts = []
    while speed > 2.0:
        parts.append("atempo=2.0")
        speed /= 2.0
    while speed < 0.5:
        parts.append("atempo=0.5")
        speed /= 0.5
    if abs(speed - 1.0) > 1e-3:
        parts.append(f"atempo={speed:.5f}")
    return ",".join(parts)


def _fit(label_in: str, label_out: str, w: int, h: int, fit: str, idx: int) -> str:
    if fit == "blur":
        bw, bh = _even(w / 4), _even(h / 4)
        return (
            f"[{label_in}]split=2[bgs{idx}][fgs{idx}];"
            f"[bgs{idx}]scale={bw}:{bh}:force_original_aspect_ratio=increase,crop={bw}:{bh},"
            f"boxblur=8:2,scale={w}:{h}[bg{idx}];"
            f"[fgs{idx}]scale={w}:{h}:force_original_aspect_ratio=decrease[fg{idx}];"
            f"[bg{idx}][fg{idx}]overlay=(W-w)/2:(H-h)/2,setsar=1,format=yuv420p[{label_out}]"
        )
    if fit == "pad":
        return (
            f"[{label_in}]scale={w}:{h}:force_original_aspect_ratio=decrease,"
            f"pad={w}:{h}:(ow-iw)/2:(oh-ih)/2:black,setsar=1,format=yuv420p[{label_out}]"
        )
    return (
        f"[{label_in}]scale={w}:{h}:force_original_aspect_ratio=increase,crop={w}:{h},"
        f"setsar=1,format=yuv420p[{label_out}]"
    )


def _color(c: Any) -> str:
    s = str(c or "#202020").strip().lstrip("#")
    if len(s) == 6 and all(ch in "0123456789abcdefABCDEF" for ch in s):
        return "0x" + s
    return "0x202020"


def build_command(
    draft: dr.Draft,
    sources: dict[str, SourceFile],
    out_path: Path,
    work_dir: Path,
    *,
    ffmpeg: str | None = None,
    preset: str = "veryfast",
    crf: int = 23,
    quality: str = "high",
    font_latin: Path | None = None,
    font_cjk: Path | None = None,
    max_bytes: int | None = None,
) -> RenderCommand:
    """The ffmpeg command that renders ``draft``; pure apart from looking up fonts.

    A size cap (``max_bytes``, or the draft's ``maxMB`` from a "compress" edit, the smaller wins)
    caps the bitrate in the same single pass (CRF under a VBV maxrate) and lowers the resolution
    where the bitrate would be too thin for it."""
    d = dr.relayout(dr.clone(draft))
    vsegs = dr.segments(d, dr.VIDEO)
    if not vsegs:
        raise RenderError("the timeline has no video: upload a clip first")
    for s in vsegs:
        src = s["m"].get("src")
        if not s["m"].get("card") and src not in sources:
            raise RenderError(f"unknown file {src!r} on the timeline")
    w, h = output_size(d, sources, quality)
    caps = [c for c in (max_bytes, _mb_bytes(dr.max_mb(d))) if c]
    budget = size_budget(min(caps), dr.total_ms(d) / 1000.0) if caps else None
    if budget is not None:
        w, h = fit_to_bitrate(w, h, budget.video_kbps)
    cv = d.get("cv") if isinstance(d.get("cv"), dict) else {}
    fit = str(cv.get("fit", "crop")) if cv else "crop"
    muted = bool(d.get("mute"))

    args = [find_ffmpeg(ffmpeg), "-hide_banner", "-nostdin", "-nostats", "-loglevel", "error", "-y"]
    graph: list[str] = []
    n_inputs = 0

    def add_input(opts: list[str]) -> int:
        nonlocal n_inputs
        args.extend(opts)
        n_inputs += 1
        return n_inputs - 1

    real_segs = [s for s in vsegs if not s["m"].get("card") and not s["m"].get("still")]
    shared = len(real_segs) > MAX_SEGMENT_INPUTS
    shared_inputs: dict[str, int] = {}
    shared_users: dict[str, list[int]] = {}
    if shared:
        for i, s in enumerate(vsegs):
            if s in real_segs:
                shared_users.setdefault(s["m"]["src"], []).append(i)
        for src, users in shared_users.items():
            k = add_input(["-i", str(sources[src].path)])
            shared_inputs[src] = k
            graph.append(f"[{k}:v]split={len(users)}" + "".join(f"[sv{k}_{j}]" for j in range(len(users))))
            if sources[src].has_audio:
                graph.append(
                    f"[{k}:a]asplit={len(users)}" + "".join(f"[sa{k}_{j}]" for j in range(len(users)))
                )

    seg_labels: list[tuple[str, str, float]] = []
    for i, s in enumerate(vsegs):
        m = s["m"]
        dur = s["d"] / 1000.0
        speed = dr.speed_of(s)
        vol = 0.0 if muted else max(0.0, min(dr._num(m.get("vol", 1.0), 1.0), 4.0))
        v_lab, a_lab = f"v{i}", f"a{i}"
        audio_from: str | None = None
        if m.get("card"):
            graph.append(
                f"color=c={_color(m['card'])}:s={w}x{h}:r={FPS}:d={dur:.3f},setsar=1,format=yuv420p[{v_lab}]"
            )
        else:
            srcf = sources[m["src"]]
            if srcf.file_type == "image" or m.get("still"):
                k = add_input(
                    ["-loop", "1", "-framerate", str(FPS), "-t", f"{dur:.3f}", "-i", str(srcf.path)]
                )
                graph.append(f"[{k}:v]fps={FPS},trim=duration={dur:.3f},setpts=PTS-STARTPTS[raw{i}]")
            else:
                src_in = max(0.0, dr._num(m.get("in"), 0) / 1000.0)
                src_len = dur * speed
                if shared:
                    k = shared_inputs[m["src"]]
                    j = shared_users[m["src"]].index(i)
                    vin = f"[sv{k}_{j}]trim=start={src_in:.3f}:duration={src_len:.3f},"
                    if srcf.has_audio:
                        audio_from = (
                            f"[sa{k}_{j}]atrim=start={src_in:.3f}:duration={src_len:.3f},asetpts=PTS-STARTPTS"
                        )
                else:
                    k = add_input(["-ss", f"{src_in:.3f}", "-t", f"{src_len:.3f}", "-i", str(srcf.path)])
                    vin = f"[{k}:v]"
                    if srcf.has_audio:
                        audio_from = f"[{k}:a]asetpts=PTS-STARTPTS"
                speed_f = (
                    f"setpts=(PTS-STARTPTS)/{speed:.5f}" if abs(speed - 1) > 1e-3 else "setpts=PTS-STARTPTS"
                )
                graph.append(f"{vin}{speed_f},fps={FPS},trim=duration={dur:.3f},setpts=PTS-STARTPTS[raw{i}]")
                if audio_from and abs(speed - 1) > 1e-3:
                    audio_from += "," + _atempo(speed)
            graph.append(_fit(f"raw{i}", v_lab, w, h, fit, i))
        if audio_from and vol > 0:
            vol_f = f",volume={vol:.3f}" if abs(vol - 1) > 1e-3 else ""
            graph.append(
                f"{audio_from}{vol_f},aresample=48000,aformat=sample_fmts=fltp:channel_layouts=stereo,"
                f"apad,atrim=duration={dur:.3f}[{a_lab}]"
            )
        else:
            if audio_from:  # the source's audio exists but is muted: drop it
                graph.append(f"{audio_from},anullsink")
            graph.append(
                f"anullsrc=r=48000:cl=stereo,atrim=duration={dur:.3f},"
                f"aformat=sample_fmts=fltp:channel_layouts=stereo[{a_lab}]"
            )
        seg_labels.append((v_lab, a_lab, dur))

    # consecutive segments without a transition are concatenated; groups are joined by xfade
    groups: list[list[int]] = []
    for i, s in enumerate(vsegs):
        if i == 0 or dr.transition_ms(s) > 0:
            groups.append([i])
        else:
            groups[-1].append(i)
    joined: list[tuple[str, str, float]] = []
    for g, members in enumerate(groups):
        if len(members) == 1:
            joined.append(seg_labels[members[0]])
            continue
        ins = "".join(f"[{seg_labels[i][0]}][{seg_labels[i][1]}]" for i in members)
        graph.append(f"{ins}concat=n={len(members)}:v=1:a=1[gv{g}][ga{g}]")
        joined.append((f"gv{g}", f"ga{g}", sum(seg_labels[i][2] for i in members)))
    cur_v, cur_a, cur_len = joined[0]
    for g in range(1, len(joined)):
        tr = vsegs[groups[g][0]]["m"].get("tr") or {}
        kind = str(tr.get("type", "fade"))
        kind = kind if kind in XFADE_TYPES else "fade"
        nv, na, nlen = joined[g]
        td = min(dr.transition_ms(vsegs[groups[g][0]]) / 1000.0, cur_len / 2, nlen / 2)
        graph.append(
            f"[{cur_v}][{nv}]xfade=transition={kind}:duration={td:.3f}:offset={cur_len - td:.3f}[xv{g}]"
        )
        graph.append(f"[{cur_a}][{na}]acrossfade=d={td:.3f}[xa{g}]")
        cur_v, cur_a, cur_len = f"xv{g}", f"xa{g}", cur_len + nlen - td
    total = cur_len

    # text
    text_files: list[tuple[Path, str]] = []
    post: list[str] = []
    for j, s in enumerate(dr.segments(d, dr.TEXT)):
        text = str(s["m"].get("text", "")).strip()
        if not text:
            continue
        a = s["st"] / 1000.0
        b = min(total, a + s["d"] / 1000.0)
        if b - a < 0.05:
            continue
        font = font_for_text(text, font_latin, font_cjk)
        tf = work_dir / f"text{j}.txt"
        text_files.append((tf, text))
        kind = s["m"].get("kind", "title")
        base = min(w, h) * (0.11 if kind in ("title", "card") else 0.07)
        longest = max((len(line) for line in text.splitlines()), default=1)
        per_char = 1.0 if has_cjk(text) else 0.62
        size = max(10, int(min(base, w * 0.9 / max(1, longest * per_char))))
        pos = s["m"].get("pos", "center")
        y = {"top": f"{int(h * 0.08)}", "bottom": "h*0.86-text_h"}.get(pos, "(h-text_h)/2")
        fade = min(0.3, (b - a) / 4)
        alpha = (
            f"if(lt(t\\,{a + fade:.3f})\\,(t-{a:.3f})/{fade:.3f}\\,"
            f"if(gt(t\\,{b - fade:.3f})\\,({b:.3f}-t)/{fade:.3f}\\,1))"
        )
        post.append(
            f"drawtext=fontfile={filter_path(font)}:textfile={filter_path(tf)}:expansion=none:"
            f"fontsize={size}:fontcolor=white:borderw={max(1, size // 14)}:bordercolor=black@0.85:"
            f"box=1:boxcolor=black@0.45:boxborderw={max(2, size // 5)}:line_spacing={size // 5}:"
            f"x=(w-text_w)/2:y={y}:alpha='{alpha}':enable='between(t,{a:.3f},{b:.3f})'"
        )
    fx = d.get("fx") if isinstance(d.get("fx"), dict) else {}
    fi = min(dr._num(fx.get("fade_in"), 0) / 1000.0, total / 2)
    fo = min(dr._num(fx.get("fade_out"), 0) / 1000.0, total / 2)
    if fi > 0:
        post.append(f"fade=t=in:st=0:d={fi:.3f}")
    if fo > 0:
        post.append(f"fade=t=out:st={total - fo:.3f}:d={fo:.3f}")
    graph.append(f"[{cur_v}]" + (",".join(post) if post else "null") + ",format=yuv420p[vout]")

    # audio: music bed mixed under the clip sound
    audio_post = []
    if fi > 0:
        audio_post.append(f"afade=t=in:st=0:d={fi:.3f}")
    if fo > 0:
        audio_post.append(f"afade=t=out:st={total - fo:.3f}:d={fo:.3f}")
    music = [s for s in dr.segments(d, dr.AUDIO) if s["m"].get("src") in sources]
    mix_labels = [cur_a]
    for j, s in enumerate(music):
        srcf = sources[s["m"]["src"]]
        if not srcf.has_audio:
            continue
        a = s["st"] / 1000.0
        length = min(s["d"] / 1000.0, max(0.0, total - a))
        if length < 0.1:
            continue
        vol = max(0.0, min(dr._num(s["m"].get("vol", 0.3), 0.3), 4.0))
        loop = ["-stream_loop", "-1"] if s["m"].get("loop", True) else []
        k = add_input([*loop, "-i", str(srcf.path)])
        m_in = max(0.0, dr._num(s["m"].get("in"), 0) / 1000.0)
        mfade = min(1.0, length / 4)
        graph.append(
            f"[{k}:a]atrim=start={m_in:.3f}:duration={length:.3f},asetpts=PTS-STARTPTS,volume={vol:.3f},"
            f"aresample=48000,aformat=sample_fmts=fltp:channel_layouts=stereo,"
            f"afade=t=out:st={max(0.0, length - mfade):.3f}:d={mfade:.3f},"
            f"adelay=delays={int(a * 1000)}:all=1[m{j}]"
        )
        mix_labels.append(f"m{j}")
    if len(mix_labels) > 1:
        ins = "".join(f"[{lab}]" for lab in mix_labels)
        graph.append(
            f"{ins}amix=inputs={len(mix_labels)}:duration=first:normalize=0:dropout_transition=0[amixed]"
        )
        final_a = "amixed"
    else:
        final_a = cur_a
    graph.append(
        f"[{final_a}]"
        + (",".join(audio_post) if audio_post else "anull")
        + f",apad,atrim=duration={total:.3f}[aout]"
    )

    args += [
        "-filter_complex",
        ";".join(graph),
        "-map",
        "[vout]",
        "-map",
        "[aout]",
        "-c:v",
        "libx264",
        "-preset",
        preset,
        "-crf",
        str(crf),
        *(
            ["-maxrate", f"{budget.video_kbps}k", "-bufsize", f"{budget.video_kbps}k"]
            if budget is not None
            else []
        ),
        "-pix_fmt",
        "yuv420p",
        "-r",
        str(FPS),
        "-c:a",
        "aac",
        "-b:a",
        f"{budget.audio_kbps if budget is not None else AUDIO_KBPS}k",
        "-ar",
        "48000",
        "-ac",
        "2",
        "-movflags",
        "+faststart",
        "-t",
        f"{total:.3f}",
        "-progress",
        "pipe:1",
        str(out_path),
    ]
    return RenderCommand(args, round(total, 3), w, h, text_files)


async def render(
    cmd: RenderCommand,
    on_progress: Callable[[float], None] | None = None,
    cancel_event: asyncio.Event | None = None,
) -> None:
    """Run a render command, reporting 0-100 from ffmpeg's ``-progress`` out_time."""
    for path, text in cmd.text_files:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")

    def on_line(line: str) -> None:
        if on_progress is None:
            return
        key, _, value = line.partition("=")
        if key in ("out_time_us", "out_time_ms"):
            try:
                us = float(value)
            except ValueError:
                return
            if math.isfinite(us) and cmd.duration > 0:
                on_progress(max(0.0, min(99.0, us / 1e6 / cmd.duration * 100)))
        elif key == "progress" and value == "end":
            on_progress(100.0)

    await run(
        cmd.args, on_stdout_line=on_line, cancel_event=cancel_event, timeout=max(3600.0, cmd.duration * 20)
    )
