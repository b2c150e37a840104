"""Whole-video effects on the draft, pure like ``engine.draft``.

Where they live in the NEMO-shaped draft:

- ``fx`` (the engine's top-level effects table, beside ``cv``): ``look``, ``adj`` (relative brightness,
  contrast, saturation), ``rot`` + ``mirror`` (orientation), ``zoom``, ``res`` (short side in pixels),
  ``fps``, ``afade_in``/``afade_out`` (ms), ``loudnorm``, ``denoise``, ``wm`` (watermark), next to the
  existing ``fade_in``/``fade_out``.
- ``bars``: black bars as an edit of their own: the width/height of the picture left between them (2.39 =
  cinema letterbox on a 16:9 canvas; below the canvas' own ratio = pillarbox bars at the sides).
- ``out``: the format the next export renders (``gif``, ``mp3``, ``cover`` with ``at`` ms; absent = MP4).
- Reverse and loop change the video track itself (segments reversed with ``m.rev``, or repeated), so the
  timeline and its length say what the video will be; subtitles are text-track segments of kind
  ``subtitle``.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from core.media.fonts import has_cjk

from . import captions as cap
from . import draft as dr

LOOKS = ("bw", "warm", "cool", "sepia", "vintage", "vivid", "film", "dreamy", "moody")
ADJUSTMENTS = ("brightness", "contrast", "saturation")
ADJUST_LIMITS = {"brightness": (-0.6, 0.6), "contrast": (-0.8, 2.0), "saturation": (-1.0, 2.0)}
CORNERS = ("top-left", "top-right", "bottom-left", "bottom-right")
OUTPUT_FORMATS = ("mp4", "gif", "mp3", "cover")
REVERSE_CHUNK_MS = 5000  # reversing buffers a piece's frames: long segments are reversed piece by piece
MAX_LOOP_MS = 10 * 60 * 1000
ZOOM_RANGE = (1.05, 3.0)
FPS_RANGE = (1.0, 60.0)
RES_RANGE = (144, 2160)
BARS_RANGE = (0.3, 3.5)  # the visible picture's width/height: wider than the canvas = letterbox, narrower = pillarbox


@dataclass(frozen=True)
class Cue:
    """One subtitle line: start and end in ms."""

    start_ms: int
    end_ms: int
    text: str


def effects(draft: dr.Draft) -> dict[str, Any]:
    """The draft's effects table (a copy; empty if absent or malformed)."""
    fx = draft.get("fx") if isinstance(draft, dict) else None
    return copy.deepcopy(fx) if isinstance(fx, dict) else {}


def _with_fx(draft: dr.Draft, **changes: Any) -> dr.Draft:
    """A copy of ``draft`` whose ``fx`` has ``changes`` (a value of None removes the key)."""
    d = dr.clone(draft)
    fx = effects(d)
    for key, value in changes.items():
        if value is None:
            fx.pop(key, None)
        else:
            fx[key] = value
    if fx:
        d["fx"] = fx
    else:
        d.pop("fx", None)
    return d


def set_look(draft: dr.Draft, name: str) -> dr.Draft:
    if name not in (*LOOKS, "none"):
        raise ValueError(f"unknown look {name!r}")
    return _with_fx(draft, look=None if name == "none" else name)


def adjust(draft: dr.Draft, steps: dict[str, float]) -> dr.Draft:
    """Add relative steps to brightness/contrast/saturation (0 = as shot); clamped to sane ranges."""
    old = effects(draft).get("adj")
    adj = {k: dr._num(v, 0.0) for k, v in old.items() if k in ADJUSTMENTS} if isinstance(old, dict) else {}
    for key, step in steps.items():
        if key not in ADJUSTMENTS:
            continue
        lo, hi = ADJUST_LIMITS[key]
        adj[key] = round(min(hi, max(lo, adj.get(key, 0.0) + float(step))), 3)
    adj = {k: v for k, v in adj.items() if abs(v) > 1e-6}
    return _with_fx(draft, adj=adj or None)


def orientation(draft: dr.Draft) -> tuple[int, bool]:
    """(clockwise rotation, mirrored): the picture is mirrored left-right first, then rotated."""
    fx = effects(draft)
    return int(dr._num(fx.get("rot"), 0)) % 360, bool(fx.get("mirror"))


def _set_orientation(draft: dr.Draft, rot: int, mirror: bool) -> dr.Draft:
    rot %= 360
    return _with_fx(draft, rot=rot or None, mirror=True if mirror else None)


def rotate(draft: dr.Draft, degrees: int) -> dr.Draft:
    if degrees % 90:
        raise ValueError("rotation must be a multiple of 90 degrees")
    rot, mirror = orientation(draft)
    return _set_orientation(draft, rot + degrees, mirror)


