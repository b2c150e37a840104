"""Pictures: time to draw a timeline picture (goal p99 under 300 ms) and a contact sheet of a 10-minute
1080p video (goal under 3 s), and their sizes (goal under 300 KB each).

The clip is generated once (30 fps at 6 Mbit/s, a keyframe every 2 s like a phone's encoder, a tone) and kept in the
temporary directory. The sheet is made cold (a new PictureMaker each round, so nothing is cached) from
the file on disk and from an HTTP server with ranges (how the bot reads an upload back from the CDN);
the two sides alternate; and of a 4-second clip, whose frames are closer than its keyframes. The timeline is a 12-cut reel with music and three titles: drawn warm (its
thumbnails cached, what an edit after the first costs) many times, and cold (one ffmpeg run for the
thumbnails) a few times. A timeline of one long cut (a minute of the clip, drawn as a filmstrip of
seven frames) is drawn cold too. Medians, p99 and spread are printed.

    python bench/pictures.py [--minutes 10] [--size 1920x1080] [--rounds 5] [--draws 200]
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from aiohttp import web

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.measure import percentile
from core.media.ffmpeg import find_ffmpeg
from core.nemo.draft import Draft
from core.pictures import PictureMaker

SHORT_SECONDS = 4.0  # a short clip's sheet takes more frames than keyframes: each is decoded at its time


def make_clip(minutes: float, size: str) -> Path:
    path = Path(tempfile.gettempdir()) / "nemobot-bench" / f"pictures-{minutes:g}min-{size}.mp4"
    if path.exists():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    seconds = minutes * 60
    print(f"generating a {minutes:g} min {size} clip (once)…", flush=True)
    part = path.with_suffix(".part.mp4")
    subprocess.run([
        find_ffmpeg(), "-hide_banner", "-loglevel", "error", "-y",
        "-f", "lavfi", "-i", f"testsrc2=s={size}:r=30:d={seconds}",
        "-f", "lavfi", "-i", f"sine=f=330:r=44100:d={seconds}",
        "-c:v", "libx264", "-preset", "ultrafast", "-b:v", "6M", "-maxrate", "8M", "-bufsize", "12M",
        "-g", "60", "-pix_fmt", "yuv420p",
        "-c:a", "aac", "-b:a", "96k", "-shortest", str(part),
    ], check=True)
    part.rename(path)
    return path


def reel(name: str, minutes: float) -> Draft:
    cuts = 12
    span = minutes * 60_000 / cuts
    video = [{"st": i * 2500, "d": 2500, "m": {"name": name, "in": int(i * span), "speed": 2.0 if i == 5 else 1.0}}
             for i in range(cuts)]
    return Draft.parse({"t": [
        {"tt": 0, "sg": video},
        {"tt": 1, "sg": [{"st": 0, "d": cuts * 2500, "m": {"title": "Lo-fi", "vol": 0.35}}]},
        {"tt": 7, "sg": [{"st": 0, "d": 3000, "m": {"text": "Finals 决赛"}},
                         {"st": 12000, "d": 3000, "m": {"text": "Second half"}},
                         {"st": 27000, "d": 3000, "m": {"text": "The End"}}]},
    ]})


def long_cut(name: str, minutes: float) -> Draft:
    """One minute from the middle of the clip (or the whole of a shorter one): a filmstrip the width of
    the picture."""
    seconds = min(60.0, minutes * 60)
    start = (minutes * 60 - seconds) / 2
    return Draft.parse({"t": [
        {"tt": 0, "sg": [{"st": 0, "d": int(seconds * 1000), "m": {"name": name, "in": int(start * 1000)}}]},
        {"tt": 7, "sg": [{"st": 0, "d": 3000, "m": {"text": "One take"}}]},
    ]})


async def serve(path: Path) -> tuple[web.AppRunner, str]:
    async def clip(request: web.Request) -> web.FileResponse:
        return web.FileResponse(path)  # with ranges, as a CDN serves it

    app = web.Application()
    app.router.add_get("/clip.mp4", clip)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    return runner, f"http://127.0.0.1:{port}/clip.mp4"


def cpu() -> float:
    """CPU seconds of this process and its finished children (ffmpeg): on a shared machine the wall
    time says how busy the others are, the CPU time what a picture costs."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


Samples = tuple[list[float], list[float], list[int]]  # wall seconds, CPU seconds, bytes


def summary(label: str, samples: Samples) -> None:
    ms = [s * 1000 for s in samples[0]]
    print(f"{label:<34} median {statistics.median(ms):7.1f} ms  p99 {percentile(ms, 99):7.1f} ms  "
          f"spread {min(ms):.1f}-{max(ms):.1f} ms  CPU median {statistics.median(samples[1]) * 1000:7.1f} ms  "
          f"n={len(ms)}  size {max(samples[2]) / 1024:.0f} KB")


async def timed(samples: Samples, make: Any) -> None:
    wall, used = time.perf_counter(), cpu()
    picture = await make
    samples[0].append(time.perf_counter() - wall)
    samples[1].append(cpu() - used)
    if picture is None:
        raise SystemExit("a picture could not be made")
    samples[2].append(len(picture.data))


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--size", default="1920x1080")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--draws", type=int, default=200)
    args = parser.parse_args()
    clip = make_clip(args.minutes, args.size)
    runner, url = await serve(clip)
    try:
        sheets: dict[str, Samples] = {"file": ([], [], []), "http": ([], [], [])}
        for _ in range(args.rounds):
            for side, source in (("file", str(clip)), ("http", url)):  # sides alternate
                await timed(sheets[side], PictureMaker().contact_sheet(source, clip.name, "en"))
        print(f"contact sheet of a {args.minutes:g} min {args.size} clip ({clip.stat().st_size / 1e6:.0f} MB), cold:")
        for side, samples in sheets.items():
            summary(f"  from {side}", samples)
        short = make_clip(SHORT_SECONDS / 60, args.size)
        short_sheets: Samples = ([], [], [])
        for _ in range(args.rounds):
            await timed(short_sheets, PictureMaker().contact_sheet(str(short), short.name, "en"))
        summary(f"  of a {SHORT_SECONDS:g} s clip (frames decoded at their times)", short_sheets)

        draft = reel(clip.name, args.minutes)
        sources = {clip.name: url}
        cold: Samples = ([], [], [])
        for _ in range(args.rounds):
            await timed(cold, PictureMaker().timeline(draft, "en", sources))
        warm_maker = PictureMaker()
        await warm_maker.timeline(draft, "en", sources)  # thumbnails cached from here on
        warm: Samples = ([], [], [])
        for i in range(args.draws):
            edited = reel(clip.name, args.minutes)
            edited.raw["t"][2]["sg"][0]["m"]["text"] = f"Finals {i}"  # a new draft each time: no picture cache
            await timed(warm, warm_maker.timeline(Draft.parse(edited.raw), "en", sources))
        long: Samples = ([], [], [])
        for _ in range(args.rounds):
            await timed(long, PictureMaker().timeline(long_cut(clip.name, args.minutes), "en", sources))
        print("timeline picture (12 cuts, music, 3 titles):")
        summary("  warm (thumbnails cached)", warm)
        summary("  cold (one ffmpeg run, over HTTP)", cold)
        print("timeline picture (one 1-minute cut):")
        summary("  cold (one ffmpeg run, over HTTP)", long)
    finally:
        await runner.cleanup()


if __name__ == "__main__":
    asyncio.run(main())
