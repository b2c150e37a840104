"""A preview of the issue-19 case against a full render of the same draft, measured in the same run.

A 60 s 1080x1920 phone-like clip (H.264 at about 8 Mb/s, with sound) is uploaded to the built-in engine
(in-process, default settings), then "cut the first 3 seconds" and "add the title 'Weekend' for 3 seconds".
Printed, each over the engine's HTTP API as the bot asks for it:

* the preview when the upload's small copy (the proxy, made right after the upload at nice 19) is ready:
  the usual case, a few seconds after an upload;
* the preview of the next edit ("make it black and white"): a new draft, the proxy reused;
* the preview asked again for the same draft (the cached file);
* the preview with no proxy made ahead (``preview_proxies = false``): what the first look costs then;
* the full render of the same draft (``render.build_command``, the export's own command and settings, no
  render-ahead and no copying), for the ratio.

    python bench/preview.py [--seconds 60] [--keep DIR]

Goal (issue 19): a preview of that clip under 3 s and under 1 MB.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httpx

from engine.ffmpeg import find_ffmpeg, run
from engine.render import build_command, render
from engine.sample import sample_clip_args
from engine.server import EngineServer
from engine.settings import EngineSettings

ATTRIBUTION = {"X-Skill-Source": "bench", "X-Skill-Version": "1.0.0", "X-Skill-Platform": "bench"}


async def phone_clip(path: Path, seconds: float) -> Path:
    """The sample footage at 1080x1920, then encoded as a phone does: H.264 about 8 Mb/s, AAC sound."""
    raw = path.with_name("raw.mp4")
    await run(sample_clip_args(raw, seconds, (1080, 1920)), timeout=1800)
    await run([find_ffmpeg(), "-hide_banner", "-loglevel", "error", "-y", "-i", str(raw), "-c:v", "libx264",
               "-preset", "veryfast", "-b:v", "8M", "-maxrate", "9M", "-bufsize", "16M", "-g", "60", "-c:a", "aac",
               "-b:a", "128k", str(path)], timeout=1800)
    raw.unlink()
    return path


class Session:
    def __init__(self, http: httpx.AsyncClient) -> None:
        self.http = http
        self.auth: dict[str, str] = {}
        self.sid = ""

    async def open(self) -> Session:
        r = await self.http.post("/api/auth/anonymous-token", headers={"X-Client-Id": str(uuid.uuid4())})
        self.auth = {"Authorization": f"Bearer {r.json()['data']['token']}"}
        r = await self.http.post("/api/tasks/me/with-session/nemo_agent", json={"task_name": "bench"},
                                 headers=self.auth)
        self.sid = r.json()["data"]["session_id"]
        return self

    async def upload(self, path: Path) -> None:
        with path.open("rb") as fh:
            r = await self.http.post(f"/api/upload-video/nemo_agent/me/{self.sid}", headers=self.auth,
                                     files=[("files", (path.name, fh, "video/mp4"))])
        assert r.json()["code"] == 0, r.text

    async def say(self, text: str) -> None:
        body = {"app_name": "nemo_agent", "user_id": "me", "session_id": self.sid,
                "new_message": {"parts": [{"text": text}]}}
        async with self.http.stream("POST", "/run_sse", json=body, headers=self.auth) as r:
            async for _ in r.aiter_bytes():
                pass

    async def preview(self) -> tuple[float, dict[str, Any]]:
        started = time.monotonic()
        r = await self.http.post(f"/api/preview/nemo_agent/me/{self.sid}", json={"audio": True}, headers=self.auth)
        took = time.monotonic() - started
        assert r.json()["code"] == 0, r.text
        return took, r.json()["data"]

    async def draft(self) -> dict[str, Any]:
        r = await self.http.get(f"/api/state/nemo_agent/me/{self.sid}/latest", headers=self.auth)
        return r.json()["data"]["state"]["draft"]


async def wait_for_proxy(data_dir: Path, timeout: float = 900) -> float:
    """Seconds until the upload's proxy is on disk."""
    started = time.monotonic()
    while not [p for p in (data_dir / "renders").glob("preview_src_*.mp4") if not p.name.endswith(".part.mp4")]:
        if time.monotonic() - started > timeout:
            raise TimeoutError("no proxy made")
        await asyncio.sleep(0.2)
    return time.monotonic() - started


def line(name: str, took: float, data: dict[str, Any], full: float | None = None) -> str:
    ratio = f"  {took / full:.3f}x the full render" if full else ""
    return (f"{name:<44} {took:6.2f} s  {data['size'] / 1e6:5.2f} MB  {data['width']}x{data['height']}  "
            f"{data['duration']:.1f} s{ratio}")


async def main(seconds: float, keep: Path | None) -> None:
    work = keep or Path(tempfile.mkdtemp(prefix="nemobot-bench-preview-"))
    work.mkdir(parents=True, exist_ok=True)
    clip = work / "phone.mp4"
    if not clip.exists():
        print(f"making the {seconds:g} s 1080x1920 clip…", flush=True)
        await phone_clip(clip, seconds)
    kbps = clip.stat().st_size * 8 / seconds / 1000
    print(f"clip: {clip.stat().st_size / 1e6:.1f} MB ({kbps:.0f} kb/s), {os.cpu_count()} cores, "
          f"load {os.getloadavg()[0]:.1f}", flush=True)
    rows: list[tuple[str, float, dict[str, Any]]] = []
    for ahead in (True, False):
        data_dir = Path(tempfile.mkdtemp(prefix=f"engine-{'ahead' if ahead else 'cold'}-", dir=work))
        settings = EngineSettings(port=0, data_dir=data_dir, preview_proxies=ahead, render_ahead=False)
        async with EngineServer(settings) as engine, httpx.AsyncClient(base_url=engine.url, timeout=1800) as http:
            s = await Session(http).open()
            await s.upload(clip)
            await s.say("cut the first 3 seconds")
            await s.say("add the title 'Weekend' for 3 seconds")
            if ahead:
                made = await wait_for_proxy(data_dir)
                print(f"proxy made ahead, {made:.1f} s after the upload's answer (nice 19)", flush=True)
                took, data = await s.preview()
                rows.append(("preview (proxy made ahead)", took, data))
                took, data = await s.preview()
                rows.append(("the same preview again (cached)", took, data))
                draft = await s.draft()
                await s.say("make it black and white")
                took, data = await s.preview()
                rows.append(("preview after the next edit", took, data))
                sources = await engine._sources(draft)
                cmd = build_command(draft, sources, work / "full.mp4", work / "full.work",
                                    ffmpeg=settings.ffmpeg, preset=settings.preset, crf=settings.crf)
                started = time.monotonic()
                await render(cmd)
                full = time.monotonic() - started
                full_size = (work / "full.mp4").stat().st_size
            else:
                took, data = await s.preview()
                rows.append(("preview with no proxy ahead (first look)", took, data))
        shutil.rmtree(data_dir, ignore_errors=True)
    print()
    for name, took, data in rows:
        print(line(name, took, data, full))
    print(f"{'full render of the same draft (export command)':<44} {full:6.2f} s  {full_size / 1e6:5.2f} MB")
    first = rows[0]
    print(f"\ngoal: preview under 3 s and under 1 MB: {first[1]:.2f} s, {first[2]['size'] / 1e6:.2f} MB -> "
          f"{'met' if first[1] < 3 and first[2]['size'] < 1e6 else 'NOT met'} (load {os.getloadavg()[0]:.1f})")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--keep", type=Path, help="a folder to keep the clip in (made once)")
    args = parser.parse_args()
    asyncio.run(main(args.seconds, args.keep))
