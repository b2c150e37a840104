"""Captions laid out for a phone, pure: timed words -> cues (at most two lines, a readable line length, at
least a moment on screen), cues placed on the timeline from where they are spoken in the source, the
``.srt`` of what is on the timeline, and the ASS script the renderer burns in (safe area, outline, the word
being spoken highlighted when asked).

A caption is a text-track segment of kind ``caption`` anchored to its source: ``m.src`` (file id),
``m.sin``/``m.sout`` (source ms the cue shows for) and ``m.w`` (its words as ``[text, start ms, end ms]`` in
source time). Where it sits on the timeline is derived from the video track (``place``), so trims, speed
changes, cut pauses and loops re-time captions, and reversed footage drops them. The look lives in
``fx.cap`` (``pos``, ``scale``, ``karaoke``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from core.media.fonts import has_cjk

KIND = "caption"
SUBTITLE = "subtitle"  # lines from an uploaded .srt/.vtt or typed with times: drawn with the caption look
LINE_UNITS = 32  # a line holds 32 Latin characters or 16 CJK ones (a CJK character counts 2)
MAX_LINES = 2
MIN_CUE_MS = 1000  # never shorter than a moment to read
MAX_CUE_MS = 6000
GAP_BREAK_MS = 700  # a pause this long starts a new cue
MIN_PLACED_MS = 300  # a cue cut shorter than this by a later edit leaves the timeline
SCALE_RANGE = (0.6, 1.8)
POSITIONS = ("bottom", "top")
HIGHLIGHT = "&H0000E5FF&"  # ASS colours are BGR: a warm yellow for the word being spoken
_SENTENCE_END = re.compile(r"[.!?。！？…]['\"”’)]*$")


@dataclass(frozen=True)
class TimedWord:
    text: str
    start_ms: int
    end_ms: int


@dataclass(frozen=True)
class CaptionCue:
    """One caption: when it shows (ms, in the time of its words) and its words."""

    start_ms: int
    end_ms: int
    words: tuple[TimedWord, ...]

    @property
    def text(self) -> str:
        return layout([w.text for w in self.words])


# -- text ----------------------------------------------------------------------------------------------------
def _cjk_edge(ch: str) -> bool:
    return has_cjk(ch)


def join(tokens: Sequence[str]) -> str:
    """Tokens as written: a space between Latin words, none beside Chinese characters."""
    out = ""
    for t in tokens:
        if not t:
            continue
        if out and not (_cjk_edge(out[-1]) or _cjk_edge(t[0])):
            out += " "
        out += t
    return out


def units(text: str) -> int:
    """Line length in Latin-character units (a CJK character is as wide as two)."""
    return sum(2 if _cjk_edge(ch) else 1 for ch in text)


def split_lines(tokens: Sequence[str], limit: int = LINE_UNITS) -> list[list[str]] | None:
    """The tokens as one line, or two balanced lines (the break after punctuation where it can be); None when
    they do not fit in two lines."""
    toks = [t for t in tokens if t]
    if units(join(toks)) <= limit or len(toks) <= 1:
        return [toks] if units(join(toks)) <= limit or len(toks) == 1 else None
    best: tuple[float, int] | None = None
    for i in range(1, len(toks)):
        a, b = units(join(toks[:i])), units(join(toks[i:]))
        if a > limit or b > limit:
            continue
        cost = abs(a - b) - (6 if re.search(r"[,;:，；：、.!?。！？]$", toks[i - 1]) else 0)
        if best is None or cost < best[0]:
            best = (cost, i)
    if best is None:
        return None
    return [toks[: best[1]], toks[best[1] :]]


def layout(tokens: Sequence[str], limit: int = LINE_UNITS) -> str:
    """The caption text with its line break (a single overlong token stays on its own line)."""
    lines = split_lines(tokens, limit) or [list(tokens)]
    return "\n".join(join(line) for line in lines)


# -- cues ------------------------------------------------------------------------------------------------------
def cues(words: Sequence[TimedWord]) -> list[CaptionCue]:
    """Timed words grouped into readable cues: a new cue at a pause, a sentence end or when two lines are full;
    cues shorter than MIN_CUE_MS are merged with the next where they fit, else held on screen longer."""
    groups: list[list[TimedWord]] = []
    for w in words:
        if not w.text.strip():
            continue
        cur = groups[-1] if groups else None
        if cur is not None:
            span = cur[-1].end_ms - cur[0].start_ms
            if (
                w.start_ms - cur[-1].end_ms > GAP_BREAK_MS
                or w.end_ms - cur[0].start_ms > MAX_CUE_MS
                or (_SENTENCE_END.search(cur[-1].text) and span >= MIN_CUE_MS)
                or split_lines([x.text for x in [*cur, w]]) is None
            ):
                cur = None
        if cur is None:
            groups.append([w])
        else:
            cur.append(w)
    merged: list[list[TimedWord]] = []
    for g in groups:
        if merged:
            prev = merged[-1]
            short = prev[-1].end_ms - prev[0].start_ms < MIN_CUE_MS or g[-1].end_ms - g[0].start_ms < MIN_CUE_MS
            if (
                short
                and g[0].start_ms - prev[-1].end_ms <= GAP_BREAK_MS
                and g[-1].end_ms - prev[0].start_ms <= MAX_CUE_MS
                and split_lines([x.text for x in [*prev, *g]]) is not None
            ):
                prev.extend(g)
                continue
        merged.append(list(g))
    out: list[CaptionCue] = []
    for i, g in enumerate(merged):
        start, end = g[0].start_ms, g[-1].end_ms
        if end - start < MIN_CUE_MS:  # hold it longer, into the pause after it, then the one before it
            nxt = merged[i + 1][0].start_ms if i + 1 < len(merged) else end + MIN_CUE_MS
            end = max(end, min(start + MIN_CUE_MS, nxt))
            prev_end = out[-1].end_ms if out else 0
            start = min(start, max(prev_end, end - MIN_CUE_MS))
        out.append(CaptionCue(start, end, tuple(g)))
    return out


def anchored(cue: CaptionCue, src: str) -> dict[str, Any]:
    """A caption's text-track metadata, anchored to source ``src`` (times in source ms)."""
    return {
        "text": cue.text,
        "kind": KIND,
        "src": src,
        "sin": int(cue.start_ms),
        "sout": int(cue.end_ms),
        "w": [[w.text, int(w.start_ms), int(w.end_ms)] for w in cue.words],
    }


