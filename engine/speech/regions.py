"""Where someone speaks: a voice activity detector over 30 ms frames (pocketsphinx's WebRTC-style VAD where
installed, loudness otherwise), smoothed into regions. Silence is never part of a region."""

from __future__ import annotations

import array
import asyncio
import math
from pathlib import Path

from .audio import BYTES_PER_SECOND, SAMPLE_RATE, pcm16k

FRAME = 0.03  # seconds
QUIET_DBFS = -50.0  # a frame quieter than this is silence whatever the VAD says
ABOVE_FLOOR_DB = 3.0  # ... and so is one within this much of the clip's steady noise floor
BRIDGE = 0.3  # pauses shorter than this (between words) stay inside a region
SHORTEST = 0.1  # regions shorter than this (clicks) are dropped


def _level_dbfs(frame: bytes) -> float:
    samples = array.array("h", frame)
    if not samples:
        return -120.0
    mean_square = sum(s * s for s in samples) / len(samples)
    return 10 * math.log10(mean_square / 32768.0**2 + 1e-12)


def _vad() -> object | None:
    try:
        import pocketsphinx  # type: ignore[import-untyped]
    except ImportError:
        return None
    return pocketsphinx.Vad(pocketsphinx.Vad.LOOSE, SAMPLE_RATE, FRAME)


def frames_voiced(pcm: bytes) -> list[bool]:
    """One verdict per 30 ms frame: is someone speaking? A frame must be louder than QUIET_DBFS and than the
    clip's own noise floor (its quietest tenth) by ABOVE_FLOOR_DB, and the VAD must call it speech."""
    vad = _vad()
    size = int(FRAME * BYTES_PER_SECOND)
    if vad is not None:
        size = vad.frame_bytes  # type: ignore[attr-defined]
    frames = [pcm[offset:offset + size] for offset in range(0, len(pcm) - size + 1, size)]
    levels = [_level_dbfs(frame) for frame in frames]
    if not levels:
        return []
    floor = sorted(levels)[len(levels) // 10]
    threshold = max(QUIET_DBFS, floor + ABOVE_FLOOR_DB)
    return [level > threshold and (vad is None or bool(vad.is_speech(frame)))  # type: ignore[attr-defined]
            for frame, level in zip(frames, levels, strict=True)]


def regions_from_pcm(pcm: bytes) -> list[tuple[float, float]]:
    """Speech regions (seconds) of 16 kHz s16le samples."""
    voiced = frames_voiced(pcm)
    runs: list[list[float]] = []
    for i, v in enumerate(voiced):
        if not v:
            continue
        start, end = i * FRAME, (i + 1) * FRAME
        if runs and start - runs[-1][1] < BRIDGE:
            runs[-1][1] = end
        else:
            runs.append([start, end])
    return [(round(s, 3), round(e, 3)) for s, e in runs if e - s >= SHORTEST]


async def speech_regions(audio: Path, *, ffmpeg_bin: str | None = None) -> list[tuple[float, float]]:
    """Where someone speaks in a media file (seconds); never silence."""
    pcm = await pcm16k(audio, ffmpeg_bin=ffmpeg_bin)
    return await asyncio.to_thread(regions_from_pcm, pcm)
