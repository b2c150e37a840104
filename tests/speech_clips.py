"""Clips with real speech for caption tests: festival's ``text2wave`` speaks a text, ffmpeg puts it under a
generated picture (optionally with noise over it)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from core.media.ffmpeg import find_ffmpeg

ENGLISH = "Hello everyone and welcome to my channel. Today we are going to cook a very tasty pasta dinner together."


def has_festival() -> bool:
    return shutil.which("text2wave") is not None


def speech_clip(path: Path, text: str = ENGLISH, size: tuple[int, int] = (320, 180), *, noise: float = 0.0,
                lead: float = 0.5) -> Path:
    """An MP4 of ``text`` spoken after ``lead`` seconds of silence, over a flat dark blue picture (caption pixels
    stand out); ``noise`` (0..1) adds white noise over the speech."""
    wav = path.with_suffix(".wav")
    subprocess.run(["text2wave", "-o", str(wav)], input=text.encode(), check=True, capture_output=True)
    w, h = size
    audio = f"[1:a]adelay={int(lead * 1000)}:all=1,apad=pad_dur=0.7[sp]"
    mix = "[sp]anull[a]"
    extra: list[str] = []
    if noise > 0:
        extra = ["-f", "lavfi", "-i", f"anoisesrc=c=white:a={noise}:r=16000"]
        mix = "[sp][2:a]amix=inputs=2:duration=first:normalize=0[a]"
    subprocess.run(
        [find_ffmpeg(), "-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i",
         f"color=c=0x203048:s={w}x{h}:r=15", "-i", str(wav), *extra,
         "-filter_complex", f"{audio};{mix}", "-map", "0:v", "-map", "[a]", "-shortest",
         "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac", str(path)],
        check=True, capture_output=True)
    wav.unlink(missing_ok=True)
    return path
