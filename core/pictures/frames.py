"""Frames and loudness out of media with one ffmpeg run: every frame a picture needs, from any number of
files or URLs, and the loudness of one of them, in a single process.

Each frame is its own input seeked with ``-ss`` before ``-i`` and ``-noaccurate_seek``: ffmpeg jumps to the
keyframe at or before the time and hands over that frame, so a 10-minute 1080p file costs a dozen
keyframe decodes, not minutes of decoding. A frame asked ``exact`` (a short clip's, closer together than
its keyframes) is decoded from its keyframe up to its time instead. ``showinfo`` tells the time of the
frame actually shown, and that time is the one a picture prints.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import operator
import re
import tempfile
from array import array
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from PIL import Image

from core.media.ffmpeg import find_ffmpeg

LOUDNESS_RATE = 2000  # Hz: plenty for a loudness envelope, and a 10-minute file is 1.2 M samples
SILENCE_DB = -60.0
GRAB_TIMEOUT = 120.0

_SHOWINFO = re.compile(r"\[Parsed_showinfo_(\d+) @ [^\]]+\] n:\s*0 .*?pts_time:\s*(-?[\d.]+)")


@dataclass(frozen=True, slots=True)
class FrameAt:
    """One wanted frame: a file or URL, a time in seconds, and the box it must fit in (pixels). ``exact``:
    decode up to that very time instead of taking the keyframe at or before it (for frames closer
    together than keyframes are, in a short clip)."""

    source: str
    seconds: float
    box: tuple[int, int]
    exact: bool = False


@dataclass(slots=True)
class Grab:
    """What one run brought back: a frame (or ``None``) per request, the time each really shows,
    and the loudness (0..1 per bucket) when it was asked for."""

    frames: list[Image.Image | None]
    times: list[float]
    loudness: list[float] = field(default_factory=list)
    audio_seconds: float = 0.0  # how long the audio the loudness covers is


class FramesUnavailable(RuntimeError):
    """No ffmpeg, or ffmpeg could not read the media: pictures fall back to labelled blocks."""


def _protocols(source: str) -> list[str]:
    """A link is read over the web only (never a local file or another protocol it points to)."""
    remote = source.startswith(("http://", "https://"))
    return ["-protocol_whitelist", "http,https,tcp,tls,crypto" if remote else "file"]


def grab_args(ffmpeg: str, wanted: Sequence[FrameAt], out_dir: Path,
              loudness_of: str | None = None) -> list[str]:
    """The ffmpeg command line for one grab (pure, for tests and the bench)."""
    args = [ffmpeg, "-hide_banner", "-nostdin", "-nostats", "-loglevel", "info", "-y"]
    for want in wanted:
        seek = [] if want.exact else ["-skip_frame", "nokey", "-noaccurate_seek"]
        args += [*_protocols(want.source), *seek, "-ss", f"{max(want.seconds, 0.0):.3f}", "-i", want.source]
    if loudness_of is not None:
        args += [*_protocols(loudness_of), "-vn", "-i", loudness_of]
    chains = []
    for i, want in enumerate(wanted):
        w, h = want.box
        chains.append(f"[{i}:v:0]showinfo,setpts=PTS-STARTPTS,scale={w}:{h}:force_original_aspect_ratio=decrease:"
                      f"flags=bilinear,format=rgb24[v{i}]")
    outputs: list[str] = []
    for i in range(len(wanted)):
        outputs += ["-map", f"[v{i}]", "-frames:v", "1", "-c:v", "bmp", "-f", "image2",
                    str(out_dir / f"f{i}.bmp")]
    if loudness_of is not None:
        outputs += ["-map", f"{len(wanted)}:a:0", "-ac", "1", "-ar", str(LOUDNESS_RATE), "-c:a", "pcm_s16le",
                    "-f", "s16le", str(out_dir / "audio.raw")]
    if chains:
        args += ["-filter_complex", ";".join(chains)]
    return args + outputs


async def grab(wanted: Sequence[FrameAt], *, loudness_of: str | None = None, buckets: int = 0,
               ffmpeg: str | None = None, timeout: float = GRAB_TIMEOUT) -> Grab:
    """Frames (and the loudness of ``loudness_of`` in ``buckets`` buckets) from one ffmpeg run.

    A frame that could not be read is ``None``; raises ``FramesUnavailable`` when ffmpeg is missing
    or produced nothing at all."""
    try:
        exe = find_ffmpeg(ffmpeg)
    except FileNotFoundError as exc:
        raise FramesUnavailable(str(exc)) from None
    with tempfile.TemporaryDirectory(prefix="nemobot-frames-") as tmp:
        out = Path(tmp)
        stderr = await _run(grab_args(exe, wanted, out, loudness_of if buckets > 0 else None), timeout)
        # decoding the frames and summing a long file's samples take the CPU: off the event loop
        frames, loud, audio_seconds = await asyncio.to_thread(
            _read_outputs, out, len(wanted), buckets if loudness_of else 0)
        times = _shown_times(stderr, [w.seconds for w in wanted])
    if wanted and not any(frames) and not loud:
        raise FramesUnavailable("ffmpeg could not read the media")
    return Grab(frames, times, loud, audio_seconds)


async def _run(args: list[str], timeout: float) -> str:
    proc = await asyncio.create_subprocess_exec(
        *args, stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE)
    try:
        _, err = await asyncio.wait_for(proc.communicate(), timeout)
    except TimeoutError:
        await _stop(proc)
        raise FramesUnavailable("ffmpeg took too long") from None
    except BaseException:  # cancelled: never leave ffmpeg running
        await _stop(proc)
        raise
    return err.decode("utf-8", "replace")


async def _stop(proc: asyncio.subprocess.Process) -> None:
    with contextlib.suppress(ProcessLookupError):
        proc.kill()
    with contextlib.suppress(Exception):
        await asyncio.wait_for(proc.wait(), 5)


def _read_outputs(out: Path, count: int, buckets: int) -> tuple[list[Image.Image | None], list[float], float]:
    """The frames ffmpeg wrote (``None`` where it wrote none), the loudness and the seconds of audio it covers."""
    frames = [_load(out / f"f{i}.bmp") if (out / f"f{i}.bmp").exists() else None for i in range(count)]
    raw = out / "audio.raw"
    loud = loudness(raw, buckets) if buckets > 0 else []
    audio_seconds = raw.stat().st_size / 2 / LOUDNESS_RATE if loud else 0.0
    return frames, loud, audio_seconds


def _load(path: Path) -> Image.Image | None:
    try:
        with Image.open(path) as img:
            return img.convert("RGB")
    except OSError:
        return None


def _shown_times(stderr: str, asked: list[float]) -> list[float]:
    """The time of the frame each input really gave (showinfo's ``pts_time``), else the time asked."""
    found = sorted((int(m.group(1)), float(m.group(2))) for m in _SHOWINFO.finditer(stderr))
    times = list(asked)
    for i, (_, pts) in enumerate(found[: len(asked)]):
        times[i] = max(asked[i] + pts, 0.0)  # -ss before -i counts time from the seek point
    return times


def loudness(raw: Path, buckets: int) -> list[float]:
    """Mono 16-bit samples as ``buckets`` loudness values from 0 (silence, -60 dB) to 1 (full scale)."""
    if not raw.exists() or buckets <= 0:
        return []
    samples = array("h")
    samples.frombytes(raw.read_bytes()[: raw.stat().st_size // 2 * 2])
    if not samples:
        return []
    per = len(samples) / buckets
    values = []
    for b in range(buckets):
        chunk = samples[int(b * per): max(int((b + 1) * per), int(b * per) + 1)]
        rms = math.sqrt(sum(map(operator.mul, chunk, chunk)) / len(chunk)) / 32768 if chunk else 0.0
        db = 20 * math.log10(rms) if rms > 0 else SILENCE_DB
        values.append(min(max((db - SILENCE_DB) / -SILENCE_DB, 0.0), 1.0))
    return values
