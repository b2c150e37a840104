"""Three of the new edits rendered by the engine against one hand-written ffmpeg command each, for the same
output, runs alternating between the two sides; medians and spread (goal: engine / hand-written <= 1.1).

1. black and white + rotate 90 degrees;  2. reverse (video and sound);  3. subtitles from a .srt file.

The engine side is the command the render queue runs (``engine.render.build_command``) for the draft the
edits produce; the hand-written side is the one-liner a person would type for the same result.

    python bench/engine_edits.py [--seconds 10] [--height 720] [--runs 3]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from engine import draft as dr
from engine import effects as ef
from engine.ffmpeg import filter_path, find_ffmpeg, run
from engine.render import SourceFile, build_command, render
from engine.sample import make_sample_clip
from engine.subtitles import parse_srt

ENCODE = ["-c:v", "libx264", "-preset", "veryfast", "-crf", "23", "-pix_fmt", "yuv420p", "-r", "30"]
ENCODE += ["-c:a", "aac", "-b:a", "128k", "-ar", "48000", "-ac", "2", "-movflags", "+faststart"]


def srt_text(seconds: float) -> str:
    """One subtitle line every 2 s."""
    blocks = []
    for i, t in enumerate(range(0, int(seconds) - 1, 2)):
        blocks.append(f"{i + 1}\n00:00:{t:02d},200 --> 00:00:{t + 1:02d},800\nLine number {i + 1}\n")
    return "\n".join(blocks)


def hand_args(edit: str, clip: Path, srt: Path, out: Path) -> list[str]:
    head = [find_ffmpeg(), "-hide_banner", "-loglevel", "error", "-y", "-i", str(clip)]
    if edit == "bw+rotate":
        return [*head, "-vf", "transpose=clock,hue=s=0", *ENCODE, str(out)]
    if edit == "reverse":
        return [*head, "-vf", "reverse", "-af", "areverse", *ENCODE, str(out)]
    return [*head, "-vf", f"subtitles={filter_path(srt)}", *ENCODE, str(out)]


def engine_draft(edit: str, clip_info: dict, srt: Path) -> dr.Draft:
    d = dr.append_media(dr.empty_draft(), clip_info)
    if edit == "bw+rotate":
        return ef.rotate(ef.set_look(d, "bw"), 90)
    if edit == "reverse":
        return ef.reverse(d)
    return ef.set_subtitles(d, parse_srt(srt.read_text()))


async def timed(fn: Callable[[], object]) -> float:
    t0 = time.perf_counter()
    await fn()  # type: ignore[misc]
    return time.perf_counter() - t0


EDITS = ("bw+rotate", "reverse", "subtitles")


async def main_async(seconds: float, height: int, runs: int, edits: list[str]) -> None:
    with tempfile.TemporaryDirectory(prefix="bench-edits-") as tmp:
        d = Path(tmp)
        width = height * 16 // 9 // 2 * 2
        t0 = time.perf_counter()
        clip = make_sample_clip(d / "clip.mp4", seconds, (width, height))
        print(
            f"generated {seconds:g} s {width}x{height} clip in {time.perf_counter() - t0:.1f} s; "
            f"{runs} runs each"
        )
        srt = d / "lines.srt"
        srt.write_text(srt_text(seconds), encoding="utf-8")
        info = {"id": "clip", "filename": clip.name, "file_type": "video", "duration": seconds}
        sources = {"clip": SourceFile(clip, "video", seconds, width, height, True)}
        for edit in edits:
            cmd = build_command(engine_draft(edit, info, srt), sources, d / "engine.mp4", d / "work")
            hand = hand_args(edit, clip, srt, d / "hand.mp4")
            times: dict[str, list[float]] = {"engine": [], "hand": []}
            for i in range(runs):
                order = ("engine", "hand") if i % 2 == 0 else ("hand", "engine")
                for side in order:
                    if side == "engine":
                        times[side].append(await timed(lambda cmd=cmd: render(cmd)))
                    else:
                        times[side].append(await timed(lambda hand=hand: run(hand)))
            e, h = statistics.median(times["engine"]), statistics.median(times["hand"])
            print(
                f"{edit:10s} engine {e:6.2f} s [{min(times['engine']):.2f}-{max(times['engine']):.2f}]  "
                f"hand-written {h:6.2f} s [{min(times['hand']):.2f}-{max(times['hand']):.2f}]  "
                f"engine / hand = {e / h:.2f} (goal <= 1.1)"
            )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=10.0, help="length of the generated clip")
    ap.add_argument("--height", type=int, default=720, help="its height (16:9)")
    ap.add_argument("--runs", type=int, default=3, help="runs per side and edit (alternating)")
    ap.add_argument("--edit", action="append", choices=EDITS, help="only this edit (repeatable)")
    args = ap.parse_args()
    asyncio.run(main_async(args.seconds, args.height, args.runs, args.edit or list(EDITS)))


if __name__ == "__main__":
    main()
