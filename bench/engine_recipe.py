"""The seed recipe (9:16 + title + music at 35%) on a generated 1080p clip, three ways:

1. the engine, driven over its HTTP API (upload, chat, export, wait) — the render time is what counts;
2. the same edit as one hand-written ffmpeg command (target: engine / ffmpeg <= 1.1);
3. MoviePy 2 doing the same edit (target: engine >= 5x faster), skipped if MoviePy is not installed.

    python bench/engine_recipe.py [--seconds 60] [--skip-moviepy]
"""

from __future__ import annotations

import argparse
import asyncio
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httpx

from engine.ffmpeg import find_ffmpeg
from engine.fonts import font_for
from engine.sample import make_sample_clip, make_tone
from engine.server import EngineServer
from engine.settings import EngineSettings

RECIPE = "make it 9:16, add the title 'Urban Dreams' and background music at 35%"
HEADERS = {"X-Skill-Source": "bench", "X-Skill-Version": "1", "X-Skill-Platform": "unknown"}


async def engine_run(clip: Path, music: Path, data: Path) -> tuple[float, float, Path]:
    """Returns (render seconds, whole API round trip seconds, output path)."""
    async with EngineServer(EngineSettings(port=0, data_dir=data)) as eng:
        async with httpx.AsyncClient(base_url=eng.url, timeout=600) as http:
            t_all = time.perf_counter()
            tok = (
                await http.post("/api/auth/anonymous-token", headers={"X-Client-Id": str(uuid.uuid4())})
            ).json()["data"]["token"]
            auth = {"Authorization": f"Bearer {tok}"}
            sid = (
                await http.post(
                    "/api/tasks/me/with-session/nemo_agent", json={"task_name": "bench"}, headers=auth
                )
            ).json()["data"]["session_id"]
            with clip.open("rb") as f1, music.open("rb") as f2:
                await http.post(
                    f"/api/upload-video/nemo_agent/me/{sid}",
                    headers=auth,
                    files=[("files", (clip.name, f1)), ("files", (music.name, f2))],
                )
            body = {
                "app_name": "nemo_agent",
                "user_id": "me",
                "session_id": sid,
                "new_message": {"parts": [{"text": RECIPE}]},
            }
            async with http.stream("POST", "/run_sse", json=body, headers=auth) as resp:
                await resp.aread()
            draft = (await http.get(f"/api/state/nemo_agent/me/{sid}/latest", headers=auth)).json()["data"][
                "state"
            ]["draft"]
            t0 = time.perf_counter()
            await http.post(
                "/api/render/proxy/lambda",
                headers={**auth, **HEADERS},
                json={
                    "id": "render_bench",
                    "sessionId": sid,
                    "draft": draft,
                    "output": {"format": "mp4", "quality": "high"},
                },
            )
            while True:
                st = (await http.get("/api/render/proxy/lambda/render_bench", headers=auth)).json()["data"]
                if st["status"] in ("completed", "failed"):
                    break
                await asyncio.sleep(0.1)
            t1 = time.perf_counter()
            assert st["status"] == "completed", st
            return t1 - t0, t1 - t_all, data / "renders" / "render_bench.mp4"


def ffmpeg_run(clip: Path, music: Path, out: Path, seconds: float) -> float:
    font = font_for("latin")
    txt = out.with_suffix(".txt")
    txt.write_text("Urban Dreams")
    graph = (
        "[0:v]scale=1080:1920:force_original_aspect_ratio=increase,crop=1080:1920,setsar=1,"
        f"drawtext=fontfile={font}:textfile={txt}:fontsize=118:fontcolor=white:borderw=8:bordercolor=black:"
        "box=1:boxcolor=black@0.45:boxborderw=23:x=(w-text_w)/2:y=(h-text_h)/2:enable='between(t,0,3)'[v];"
        "[1:a]volume=0.35,aformat=channel_layouts=stereo[m];"
        "[0:a][m]amix=inputs=2:duration=first:normalize=0[a]"
    )
    args = [
        find_ffmpeg(),
        "-hide_banner",
        "-loglevel",
        "error",
        "-y",
        "-i",
        str(clip),
        "-stream_loop",
        "-1",
        "-i",
        str(music),
        "-filter_complex",
        graph,
        "-map",
        "[v]",
        "-map",
        "[a]",
        "-c:v",
        "libx264",
        "-preset",
        "veryfast",
        "-crf",
        "23",
        "-pix_fmt",
        "yuv420p",
        "-r",
        "30",
        "-c:a",
        "aac",
        "-b:a",
        "128k",
        "-movflags",
        "+faststart",
        "-t",
        f"{seconds}",
        str(out),
    ]
    t0 = time.perf_counter()
    subprocess.run(args, check=True)
    return time.perf_counter() - t0


def moviepy_run(clip: Path, music: Path, out: Path, seconds: float) -> float | None:
    try:
        from moviepy import (
            AudioFileClip,
            CompositeAudioClip,
            CompositeVideoClip,
            TextClip,
            VideoFileClip,
            afx,
        )
    except ImportError:
        print("moviepy: not installed (pip install 'moviepy>=2'), skipped")
        return None
    t0 = time.perf_counter()
    video = VideoFileClip(str(clip))
    video = video.resized(height=1920)
    video = video.cropped(x_center=video.w / 2, width=1080)
    title = (
        TextClip(
            font=str(font_for("latin")),
            text="Urban Dreams",
            font_size=118,
            color="white",
            stroke_color="black",
            stroke_width=4,
        )
        .with_duration(3)
        .with_position("center")
    )
    bed = AudioFileClip(str(music)).with_effects(
        [afx.AudioLoop(duration=video.duration), afx.MultiplyVolume(0.35)]
    )
    final = CompositeVideoClip([video, title]).with_audio(CompositeAudioClip([video.audio, bed]))
    final.write_videofile(
        str(out), codec="libx264", audio_codec="aac", preset="veryfast", fps=30, threads=2, logger=None
    )
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=60.0, help="length of the generated 1080p clip")
    ap.add_argument("--skip-moviepy", action="store_true")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-recipe-") as tmp:
        d = Path(tmp)
        t0 = time.perf_counter()
        clip = make_sample_clip(d / "clip.mp4", args.seconds, (1920, 1080))
        music = make_tone(d / "music.mp3", min(args.seconds, 30), 440.0, 0.5)
        print(f"generated {args.seconds:g} s 1920x1080 clip in {time.perf_counter() - t0:.1f} s")
        render_s, total_s, out = asyncio.run(engine_run(clip, music, d / "engine"))
        print(
            f"engine:  render {render_s:6.2f} s ({args.seconds / render_s:4.2f}x realtime); "
            f"upload+chat+render over HTTP {total_s:6.2f} s"
        )
        hand = ffmpeg_run(clip, music, d / "hand.mp4", args.seconds)
        print(f"ffmpeg:  one hand-written command {hand:6.2f} s ({args.seconds / hand:4.2f}x realtime)")
        print(f"engine / hand-written ffmpeg = {render_s / hand:.2f} (target <= 1.1)")
        if not args.skip_moviepy:
            mp = moviepy_run(clip, music, d / "moviepy.mp4", args.seconds)
            if mp is not None:
                print(f"moviepy: {mp:6.2f} s ({args.seconds / mp:4.2f}x realtime)")
                print(f"engine is {mp / render_s:.1f}x faster than MoviePy (target >= 5)")
        print(f"output: {out.stat().st_size / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
