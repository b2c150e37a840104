"""Reading subtitle files (SubRip ``.srt``) into cues."""

from __future__ import annotations

import re

from .effects import Cue

MAX_CUES = 2000
MAX_BYTES = 2 * 1024 * 1024  # a subtitle file larger than this is not read
_TIME = re.compile(
    r"(\d{1,2}):(\d{1,2}):(\d{1,2})[,.](\d{1,3})\s*-->\s*(\d{1,2}):(\d{1,2}):(\d{1,2})[,.](\d{1,3})"
)
_TAG = re.compile(r"</?[a-zA-Z][^>]*>|\{\\[^}]*\}")


def _ms(h: str, m: str, s: str, frac: str) -> int:
    return ((int(h) * 60 + int(m)) * 60 + int(s)) * 1000 + int(frac.ljust(3, "0")[:3])


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
    """The cues of a SubRip file, in time order; raises ValueError when there is none."""
    cues: list[Cue] = []
    for block in re.split(r"\n\s*\n", text.replace("\r\n", "\n").replace("\r", "\n").strip()):
        lines = [ln.strip() for ln in block.split("\n")]
        for i, line in enumerate(lines[:3]):
            m = _TIME.search(line)
            if not m:
                continue
            g = m.groups()
            start, end = _ms(*g[:4]), _ms(*g[4:])
            body = "\n".join(_TAG.sub("", ln) for ln in lines[i + 1 :] if ln).strip()
            if body and end > start:
                cues.append(Cue(start, end, body[:300]))
            break
        if len(cues) >= MAX_CUES:
            break
    if not cues:
        raise ValueError("no subtitles found (expected SubRip blocks like '00:00:01,000 --> 00:00:03,000')")
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
