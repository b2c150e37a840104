"""Media facts from ``ffmpeg -i``: shared with the bot, they live in ``core.media.probe``."""

from core.media.probe import AUDIO_EXTS, IMAGE_EXTS, VIDEO_EXTS, MediaInfo, kind_of, parse_ffmpeg_info, probe

__all__ = ["AUDIO_EXTS", "IMAGE_EXTS", "VIDEO_EXTS", "MediaInfo", "kind_of", "parse_ffmpeg_info", "probe"]
