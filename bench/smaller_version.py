"""'Smaller version' on the built-in engine: the render's own MP4 re-encoded under a size cap (what the
button does now, ``output.fromRender``) against rendering its draft again under the same cap (what it did
before), alternated, on a 720p sample clip made 9:16 with a title and reversed (a draft with work in it).

    python bench/smaller_version.py [--runs 5] [--seconds 12]

Prints the seconds from submitting the smaller render to its completion (medians, spread) for each way,
the sizes against the cap, and whether each result has the first render's duration.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httpx

from engine.sample import make_sample_clip
from engine.server import EngineServer
from engine.settings import EngineSettings

HEADERS = {"X-Skill-Source": "bench", "X-Skill-Version": "1", "X-Skill-Platform": "unknown"}
EDITS = "make it 9:16, add the title 'Finals' and reverse the video"
SHARE = 0.3  # the cap, as a share of the first render's size (a file well over a chat's limit)


async def wait(http: httpx.AsyncClient, auth: dict[str, str], render_id: str) -> dict[str, Any]:
    while True:
        data: dict[str, Any] = (await http.get(f"/api/render/proxy/lambda/{render_id}", headers=auth)).json()["data"]
        if data["status"] in ("completed", "failed", "cancelled"):
            return data
        await asyncio.sleep(0.05)


async def main(runs: int, seconds: float) -> None:
    with tempfile.TemporaryDirectory(prefix="nemobot-smaller-") as folder:
        root = Path(folder)
        clip = make_sample_clip(root / "clip.mp4", seconds, (1280, 720))
        async with EngineServer(EngineSettings(port=0, data_dir=root / "engine")) as eng, \
                httpx.AsyncClient(base_url=eng.url, timeout=600) as http:
            token = (await http.post("/api/auth/anonymous-token", headers={"X-Client-Id": str(uuid.uuid4())})
                     ).json()["data"]["token"]
            auth = {"Authorization": f"Bearer {token}"}
            sid = (await http.post("/api/tasks/me/with-session/nemo_agent", json={"task_name": "bench"},
                                   headers=auth)).json()["data"]["session_id"]
            with clip.open("rb") as fh:
                await http.post(f"/api/upload-video/nemo_agent/me/{sid}", headers=auth, files=[("files", (clip.name, fh))])
            body = {"app_name": "nemo_agent", "user_id": "me", "session_id": sid, "new_message": {"parts": [{"text": EDITS}]}}
            async with http.stream("POST", "/run_sse", json=body, headers=auth) as response:
                await response.aread()
            draft = (await http.get(f"/api/state/nemo_agent/me/{sid}/latest", headers=auth)).json()["data"]["state"]["draft"]

            async def submit(render_id: str, output: dict[str, Any]) -> tuple[float, dict[str, Any]]:
                started = time.perf_counter()
                await http.post("/api/render/proxy/lambda", headers={**auth, **HEADERS},
                                json={"id": render_id, "sessionId": sid, "draft": draft,
                                      "output": {"format": "mp4", "quality": "high", **output}})
                data = await wait(http, auth, render_id)
                assert data["status"] == "completed", data
                return time.perf_counter() - started, data

            first_s, first = await submit("render_first", {})
            cap = int(first["output"]["size"] * SHARE)
            print(f"{seconds:g} s 720p clip, 9:16 + title + reversed: first render {first_s:.2f} s, "
                  f"{first['output']['size'] / 1e6:.2f} MB, {first['output']['duration']:.2f} s; cap {cap / 1e6:.2f} MB; "
                  f"{runs} runs each way, alternated")
            ways = {"re-encode the render's MP4": {"fromRender": "render_first"}, "render the draft again": {}}
            times: dict[str, list[float]] = {name: [] for name in ways}
            results: dict[str, list[dict[str, Any]]] = {name: [] for name in ways}
            for run in range(runs):
                order = list(ways) if run % 2 == 0 else list(reversed(ways))
                for name in order:
                    took, data = await submit(f"render_{uuid.uuid4().hex[:8]}", {"maxBytes": cap, **ways[name]})
                    times[name].append(took)
                    results[name].append(data["output"])
            for name in ways:
                sizes = [r["size"] for r in results[name]]
                same = all(abs(r["duration"] - first["output"]["duration"]) < 0.1 for r in results[name])
                print(f"{name:<28} median {statistics.median(times[name]):6.2f} s   min {min(times[name]):6.2f}   "
                      f"max {max(times[name]):6.2f}   spread {statistics.pstdev(times[name]):5.2f}   "
                      f"size {max(sizes) / 1e6:.2f} MB (cap {cap / 1e6:.2f})   first render's duration: {same}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=12.0)
    args = parser.parse_args()
    asyncio.run(main(args.runs, args.seconds))
