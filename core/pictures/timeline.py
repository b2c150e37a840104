"""The timeline drawn: every track to scale on one time axis. Video segments show a filmstrip, frames
along their whole length each taken at the source time it stands for (or a labelled block when there is
no frame to show), titles their text, music its loudness, and cuts and speed changes are marked. Drawn
from the draft alone, so NEMO's cloud timelines draw the same way."""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from PIL import Image, ImageColor, ImageDraw

from core.i18n import say
from core.nemo.draft import AUDIO, TEXT, VIDEO, Draft, Segment, Track
from core.pictures import texts as _texts  # noqa: F401 - registers the words drawn here
from core.pictures.draw import (
    AUDIO_BAND,
    AUDIO_FILL,
    BACKGROUND,
    CUT,
    INK,
    MUTED,
    OTHER,
    PANEL,
    SPEED,
    TITLE_FILL,
    VIDEO_FILL,
    Box,
    axis,
    clock,
    label,
    loudness_band,
    paste_cover,
    tag,
)

WIDTH = 1280
LEFT = 120
RIGHT = 24
TOP = 48
GAP = 8
AXIS = 30
ROW_HEIGHT = {VIDEO: 96, AUDIO: 56, TEXT: 48}
OTHER_HEIGHT = 44
TRACK_WORDS = {VIDEO: "pic_track_video", AUDIO: "pic_track_audio", TEXT: "pic_track_text"}

SegmentKey = tuple[int, int]  # (track index in the draft, segment index in the track)


@dataclass(slots=True)
class TimelineLayout:
    """Where things were drawn: thumbnails, titles with their text, cut lines, speed badges."""

    thumbnails: list[Box] = field(default_factory=list)
    titles: list[tuple[Box, str]] = field(default_factory=list)
    cuts: list[int] = field(default_factory=list)
    speeds: list[tuple[Box, str]] = field(default_factory=list)
    rows: list[Box] = field(default_factory=list)


def speed_text(speed: float) -> str:
    return f"{speed:g}×"


def source_span(segment: Segment) -> tuple[float, float] | None:
    """Where in its source file a video segment starts and ends (seconds), when the draft says."""
    start = segment.source_in
    if start is None:
        return None
    return start / 1000, (start + segment.duration_ms * segment.speed) / 1000


def row_height(track: Track) -> int:
    return ROW_HEIGHT.get(track.kind, OTHER_HEIGHT) if track.kind is not None else OTHER_HEIGHT


def music_window(segment: Segment, values: Sequence[float], seconds: float, points: int = 240) -> list[float]:
    """The loudness of the part of its source a music segment plays (from its ``in``, looped when it
    says ``loop``), from the loudness of the whole source (``values`` over ``seconds``)."""
    if not values or seconds <= 0:
        return []
    start = segment.meta.get("in")
    offset = float(start) / 1000 if isinstance(start, (int, float)) and not isinstance(start, bool) else 0.0
    length = segment.duration_ms / 1000 * segment.speed
    loop = bool(segment.meta.get("loop"))
    out = []
    for i in range(points):
        at = offset + length * i / points
        if loop:
            at %= seconds
        out.append(values[min(int(at / seconds * len(values)), len(values) - 1)] if at < seconds else 0.0)
    return out


def drawn_tracks(draft: Draft) -> list[tuple[int, Track]]:
    return [(i, track) for i, track in enumerate(draft.tracks) if track.segments]


def timeline_picture(draft: Draft, lang: str, thumbnails: Mapping[SegmentKey, Image.Image] | None = None,
                     loudness: Mapping[SegmentKey, Sequence[float]] | None = None,
                     ) -> tuple[Image.Image, TimelineLayout]:
    """Draw ``draft``; ``thumbnails`` and ``loudness`` are optional extras keyed by segment."""
    thumbnails = thumbnails or {}
    loudness = loudness or {}
    tracks = drawn_tracks(draft)
    rows_h = sum(row_height(t) + GAP for _, t in tracks) if tracks else 60
    image = Image.new("RGB", (WIDTH, TOP + rows_h + AXIS + 8), BACKGROUND)
    draw = ImageDraw.Draw(image)
    layout = TimelineLayout()
    seconds = draft.duration_ms / 1000
    count = say(lang, "pic_track_one") if len(tracks) == 1 else say(lang, "pic_tracks", count=len(tracks))
    label(draw, (16, 12), say(lang, "pic_timeline_header", duration=clock(seconds), tracks=count), 22, WIDTH - 32)
    if not tracks or draft.duration_ms <= 0:
        label(draw, (LEFT, TOP + 16), say(lang, "pic_empty"), 18, WIDTH - LEFT - RIGHT, MUTED)
        return image, layout
    left, right = LEFT, WIDTH - RIGHT
    per_ms = (right - left) / draft.duration_ms
    y = TOP
    for index, track in tracks:
        height = row_height(track)
        row = (left, y, right, y + height)
        layout.rows.append(row)
        draw.rectangle(row, fill=PANEL)
        word = TRACK_WORDS.get(track.kind, "pic_track_other") if track.kind is not None else "pic_track_other"
        name = say(lang, word)
        label(draw, (16, y + height / 2 - 9), name, 16, LEFT - 24, MUTED)
        for number, seg in enumerate(track.segments):
            x0 = left + int(seg.start_ms * per_ms)
            x1 = max(left + int(seg.end_ms * per_ms), x0 + 2)
            box = (x0, y + 2, min(x1, right), y + height - 2)
            key = (index, number)
            if track.kind == VIDEO:
                _video(image, draw, box, seg, thumbnails.get(key), layout)
            elif track.kind == AUDIO:
                _music(draw, box, seg, loudness.get(key))
            elif track.kind == TEXT:
                _title(draw, box, seg, layout)
            else:
                _block(draw, box, seg, OTHER)
        if track.kind == VIDEO:
            _cuts(draw, track, per_ms, left, y, height, layout)
        y += height + GAP
    axis(draw, left, right, y, seconds)
    return image, layout


