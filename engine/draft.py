"""The NEMO draft (timeline) and pure edits on it.

Short keys, as NEMO's: ``t`` tracks, ``tt`` track type (0 video, 1 audio, 7 text), ``sg`` segments,
``st`` timeline start (ms), ``d`` duration (ms), ``m`` metadata; ``cv`` the canvas. The engine adds
keys of its own (``m.tr`` transition into a segment, ``m.card`` a title-card segment, ``m.pick`` a moment a
highlight reel picked, ``fx`` whole-video fades, ``mute``); readers keep what they do not know.

Every function here is pure: it takes a draft and returns a new one, never touching its argument.
"""

from __future__ import annotations

import copy
import itertools
import math
from collections.abc import Iterable, Sequence
from typing import Any, Literal, overload

from core.nemo.draft import PICKED

from . import captions

VIDEO, AUDIO, TEXT = 0, 1, 7
MIN_SEGMENT_MS = 100
STILL_MS = 3000

Draft = dict[str, Any]
Segment = dict[str, Any]

ASPECTS: dict[str, tuple[int, int]] = {"9:16": (1080, 1920), "1:1": (1080, 1080), "16:9": (1920, 1080)}


def empty_draft() -> Draft:
    return {"t": []}


def clone(draft: Draft | None) -> Draft:
    d = copy.deepcopy(draft) if isinstance(draft, dict) else empty_draft()
    if not isinstance(d.get("t"), list):
        d["t"] = []
    d["t"] = [tr for tr in d["t"] if isinstance(tr, dict)]
    for tr in d["t"]:
        if not isinstance(tr.get("sg"), list):
            tr["sg"] = []
        tr["sg"] = [s for s in tr["sg"] if isinstance(s, dict)]
        for s in tr["sg"]:
            if not isinstance(s.get("m"), dict):
                s["m"] = {}
            s["st"] = _int(s.get("st"), 0)
            s["d"] = max(0, _int(s.get("d"), 0))
    return d


def _int(v: Any, default: int) -> int:
    return round(_num(v, default))


def _num(v: Any, default: float) -> float:
    try:
        f = float(v)
    except (TypeError, ValueError, OverflowError):
        return default
    if not math.isfinite(f):
        return default
    return f


@overload
def track(draft: Draft, tt: int, create: Literal[True]) -> dict[str, Any]: ...
@overload
def track(draft: Draft, tt: int, create: bool = False) -> dict[str, Any] | None: ...
def track(draft: Draft, tt: int, create: bool = False) -> dict[str, Any] | None:
    """The first track of type ``tt`` (created, in NEMO's order, if asked)."""
    for tr in draft["t"]:
        if tr.get("tt") == tt:
            return tr
    if not create:
        return None
    tr = {"tt": tt, "sg": []}
    draft["t"].append(tr)
    draft["t"].sort(key=lambda x: {VIDEO: 0, AUDIO: 1, TEXT: 2}.get(x.get("tt"), 3))
    return tr


def segments(draft: Draft, tt: int) -> list[Segment]:
    tr = track(draft, tt)
    return tr["sg"] if tr else []


def speed_of(seg: Segment) -> float:
    s = _num(seg.get("m", {}).get("speed", 1.0), 1.0)
    return s if 0.05 <= s <= 100 else 1.0


def transition_ms(seg: Segment) -> int:
    tr = seg.get("m", {}).get("tr")
    return max(0, _int(tr.get("d"), 0)) if isinstance(tr, dict) else 0


def total_ms(draft: Draft) -> int:
    """Length of the finished video: the end of the video track, else of any track."""
    vs = segments(draft, VIDEO)
    if vs:
        return max(s["st"] + s["d"] for s in vs)
    ends = [s["st"] + s["d"] for tr in draft["t"] for s in tr["sg"]]
    return max(ends, default=0)


