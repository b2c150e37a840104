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
from core.nemo.draft import AUDIO, TEXT, VIDEO, Draft, Segment, Track, text_track_kind
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
TILE_WIDTH = 160  # a filmstrip frame: about 16:9 at the video row's height
TRACK_WORDS = {VIDEO: "pic_track_video", AUDIO: "pic_track_audio", TEXT: "pic_track_text"}
# a text track named by what it holds: titles, captions (and subtitles), or both
TEXT_TRACK_WORDS = {"titles": "pic_track_text", "captions": "pic_track_captions", "mixed": "pic_track_mixed_text"}

SegmentKey = tuple[int, int]  # (track index in the draft, segment index in the track)


@dataclass(slots=True)
class TimelineLayout:
    """Where things were drawn: filmstrip frames, titles with their text, cut lines, speed badges."""

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


def segment_x(seg: Segment, duration_ms: float) -> tuple[int, int]:
    """Where a segment lies across the picture (pixels, left to right) in a timeline ``duration_ms`` long."""
    per_ms = (WIDTH - RIGHT - LEFT) / duration_ms if duration_ms > 0 else 0.0
    x0 = LEFT + int(seg.start_ms * per_ms)
    x1 = max(LEFT + int(seg.end_ms * per_ms), x0 + 2)
    return x0, min(x1, WIDTH - RIGHT)


def tile_count(width: int) -> int:
    """How many filmstrip frames a video segment ``width`` pixels wide shows (one at least)."""
    return max(1, round((width - 2) / TILE_WIDTH))


def filmstrip_times(seg: Segment, tiles: int) -> list[float]:
    """The source time (seconds) each of ``tiles`` frames along a video segment stands for: the middle
    of its stretch of the timeline, through the segment's start in the file (``in``, else the start),
    speed and direction (``rev``); a still shows its one picture throughout."""
    start = (seg.source_in or 0.0) / 1000
    if seg.meta.get("still"):
        return [start] * tiles
    length = seg.duration_ms * seg.speed / 1000
    backwards = bool(seg.meta.get("rev"))
    return [start + length * ((tiles - i - 0.5) if backwards else (i + 0.5)) / tiles for i in range(tiles)]


def filmstrips(draft: Draft) -> dict[SegmentKey, list[float]]:
    """For each video segment of ``draft`` (drawn as it is, so join it first), the source times of the
    frames of its filmstrip, as many as ``timeline_picture`` draws."""
    out: dict[SegmentKey, list[float]] = {}
    for t, track in enumerate(draft.tracks):
        if track.kind != VIDEO:
            continue
        for s, seg in enumerate(track.segments):
            if seg.meta.get("card"):
                continue
            x0, x1 = segment_x(seg, draft.duration_ms)
            out[(t, s)] = filmstrip_times(seg, tile_count(x1 - x0))
    return out


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


def timeline_picture(draft: Draft, lang: str,
                     thumbnails: Mapping[SegmentKey, Sequence[Image.Image | None]] | None = None,
                     loudness: Mapping[SegmentKey, Sequence[float]] | None = None,
                     ) -> tuple[Image.Image, TimelineLayout]:
    """Draw ``draft``; ``thumbnails`` (a video segment's filmstrip frames, at ``filmstrips``' times; ``None``
    for one that could not be read) and ``loudness`` are optional extras keyed by segment."""
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
    y = TOP
    for index, track in tracks:
        height = row_height(track)
        row = (left, y, right, y + height)
        layout.rows.append(row)
        draw.rectangle(row, fill=PANEL)
        word = TRACK_WORDS.get(track.kind, "pic_track_other") if track.kind is not None else "pic_track_other"
        if track.kind == TEXT:
            word = TEXT_TRACK_WORDS[text_track_kind(track)]
        name = say(lang, word)
        label(draw, (16, y + height / 2 - 9), name, 16, LEFT - 24, MUTED)
        for number, seg in enumerate(track.segments):
            x0, x1 = segment_x(seg, draft.duration_ms)
            box = (x0, y + 2, x1, y + height - 2)
            key = (index, number)
            if track.kind == VIDEO:
                _video(image, draw, box, seg, thumbnails.get(key, ()), layout)
            elif track.kind == AUDIO:
                _music(draw, box, seg, loudness.get(key))
            elif track.kind == TEXT:
                _title(draw, box, seg, layout)
            else:
                _block(draw, box, seg, OTHER)
        if track.kind == VIDEO:
            _cuts(draw, track, draft.duration_ms, y, height, layout)
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


