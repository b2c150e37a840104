"""Rendering a draft in ONE ffmpeg run (a filter_complex): an H.264/AAC MP4, or a GIF, an MP3 of the
sound, or a JPEG cover frame when the draft's ``out`` asks for one.

Each video segment becomes a chain (seek/trim, speed, fps, backwards if reversed, orientation, fit to the
canvas), consecutive segments are concatenated and joined by xfade/acrossfade where a transition asks for
it, then zoom, look and adjustments, the watermark, text (drawtext, the font chosen by script), whole-video
fades; the clip sound is denoised if asked, the music bed (looped, delayed, at its volume) mixed in, then
loudness normalisation and audio fades.
"""

from __future__ import annotations

import asyncio
import math
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import captions as cap
from . import draft as dr
from . import effects as ef
from . import filters as flt
from .ffmpeg import filter_path, find_ffmpeg, run
from .fonts import font_family, font_for, font_for_text, has_cjk

FPS = 30
MUSIC_FADE_IN, MUSIC_FADE_OUT = 1.0, 2.0  # seconds, at most a quarter of the music each
# the music dips while the clip's own sound (speech) is on: side-chained to it, -12 dB or more in speech
MUSIC_DUCK = "sidechaincompress=threshold=0.02:ratio=10:attack=15:release=350:knee=4:detection=rms"
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
MAX_LONG_SIDE = 3840
GIF_FPS = 12
GIF_MAX_WIDTH = 480
EXTENSIONS = {"mp4": "mp4", "gif": "gif", "mp3": "mp3", "cover": "jpg"}


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
    format: str = "mp4"  # mp4 | gif | mp3 | cover


def _even(x: float) -> int:
    return max(2, round(x / 2) * 2)


def output_format(draft: dr.Draft, requested: str | None = None) -> str:
    """What a render produces: a non-MP4 format asked for in the request, else the draft's ``out``."""
    if requested in EXTENSIONS and requested != "mp4":
        return str(requested)
    return ef.output_of(draft)[0]


def output_size(d: dr.Draft, sources: dict[str, SourceFile], quality: str = "high") -> tuple[int, int]:
    """The canvas size, never upscaled beyond the footage's short side, capped at 1080x1920; a
    resolution set on the draft (``fx.res``, the short side) wins, up to 4K."""
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
        if ef.orientation(d)[0] in (90, 270):
            cw, ch = ch, cw
    else:
        cw, ch = 1920.0, 1080.0
    short = min(cw, ch)
    res = dr._num(ef.effects(d).get("res"), 0)
    if res > 0:
        k = min(res / short, MAX_LONG_SIDE / max(cw, ch))
        return _even(cw * k), _even(ch * k)
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


def _fit(label_in: str, label_out: str, w: int, h: int, fit: str, idx: int,
         at: tuple[float, float] = (0.5, 0.5)) -> str:
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
    # ``at``: where the crop frame sits (0-1 across the room left, 0.5 centred: cv.cx/cv.cy, the editing page's)
    pos = "" if at == (0.5, 0.5) else f":(iw-ow)*{at[0]:.3f}:(ih-oh)*{at[1]:.3f}"
    return (
        f"[{label_in}]scale={w}:{h}:force_original_aspect_ratio=increase,crop={w}:{h}{pos},"
        f"setsar=1,format=yuv420p[{label_out}]"
    )