def relayout(draft: Draft) -> Draft:
    """Recompute video start times (segments follow each other, overlapped by transitions) and make
    whole-length music and overflowing text follow the new length."""
    vs = segments(draft, VIDEO)
    pos = 0
    for i, seg in enumerate(vs):
        seg["d"] = max(MIN_SEGMENT_MS, seg["d"])
        if i == 0:
            seg["m"].pop("tr", None)
            seg["st"] = 0
        else:
            t = transition_ms(seg)
            limit = min(vs[i - 1]["d"], seg["d"]) // 2
            if t > 0:
                t = min(t, limit)
                if t < 40:
                    seg["m"].pop("tr", None)
                    t = 0
                else:
                    seg["m"]["tr"]["d"] = t
            seg["st"] = pos - t
        pos = seg["st"] + seg["d"]
    place_captions(draft)
    total = total_ms(draft) if vs else None
    if total is not None:
        for seg in segments(draft, AUDIO):
            if seg["m"].get("full"):
                seg["st"], seg["d"] = 0, total
            elif seg["st"] + seg["d"] > total:
                seg["d"] = max(0, total - seg["st"])
        tr = track(draft, AUDIO)
        if tr:
            tr["sg"] = [s for s in tr["sg"] if s["d"] > 0]
        ttrack = track(draft, TEXT)
        if ttrack:
            for seg in ttrack["sg"]:
                if seg["st"] + seg["d"] > total:
                    seg["d"] = max(0, total - seg["st"])
            ttrack["sg"] = [s for s in ttrack["sg"] if s["d"] >= MIN_SEGMENT_MS]
    return draft


def place_captions(draft: Draft) -> Draft:
    """Captions (text segments anchored to the source they caption) placed where the video track shows that
    source now: trims, speed, cut pauses and loops re-time them; reversed footage drops them."""
    ttr = track(draft, TEXT)
    if not ttr or not any(captions.is_caption(s) and s["m"].get("src") for s in ttr["sg"]):
        return draft
    anchors: dict[tuple[str, int], dict[str, Any]] = {}
    others = []
    for s in ttr["sg"]:
        if captions.is_caption(s) and s["m"].get("src"):
            anchors.setdefault((str(s["m"]["src"]), _int(s["m"].get("sin"), 0)), s["m"])
        else:
            others.append(s)
    placed = []
    for v in segments(draft, VIDEO):
        m = v["m"]
        if m.get("still") or m.get("card") or m.get("rev") or not m.get("src"):
            continue
        sp = speed_of(v)
        a = _int(m.get("in"), 0)
        for (src, _), meta in sorted(anchors.items(), key=lambda kv: kv[0][1]):
            if src == m["src"]:
                seg = captions.place(meta, a, a + round(v["d"] * sp), v["st"], sp)
                if seg is not None:
                    placed.append(seg)
    ttr["sg"] = others + placed
    return draft


def media_segment(info: dict[str, Any], in_ms: int = 0, dur_ms: int | None = None) -> Segment:
    """A video-track segment showing an uploaded file from ``in_ms`` for ``dur_ms``."""
    full = round(_num(info.get("duration"), 0) * 1000)
    if info.get("file_type") == "image" or full <= 0:
        d = dur_ms or STILL_MS
        m = {
            "name": info.get("filename", ""),
            "src": info.get("id", ""),
            "in": 0,
            "speed": 1.0,
            "vol": 1.0,
            "still": True,
        }
    else:
        d = dur_ms if dur_ms is not None else max(0, full - in_ms)
        m = {
            "name": info.get("filename", ""),
            "src": info.get("id", ""),
            "in": in_ms,
            "speed": 1.0,
            "vol": 1.0,
        }
    return {"st": 0, "d": int(d), "m": m}


