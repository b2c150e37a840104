"""Highlight analysis of long generated 1080p footage: times realtime (target >= 5 on 2 cores).

The analysis is one ffmpeg decode pass at low resolution (scene score + motion + loudness). The footage is
a generated 60 s 1080p sample looped (stream copy) to the wanted length.

    python bench/engine_highlights.py [--minutes 10] [--target 120]
"""

from __future__ import annotations

import argparse
import asyncio
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from engine.analysis import analyze, pick_highlights, silences
from engine.ffmpeg import find_ffmpeg
from engine.sample import sample_clip_args


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--minutes", type=float, default=10.0)
    ap.add_argument("--target", type=float, default=120.0, help="highlight reel length, seconds")
    ap.add_argument(
        "--preset",
        default="veryfast",
        help="x264 preset of the generated footage (ultrafast footage decodes about 2x faster "
        "than camera-like footage; veryfast is closer to real files)",
    )
    args = ap.parse_args()
    seconds = args.minutes * 60
    with tempfile.TemporaryDirectory(prefix="bench-highlights-") as tmp:
        d = Path(tmp)
        t0 = time.perf_counter()
        unit = min(60.0, seconds)
        base = d / "unit.mp4"
        subprocess.run(sample_clip_args(base, unit, (1920, 1080), preset=args.preset), check=True)
        loops = max(0, round(seconds / unit) - 1)
        footage = d / "footage.mp4"
        subprocess.run(
            [
                find_ffmpeg(),
                "-hide_banner",
                "-loglevel",
                "error",
                "-y",
                "-stream_loop",
                str(loops),
                "-i",
                str(base),
                "-c",
                "copy",
                str(footage),
            ],
            check=True,
        )
        print(
            f"generated {seconds / 60:g} min of 1920x1080 footage (x264 {args.preset}) "
            f"in {time.perf_counter() - t0:.1f} s"
        )

        t0 = time.perf_counter()
        an = asyncio.run(analyze(footage, seconds, has_video=True, has_audio=True, video=True))
        took = time.perf_counter() - t0
        print(
            f"analysis (one pass: scdet scene+motion at 320 px, astats loudness): {took:.1f} s "
            f"= {seconds / took:.1f}x realtime (target >= 5)"
        )
        t1 = time.perf_counter()
        picks = pick_highlights([an], args.target, transition=0.3)
        print(
            f"picking a {args.target:g} s reel: {(time.perf_counter() - t1) * 1000:.0f} ms, "
            f"{len(picks)} segments, "
            f"{len(an.cuts)} shot cuts and {len(silences(an))} pauses found"
        )

        t0 = time.perf_counter()
        asyncio.run(analyze(footage, seconds, has_video=True, has_audio=True, video=False))
        took_a = time.perf_counter() - t0
        print(f"audio-only pass (cut pauses): {took_a:.1f} s = {seconds / took_a:.0f}x realtime")


if __name__ == "__main__":
    main()