def words_of(meta: dict[str, Any]) -> list[TimedWord]:
    out = []
    for item in meta.get("w") or []:
        if isinstance(item, list | tuple) and len(item) == 3:
            try:
                out.append(TimedWord(str(item[0]), int(item[1]), int(item[2])))
            except (TypeError, ValueError):
                continue
    return out


def place(meta: dict[str, Any], src_in: int, src_out: int, timeline_start: int, speed: float) -> dict[str, Any] | None:
    """The timeline segment of an anchored caption inside a video segment showing ``src_in..src_out`` (source ms)
    from ``timeline_start`` at ``speed``; None when too little of it is left. Words cut away leave its text."""
    sin, sout = int(meta.get("sin", 0)), int(meta.get("sout", 0))
    lo, hi = max(sin, src_in), min(sout, src_out)
    if hi - lo < MIN_PLACED_MS * speed:
        return None
    words = words_of(meta)
    kept = [w for w in words if src_in <= (w.start_ms + w.end_ms) / 2 < src_out and lo <= (w.start_ms + w.end_ms) / 2 <= hi]
    if words and not kept:
        return None
    st = timeline_start + round((lo - src_in) / speed)
    d = round((hi - lo) / speed)
    m = dict(meta)
    m["text"] = layout([w.text for w in kept]) if words else str(meta.get("text", ""))
    m["at"], m["sp"] = int(lo), round(float(speed), 4)
    return {"st": int(st), "d": int(d), "m": m}


def timeline_words(seg: dict[str, Any]) -> list[TimedWord]:
    """A placed caption's words in timeline ms (those shown in this placement)."""
    m = seg["m"]
    at, sp = int(m.get("at", m.get("sin", 0))), float(m.get("sp", 1.0)) or 1.0
    a, b = seg["st"], seg["st"] + seg["d"]
    out = []
    for w in words_of(m):
        s = seg["st"] + round((w.start_ms - at) / sp)
        e = seg["st"] + round((w.end_ms - at) / sp)
        if a <= (s + e) / 2 <= b:
            out.append(TimedWord(w.text, max(a, s), min(b, e)))
    return out


def is_caption(seg: dict[str, Any]) -> bool:
    return seg.get("m", {}).get("kind") == KIND


