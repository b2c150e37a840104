"""A generated sample clip with shot changes, loud bursts and silences, for demos and tests."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path

from .ffmpeg import find_ffmpeg, run, run_sync

SHOT_SECONDS = 5.0
BLOCK_SECONDS = 10.0


@dataclass(frozen=True)
class SampleLayout:
    """Where the sample clip's shots, silences and loud bursts are (seconds)."""

    cuts: list[float]
    silences: list[tuple[float, float]]
    loud: list[tuple[float, float]]


def sample_layout(seconds: float) -> SampleLayout:
    """Shots change every 5 s; in each 10 s block, 3-5 s is silent and, in odd blocks, 7-9 s is loud."""
    cuts = [
        k * SHOT_SECONDS for k in range(1, int(seconds // SHOT_SECONDS) + 1) if k * SHOT_SECONDS < seconds
    ]
    silences: list[tuple[float, float]] = []
    loud: list[tuple[float, float]] = []
    block = 0
    while block * BLOCK_SECONDS < seconds:
        b = block * BLOCK_SECONDS
        if b + 3 < seconds:
            silences.append((b + 3, min(b + 5, seconds)))
        if block % 2 == 1 and b + 7 < seconds:
            loud.append((b + 7, min(b + 9, seconds)))
        block += 1
    return SampleLayout(cuts, silences, loud)


_SOURCES = (
    "testsrc2=s={w}x{h}:r=30",
    "smptebars=s={w}x{h}:r=30",
    # the two costly generators run at quarter size and are scaled up
    "mandelbrot=s={qw}x{qh}:r=10,fps=30,scale={w}:{h}:flags=fast_bilinear",
    "life=s={qw}x{qh}:r=30:mold=10:ratio=0.1:life_color=#00ff88:death_color=#aa2244,scale={w}:{h}:flags=neighbor",
    "color=c=0x2050a0:s={w}x{h}:r=30",
)

# talk-level tone, silent 3-5 s of each 10 s block, a loud 2-tone burst 7-9 s of odd blocks
_AUDIO = (
    "aevalsrc='if(between(mod(t,10),3,5),0,"
    "if(between(mod(t,10),7,9)*mod(floor(t/10),2),0.85*sin(2*PI*660*t)*(0.6+0.4*sin(2*PI*7*t)),"
    "0.12*sin(2*PI*220*t)*(0.7+0.3*sin(2*PI*3*t))))':s=48000:d={d}"
)


def sample_clip_args(
    path: Path,
    seconds: float = 40,
    size: tuple[int, int] = (1280, 720),
    ffmpeg: str | None = None,
    preset: str = "ultrafast",
) -> list[str]:
    """The one ffmpeg command that writes the sample clip."""
    w, h = (int(size[0]) // 2 * 2, int(size[1]) // 2 * 2)
    n_shots = max(1, int(-(-seconds // SHOT_SECONDS)))
    args = [find_ffmpeg(ffmpeg), "-hide_banner", "-loglevel", "error", "-y"]
    parts = []
    for i in range(n_shots):
        d = min(SHOT_SECONDS, seconds - i * SHOT_SECONDS)
        src = _SOURCES[i % len(_SOURCES)].format(w=w, h=h, qw=max(16, w // 8 * 2), qh=max(16, h // 8 * 2))
        args += ["-f", "lavfi", "-t", f"{d:.3f}", "-i", src]
        parts.append(f"[{i}:v]format=yuv420p,setsar=1[v{i}]")
    args += ["-f", "lavfi", "-i", _AUDIO.format(d=f"{seconds:.3f}")]
    graph = ";".join(parts) + ";" + "".join(f"[v{i}]" for i in range(n_shots))
    graph += f"concat=n={n_shots}:v=1:a=0[v];[{n_shots}:a]aformat=channel_layouts=stereo[a]"
    args += [
        "-filter_complex",
        graph,
        "-map",
        "[v]",
        "-map",
        "[a]",
        "-c:v",
        "libx264",
        "-preset",
        preset,
        "-crf",
        "26",
        "-g",
        "60",
        "-pix_fmt",
        "yuv420p",
        "-c:a",
        "aac",
        "-b:a",
        "96k",
        "-movflags",
        "+faststart",
        "-t",
        f"{seconds:.3f}",
        str(path),
    ]
    return args


def make_sample_clip(path: Path, seconds: float = 40, size: tuple[int, int] = (1280, 720)) -> Path:
    """Write a sample MP4 (shot changes, loud bursts, silences) with ffmpeg's generators; return its path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    result = run_sync(sample_clip_args(path, seconds, size))
    if result.returncode != 0:
        raise RuntimeError(
            f"ffmpeg failed to make the sample clip: {result.stderr.decode(errors='replace')[-800:]}"
        )
    return path


async def make_sample_clip_async(
    path: Path, seconds: float = 40, size: tuple[int, int] = (1280, 720)
) -> Path:
    """Like make_sample_clip, without blocking the event loop."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    await run(sample_clip_args(path, seconds, size))
    return path


def make_tone(path: Path, seconds: float = 10, freq: float = 523.0, volume: float = 0.5) -> Path:
    """Write a steady tone (a stand-in for background music) as MP3/WAV/M4A by the path's suffix."""
    path = Path(path)
    args = [
        find_ffmpeg(),
        "-hide_banner",
        "-loglevel",
        "error",
        "-y",
        "-f",
        "lavfi",
        "-i",
        f"sine=f={freq}:r=44100:d={seconds}",
        "-af",
        f"volume={volume}",
        str(path),
    ]
    result = run_sync(args)
    if result.returncode != 0:
        raise RuntimeError(result.stderr.decode(errors="replace")[-800:])
    return path


if __name__ == "__main__":  # pragma: no cover
    import sys

    out = make_sample_clip(Path(sys.argv[1] if len(sys.argv) > 1 else "sample.mp4"))
    print(out)
    del asyncio