def _crop_at(cv: dict[str, Any] | None) -> tuple[float, float]:
    cv = cv or {}
    return tuple(min(1.0, max(0.0, dr._num(cv.get(k), 0.5))) for k in ("cx", "cy"))  # type: ignore[return-value]


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
    output_format: str = "mp4",
) -> RenderCommand:
    """The ffmpeg command that renders ``draft`` as ``output_format``; pure apart from looking up fonts.

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
    fx = ef.effects(d)
    rate = dr._num(fx.get("fps"), FPS) or FPS
    orient = flt.orientation_filters(*ef.orientation(d))
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
                f"color=c={_color(m['card'])}:s={w}x{h}:r={rate:g}:d={dur:.3f},setsar=1,format=yuv420p[{v_lab}]"
            )
        else:
            srcf = sources[m["src"]]
            if srcf.file_type == "image" or m.get("still"):
                k = add_input(
                    ["-loop", "1", "-framerate", f"{rate:g}", "-t", f"{dur:.3f}", "-i", str(srcf.path)]
                )
                graph.append(
                    f"[{k}:v]"
                    + ",".join([f"fps={rate:g}", f"trim=duration={dur:.3f}", "setpts=PTS-STARTPTS", *orient])
                    + f"[raw{i}]"
                )
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
                backwards = ["reverse"] if m.get("rev") else []
                graph.append(
                    f"{vin}"
                    + ",".join(
                        [
                            speed_f,
                            f"fps={rate:g}",
                            f"trim=duration={dur:.3f}",
                            "setpts=PTS-STARTPTS",
                            *backwards,
                            *orient,
                        ]
                    )
                    + f"[raw{i}]"
                )
                if audio_from and abs(speed - 1) > 1e-3:
                    audio_from += "," + _atempo(speed)
                if audio_from and m.get("rev"):
                    audio_from += ",areverse"
            graph.append(_fit(f"raw{i}", v_lab, w, h, fit, i, _crop_at(cv)))
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

    # zoom, look, watermark
    picture = flt.zoom_filters(fx, w, h, rate, total) + flt.look_filters(fx) + flt.bars_filters(fx, w, h)
    if picture:
        graph.append(f"[{cur_v}]" + ",".join(picture) + "[looked]")
        cur_v = "looked"
    wm = fx.get("wm") if isinstance(fx.get("wm"), dict) else None
    if wm and wm.get("src") in sources and sources[wm["src"]].file_type == "image":
        k = add_input(["-i", str(sources[wm["src"]].path)])
        graph.append(flt.watermark_chain(fx, f"{k}:v", "logo", w))
        corner = str(wm.get("corner", "bottom-right"))
        graph.append(f"[{cur_v}][logo]overlay={flt.watermark_position(corner, w)}:eof_action=repeat[marked]")
        cur_v = "marked"

    # text
    text_files: list[tuple[Path, str]] = []
    post: list[str] = []
    for j, s in enumerate(dr.segments(d, dr.TEXT)):
        text = str(s["m"].get("text", "")).strip()
        if not text or cap.burned(s):
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
        fade = 0.0 if kind == "subtitle" else min(0.3, (b - a) / 4)
        alpha = (
            f"if(lt(t\\,{a + fade:.3f})\\,(t-{a:.3f})/{fade:.3f}\\,"
            f"if(gt(t\\,{b - fade:.3f})\\,({b:.3f}-t)/{fade:.3f}\\,1))"
            if fade > 0
            else "1"
        )
        post.append(
            f"drawtext=fontfile={filter_path(font)}:textfile={filter_path(tf)}:expansion=none:"
            f"fontsize={size}:fontcolor=white:borderw={max(1, size // 14)}:bordercolor=black@0.85:"
            f"box=1:boxcolor=black@0.45:boxborderw={max(2, size // 5)}:line_spacing={size // 5}:"
            f"x=(w-text_w)/2:y={y}:alpha='{alpha}':enable='between(t,{a:.3f},{b:.3f})'"
        )
    caption_segs = [s for s in dr.segments(d, dr.TEXT) if cap.burned(s) and s["st"] / 1000.0 < total]
    if caption_segs:  # burned in with libass: lines, outline, safe area, the spoken word highlighted
        latin = font_for("latin", font_latin)
        cjk = font_for("cjk", font_cjk) if any(has_cjk(str(s["m"].get("text", ""))) for s in caption_segs) else latin
        ass = work_dir / "captions.ass"
        script = cap.ass_script(caption_segs, w, h, fx, (font_family(latin), font_family(cjk)), d.get("safe"))
        text_files.append((ass, script))
        fonts_dir = Path(os.path.commonpath([latin.parent, cjk.parent]))
        post.append(f"ass={filter_path(ass)}:fontsdir={filter_path(fonts_dir)}")
    fi = min(dr._num(fx.get("fade_in"), 0) / 1000.0, total / 2)
    fo = min(dr._num(fx.get("fade_out"), 0) / 1000.0, total / 2)
    if fi > 0:
        post.append(f"fade=t=in:st=0:d={fi:.3f}")
    if fo > 0:
        post.append(f"fade=t=out:st={total - fo:.3f}:d={fo:.3f}")
    graph.append(f"[{cur_v}]" + (",".join(post) if post else "null") + ",format=yuv420p[vout]")

    # audio: the clips' sound cleaned up, the music bed mixed under it, then loudness and fades
    clip_fx = flt.clip_audio_filters(fx)
    if clip_fx:
        graph.append(f"[{cur_a}]" + ",".join(clip_fx) + "[aclean]")
        cur_a = "aclean"
    audio_post = flt.master_audio_filters(fx, total)
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
        fin, fout = min(MUSIC_FADE_IN, length / 4), min(MUSIC_FADE_OUT, length / 4)
        graph.append(
            f"[{k}:a]atrim=start={m_in:.3f}:duration={length:.3f},asetpts=PTS-STARTPTS,volume={vol:.3f},"
            f"aresample=48000,aformat=sample_fmts=fltp:channel_layouts=stereo,afade=t=in:st=0:d={fin:.3f},"
            f"afade=t=out:st={max(0.0, length - fout):.3f}:d={fout:.3f},"
            f"adelay=delays={int(a * 1000)}:all=1[m{j}]"
        )
        mix_labels.append(f"m{j}")
    if len(mix_labels) > 1:  # the music bed ducked under the clip's sound (speech stays intelligible)
        beds = "".join(f"[{lab}]" for lab in mix_labels[1:])
        bed = f"{beds}amix=inputs={len(mix_labels) - 1}:duration=longest:normalize=0," if len(mix_labels) > 2 else (
            f"{beds}anull,")
        graph.append(f"[{cur_a}]asplit=2[aclip][aside]")
        graph.append(f"{bed}apad[mbed]")
        graph.append(f"[mbed][aside]{MUSIC_DUCK}[mducked]")
        graph.append("[aclip][mducked]amix=inputs=2:duration=first:normalize=0:dropout_transition=0[amixed]")
        final_a = "amixed"
    else:
        final_a = cur_a
    graph.append(
        f"[{final_a}]"
        + (",".join(audio_post) if audio_post else "anull")
        + f",apad,atrim=duration={total:.3f}[aout]"
    )

    if output_format == "gif":
        gw = min(w, GIF_MAX_WIDTH) // 2 * 2
        gh = _even(h * gw / w)
        graph.append(
            f"[vout]fps={min(rate, GIF_FPS):g},scale={gw}:{gh}:flags=lanczos,split[gifa][gifb];"
            "[gifa]palettegen=stats_mode=diff[pal];[gifb][pal]paletteuse=dither=bayer:bayer_scale=4[gif];"
            "[aout]anullsink"
        )
        args += ["-filter_complex", ";".join(graph), "-map", "[gif]", "-loop", "0", "-t", f"{total:.3f}"]
        w, h = gw, gh
    elif output_format == "mp3":
        graph.append("[vout]nullsink")
        args += ["-filter_complex", ";".join(graph), "-map", "[aout]", "-c:a", "libmp3lame", "-b:a", "192k"]
        args += ["-ar", "48000", "-ac", "2", "-t", f"{total:.3f}"]
    elif output_format == "cover":
        at_ms = ef.output_of(d)[1]
        at = total / 3 if at_ms is None else at_ms / 1000.0
        at = max(0.0, min(at, total - 1.0 / rate))
        pick = ",thumbnail=n=15" if at_ms is None else ""
        graph.append(f"[vout]trim=start={at:.3f},setpts=PTS-STARTPTS{pick}[cover];[aout]anullsink")
        args += ["-filter_complex", ";".join(graph), "-map", "[cover]", "-frames:v", "1", "-q:v", "2"]
        args += ["-update", "1"]
    else:
        args += ["-filter_complex", ";".join(graph), "-map", "[vout]", "-map", "[aout]"]
        args += [*_mp4_encoding(budget, preset, crf), "-r", f"{rate:g}", "-t", f"{total:.3f}"]
    args += ["-progress", "pipe:1", str(out_path)]
    return RenderCommand(args, round(total, 3), w, h, text_files, output_format)


def _mp4_encoding(budget: SizeBudget | None, preset: str, crf: int) -> list[str]:
    """H.264 and AAC as phones play them, at CRF ``crf`` under the size budget's rates when there is one."""
    args = ["-c:v", "libx264", "-preset", preset, "-crf", str(crf)]
    if budget is not None:
        args += ["-maxrate", f"{budget.video_kbps}k", "-bufsize", f"{budget.video_kbps}k"]
    audio_kbps = budget.audio_kbps if budget is not None else AUDIO_KBPS
    return [*args, "-pix_fmt", "yuv420p", "-c:a", "aac", "-b:a", f"{audio_kbps}k", "-ar", "48000", "-ac", "2",
            "-movflags", "+faststart"]