def burned(seg: dict[str, Any]) -> bool:
    """Drawn with the caption look (``ass_script``): captions and uploaded or typed subtitles alike."""
    return seg.get("m", {}).get("kind") in (KIND, SUBTITLE)


# -- the .srt ----------------------------------------------------------------------------------------------------
def _stamp(ms: int) -> str:
    ms = max(0, int(ms))
    h, rest = divmod(ms, 3_600_000)
    m, rest = divmod(rest, 60_000)
    s, ms = divmod(rest, 1000)
    return f"{h:02d}:{m:02d}:{s:02d},{ms:03d}"


def srt(segments: Sequence[dict[str, Any]]) -> str:
    """SubRip text of timeline text segments (captions and subtitles), in time order."""
    blocks = []
    for i, s in enumerate(sorted(segments, key=lambda s: s["st"]), 1):
        blocks.append(f"{i}\n{_stamp(s['st'])} --> {_stamp(s['st'] + s['d'])}\n{str(s['m'].get('text', '')).strip()}\n")
    return "\n".join(blocks)


# -- the look ------------------------------------------------------------------------------------------------------
def style_of(fx: dict[str, Any]) -> dict[str, Any]:
    """The caption look (``fx.cap``) with its defaults filled in."""
    found = fx.get("cap")
    cap: dict[str, Any] = found if isinstance(found, dict) else {}
    pos = cap.get("pos") if cap.get("pos") in POSITIONS else "bottom"
    try:
        scale = float(cap.get("scale", 1.0))
    except (TypeError, ValueError):
        scale = 1.0
    scale = min(SCALE_RANGE[1], max(SCALE_RANGE[0], scale))
    return {"pos": pos, "scale": scale, "karaoke": bool(cap.get("karaoke"))}


SAFE_PAD = 0.015  # a little air between the caption's outline and the platform's buttons


def safe_fraction(safe: dict[str, Any] | None, side: str) -> float | None:
    """One edge of the draft's ``safe`` area (the fraction of the picture a platform's buttons cover), or None
    when the draft has none or the value is not a sane fraction."""
    if not isinstance(safe, dict):
        return None
    try:
        value = float(safe[side])
    except (KeyError, TypeError, ValueError):
        return None
    return value if 0.0 <= value < 0.5 else None


def margins(w: int, h: int, pos: str, safe: dict[str, Any] | None = None) -> tuple[int, int, int]:
    """(left, right, vertical) margins in pixels. With the draft's ``safe`` area (a platform recipe) the caption
    keeps out of the platform's buttons and captions; without one, margins by shape: on a tall 9:16 picture
    the bottom fifth is covered by the app's controls and captions (likes, description) and the top by its tabs."""
    tall = h > w * 1.3
    edge = "top" if pos == "top" else "bottom"
    platform_v = safe_fraction(safe, edge)
    if platform_v is not None:
        v = platform_v + SAFE_PAD
    elif pos == "top":
        v = 0.12 if tall else 0.07
    else:
        v = 0.22 if tall else 0.12 if h > w * 0.9 else 0.08
    sides = [safe_fraction(safe, k) for k in ("left", "right")]
    left, right = (int(w * (f + SAFE_PAD)) if f is not None else int(w * 0.08) for f in sides)
    return left, right, int(h * v)


def font_size(w: int, h: int, scale: float) -> int:
    return max(12, int(min(w, h) * 0.05 * scale))


_TOKEN = re.compile(r"[\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef\u3000-\u303f]|[^\s\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef\u3000-\u303f]+")


def _two_lines(text: str) -> list[str]:
    """A subtitle's text as at most two balanced lines (however its file broke them); a text too long for two
    lines of LINE_UNITS gets longer lines, which ``_fit`` then draws smaller."""
    tokens = _TOKEN.findall(text)
    limit = LINE_UNITS
    while (lines := split_lines(tokens, limit)) is None and limit < units(join(tokens)):
        limit += 4
    return [join(line) for line in lines or [tokens]]


def _fit(lines: Sequence[str], avail: int, size: int) -> int:
    """The font size at which the longest line fits ``avail`` pixels (bold Latin ≈ 0.62 em, CJK 1 em)."""
    widest = max((sum(1.0 if _cjk_edge(ch) else 0.62 for ch in ln) for ln in lines), default=1.0)
    return max(10, min(size, int(avail / max(1.0, widest))))


