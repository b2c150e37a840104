"""Fonts by script: shared with the bot's pictures, they live in ``core.media.fonts``."""

import functools
from pathlib import Path

from core.media.fonts import FontNotFoundError, font_for, font_for_text, has_cjk


@functools.lru_cache(maxsize=16)
def font_family(path: Path) -> str:
    """The family name inside a font file (what libass selects a font by), e.g. ``DejaVu Sans``."""
    from PIL import ImageFont

    return str(ImageFont.truetype(str(path), 20).getname()[0])


__all__ = ["FontNotFoundError", "font_family", "font_for", "font_for_text", "has_cjk"]
