"""Fonts by script: shared with the bot's pictures, they live in ``core.media.fonts``."""

from core.media.fonts import FontNotFoundError, font_for, font_for_text, has_cjk

__all__ = ["FontNotFoundError", "font_for", "font_for_text", "has_cjk"]