def _ass_time(ms: int) -> str:
    cs = max(0, int(ms)) // 10
    h, rest = divmod(cs, 360_000)
    m, rest = divmod(rest, 6000)
    s, cs = divmod(rest, 100)
    return f"{h}:{m:02d}:{s:02d}.{cs:02d}"


def _ass_escape(text: str) -> str:
    return text.replace("\\", "/").replace("{", "(").replace("}", ")")


def _ass_text(tokens: Sequence[str], lit: int | None) -> str:
    """Tokens laid out in lines as ASS text; token ``lit`` highlighted."""
    lines = split_lines(tokens) or [list(tokens)]
    out_lines, k = [], 0
    for line in lines:
        shown = []
        for t in line:
            piece = _ass_escape(t)
            shown.append("{\\c" + HIGHLIGHT + "}" + piece + "{\\c&HFFFFFF&}" if k == lit else piece)
            k += 1
        out_lines.append(join(shown) if lit is None else _join_marked(line, shown))
    return "\\N".join(out_lines)


def _join_marked(plain: Sequence[str], shown: Sequence[str]) -> str:
    """Join like ``join`` decides from the plain tokens, but with the marked-up ones."""
    out, prev = "", ""
    for p, s in zip(plain, shown, strict=True):
        if out and not (_cjk_edge(prev[-1]) or _cjk_edge(p[0])):
            out += " "
        out += s
        prev = p
    return out


def ass_script(
    segments: Sequence[dict[str, Any]],
    w: int,
    h: int,
    fx: dict[str, Any],
    fonts: tuple[str, str],
    safe: dict[str, Any] | None = None,
) -> str:
    """The ASS script that burns the caption and subtitle segments into a ``w`` x ``h`` picture, one look for
    both, inside the draft's ``safe`` area when it has one. ``fonts``: the family names of the Latin and the
    CJK font. With karaoke on, the word being spoken is drawn in yellow."""
    st = style_of(fx)
    size = font_size(w, h, st["scale"])
    left, right, vert = margins(w, h, st["pos"], safe)
    align = 8 if st["pos"] == "top" else 2
    outline = max(2, round(size * 0.08))
    head = (
        "[Script Info]\nScriptType: v4.00+\n"
        f"PlayResX: {w}\nPlayResY: {h}\nWrapStyle: 2\nScaledBorderAndShadow: yes\n\n"
        "[V4+ Styles]\nFormat: Name, Fontname, Fontsize, PrimaryColour, SecondaryColour, OutlineColour, BackColour, "
        "Bold, Italic, Underline, StrikeOut, ScaleX, ScaleY, Spacing, Angle, BorderStyle, Outline, Shadow, "
        "Alignment, MarginL, MarginR, MarginV, Encoding\n"
    )
    styles = "".join(
        f"Style: {name},{font},{size},&H00FFFFFF,&H00FFFFFF,&H00000000,&H96000000,1,0,0,0,100,100,0,0,1,"
        f"{outline},{max(1, outline // 2)},{align},{left},{right},{vert},1\n"
        for name, font in (("Latin", fonts[0]), ("CJK", fonts[1]))
    )
    events = ["\n[Events]\nFormat: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text"]
    for seg in sorted(segments, key=lambda s: s["st"]):
        text = str(seg["m"].get("text", "")).strip()
        if not text or seg["d"] <= 0:
            continue
        style = "CJK" if has_cjk(text) else "Latin"
        a, b = seg["st"], seg["st"] + seg["d"]
        words = timeline_words(seg) if is_caption(seg) else []
        tokens = [x.text for x in words]
        lines = text.split("\n") if words or is_caption(seg) else _two_lines(text)
        fit = _fit(lines, w - left - right, size)
        prefix = f"{{\\fs{fit}}}" if fit < size else ""
        if not (st["karaoke"] and words):
            body = "\\N".join(_ass_escape(ln) for ln in lines)
            events.append(f"Dialogue: 0,{_ass_time(a)},{_ass_time(b)},{style},,0,0,0,,{prefix}{body}")
            continue
        t = a
        for k, wd in enumerate(words):
            end = words[k + 1].start_ms if k + 1 < len(words) else b
            end = max(end, wd.end_ms) if k + 1 == len(words) else end
            if end <= t:
                continue
            events.append(
                f"Dialogue: 0,{_ass_time(t)},{_ass_time(min(end, b))},{style},,0,0,0,,{prefix}{_ass_text(tokens, k)}"
            )
            t = end
    return head + styles + "\n".join(events) + "\n"