def flip(draft: dr.Draft, axis: str) -> dr.Draft:
    """Mirror the picture as it is seen now. A left-right mirror after rotating by r is the same as
    mirroring first and rotating by -r; an upside-down mirror is a left-right one turned 180 degrees."""
    rot, mirror = orientation(draft)
    if axis == "horizontal":
        return _set_orientation(draft, -rot, not mirror)
    if axis == "vertical":
        return _set_orientation(draft, 180 - rot, not mirror)
    raise ValueError(f"unknown axis {axis!r}")


def zoom(draft: dr.Draft, factor: float, mode: str) -> dr.Draft:
    if mode not in ("punch", "kenburns"):
        raise ValueError(f"unknown zoom mode {mode!r}")
    if factor <= 1.0:
        return _with_fx(draft, zoom=None)
    factor = round(min(ZOOM_RANGE[1], max(ZOOM_RANGE[0], float(factor))), 3)
    return _with_fx(draft, zoom={"factor": factor, "mode": mode})


BARS_MAX_SHARE = 0.4  # of the frame the two bars may cover together


def bars_within(ratio: float, canvas: float) -> float:
    """``ratio`` (the picture left between the bars) brought within what a frame of ``canvas`` (width/height)
    can show with bars covering at most ``BARS_MAX_SHARE`` of it: a 2.39:1 film look on a 9:16 phone frame
    keeps a picture of about 1:1, not a strip across the middle."""
    keep = 1 - BARS_MAX_SHARE
    return round(min(canvas / keep, max(canvas * keep, ratio)), 3)


def refit_bars(draft: dr.Draft, canvas: float) -> dr.Draft:
    """The bars kept within the frame's new shape (after the canvas changed)."""
    fx = draft.get("fx") if isinstance(draft.get("fx"), dict) else {}
    ratio = dr._num(fx.get("bars"), 0.0) if fx else 0.0
    if ratio <= 0:
        return draft
    fitted = bars_within(ratio, canvas)
    return draft if fitted == ratio else set_bars(draft, fitted)


def set_bars(draft: dr.Draft, ratio: float | None) -> dr.Draft:
    """Black bars leaving a picture of ``ratio`` (width/height) in the middle; None or 0 removes them."""
    if not ratio:
        return _with_fx(draft, bars=None)
    return _with_fx(draft, bars=round(min(BARS_RANGE[1], max(BARS_RANGE[0], float(ratio))), 3))


