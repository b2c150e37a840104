"""Reading subtitle files (SubRip ``.srt`` and WebVTT ``.vtt``) into cues."""

from __future__ import annotations

import html
import re

from .effects import Cue

MAX_CUES = 2000
MAX_BYTES = 2 * 1024 * 1024  # a subtitle file larger than this is not read
# hours optional (WebVTT writes ``01:02.500``), a comma (SubRip) or a dot (WebVTT) before the milliseconds; cue
# settings after the end time (``align:start position:10%``) are ignored: captions have one look
_STAMP = r"(?:(\d{1,2}):)?(\d{1,2}):(\d{1,2})[,.](\d{1,3})"
_TIME = re.compile(_STAMP + r"\s*-->\s*" + _STAMP)
_VTT_BLOCK = re.compile(r"^(?:WEBVTT|NOTE|STYLE|REGION)\b")
_TAG = re.compile(r"</?[a-zA-Z][^>]*>|\{\\[^}]*\}")


def _ms(h: str | None, m: str, s: str, frac: str) -> int:
    return ((int(h or 0) * 60 + int(m)) * 60 + int(s)) * 1000 + int(frac.ljust(3, "0")[:3])


def decode(data: bytes) -> str:
    """Subtitle bytes as text: UTF-8 (with or without BOM), UTF-16 with a BOM, else GB18030 (Chinese
    files), else Latin-1."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    for enc in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(enc)
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1")


def parse_srt(text: str) -> list[Cue]:
    """The cues of a SubRip or WebVTT file, in time order; raises ValueError when there is none."""
    cues: list[Cue] = []
    for block in re.split(r"\n\s*\n", text.replace("\r\n", "\n").replace("\r", "\n").strip()):
        lines = [ln.strip() for ln in block.split("\n")]
        if _VTT_BLOCK.match(lines[0]) and not _TIME.search(lines[0]):
            continue  # the WEBVTT header, a comment, a style or region block
        for i, line in enumerate(lines[:3]):
            m = _TIME.search(line)
            if not m:
                continue
            g = m.groups()
            start, end = _ms(*g[:4]), _ms(*g[4:])
            body = html.unescape("\n".join(_TAG.sub("", ln) for ln in lines[i + 1 :] if ln)).strip()
            if body and end > start:
                cues.append(Cue(start, end, body[:300]))
            break
        if len(cues) >= MAX_CUES:
            break
    if not cues:
        raise ValueError(
            "no subtitles found (expected SubRip or WebVTT blocks like '00:00:01,000 --> 00:00:03,000')"
        )
    return sorted(cues, key=lambda c: c.start_ms)


def cues_from_lines(lines: object) -> list[Cue]:
    """Typed lines ``[{"start": s, "end": s, "text": str}, ...]`` as cues; raises ValueError on bad input."""
    if not isinstance(lines, list) or not lines:
        raise ValueError("no subtitle lines")
    out = []
    for item in lines[:MAX_CUES]:
        if not isinstance(item, dict):
            raise ValueError("a subtitle line needs start, end and text")
        start, end = float(item.get("start", 0)), float(item["end"])
        text = str(item.get("text", "")).strip()
        if end <= start or not text:
            raise ValueError(f"the subtitle line {text!r} has no time span")
        out.append(Cue(int(start * 1000), int(end * 1000), text[:300]))
    return sorted(out, key=lambda c: c.start_ms)
