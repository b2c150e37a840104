"""Instant results (issue 19): render-ahead and copying what is untouched, on a 60 s 1080x1920 phone clip.

The clip is generated once (testsrc2 + a tone with two pauses, H.264 8 Mb/s, 30 fps, a keyframe every
2 s like a phone). Every figure drives the built-in engine over its HTTP API (token, session, upload,
chat, export, the held status requests), default settings unless said, and is a ratio of times measured
in the same run:

- export after a pause as long as the render ("cut the first 3 seconds", "add the title 'Weekend' for
  3 seconds", wait, "export"): seconds from the export to the link, and the ratio to the full render
  (render_ahead and smart_cut off);
- export with no pause (the render-ahead cannot have finished): ratio to the full render;
- "cut the first 3 seconds" and "cut the pauses" rendered from scratch (no render-ahead) with copying,
  against the full re-encode of the same draft: ratio, and whether length and frames are the same
  (frame count, duration within a frame, a clean decode, lowest PSNR of every 15th frame >= 30 dB).

    python bench/instant_results.py [--seconds 60] [--keep DIR] [--b-frames 2]

Goals: after a pause < 1 s; no pause <= 1.0x; copied trim and cut pauses <= 0.15x with the same frames.
"""

from __future__ import annotations

import argparse
import asyncio
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httpx

from engine.ahead import idle_share
from engine.ffmpeg import find_ffmpeg
from engine.server import EngineServer
from engine.settings import EngineSettings
from engine.video_check import decode_errors, duration, frame_count, psnr
from tests.engine.conftest import Api

TRIM = "cut the first 3 seconds"
TITLE = "add the title 'Weekend' for 3 seconds"
PAUSES = "cut the pauses"
MIN_PSNR = 30.0


def phone_clip(path: Path, seconds: float, bframes: int = 0) -> Path:
    """1080x1920, 30 fps, H.264 8 Mb/s with a keyframe every 2 s (and ``bframes`` B-frames: none, as many phones
    record), a tone silent 9-11 s of every 20."""
    if path.exists():
        return path
    graph = f"sine=f=440:r=48000:d={seconds},volume='if(between(mod(t\\,20)\\,9\\,11)\\,0\\,0.8)':eval=frame"
    subprocess.run(
        [find_ffmpeg(), "-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i",
         f"testsrc2=s=1080x1920:r=30:d={seconds}", "-f", "lavfi", "-i", graph, "-c:v", "libx264",
         "-preset", "ultrafast", "-b:v", "8M", "-maxrate", "8M", "-bufsize", "16M", "-g", "60",
         "-keyint_min", "60", "-sc_threshold", "0", "-bf", str(bframes), "-pix_fmt", "yuv420p", "-c:a", "aac", "-b:a", "128k",
         "-movflags", "+faststart", str(path)],
        check=True, capture_output=True, timeout=1800,
    )
    return path


async def session(eng: EngineServer, clip: Path, edits: list[str]) -> Api:
    http = httpx.AsyncClient(base_url=eng.url, timeout=120)
    api = await Api(http).login()
    await api.upload(clip)
    for text in edits:
        await api.chat(text)
    return api


async def export(api: Api, dest: Path | None = None) -> tuple[float, dict[str, Any]]:
    """Seconds from the export request to the link, and the finished status."""
    start = time.monotonic()
    data = await api.wait(await api.submit(), timeout=3600)
    took = time.monotonic() - start
    assert data["status"] == "completed", data
    if dest is not None:
        async with api.http.stream("GET", data["output"]["url"]) as r:
            with dest.open("wb") as f:
                async for chunk in r.aiter_bytes():
                    f.write(chunk)
    return took, data


async def timed_export(root: Path, clip: Path, edits: list[str], name: str, **settings: Any) -> tuple[float, Path]:
    out = root / f"{name}.mp4"
    async with EngineServer(EngineSettings(port=0, data_dir=root / name, **settings)) as eng:
        api = await session(eng, clip, edits)
        took, _ = await export(api, out)
        await api.http.aclose()
    return took, out


