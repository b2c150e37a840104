"""Media facts (duration, size, fps, rotation, audio) from ``ffmpeg -i`` stderr."""

from __future__ import annotations

import asyncio
import re
from dataclasses import asdict, dataclass
from pathlib import Path, PurePosixPath
from urllib.parse import urlsplit

from core.media.ffmpeg import find_ffmpeg

VIDEO_EXTS = {"mp4", "mov", "avi", "webm", "mkv", "gif"}
IMAGE_EXTS = {"jpg", "jpeg", "png", "webp"}
AUDIO_EXTS = {"mp3", "wav", "m4a", "aac"}

_DURATION = re.compile(r"Duration:\s*(\d+):(\d+):(\d+(?:\.\d+)?)")
_STREAM = re.compile(r"^\s*Stream #\d+:\d+.*?: (Video|Audio): (.*)$")
_SIZE = re.compile(r"(?<![\dx])(\d{2,5})x(\d{2,5})(?![\dx])")
_FPS = re.compile(r"(\d+(?:\.\d+)?)(k?) fps")
_TBR = re.compile(r"(\d+(?:\.\d+)?)(k?) tbr")
_ROTATION = re.compile(r"rotation of (-?\d+(?:\.\d+)?) degrees")
_ROTATE_TAG = re.compile(r"^\s*rotate\s*:\s*(-?\d+)", re.MULTILINE)


@dataclass
class MediaInfo:
    """What ffmpeg tells of one media file."""

    file_type: str  # video | image | audio
    duration: float  # seconds; 0 for still images
    width: int = 0  # displayed (rotation applied)
    height: int = 0
    fps: float = 0.0
    rotation: int = 0
    has_audio: bool = False
    has_video: bool = False

    def as_dict(self) -> dict:
        return asdict(self)


def kind_of(ext: str) -> str | None:
    ext = ext.lower().lstrip(".")
    if ext in VIDEO_EXTS:
        return "video"
    if ext in IMAGE_EXTS:
        return "image"
    if ext in AUDIO_EXTS:
        return "audio"
    return None


def parse_ffmpeg_info(stderr: str, ext: str = "") -> MediaInfo:
    """Parse the banner ``ffmpeg -i`` writes to stderr; raises ValueError if it shows no media stream."""
    duration = 0.0
    m = _DURATION.search(stderr)
    if m:
        duration = int(m.group(1)) * 3600 + int(m.group(2)) * 60 + float(m.group(3))
    width = height = 0
    fps = 0.0
    has_video = has_audio = False
    still = False
    for line in stderr.splitlines():
        sm = _STREAM.match(line)
        if not sm:
            continue
        kind, desc = sm.groups()
        if kind == "Audio":
            has_audio = True
        elif not has_video:
            if "attached pic" in desc:
                continue
            has_video = True
            size = _SIZE.search(desc)
            if size:
                width, height = int(size.group(1)), int(size.group(2))
            rate = _FPS.search(desc) or _TBR.search(desc)
            if rate:
                fps = float(rate.group(1)) * (1000 if rate.group(2) else 1)
            codec = desc.split(",", 1)[0].split(" ", 1)[0]
            still = codec in {"png", "mjpeg", "webp", "bmp", "tiff"} and ext.lower() not in VIDEO_EXTS
    if not has_video and not has_audio:
        raise ValueError("no audio or video stream")
    rotation = 0
    r = _ROTATION.search(stderr)
    if r:
        rotation = round(-float(r.group(1))) % 360
    else:
        t = _ROTATE_TAG.search(stderr)
        if t:
            rotation = int(t.group(1)) % 360
    if rotation in (90, 270):
        width, height = height, width
    if still or ext.lower() in IMAGE_EXTS:
        file_type, duration = "image", 0.0
    elif has_video:
        file_type = "video"
    else:
        file_type = "audio"
    return MediaInfo(
        file_type, round(duration, 3), width, height, round(fps, 3), rotation, has_audio, has_video
    )


async def probe(path: Path | str, ffmpeg: str | None = None, timeout: float = 60) -> MediaInfo:
    """Probe a media file or URL with ``ffmpeg -i`` (no ffprobe needed); raises ValueError if it is not media."""
    args = [find_ffmpeg(ffmpeg), "-hide_banner", "-nostdin", "-i", str(path)]
    proc = await asyncio.create_subprocess_exec(
        *args,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        _, err = await asyncio.wait_for(proc.communicate(), timeout)
    except TimeoutError:
        proc.kill()
        raise ValueError("probing timed out") from None
    ext = PurePosixPath(urlsplit(str(path)).path if "://" in str(path) else str(path)).suffix.lstrip(".")
    return parse_ffmpeg_info(err.decode("utf-8", "replace"), ext)