def visual_media(media: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    return [m for m in media if isinstance(m, dict) and m.get("file_type") in ("video", "image")]


def append_media(draft: Draft, info: dict[str, Any]) -> Draft:
    """Add an uploaded video or image at the end of the video track."""
    d = clone(draft)
    if info.get("file_type") not in ("video", "image"):
        return d
    track(d, VIDEO, create=True)["sg"].append(media_segment(info))
    return relayout(d)


def join(draft: Draft, media: Sequence[dict[str, Any]]) -> Draft:
    """The video track becomes every uploaded clip and image, whole, in upload order."""
    d = clone(draft)
    tr = track(d, VIDEO, create=True)
    tr["sg"] = [media_segment(m) for m in visual_media(media)]
    return relayout(d)


def ensure_footage(draft: Draft | None, media: Sequence[dict[str, Any]]) -> Draft:
    """A draft whose video track is empty (or a session with no draft yet) gets the uploaded footage."""
    d = clone(draft)
    if segments(d, VIDEO) or not visual_media(media):
        return d
    return join(d, media)


def _source_piece(seg: Segment, t0: int, t1: int) -> Segment:
    """The part of ``seg`` between timeline offsets t0..t1 (relative to the segment start)."""
    new = copy.deepcopy(seg)
    new["m"].pop("tr", None)
    if not seg["m"].get("still"):
        new["m"]["in"] = _int(seg["m"].get("in"), 0) + round(t0 * speed_of(seg))
    new["d"] = t1 - t0
    return new


def _flat_positions(vs: list[Segment]) -> list[tuple[int, int]]:
    """Segment spans laid end to end (transition overlaps ignored), for range edits."""
    out, pos = [], 0
    for s in vs:
        out.append((pos, pos + s["d"]))
        pos += s["d"]
    return out


def cut_range(draft: Draft, start_ms: int, end_ms: int) -> Draft:
    """Remove the timeline span start..end (ms); later segments, text and music move up."""
    d = clone(draft)
    start_ms, end_ms = max(0, int(start_ms)), int(end_ms)
    if end_ms <= start_ms:
        return d
    tr = track(d, VIDEO)
    if tr:
        new: list[Segment] = []
        for seg, (a, b) in zip(tr["sg"], _flat_positions(tr["sg"])):
            if b <= start_ms or a >= end_ms:
                new.append(seg)
                continue
            if a < start_ms:
                piece = _source_piece(seg, 0, start_ms - a)
                if "tr" in seg["m"]:
                    piece["m"]["tr"] = seg["m"]["tr"]
                new.append(piece)
            if b > end_ms:
                new.append(_source_piece(seg, end_ms - a, b - a))
        tr["sg"] = [s for s in new if s["d"] >= MIN_SEGMENT_MS]
    removed = end_ms - start_ms
    for tt in (TEXT, AUDIO):
        ttr = track(d, tt)
        if not ttr:
            continue
        kept = []
        for seg in ttr["sg"]:
            if seg["m"].get("full"):
                kept.append(seg)
                continue
            a, b = seg["st"], seg["st"] + seg["d"]
            if b <= start_ms:
                kept.append(seg)
            elif a >= end_ms:
                seg["st"] = a - removed
                kept.append(seg)
            else:
                na = min(a, start_ms)
                nb = max(start_ms, b - removed) if b > end_ms else start_ms
                if nb - na >= MIN_SEGMENT_MS:
                    seg["st"], seg["d"] = na, nb - na
                    kept.append(seg)
        ttr["sg"] = kept
    return relayout(d)


def keep_range(draft: Draft, start_ms: int, end_ms: int) -> Draft:
    """Keep only the timeline span start..end (ms)."""
    total = sum(s["d"] for s in segments(clone(draft), VIDEO)) or total_ms(clone(draft))
    d = cut_range(draft, end_ms, max(end_ms, total))
    return cut_range(d, 0, start_ms)


def _subtract(span: tuple[int, int], holes: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    pieces = [span]
    for h0, h1 in holes:
        nxt = []
        for a, b in pieces:
            if h1 <= a or h0 >= b:
                nxt.append((a, b))
                continue
            if h0 > a:
                nxt.append((a, h0))
            if h1 < b:
                nxt.append((h1, b))
        pieces = nxt
    return pieces


def remove_source_ranges(draft: Draft, ranges: dict[str, list[tuple[int, int]]]) -> Draft:
    """Drop the given source spans (ms, per file id) wherever the video track shows them (cut pauses)."""
    d = clone(draft)
    tr = track(d, VIDEO)
    if not tr:
        return d
    new: list[Segment] = []
    for seg in tr["sg"]:
        holes = ranges.get(seg["m"].get("src", ""), [])
        if not holes or seg["m"].get("still"):
            new.append(seg)
            continue
        sp = speed_of(seg)
        src0 = _int(seg["m"].get("in"), 0)
        src1 = src0 + round(seg["d"] * sp)
        for i, (a, b) in enumerate(_subtract((src0, src1), sorted(holes))):
            t0, t1 = round((a - src0) / sp), round((b - src0) / sp)
            if t1 - t0 < MIN_SEGMENT_MS:
                continue
            piece = _source_piece(seg, t0, t1)
            if i == 0 and "tr" in seg["m"]:
                piece["m"]["tr"] = seg["m"]["tr"]
            new.append(piece)
    tr["sg"] = new
    return relayout(d)


def set_video_ranges(
    draft: Draft, picks: Sequence[tuple[dict[str, Any], int, int]], transition: dict[str, Any] | None = None
) -> Draft:
    """The video track becomes the given (media, source start ms, source end ms) picks, in order, each
    marked as a picked moment (``m.pick``: the bot shows a reel's moments before it renders, and no other
    draft's segments)."""
    d = clone(draft)
    tr = track(d, VIDEO, create=True)
    sg = []
    for i, (info, a, b) in enumerate(picks):
        seg = media_segment(info, int(a), int(b - a))
        seg["m"][PICKED] = True
        if i and transition:
            seg["m"]["tr"] = dict(transition)
        sg.append(seg)
    tr["sg"] = sg
    return relayout(d)


def set_canvas(draft: Draft, aspect: str, fit: str = "crop") -> Draft:
    d = clone(draft)
    w, h = ASPECTS.get(aspect, ASPECTS["16:9"])
    d["cv"] = {"w": w, "h": h, "fit": fit if fit in ("crop", "blur", "pad") else "crop"}
    return d


def add_text(
    draft: Draft, text: str, start_ms: int, dur_ms: int, pos: str = "center", kind: str = "title"
) -> Draft:
    d = clone(draft)
    total = total_ms(d)
    start_ms = max(0, int(start_ms))
    if total and start_ms >= total:
        start_ms = max(0, total - dur_ms)
    if total:
        dur_ms = max(MIN_SEGMENT_MS, min(int(dur_ms), total - start_ms))
    track(d, TEXT, create=True)["sg"].append(
        {"st": start_ms, "d": int(dur_ms), "m": {"text": text, "pos": pos, "kind": kind}}
    )
    return d


def clear_track(draft: Draft, tt: int) -> Draft:
    """Empty one kind of track (all text, or the music)."""
    d = clone(draft)
    tr = track(d, tt)
    if tr:
        tr["sg"] = []
    return d


def clear_text(draft: Draft) -> Draft:
    return clear_track(draft, TEXT)


def add_music(draft: Draft, info: dict[str, Any], volume: float) -> Draft:
    """Background music under the whole video (looped if shorter), replacing earlier music."""
    d = clone(draft)
    tr = track(d, AUDIO, create=True)
    tr["sg"] = [
        {
            "st": 0,
            "d": total_ms(d),
            "m": {
                "title": info.get("filename", "music"),
                "src": info.get("id", ""),
                "in": 0,
                "vol": round(float(volume), 3),
                "full": True,
                "loop": True,
                **({"mood": info["mood"]} if info.get("mood") else {}),  # a library track's mood
            },
        }
    ]
    return relayout(d)


def set_music_volume(draft: Draft, volume: float) -> Draft:
    d = clone(draft)
    for seg in segments(d, AUDIO):
        seg["m"]["vol"] = round(float(volume), 3)
    return d


def remove_music(draft: Draft) -> Draft:
    return clear_track(draft, AUDIO)


def set_speed(draft: Draft, factor: float) -> Draft:
    """Play every video segment at ``factor`` times normal speed; text moves with the picture."""
    d = clone(draft)
    factor = min(4.0, max(0.25, float(factor)))
    ratio_sum_before = total_ms(d)
    for seg in segments(d, VIDEO):
        old = speed_of(seg)
        if seg["m"].get("still"):
            continue
        seg["d"] = round(seg["d"] * old / factor)
        seg["m"]["speed"] = factor
    relayout(d)
    after = total_ms(d)
    if ratio_sum_before and after:
        k = after / ratio_sum_before
        for seg in segments(d, TEXT):
            seg["st"] = round(seg["st"] * k)
            seg["d"] = max(MIN_SEGMENT_MS, round(seg["d"] * k))
    return relayout(d)


def set_speed_range(draft: Draft, start_ms: int, end_ms: int, factor: float) -> Draft:
    """Play the timeline span start..end (ms) at ``factor`` times normal speed (slow motion of a part);
    the rest keeps its speed, and text after the span moves by the change in length."""
    d = clone(draft)
    factor = min(4.0, max(0.25, float(factor)))
    start_ms, end_ms = max(0, int(start_ms)), int(end_ms)
    tr = track(d, VIDEO)
    if not tr or end_ms - start_ms < MIN_SEGMENT_MS:
        return d
    before = total_ms(d)
    new: list[Segment] = []
    for seg, (a, b) in zip(tr["sg"], _flat_positions(tr["sg"])):
        if b <= start_ms or a >= end_ms or seg["m"].get("still") or seg["m"].get("card"):
            new.append(seg)
            continue
        cuts = sorted({0, max(0, start_ms - a), min(b - a, end_ms - a), b - a})
        for k, (t0, t1) in enumerate(itertools.pairwise(cuts)):
            piece = _source_piece(seg, t0, t1)
            if k == 0 and "tr" in seg["m"]:
                piece["m"]["tr"] = seg["m"]["tr"]
            if a + t0 >= start_ms and a + t1 <= end_ms:
                piece["d"] = round(piece["d"] * speed_of(seg) / factor)
                piece["m"]["speed"] = factor
            new.append(piece)
    tr["sg"] = [s for s in new if s["d"] >= MIN_SEGMENT_MS]
    relayout(d)
    grown = total_ms(d) - before
    for seg in segments(d, TEXT):
        if seg["st"] >= end_ms:
            seg["st"] += grown
    return relayout(d)


def set_transitions(draft: Draft, kind: str, dur_ms: int) -> Draft:
    d = clone(draft)
    for i, seg in enumerate(segments(d, VIDEO)):
        if i:
            seg["m"]["tr"] = {"type": kind, "d": int(dur_ms)}
    return relayout(d)


def set_fades(draft: Draft, fade_in_ms: int | None, fade_out_ms: int | None) -> Draft:
    d = clone(draft)
    fx = d.get("fx")
    if not isinstance(fx, dict):
        fx = {}
    if fade_in_ms is not None:
        fx["fade_in"] = int(fade_in_ms)
    if fade_out_ms is not None:
        fx["fade_out"] = int(fade_out_ms)
    d["fx"] = fx
    return d


def set_clip_volume(draft: Draft, volume: float) -> Draft:
    d = clone(draft)
    for seg in segments(d, VIDEO):
        seg["m"]["vol"] = round(float(volume), 3)
    d["mute"] = volume == 0
    if not d["mute"]:
        d.pop("mute")
    return d


def set_max_mb(draft: Draft, mb: float | None) -> Draft:
    """Cap the rendered file at ``mb`` megabytes (10^6 bytes); ``None`` renders at normal quality."""
    d = clone(draft)
    d.pop("maxMB", None)
    if mb is not None:
        d["maxMB"] = round(float(mb), 3)
    return d


def max_mb(draft: Draft) -> float | None:
    value = _num(draft.get("maxMB"), 0)
    return value if value > 0 else None


def storyboard(
    scenes: Sequence[tuple[str, int]],
    aspect: str = "16:9",
    colors: Sequence[str] = ("#1d2433", "#2b1d33", "#1d3330", "#33291d", "#1d2a33"),
) -> Draft:
    """A draft of title cards: one coloured card per (caption, duration ms), its caption on the text track."""
    d = set_canvas(empty_draft(), aspect, "crop")
    v = track(d, VIDEO, create=True)
    t = track(d, TEXT, create=True)
    pos = 0
    for i, (caption, ms) in enumerate(scenes):
        v["sg"].append(
            {
                "st": pos,
                "d": int(ms),
                "m": {"name": f"scene {i + 1}", "card": colors[i % len(colors)], "vol": 1.0},
            }
        )
        t["sg"].append({"st": pos, "d": int(ms), "m": {"text": caption, "pos": "center", "kind": "card"}})
        pos += int(ms)
    return relayout(d)


def summary(draft: Draft) -> str:
    """NEMO's one-line-per-track summary, e.g. ``1. Video: clip.mp4 (0-10s)``."""
    d = clone(draft)
    lines = []
    names = {VIDEO: "Video", AUDIO: "BGM", TEXT: "Title"}
    for tr in d["t"]:
        if not tr["sg"]:
            continue
        tt = tr.get("tt")
        a = min(s["st"] for s in tr["sg"]) / 1000
        b = max(s["st"] + s["d"] for s in tr["sg"]) / 1000
        if tt == VIDEO:
            label = ", ".join(dict.fromkeys(str(s["m"].get("name", "clip")) for s in tr["sg"]))
            lines.append(f"Video: {label} ({a:g}-{b:g}s, {len(tr['sg'])} segment(s))")
        elif tt == AUDIO:
            s = tr["sg"][0]
            lines.append(
                f"BGM: {s['m'].get('title', 'music')} ({a:g}-{b:g}s, "
                f"{round(_num(s['m'].get('vol'), 1) * 100)}%)"
            )
        elif tt == TEXT:
            for s in tr["sg"]:
                lines.append(
                    f'{names[TEXT]}: "{s["m"].get("text", "")}" '
                    f"({s['st'] / 1000:g}-{(s['st'] + s['d']) / 1000:g}s)"
                )
    head = f"Timeline ({len(lines)} tracks):"
    return head + " " + " ".join(f"{i + 1}. {line}" for i, line in enumerate(lines))
