"""Tiny generated media for picture tests: solid colours that change at known times, a tone with a
silence in the middle, so a test can say which frame and which loudness landed where."""

from __future__ import annotations

import subprocess
from pathlib import Path

from core.media.ffmpeg import find_ffmpeg

RED, GREEN, BLUE = (230, 20, 20), (20, 200, 40), (30, 40, 230)
COLOR_SECONDS = 2.0  # each colour lasts this long: red 0-2 s, green 2-4 s, blue 4-6 s


def color_clip(path: Path, size: tuple[int, int] = (160, 90), fps: int = 10) -> Path:
    """A 6 s clip: red, green, blue for two seconds each (a keyframe every second); a tone that is
    silent from 2 s to 4 s."""
    w, h = size
    parts = [f"color=c=0x{r:02x}{g:02x}{b:02x}:s={w}x{h}:r={fps}:d={COLOR_SECONDS}" for r, g, b in (RED, GREEN, BLUE)]
    graph = (";".join(f"{p}[c{i}]" for i, p in enumerate(parts)) + ";[c0][c1][c2]concat=n=3:v=1:a=0[v];"
             "sine=f=440:r=16000:d=6,volume='if(between(t,2,4),0,0.8)':eval=frame[a]")
    args = [find_ffmpeg(), "-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i", "nullsrc=s=16x16:d=0.1",
            "-filter_complex", graph, "-map", "[v]", "-map", "[a]", "-c:v", "libx264", "-preset", "ultrafast",
            "-g", str(fps), "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest", str(path)]
    subprocess.run(args, check=True, capture_output=True, timeout=60)
    return path


def near(pixel: tuple[int, ...], color: tuple[int, int, int], tolerance: int = 40) -> bool:
    return all(abs(int(a) - b) <= tolerance for a, b in zip(pixel[:3], color, strict=False))


def phone_clip(path: Path, seconds: float = 10, size: tuple[int, int] = (320, 240), *, bframes: bool = True) -> Path:
    """Like a phone's recording, but small: 30 fps H.264 with B-frames (or, ``bframes=False``, none, as many
    phones record) and a keyframe every second, a tone."""
    w, h = size
    args = [find_ffmpeg(), "-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i",
            f"testsrc2=s={w}x{h}:r=30:d={seconds}", "-f", "lavfi", "-i", f"sine=f=440:r=48000:d={seconds}",
            "-c:v", "libx264", "-preset", "veryfast", "-g", "30", "-keyint_min", "30", "-sc_threshold", "0",
            "-pix_fmt", "yuv420p", *([] if bframes else ["-bf", "0"]), "-c:a", "aac", "-movflags", "+faststart",
            str(path)]
    subprocess.run(args, check=True, capture_output=True, timeout=120)
    return path