def _block(draw: ImageDraw.ImageDraw, box: Box, seg: Segment, color: tuple[int, int, int]) -> None:
    x0, y0, x1, y1 = box
    draw.rectangle((x0, y0, x1 - 1, y1), fill=color)
    label(draw, (x0 + 6, y0 + 4), seg.label, 14, x1 - x0 - 10)


def _card_color(seg: Segment) -> tuple[int, int, int] | None:
    card = seg.meta.get("card")
    if not isinstance(card, str):
        return None
    try:
        rgb = ImageColor.getrgb(card)
    except ValueError:
        return None
    return rgb[0], rgb[1], rgb[2]


def _video(image: Image.Image, draw: ImageDraw.ImageDraw, box: Box, seg: Segment, thumb: Image.Image | None,
           layout: TimelineLayout) -> None:
    x0, y0, x1, y1 = box
    draw.rectangle((x0, y0, x1 - 1, y1), fill=_card_color(seg) or VIDEO_FILL)
    text_left = x0 + 6
    if thumb is not None:
        tw = min(int((y1 - y0) * 16 / 9), x1 - x0 - 2)
        if tw > 4:
            tbox = (x0 + 1, y0 + 1, x0 + 1 + tw, y1 - 1)
            paste_cover(image, thumb, tbox)
            layout.thumbnails.append(tbox)
            text_left = tbox[2] + 6
    speed = seg.speed
    room = x1 - text_left - 4 - (52 if speed != 1.0 else 0)
    if room > 20:
        label(draw, (text_left, y0 + 6), seg.label, 14, room)
        span = source_span(seg)
        if span is not None and not seg.meta.get("still"):
            label(draw, (text_left, y0 + 26), f"{clock(span[0])}–{clock(span[1])}", 12, room, MUTED)
    if speed != 1.0:
        text = speed_text(speed)
        draw.rectangle((x0, y1 - 4, x1 - 1, y1), fill=SPEED)
        badge = tag(draw, (max(x1 - 48, x0 + 2), y0 + 4), text, 14, (20, 20, 20), SPEED)
        layout.speeds.append((badge, text))


def _cuts(draw: ImageDraw.ImageDraw, track: Track, per_ms: float, left: int, y: int, height: int,
          layout: TimelineLayout) -> None:
    """A red line where one video segment meets the next: every seam is a cut."""
    segments = sorted(track.segments, key=lambda s: s.start_ms)
    for before, after in itertools.pairwise(segments):
        if after.start_ms - before.end_ms > 1:
            continue
        x = left + int(after.start_ms * per_ms)
        draw.line((x, y - 3, x, y + height + 1), fill=CUT, width=3)
        draw.polygon([(x - 5, y - 6), (x + 5, y - 6), (x, y)], fill=CUT)
        layout.cuts.append(x)


def _music(draw: ImageDraw.ImageDraw, box: Box, seg: Segment, values: Sequence[float] | None) -> None:
    x0, y0, x1, y1 = box
    draw.rectangle((x0, y0, x1 - 1, y1), fill=AUDIO_FILL)
    volume = seg.volume
    level = (volume / 100 if volume is not None and volume > 1 else volume) if volume is not None else 1.0
    band = (x0 + 1, y0 + 3, x1 - 1, y1 - 3)
    loudness_band(draw, band, list(values) if values else [0.7], AUDIO_BAND, scale=max(min(level, 1.0), 0.05))
    text = seg.label + (f"  {round(level * 100)}%" if volume is not None else "")
    label(draw, (x0 + 6, y0 + 3), text.strip(), 13, x1 - x0 - 10, INK)


def _title(draw: ImageDraw.ImageDraw, box: Box, seg: Segment, layout: TimelineLayout) -> None:
    x0, y0, x1, y1 = box
    draw.rectangle((x0, y0, x1 - 1, y1), fill=TITLE_FILL)
    shown = label(draw, (x0 + 6, y0 + (y1 - y0) / 2 - 10), seg.label, 18, x1 - x0 - 10)
    layout.titles.append((box, shown))
