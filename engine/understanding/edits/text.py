"""Text on the video: titles, subtitles, watermarks."""

from __future__ import annotations

import itertools
import re
from dataclasses import replace
from typing import Any

from ..ops import Op
from .base import QUOTE, Clause, Note, Result, _clamp, _r, w
from .ranges import _range

# -- text ---------------------------------------------------------------------------------------------------------
_TEXT_STOP = w(
    r"\s(?:at|for|from|on|in the|during|until|to the|starting|lasting|and|with|then)\s|\s(?:at|for)$|在|持续|从|放在|显示|于|并"
)


def _text_content(c: Clause, kw_end: int) -> str | None:
    q = c.quote()
    if q is not None:
        return q.strip() or None
    rest = c.text[kw_end:]
    low_rest = rest.lower()
    stop = _TEXT_STOP.search(low_rest)
    body = rest[: stop.start()] if stop else rest
    body = re.sub(
        r"^\s*(?:[:：=]|saying|that says|which says|reading|of|called|named|为|是|叫|写着|内容是)\s*",
        "",
        body,
        flags=re.IGNORECASE,
    )
    body = body.strip(" :：-\"'“”「」")
    if not body or len(body) > 120 or re.fullmatch(r"[\d\s.:]*|(?:to|on|in|it|please|pls|too)", body.lower()):
        return None
    return body


def _text(c: Clause, m: re.Match[str]) -> Result:
    marks = list(QUOTE.finditer(c.text))
    if len(marks) > 1:  # 'add title "Day 1" and subtitle "Tokyo"': one text each, its own word before it
        cuts = [0]
        for prev, q in itertools.pairwise(marks):  # each text's part starts at the words that name it
            words = list(m.re.finditer(c.low, prev.end(), q.start()))
            cuts.append(words[-1].start() if words else prev.end())
        ops = []
        for a, b in itertools.pairwise([*cuts, len(c.low)]):
            part = replace(c, text=c.text[a:b], low=c.low[a:b])
            word = m.re.search(part.low)
            r = _text(part, word) if word else None
            if isinstance(r, Op):
                ops.append(r)
        return ops or None
    content = _text_content(c, m.end())
    if not content:
        return None
    kind = "title" if re.search(r"(?<!sub)title|heading|headline|\bcalled\b|\bnamed\b|标题|大字|名为|题为|名叫|叫做", c.low) else "text"
    pos = "center" if kind == "title" else "bottom"
    low = c.low
    if re.search(r"\btop\b|顶部|上方|上面|顶上", low):
        pos = "top"
    elif re.search(r"\bbottom\b|底部|下方|下面|底下", low):
        pos = "bottom"
    elif re.search(r"\bcent(?:er|re)\b|\bmiddle\b|中间|居中|正中", low):
        pos = "center"
    ts = [t for t in c.times() if t.explicit]
    start, dur = 0.0, 3.0
    rng = _range(c, ts)
    if rng:
        start, end = rng
        dur = max(0.5, end - start)
    else:
        for t in ts:
            before = low[max(0, t.start - 12) : t.start]
            if re.search(r"\bfor\s*$|持续\s*$|显示\s*$|\blasting\s*$|\blong\s*$", before) or re.search(
                r"^\s*(?:long|长|的时长)", low[t.end : t.end + 6]
            ):
                dur = t.seconds
            elif re.search(r"[,，、]\s*$", before) and not re.search(r"\b(?:at|from)\b|在|从", low[: t.start]):
                dur = t.seconds  # "add the title 'Finals', 3 seconds": how long it shows, said after a pause
            else:
                start = t.seconds
        if not ts and re.search(r"\b(?:at|in|to) the end\b|\bending\b|结尾|最后|片尾", low) and c.total > 0:
            start = max(0.0, c.total - dur)
    c.used_time = True
    return Op(
        "add_text",
        {
            "text": content,
            "start": _r(start),
            "duration": _r(_clamp(dur, 0.5, 600.0)),
            "pos": pos,
            "kind": kind,
        },
    )


def _clear_text(c: Clause, m: re.Match[str]) -> Result:
    c.claim(m.start(), m.end())
    return Op("clear_text")


def _media_of(c: Clause, kinds: tuple[str, ...], exts: tuple[str, ...]) -> dict[str, Any] | None:
    for info in reversed(list(c.media)):
        name = str(info.get("filename") or "").lower()
        if info.get("file_type") in kinds or name.endswith(exts):
            return info
    return None


def _subtitles(c: Clause, m: re.Match[str]) -> Result:
    srt = _media_of(c, ("subtitle", "subtitles"), (".srt", ".vtt"))
    if c.quote() is not None and srt is None:
        return None  # "add subtitle 'hi'": a caption, not a subtitle file
    if srt is None:
        return Note(
            "Upload the .srt file first, or type the lines with their times, e.g. “subtitles: 0-2 Hello / 2-4 Bye”.",
            "请先上传.srt字幕文件，或写出每行字幕和时间，例如“字幕：0-2 你好 / 2-4 再见”。",
        )
    c.used_time = True
    c.claim(m.start(), m.end())
    return Op("subtitles", {"file_id": srt.get("id")})


_CORNERS = (
    ("top-left", r"top[- ]?left|upper[- ]?left|左上"),
    ("top-right", r"top[- ]?right|upper[- ]?right|右上"),
    ("bottom-left", r"bottom[- ]?left|lower[- ]?left|左下"),
    ("bottom-right", r"bottom[- ]?right|lower[- ]?right|右下"),
)


def _watermark(c: Clause, m: re.Match[str]) -> Result:
    img = _media_of(c, ("image",), (".png", ".jpg", ".jpeg", ".webp"))
    if img is None:
        return Note(
            "Upload the logo image (PNG or JPG) first, then ask again.",
            "请先上传logo图片（PNG或JPG），再说一次。",
        )
    corner = next((name for name, p in _CORNERS if re.search(p, c.low)), "bottom-right")
    opacity = 0.8
    o = re.search(
        r"(\d{1,3})\s?%\s*(?:opacity|opaque|透明度|不透明)|(?:opacity|透明度|不透明度)\D{0,8}(\d{1,3})\s?%",
        c.low,
    )
    if o:
        opacity = int(o.group(1) or o.group(2)) / 100
        if re.search(r"透明度", c.low) and not re.search(r"不透明", c.low):
            opacity = 1 - opacity if o.group(2) else opacity
    elif re.search(r"\b(?:faint|subtle|transparent|see[- ]through)\b|半透明|淡一点|透明", c.low):
        opacity = 0.5
    size = 0.15
    s = re.search(
        r"(\d{1,2})\s?%\s*(?:of the )?(?:width|size|wide|宽|大小)|(?:size|大小|宽度)\D{0,8}(\d{1,2})\s?%",
        c.low,
    )
    if s:
        size = int(s.group(1) or s.group(2)) / 100
    elif re.search(r"\b(?:small|tiny|little)\b|小一点|小的|小", c.low):
        size = 0.1
    elif re.search(r"\b(?:big|large|bigger)\b|大一点|大的|大", c.low):
        size = 0.25
    c.claim_all(w(r"\d{1,4}(?:\.\d{1,3})?\s?%"))
    return Op(
        "watermark",
        {
            "file_id": img.get("id"),
            "corner": corner,
            "opacity": _r(_clamp(opacity, 0.05, 1.0)),
            "size": _r(_clamp(size, 0.02, 0.9)),
        },
    )


