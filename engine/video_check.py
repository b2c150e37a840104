"""Checks of a rendered file against another (tests, bench): frames, clean decode, picture likeness."""

from __future__ import annotations

import re
from pathlib import Path

from .ffmpeg import find_ffmpeg, run_sync


def frame_count(path: Path, ffmpeg: str | None = None) -> int:
    """Video frames in the file (its packets, no decoding)."""
    done = run_sync([find_ffmpeg(ffmpeg), "-hide_banner", "-i", str(path), "-map", "0:v:0", "-c", "copy",
                     "-f", "framecrc", "-"])
    return sum(1 for line in done.stdout.decode().splitlines() if line.startswith("0,"))


def duration(path: Path, ffmpeg: str | None = None) -> float:
    done = run_sync([find_ffmpeg(ffmpeg), "-hide_banner", "-i", str(path)])
    m = re.search(r"Duration: (\d+):(\d+):(\d+(?:\.\d+)?)", done.stderr.decode("utf-8", "replace"))
    return int(m.group(1)) * 3600 + int(m.group(2)) * 60 + float(m.group(3)) if m else 0.0


def decode_errors(path: Path, ffmpeg: str | None = None) -> str:
    """What ffmpeg says when decoding the whole file (video and sound); empty when it decodes cleanly."""
    done = run_sync([find_ffmpeg(ffmpeg), "-hide_banner", "-nostdin", "-v", "error", "-i", str(path),
                     "-f", "null", "-"])
    return (done.stderr.decode("utf-8", "replace") + ("" if done.returncode == 0 else " (failed)")).strip()


def psnr(path: Path, reference: Path, every: int = 15, ffmpeg: str | None = None) -> float:
    """The lowest PSNR (dB) of every ``every``-th frame of ``path`` against the same frame of
    ``reference`` (inf when identical); 0.0 when they cannot be compared (different sizes)."""
    pick = f"select='not(mod(n\\,{every}))',setpts=N/TB"
    done = run_sync([find_ffmpeg(ffmpeg), "-hide_banner", "-nostdin", "-i", str(path), "-i", str(reference),
                     "-lavfi", f"[0:v]{pick}[a];[1:v]{pick}[b];[a][b]psnr", "-f", "null", "-"])
    m = re.search(r"PSNR .*? min:(\S+)", done.stderr.decode("utf-8", "replace"))
    if m is None:
        return 0.0
    return float("inf") if m.group(1) == "inf" else float(m.group(1))