def _video(image: Image.Image, draw: ImageDraw.ImageDraw, box: Box, seg: Segment,
           frames: Sequence[Image.Image | None], layout: TimelineLayout) -> None:
    x0, y0, x1, y1 = box
    draw.rectangle((x0, y0, x1 - 1, y1), fill=_card_color(seg) or VIDEO_FILL)
    strip = _filmstrip(image, draw, box, frames, layout)
    span = source_span(seg)
    when = f"{clock(span[0])}–{clock(span[1])}" if span is not None and not seg.meta.get("still") else ""
    room = x1 - x0 - 10 - (52 if seg.speed != 1.0 else 0)
    if strip and room > 20:  # over the frames, on dark tags: the name at the top, the source span at the bottom
        tag(draw, (x0 + 4, y0 + 4), seg.label, 14, width=room)
        if when:
            tag(draw, (x0 + 4, y1 - 24), when, 12, MUTED, width=x1 - x0 - 8)
    elif room > 20:
        label(draw, (x0 + 6, y0 + 6), seg.label, 14, room)
        if when:
            label(draw, (x0 + 6, y0 + 26), when, 12, room, MUTED)
    speed = seg.speed
    if speed != 1.0:
        text = speed_text(speed)
        draw.rectangle((x0, y1 - 4, x1 - 1, y1), fill=SPEED)
        badge = tag(draw, (max(x1 - 48, x0 + 2), y0 + 4), text, 14, (20, 20, 20), SPEED)
        layout.speeds.append((badge, text))


def _filmstrip(image: Image.Image, draw: ImageDraw.ImageDraw, box: Box, frames: Sequence[Image.Image | None],
               layout: TimelineLayout) -> bool:
    """``frames`` side by side along the whole of ``box``, a thin dark line between two; a frame that could
    not be read shows its neighbour's. False (nothing drawn) when there is none at all."""
    shown = _filled(frames)
    x0, y0, x1, y1 = box
    if not shown or x1 - x0 < 6:
        return False
    n = len(shown)
    edges = [x0 + 1 + (x1 - x0 - 2) * i // n for i in range(n + 1)]
    for frame, left, right in zip(shown, edges, edges[1:], strict=False):
        tile = (left, y0 + 1, right, y1 - 1)
        paste_cover(image, frame, tile)
        layout.thumbnails.append(tile)
        if left > x0 + 1:  # a dark seam between two frames, as on film
            draw.rectangle((left, y0 + 1, left + 1, y1 - 2), fill=BACKGROUND)
    return True


def _filled(frames: Sequence[Image.Image | None]) -> list[Image.Image]:
    """``frames`` with each missing one replaced by the nearest one before it (else after it); empty when
    none was read."""
    known = [f for f in frames if f is not None]
    if not known:
        return []
    out: list[Image.Image] = []
    for frame in frames:
        out.append(frame if frame is not None else (out[-1] if out else known[0]))
    return out


def _cuts(draw: ImageDraw.ImageDraw, track: Track, duration_ms: float, y: int, height: int,
          layout: TimelineLayout) -> None:
    """A red line where one video segment meets the next: every seam is a cut."""
    segments = sorted(track.segments, key=lambda s: s.start_ms)
    for before, after in itertools.pairwise(segments):
        if after.start_ms - before.end_ms > 1:
            continue
        x = segment_x(after, duration_ms)[0]
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
