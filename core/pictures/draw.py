"""What every picture shares: colours, fonts by script, times as a clock, text that fits, the
loudness band, the time axis, and the encoding into a JPEG that stays small."""

from __future__ import annotations

import functools
import io
import math
from collections.abc import Sequence

from PIL import Image, ImageDraw, ImageFont

from core.media.fonts import FontNotFoundError, font_for_text
from core.ports import Picture

Color = tuple[int, int, int]
Box = tuple[int, int, int, int]

BACKGROUND: Color = (22, 24, 29)
PANEL: Color = (36, 39, 46)
INK: Color = (236, 238, 242)
MUTED: Color = (150, 156, 168)
VIDEO_FILL: Color = (52, 101, 164)
AUDIO_FILL: Color = (38, 128, 84)
AUDIO_BAND: Color = (120, 220, 150)
TITLE_FILL: Color = (132, 70, 168)
OTHER: Color = (96, 100, 110)
CUT: Color = (235, 64, 52)
SPEED: Color = (245, 190, 40)
SHADE: Color = (0, 0, 0)

MAX_BYTES = 300 * 1024
QUALITIES = (84, 74, 62, 50)


@functools.lru_cache(maxsize=32)
def _truetype(path: str, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(path, size)


def font(size: int, text: str = "") -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    """A font that can draw ``text`` (a CJK font when it has CJK characters), Pillow's own without fonts."""
    try:
        return _truetype(str(font_for_text(text)), size)
    except (FontNotFoundError, OSError):
        return ImageFont.load_default(size)


def clock(seconds: float) -> str:
    """``0:05``, ``12:30``, ``1:02:03``; tenths under ten seconds (``0:03.5``)."""
    seconds = max(seconds, 0.0)
    tenths = round(seconds, 1)
    if tenths < 10 and tenths != int(tenths):
        return f"0:{tenths:04.1f}"
    whole = round(seconds)
    hours, rest = divmod(whole, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60}:{rest % 60:02d}"


def text_width(draw: ImageDraw.ImageDraw, text: str, face: ImageFont.FreeTypeFont | ImageFont.ImageFont) -> float:
    return draw.textlength(text, font=face)


def fit(draw: ImageDraw.ImageDraw, text: str, face: ImageFont.FreeTypeFont | ImageFont.ImageFont,
        width: float) -> str:
    """``text``, cut with an ellipsis to fit ``width`` pixels (empty when not even one letter fits)."""
    if text_width(draw, text, face) <= width:
        return text
    lo, hi = 0, len(text)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if text_width(draw, text[:mid] + "…", face) <= width:
            lo = mid
        else:
            hi = mid - 1
    return text[:lo] + "…" if lo else ""


def label(draw: ImageDraw.ImageDraw, xy: tuple[float, float], text: str, size: int, width: float,
          fill: Color = INK) -> str:
    """Draw ``text`` at ``xy`` in the font for its script, cut to ``width``; returns what was drawn."""
    face = font(size, text)
    shown = fit(draw, text, face, width)
    if shown:
        draw.text(xy, shown, font=face, fill=fill)
    return shown


def tag(draw: ImageDraw.ImageDraw, xy: tuple[int, int], text: str, size: int, fill: Color = INK,
        back: Color = SHADE, width: float | None = None) -> Box:
    """A small label on a dark box (times over frames, speed badges), cut to fit ``width`` pixels when
    given; returns the box (empty, nothing drawn, when not even one letter fits)."""
    face = font(size, text)
    x, y = xy
    if width is not None:
        text = fit(draw, text, face, width - 8)
        if not text:
            return (x, y, x, y)
    w = int(text_width(draw, text, face)) + 8
    box = (x, y, x + w, y + size + 6)
    draw.rectangle(box, fill=back)
    draw.text((x + 4, y + 2), text, font=face, fill=fill)
    return box


def tick_step(seconds: float, pixels: int, min_gap: int = 80) -> float:
    """A round time step (1 s, 2 s, 5 s, 10 s, 15 s, 30 s, 1 min ...) with ticks at least ``min_gap`` apart."""
    if seconds <= 0:
        return 1.0
    for step in (0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600):
        if step / seconds * pixels >= min_gap:
            return float(step)
    return 3600.0 * math.ceil(seconds / 3600 / max(pixels / min_gap, 1))


def axis(draw: ImageDraw.ImageDraw, left: int, right: int, y: int, seconds: float) -> None:
    """Ticks and clock labels along ``y`` for ``seconds`` spread over ``left..right``."""
    step = tick_step(seconds, right - left)
    draw.line((left, y, right, y), fill=MUTED, width=1)
    t = 0.0
    while t <= seconds + 1e-6:
        x = left + (right - left) * (t / seconds if seconds else 0)
        draw.line((x, y, x, y + 5), fill=MUTED, width=1)
        text = clock(t)
        face = font(13, text)
        w = text_width(draw, text, face)
        draw.text((min(max(x - w / 2, left), right - w), y + 7), text, font=face, fill=MUTED)
        t += step


def loudness_band(draw: ImageDraw.ImageDraw, box: Box, values: Sequence[float], color: Color,
                  scale: float = 1.0) -> None:
    """Loudness as bars mirrored around the middle of ``box`` (one bar per pixel column)."""
    x0, y0, x1, y1 = box
    if x1 <= x0 or not values:
        return
    mid = (y0 + y1) / 2
    half = (y1 - y0) / 2 - 1
    n = len(values)
    for x in range(x0, x1):
        v = values[min(int((x - x0) / (x1 - x0) * n), n - 1)] * scale
        h = max(half * min(v, 1.0), 0.5)
        draw.line((x, mid - h, x, mid + h), fill=color)


def paste_fit(canvas: Image.Image, frame: Image.Image, box: Box) -> Box:
    """Paste ``frame`` centred in ``box``, scaled to fit, on a dark letterbox; returns where it went."""
    x0, y0, x1, y1 = box
    w, h = x1 - x0, y1 - y0
    img = frame
    scale = min(w / img.width, h / img.height)
    if abs(scale - 1) * max(img.width, img.height) >= 1:  # a frame grabbed for a smaller cell grows too
        img = img.resize((max(round(img.width * scale), 1), max(round(img.height * scale), 1)))
    ImageDraw.Draw(canvas).rectangle((x0, y0, x1 - 1, y1 - 1), fill=SHADE)
    px, py = x0 + (w - img.width) // 2, y0 + (h - img.height) // 2
    canvas.paste(img, (px, py))
    return (px, py, px + img.width, py + img.height)


def paste_cover(canvas: Image.Image, frame: Image.Image, box: Box) -> None:
    """Fill ``box`` with ``frame`` scaled to cover it and cropped in the middle (timeline thumbnails)."""
    x0, y0, x1, y1 = box
    w, h = x1 - x0, y1 - y0
    if w <= 0 or h <= 0:
        return
    scale = max(w / frame.width, h / frame.height)
    img = frame.resize((max(int(frame.width * scale + 0.5), w), max(int(frame.height * scale + 0.5), h)))
    left, top = (img.width - w) // 2, (img.height - h) // 2
    canvas.paste(img.crop((left, top, left + w, top + h)), (x0, y0))


def frame_grid(image: Image.Image, frames: Sequence[Image.Image | None], captions: Sequence[str], top: int,
               columns: int, cell: tuple[int, int], margin: int = 16, gap: int = 8) -> list[Box]:
    """Frames in rows of ``columns`` from ``top``, each with its caption on a dark tag at the bottom left;
    a missing frame is an empty panel that still shows its caption. Returns the cells' boxes."""
    draw = ImageDraw.Draw(image)
    cw, ch = cell
    cells: list[Box] = []
    for i, frame in enumerate(frames):
        row, col = divmod(i, columns)
        x, y = margin + col * (cw + gap), top + row * (ch + gap)
        box = (x, y, x + cw, y + ch)
        cells.append(box)
        if frame is not None:
            paste_fit(image, frame, box)
        else:
            draw.rectangle((x, y, x + cw - 1, y + ch - 1), fill=PANEL)
        if i < len(captions) and captions[i]:
            tag(draw, (x + 6, y + ch - 26), captions[i], 14)
    return cells


def encode(image: Image.Image, name: str) -> Picture:
    """A JPEG of ``image`` under ``MAX_BYTES`` (lower quality until it fits)."""
    data = b""
    for quality in QUALITIES:
        out = io.BytesIO()
        image.convert("RGB").save(out, "JPEG", quality=quality, optimize=True, progressive=True)
        data = out.getvalue()
        if len(data) <= MAX_BYTES:
            break
    return Picture(data, f"{name}.jpg", image.width, image.height)
