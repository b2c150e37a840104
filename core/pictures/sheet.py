"""The contact sheet of an upload: a grid of frames with their times, the name, duration and size,
and a strip of the audio's loudness along one time axis."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

from PIL import Image, ImageDraw

from core.i18n import say
from core.media.probe import MediaInfo
from core.pictures import texts as _texts  # noqa: F401 - registers the words drawn here
from core.pictures.draw import (
    AUDIO_BAND,
    BACKGROUND,
    MUTED,
    PANEL,
    Box,
    axis,
    clock,
    frame_grid,
    label,
    loudness_band,
    tag,
)

WIDTH = 1280
COLUMNS = 4
MAX_FRAMES = 12
MAX_CELL_HEIGHT = 720
MARGIN = 16
GAP = 8
HEADER = 52
STRIP = 56
AXIS = 26
LOUDNESS_BUCKETS = 600


@dataclass(slots=True)
class SheetLayout:
    """Where things were drawn, for tests and for anyone cropping: one box per frame cell."""

    cells: list[Box] = field(default_factory=list)
    strip: Box | None = None
    columns: int = COLUMNS


def frame_times(duration: float, file_type: str = "video") -> list[float]:
    """When to take the sheet's frames: the middle of equal parts, about one a second and 12 at most,
    rounded up to whole rows so that a short clip fills the sheet's width (a 3 s clip gives four)."""
    if file_type == "image" or duration <= 0:
        return [0.0]
    if file_type == "audio":
        return []
    count = max(1, min(MAX_FRAMES, int(duration)))
    count = min(MAX_FRAMES, math.ceil(count / COLUMNS) * COLUMNS)
    return [(i + 0.5) * duration / count for i in range(count)]


def exact_frames(duration: float, count: int) -> bool:
    """Are the frames under a second apart? Then seeking to keyframes would show some twice, so each is
    decoded at its own time: only a clip under ``MAX_FRAMES`` seconds, which is cheap to decode."""
    return count > 1 and duration < count


def distinct(frames: Sequence[Image.Image | None], times: Sequence[float],
             ) -> tuple[list[Image.Image | None], list[float]]:
    """Drop a frame that repeats the time of the one before (two times that seek to the same keyframe)."""
    kept: list[Image.Image | None] = []
    kept_times: list[float] = []
    for frame, t in zip(frames, times, strict=False):
        if kept_times and abs(t - kept_times[-1]) < 0.05:
            continue
        kept.append(frame)
        kept_times.append(t)
    return kept, kept_times


def columns_for(count: int) -> int:
    """Columns for ``count`` frames, so that they fill the sheet's width: one per frame up to ``COLUMNS``
    (fewer, larger cells), past that ``COLUMNS`` or one less, whichever leaves fewer cells empty."""
    if count <= COLUMNS:
        return max(count, 1)
    return min((COLUMNS, COLUMNS - 1), key=lambda c: math.ceil(count / c) * c - count)


def cell_size(info: MediaInfo, columns: int = COLUMNS) -> tuple[int, int]:
    """A cell's frame box: its share of the width, as tall as the footage's shape asks (portrait: taller,
    up to 3:4), and never taller than ``MAX_CELL_HEIGHT``."""
    width = (WIDTH - 2 * MARGIN - (columns - 1) * GAP) // columns
    ratio = info.height / info.width if info.width and info.height else 9 / 16
    return width, int(min(max(width * ratio, width * 9 / 16), width * 16 / 9 * 0.75, MAX_CELL_HEIGHT))


def contact_sheet(name: str, info: MediaInfo, frames: Sequence[Image.Image | None], times: Sequence[float],
                  loudness: Sequence[float], lang: str) -> tuple[Image.Image, SheetLayout]:
    """Draw the sheet; a frame that could not be read is a dark cell that still shows its time. The
    frames fill the width: fewer frames get fewer, larger cells (see ``columns_for``)."""
    columns = columns_for(len(frames))
    cw, ch = cell_size(info, columns)
    rows = math.ceil(len(frames) / columns) if frames else 0
    grid_h = rows * (ch + GAP)
    has_strip = bool(loudness)
    height = HEADER + grid_h + (STRIP + AXIS + GAP if has_strip else 0) + MARGIN
    image = Image.new("RGB", (WIDTH, height), BACKGROUND)
    draw = ImageDraw.Draw(image)
    layout = SheetLayout(columns=columns)
    key = "pic_sheet_header" if info.has_video else "pic_sheet_header_audio"
    header = say(lang, key, name=name, duration=clock(info.duration), width=info.width, height=info.height)
    label(draw, (MARGIN, 14), header, 22, WIDTH - 2 * MARGIN)
    layout.cells = frame_grid(image, frames, [clock(t) for t in times], HEADER, columns, (cw, ch), MARGIN, GAP)
    if has_strip:
        top = HEADER + grid_h
        box = (MARGIN, top, WIDTH - MARGIN, top + STRIP)
        draw.rectangle(box, fill=PANEL)
        loudness_band(draw, (MARGIN + 1, top + 4, WIDTH - MARGIN - 1, top + STRIP - 4), loudness, AUDIO_BAND)
        tag(draw, (MARGIN + 4, top + 4), say(lang, "pic_loudness"), 12, MUTED)
        axis(draw, MARGIN, WIDTH - MARGIN, top + STRIP, info.duration)
        layout.strip = box
    return image, layout