def reencode_command(source: SourceFile, out_path: Path, max_bytes: int, *, ffmpeg: str | None = None,
                     preset: str = "veryfast", crf: int = 23) -> RenderCommand:
    """A finished MP4 again under ``max_bytes``: the same frames and sound at a lower bitrate (and, where
    that is too thin for its picture, a smaller picture of the same shape). A smaller version of a render
    is made from its file, so it is that render whatever the timeline has become since."""
    budget = size_budget(max_bytes, source.duration)
    w, h = fit_to_bitrate(source.width, source.height, budget.video_kbps)
    args = [find_ffmpeg(ffmpeg), "-hide_banner", "-nostdin", "-nostats", "-loglevel", "error", "-y",
            "-i", str(source.path), "-map", "0:v:0", *(["-map", "0:a:0"] if source.has_audio else []),
            "-vf", f"scale={w}:{h}", *_mp4_encoding(budget, preset, crf), "-progress", "pipe:1", str(out_path)]
    return RenderCommand(args, round(source.duration, 3), w, h)


async def render(
    cmd: RenderCommand,
    on_progress: Callable[[float], None] | None = None,
    cancel_event: asyncio.Event | None = None,
    on_start: Callable[[int], None] | None = None,
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
        cmd.args, on_stdout_line=on_line, cancel_event=cancel_event, timeout=max(3600.0, cmd.duration * 20),
        on_start=on_start,
    )