def set_resolution(draft: dr.Draft, height: int) -> dr.Draft:
    return _with_fx(draft, res=int(min(RES_RANGE[1], max(RES_RANGE[0], int(height)))) // 2 * 2)


def set_fps(draft: dr.Draft, fps: float) -> dr.Draft:
    return _with_fx(draft, fps=round(min(FPS_RANGE[1], max(FPS_RANGE[0], float(fps))), 3))


def audio_fade(draft: dr.Draft, in_ms: int | None, out_ms: int | None) -> dr.Draft:
    changes: dict[str, Any] = {}
    if in_ms is not None:
        changes["afade_in"] = max(0, int(in_ms)) or None
    if out_ms is not None:
        changes["afade_out"] = max(0, int(out_ms)) or None
    return _with_fx(draft, **changes)


def set_flag(draft: dr.Draft, key: str, on: bool = True) -> dr.Draft:
    """Switch an on/off audio effect (``loudnorm``, ``denoise``)."""
    return _with_fx(draft, **{key: True if on else None})


def watermark(draft: dr.Draft, file_id: str, corner: str, opacity: float, size: float) -> dr.Draft:
    """Put an uploaded image over the video in a corner; the logo's own still on the video track (added
    when it was uploaded) leaves the timeline."""
    if corner not in CORNERS:
        raise ValueError(f"unknown corner {corner!r}")
    d = _with_fx(
        draft,
        wm={
            "src": file_id,
            "corner": corner,
            "opacity": round(min(1.0, max(0.05, float(opacity))), 3),
            "size": round(min(0.9, max(0.02, float(size))), 3),
        },
    )
    tr = dr.track(d, dr.VIDEO)
    if tr and any(s["m"].get("src") != file_id for s in tr["sg"]):
        tr["sg"] = [s for s in tr["sg"] if not (s["m"].get("still") and s["m"].get("src") == file_id)]
    return dr.relayout(d)


def remove_watermark(draft: dr.Draft) -> dr.Draft:
    return _with_fx(draft, wm=None)


def set_output(draft: dr.Draft, fmt: str, at_ms: int | None = None) -> dr.Draft:
    if fmt not in OUTPUT_FORMATS:
        raise ValueError(f"unknown output format {fmt!r}")
    d = dr.clone(draft)
    if fmt == "mp4":
        d.pop("out", None)
    else:
        d["out"] = {"format": fmt} | ({"at": int(at_ms)} if fmt == "cover" and at_ms is not None else {})
    return d


def output_of(draft: dr.Draft) -> tuple[str, int | None]:
    """(format, cover time ms) the draft asks to be exported as."""
    out = draft.get("out") if isinstance(draft, dict) else None
    if not isinstance(out, dict) or out.get("format") not in OUTPUT_FORMATS:
        return "mp4", None
    at = out.get("at")
    return str(out["format"]), (int(dr._num(at, 0)) if at is not None else None)


def referenced_files(draft: dr.Draft) -> list[str]:
    """Every uploaded file the draft shows or plays: segment sources and the watermark image."""
    d = dr.clone(draft)
    ids = [str(s["m"]["src"]) for tr in d["t"] for s in tr["sg"] if s["m"].get("src")]
    wm = effects(d).get("wm")
    if isinstance(wm, dict) and wm.get("src"):
        ids.append(str(wm["src"]))
    return list(dict.fromkeys(ids))


# timeline-changing edits -------------------------------------------------------------------------


def reverse(draft: dr.Draft) -> dr.Draft:
    """Play the video track backwards: the segment order is reversed and each plays backwards (long
    segments in pieces of at most REVERSE_CHUNK_MS). Reversing twice plays forwards again."""
    d = dr.clone(draft)
    tr = dr.track(d, dr.VIDEO)
    if not tr or not tr["sg"]:
        return d
    pieces: list[dr.Segment] = []
    for seg in tr["sg"]:
        if seg["m"].get("still") or seg["m"].get("card") or seg["d"] <= REVERSE_CHUNK_MS:
            pieces.append(seg)
            continue
        n = -(-seg["d"] // REVERSE_CHUNK_MS)
        bounds = [round(seg["d"] * k / n) for k in range(n + 1)]
        for k in range(n):
            piece = dr._source_piece(seg, bounds[k], bounds[k + 1])
            if k == 0 and "tr" in seg["m"]:
                piece["m"]["tr"] = seg["m"]["tr"]
            pieces.append(piece)
    # a transition belongs to the boundary before its segment; after reversing, that boundary is
    # before the segment that preceded it
    trans = [p["m"].pop("tr", None) for p in pieces]
    out = list(reversed(pieces))
    n = len(out)
    for i, t in enumerate(trans):
        if t is not None and i > 0:
            out[n - i]["m"]["tr"] = t
    for p in out:
        if not (p["m"].get("still") or p["m"].get("card")):
            if p["m"].get("rev"):
                p["m"].pop("rev")
            else:
                p["m"]["rev"] = True
    tr["sg"] = out
    return dr.relayout(d)


def boomerang(draft: dr.Draft) -> dr.Draft:
    """The video plays forwards then backwards (twice as long); text stays where it is, music follows."""
    d = dr.clone(draft)
    tr = dr.track(d, dr.VIDEO)
    if not tr or not tr["sg"]:
        return d
    one = dr.total_ms(d)
    if 2 * one > MAX_LOOP_MS:
        raise ValueError("too long to play twice")
    back = dr.segments(reverse(d), dr.VIDEO)
    for seg in back:
        seg["m"].pop("tr", None)
    tr["sg"] = [*tr["sg"], *back]
    return dr.relayout(d)


def loop(draft: dr.Draft, times: int) -> dr.Draft:
    """The whole timeline (video, and text at its place in each pass) played ``times`` times in total."""
    d = dr.clone(draft)
    tr = dr.track(d, dr.VIDEO)
    if not tr or not tr["sg"] or times <= 1:
        return d
    one = dr.total_ms(d)
    times = max(1, min(int(times), MAX_LOOP_MS // max(1, one)))
    base = [copy.deepcopy(s) for s in tr["sg"]]
    for _ in range(times - 1):
        again = copy.deepcopy(base)
        again[0]["m"].pop("tr", None)
        tr["sg"].extend(again)
    ttr = dr.track(d, dr.TEXT)
    if ttr:
        texts = [copy.deepcopy(s) for s in ttr["sg"]]
        for k in range(1, times):
            for s in texts:
                ttr["sg"].append({**copy.deepcopy(s), "st": s["st"] + k * one})
    return dr.relayout(d)


def set_subtitles(draft: dr.Draft, cues: Sequence[Cue]) -> dr.Draft:
    """Subtitles become text-track segments of kind ``subtitle`` at the bottom, replacing earlier ones."""
    d = dr.clone(draft)
    tr = dr.track(d, dr.TEXT, create=True)
    assert tr is not None
    kept = [s for s in tr["sg"] if s["m"].get("kind") != "subtitle"]
    total = dr.total_ms(d)
    subs = []
    for c in cues:
        start, end = max(0, int(c.start_ms)), int(c.end_ms)
        if total:
            end = min(end, total)
        if end - start < dr.MIN_SEGMENT_MS or not c.text.strip():
            continue
        subs.append(
            {
                "st": start,
                "d": end - start,
                "m": {"text": c.text.strip(), "pos": "bottom", "kind": "subtitle"},
            }
        )
    tr["sg"] = kept + subs
    return d


def subtitle_count(draft: dr.Draft) -> int:
    return sum(1 for s in dr.segments(draft, dr.TEXT) if s["m"].get("kind") == "subtitle")


# captions (``engine.captions``: anchored to their source, placed by ``draft.relayout``) -----------------


def caption_segments(draft: dr.Draft) -> list[dr.Segment]:
    return [s for s in dr.segments(draft, dr.TEXT) if cap.is_caption(s)]


def set_captions(
    draft: dr.Draft, by_source: Sequence[tuple[str, Sequence[cap.CaptionCue]]], karaoke: bool | None = None
) -> dr.Draft:
    """Captions of each source file (cue times in its ms), replacing earlier captions and subtitles; they show
    wherever the video track shows that source."""
    d = dr.clone(draft)
    tr = dr.track(d, dr.TEXT, create=True)
    kept = [s for s in tr["sg"] if s["m"].get("kind") not in (cap.KIND, "subtitle")]
    tr["sg"] = kept + [
        {"st": 0, "d": 0, "m": cap.anchored(c, src)} for src, cues in by_source for c in cues if c.words
    ]
    if karaoke is not None:
        d = caption_style(d, karaoke=karaoke)
    return dr.relayout(d)


def caption_style(
    draft: dr.Draft, *, pos: str | None = None, scale_by: float | None = None, karaoke: bool | None = None
) -> dr.Draft:
    """Change the caption look: position (top/bottom), size (multiplied by ``scale_by``), karaoke on/off."""
    style = cap.style_of(effects(draft))
    if pos is not None:
        if pos not in cap.POSITIONS:
            raise ValueError(f"unknown caption position {pos!r}")
        style["pos"] = pos
    if scale_by is not None:
        lo, hi = cap.SCALE_RANGE
        style["scale"] = round(min(hi, max(lo, style["scale"] * float(scale_by))), 3)
    if karaoke is not None:
        style["karaoke"] = karaoke
    return _with_fx(draft, cap=style)


def fix_caption_words(draft: dr.Draft, old: str, new: str) -> tuple[dr.Draft, int]:
    """Replace ``old`` with ``new`` in the captions' words (whole words for Latin text); a cue whose words change
    in number keeps its time, its new words spread over it. Returns the draft and how many cues changed."""
    from .speech.transcript import split_words

    d = dr.clone(draft)
    latin = not has_cjk(old)
    pattern = re.compile(
        (r"(?<!\w)" + re.escape(old) + r"(?!\w)") if latin else re.escape(old), re.IGNORECASE if latin else 0
    )
    changed = 0
    seen: dict[tuple[str, int], dict[str, Any]] = {}
    for s in caption_segments(d):
        m = s["m"]
        key = (str(m.get("src")), int(dr._num(m.get("sin"), 0)))
        if key in seen:  # the same caption placed twice (a loop): changed once, copied
            m.update(copy.deepcopy(seen[key]))
            continue
        words = cap.words_of(m)
        full = cap.join([w.text for w in words])
        if not pattern.search(full):
            continue
        fixed = pattern.sub(new, full)
        tokens = split_words(fixed, "zh" if has_cjk(fixed) else "en")
        if len(tokens) == len(words):
            timed = [cap.TimedWord(t, w.start_ms, w.end_ms) for t, w in zip(tokens, words, strict=True)]
        elif tokens:
            a, b = words[0].start_ms, words[-1].end_ms
            step = (b - a) / len(tokens)
            timed = [cap.TimedWord(t, round(a + i * step), round(a + (i + 1) * step)) for i, t in enumerate(tokens)]
        else:
            timed = []
        m["w"] = [[t.text, t.start_ms, t.end_ms] for t in timed]
        m["text"] = cap.layout([t.text for t in timed])
        seen[key] = {"w": m["w"], "text": m["text"]}
        changed += 1
    tr = dr.track(d, dr.TEXT)
    if tr:
        tr["sg"] = [s for s in tr["sg"] if not (cap.is_caption(s) and not s["m"].get("w"))]
    return dr.relayout(d), changed


def remove_captions(draft: dr.Draft) -> dr.Draft:
    """Captions and subtitles leave the timeline; titles stay; the caption look is forgotten."""
    d = _with_fx(draft, cap=None)
    tr = dr.track(d, dr.TEXT)
    if tr:
        tr["sg"] = [s for s in tr["sg"] if s["m"].get("kind") not in (cap.KIND, "subtitle")]
    return d
