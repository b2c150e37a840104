"""Facts about what NEMO accepts, defined once."""

from __future__ import annotations

from pathlib import PurePath

SUPPORTED_FORMATS: tuple[str, ...] = (
    "mp4", "mov", "avi", "webm", "mkv", "jpg", "png", "gif", "webp", "mp3", "wav", "m4a", "aac", "srt", "vtt",
)
VIDEO_FORMATS = frozenset({"mp4", "mov", "avi", "webm", "mkv"})
AUDIO_FORMATS = frozenset({"mp3", "wav", "m4a", "aac"})
IMAGE_FORMATS = frozenset({"jpg", "png", "gif", "webp"})
SUBTITLE_FORMATS = frozenset({"srt", "vtt"})
MAX_UPLOAD_BYTES = 500 * 1024 * 1024
MIME_EXTENSIONS = {
    "video/mp4": "mp4", "video/quicktime": "mov", "video/x-msvideo": "avi", "video/webm": "webm",
    "video/x-matroska": "mkv", "image/jpeg": "jpg", "image/png": "png", "image/gif": "gif",
    "image/webp": "webp", "audio/mpeg": "mp3", "audio/wav": "wav", "audio/x-wav": "wav",
    "audio/mp4": "m4a", "audio/x-m4a": "m4a", "audio/aac": "aac", "application/x-subrip": "srt",
    "text/vtt": "vtt",
}


def extension(filename: str) -> str:
    """Lower-case extension without the dot; ``jpeg`` counts as ``jpg``."""
    ext = PurePath(filename).suffix.lower().lstrip(".")
    return "jpg" if ext == "jpeg" else ext


def is_supported(filename: str) -> bool:
    return extension(filename) in SUPPORTED_FORMATS
