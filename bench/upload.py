"""Upload of a large generated file to the stand-in NEMO: peak RSS growth of the uploading process
(target under 64 MB) and MB/s against a plain streamed httpx upload of the same file (target
ratio at least 0.8). The stand-in runs in its own process; each upload runs in a fresh child
process so its peak RSS is its own. Variants alternate; medians are printed.

    python bench/upload.py [--mb 500] [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.fakes.tokens import NEMO_BENCH

TOKEN = NEMO_BENCH


def rss_mb() -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


async def child(variant: str, url: str, path: Path) -> None:
    import httpx

    sys.path.insert(0, str(ROOT))
    from core.nemo.client import NemoClient
    from core.nemo.upload import UploadSource

    headers = {"Authorization": f"Bearer {TOKEN}", "X-Skill-Source": "free-editing-with-ai",
               "X-Skill-Version": "1", "X-Skill-Platform": "unknown"}
    async with httpx.AsyncClient(base_url=url, timeout=600) as http:
        sid = (await http.post("/api/tasks/me/with-session/nemo_agent", json={"task_name": "p"},
                               headers=headers)).json()["data"]["session_id"]
    before = rss_mb()
    started = time.perf_counter()
    if variant == "nemobot":
        async with NemoClient(url, timeout=600) as client:
            await client.upload_files(TOKEN, sid, [UploadSource.from_path(path)], skill="free-editing-with-ai")
    else:
        async with httpx.AsyncClient(base_url=url, timeout=600) as http:
            with path.open("rb") as fh:
                response = await http.post(f"/api/upload-video/nemo_agent/me/{sid}", headers=headers,
                                           files={"files": (path.name, fh, "video/mp4")})
                response.raise_for_status()
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seconds": seconds, "growth_mb": max(peak - before, 0.0)}))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mb", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        asyncio.run(child(args.child[0], args.child[1], Path(args.child[2])))
        return
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "big.mp4"
        with path.open("wb") as fh:
            fh.truncate(args.mb * 1024 * 1024 - 1024)  # just under the 500 MB limit with the multipart framing
        server = subprocess.Popen(
            [sys.executable, "-m", "tests.fakes.nemo", "--port", "0", "--static-token", TOKEN],
            cwd=ROOT, stdout=subprocess.PIPE, text=True,
        )
        try:
            assert server.stdout is not None
            url = server.stdout.readline().split()[-1]
            results: dict[str, list[dict[str, float]]] = {"httpx": [], "nemobot": []}
            for _ in range(args.rounds):
                for variant, runs in results.items():
                    out = subprocess.run([sys.executable, __file__, "--child", variant, url, str(path)],
                                         capture_output=True, text=True, check=True, cwd=ROOT)
                    runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
        finally:
            server.terminate()
            server.wait()
    size_mb = args.mb - 1 / 1024
    speed = {v: statistics.median(size_mb / r["seconds"] for r in rs) for v, rs in results.items()}
    growth = {v: max(r["growth_mb"] for r in rs) for v, rs in results.items()}
    print(f"Upload of {args.mb} MB to the stand-in, {args.rounds} rounds (medians; RSS growth: worst round)")
    for variant in results:
        print(f"  {variant:8} {speed[variant]:8.0f} MB/s   peak RSS growth {growth[variant]:6.1f} MB")
    print(f"  ratio nemobot / plain httpx: {speed['nemobot'] / speed['httpx']:.2f} (target >= 0.8); "
          f"nemobot RSS growth {growth['nemobot']:.1f} MB (target < 64)")


if __name__ == "__main__":
    os.environ.setdefault("PYTHONDONTWRITEBYTECODE", "1")
    main()