def same(copied: Path, full: Path) -> tuple[bool, str]:
    frames = (frame_count(copied), frame_count(full))
    lengths = (duration(copied), duration(full))
    errors = decode_errors(copied)
    low = psnr(copied, full)
    ok = frames[0] == frames[1] and abs(lengths[0] - lengths[1]) <= 1 / 30 + 1e-3 and not errors and low >= MIN_PSNR
    return ok, (f"frames {frames[0]}/{frames[1]}, length {lengths[0]:.2f}/{lengths[1]:.2f} s, "
                f"lowest PSNR {low:.1f} dB, decode errors: {errors[:120] or 'none'}")


async def main(seconds: float, keep: Path | None, idle: float | None, bframes: int) -> None:
    root = keep or Path(tempfile.mkdtemp(prefix="instant-"))
    root.mkdir(parents=True, exist_ok=True)
    t = time.monotonic()
    clip = phone_clip(root / f"phone-bf{bframes}.mp4", seconds, bframes)
    print(f"clip: {clip} ({clip.stat().st_size / 1e6:.1f} MB, made in {time.monotonic() - t:.0f} s); "
          f"cores idle now: {idle_share(1.0):.0%}", flush=True)
    off = {"render_ahead": False, "smart_cut": False}
    ahead = {} if idle is None else {"render_ahead_idle_share": idle}
    print(f"render_ahead_idle_share: {idle if idle is not None else 'default'}", flush=True)

    full, full_file = await timed_export(root, clip, [TRIM, TITLE], "full", **off)
    print(f"full render (trim + title), export to link: {full:.2f} s", flush=True)

    async with EngineServer(EngineSettings(port=0, data_dir=root / "ahead", **ahead)) as eng:
        api = await session(eng, clip, [TRIM, TITLE])
        assert eng.ahead is not None
        waited = time.monotonic()
        while eng.ahead.finished < 1 and time.monotonic() - waited < max(full * 3, 60):
            await asyncio.sleep(0.2)
        paused = time.monotonic() - waited
        took, _ = await export(api, root / "after_pause.mp4")
        await api.http.aclose()
    print(f"export after a pause ({paused:.1f} s, render-ahead finished: {eng.ahead.finished >= 1}): "
          f"{took:.3f} s to the link = {took / full:.3f}x the full render (goal < 1 s)", flush=True)

    async with EngineServer(EngineSettings(port=0, data_dir=root / "nopause", **ahead)) as eng:
        api = await session(eng, clip, [TRIM, TITLE])
        took, _ = await export(api, root / "no_pause.mp4")
        await api.http.aclose()
    print(f"export with no pause: {took:.2f} s = {took / full:.3f}x the full render (goal <= 1.0x)", flush=True)
    ok, detail = same(root / "no_pause.mp4", full_file)
    print(f"  same length and frames as the full render: {'yes' if ok else 'no'} ({detail})", flush=True)

    for label, edits in (("trim", [TRIM]), ("cut pauses", [PAUSES])):
        slug = label.replace(" ", "_")
        full_t, full_f = await timed_export(root, clip, edits, f"{slug}_full", **off)
        copy_t, copy_f = await timed_export(root, clip, edits, f"{slug}_copy", render_ahead=False)
        ok, detail = same(copy_f, full_f)
        print(f"{label}: copied {copy_t:.2f} s vs full re-encode {full_t:.2f} s = {copy_t / full_t:.3f}x "
              f"(goal <= 0.15x); same length and frames: {'yes' if ok else 'no'} ({detail})", flush=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--keep", type=Path, default=None, help="a directory for the clip and the renders")
    parser.add_argument("--idle-share", type=float, default=None,
                        help="render_ahead_idle_share (default: the setting's default); 0 on a machine others keep busy")
    parser.add_argument("--b-frames", type=int, default=0,
                        help="B-frames in the clip (default 0, as many phones record; a GOP's head is then copied)")
    args = parser.parse_args()
    asyncio.run(main(args.seconds, args.keep, args.idle_share, args.b_frames))
