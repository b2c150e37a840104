"""Finding the ffmpeg binary: imageio-ffmpeg's static build when installed, else the system's."""

from __future__ import annotations

import contextlib
import functools
import shutil
from pathlib import Path


@functools.lru_cache(maxsize=8)
def find_ffmpeg(override: str | None = None) -> str:
    """The ffmpeg binary: the override, imageio-ffmpeg's static build, else the system's."""
    if override:
        if Path(override).exists() or shutil.which(override):
            return shutil.which(override) or override
        raise FileNotFoundError(f"ffmpeg not found at {override!r}")
    with contextlib.suppress(Exception):  # imageio-ffmpeg is optional: fall back to the system's
        import imageio_ffmpeg  # type: ignore[import-untyped]

        exe = imageio_ffmpeg.get_ffmpeg_exe()
        if exe and Path(exe).exists():
            return exe
    exe = shutil.which("ffmpeg")
    if exe:
        return exe
    raise FileNotFoundError(
        "ffmpeg not found: install the engine extra (pip install 'nemobot[engine]') or Debian's ffmpeg"
    )
