"""The moments a highlight reel picked, as a strip of frames with their times in the source."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from PIL import Image, ImageDraw

from core.i18n import say
from core.nemo.draft import PICKED, VIDEO, Draft
from core.pictures import texts as _texts  # noqa: F401 - registers the words drawn here
from core.pictures.draw import BACKGROUND, Box, clock, frame_grid, label
from core.pictures.timeline import source_span

WIDTH = 1280
COLUMNS = 6
MAX_MOMENTS = 18
MARGIN = 16
GAP = 8
HEADER = 52


@dataclass(frozen=True, slots=True)
class Moment:
    """One picked moment: which file (by the name the draft gives it), and where in it (seconds)."""

    name: str
    start: float
    end: float

    @property
    def middle(self) -> float:
        return (self.start + self.end) / 2


def picked_moments(draft: Draft, reel: bool = False) -> list[Moment]:
    """The moments a highlight reel picked, where they are in their sources: the video segments marked
    as picked (``m.pick``, the local engine's mark); with ``reel`` (the draft is the cloud's highlights
    skill's, which marks nothing), every video segment cut from a file, when there are two or more.
    Empty for any other draft: a reversed, looped or pause-cut clip is in several segments too."""
    marked: list[Moment] = []
    cut: list[Moment] = []
    for track in draft.tracks:
        if track.kind != VIDEO:
            continue
        for seg in track.segments:
            span = source_span(seg)
            if span is None or seg.meta.get("still") or seg.meta.get("card"):
                continue
            moment = Moment(seg.label, span[0], span[1])
            cut.append(moment)
            if seg.meta.get(PICKED) and moment not in marked:  # a looped reel repeats its moments
                marked.append(moment)
    if marked:
        return marked[:MAX_MOMENTS]
    return cut[:MAX_MOMENTS] if reel and len(cut) >= 2 else []


def cell_size() -> tuple[int, int]:
    width = (WIDTH - 2 * MARGIN - (COLUMNS - 1) * GAP) // COLUMNS
    return width, width * 9 // 16


def highlights_strip(moments: Sequence[Moment], frames: Sequence[Image.Image | None], lang: str,
                     ) -> tuple[Image.Image, list[Box]]:
    """Draw the strip: one cell per moment, captioned with its span in the source."""
    cw, ch = cell_size()
    rows = max(math.ceil(len(moments) / COLUMNS), 1)
    image = Image.new("RGB", (WIDTH, HEADER + rows * (ch + GAP) + MARGIN), BACKGROUND)
    total = sum(m.end - m.start for m in moments)
    header = say(lang, "pic_highlights_header", count=len(moments), duration=clock(total))
    label(ImageDraw.Draw(image), (MARGIN, 14), header, 22, WIDTH - 2 * MARGIN)
    captions = [f"{clock(m.start)}–{clock(m.end)}" + ("" if frame is not None else f"  {m.name}")
                for m, frame in zip(moments, frames, strict=False)]
    cells = frame_grid(image, frames, captions, HEADER, COLUMNS, (cw, ch), MARGIN, GAP)
    return image, cells
