"""What a model turn costs the engine, apart from the model's own thinking: /run_sse round trips for
messages the rules answer against messages that go to a language model (agent = "llm"), the model being
the scripted OpenAI-compatible server on loopback that answers at once (one tool call, then text: two
completion requests per turn). Runs alternate between the two sides; medians and spread. Also the one-off
cost at start: importing LiteLLM (offline cost map), in a fresh interpreter.

    python bench/llm_turn.py [--turns 20]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.measure import percentile
from engine.sample import make_sample_clip
from engine.server import EngineServer
from engine.settings import EngineSettings
from tests.fakes.openai import FakeOpenAI, call, text

IMPORT = (
    "import time; t = time.perf_counter(); from engine.llm import build_llm; "
    "from engine.settings import EngineSettings; "
    "build_llm(EngineSettings(agent='llm', llm_model='openai/x', llm_base_url='http://127.0.0.1:9/v1')); "
    "print(time.perf_counter() - t)"
)


async def chat(http: httpx.AsyncClient, auth: dict[str, str], sid: str, message: str) -> float:
    body = {"app_name": "nemo_agent", "user_id": "me", "session_id": sid, "new_message": {"parts": [{"text": message}]}}
    t0 = time.perf_counter()
    async with http.stream("POST", "/run_sse", json=body, headers=auth) as resp:
        async for _ in resp.aiter_bytes():
            pass
    return time.perf_counter() - t0


def line(name: str, values: list[float]) -> str:
    ms = [v * 1000 for v in values]
    return (f"{name:<22} median {statistics.median(ms):7.1f} ms   p90 {percentile(ms, 90):7.1f} ms   "
            f"spread {min(ms):.1f}-{max(ms):.1f} ms   n={len(ms)}")


async def main_async(turns: int) -> None:
    with tempfile.TemporaryDirectory(prefix="bench-llm-") as tmp:
        d = Path(tmp)
        clip = make_sample_clip(d / "clip.mp4", 5, (320, 180))
        async with FakeOpenAI() as llm:
            settings = EngineSettings(port=0, data_dir=d / "engine", agent="llm", llm_model="openai/bench",
                                      llm_base_url=llm.base_url)
            async with EngineServer(settings) as eng, httpx.AsyncClient(base_url=eng.url, timeout=60) as http:
                r = await http.post("/api/auth/anonymous-token", headers={"X-Client-Id": str(uuid.uuid4())})
                auth = {"Authorization": f"Bearer {r.json()['data']['token']}"}
                r = await http.post("/api/tasks/me/with-session/nemo_agent", json={"task_name": "b"}, headers=auth)
                sid = r.json()["data"]["session_id"]
                with clip.open("rb") as fh:
                    await http.post(f"/api/upload-video/nemo_agent/me/{sid}", headers=auth,
                                    files=[("files", ("clip.mp4", fh, "video/mp4"))])
                rules: list[float] = []
                model: list[float] = []
                aspects = ("9:16", "16:9")
                for n in range(turns):
                    aspect = aspects[n % 2]
                    llm.script(call(("set_aspect", {"aspect": aspect})), text(f"Now {aspect}."))
                    model.append(await chat(http, auth, sid, "do what my friend suggested"))
                    rules.append(await chat(http, auth, sid, f"make it {aspects[(n + 1) % 2]}"))
                assert len(llm.requests) == 2 * turns, "every model turn made two completion requests"
    print(line("rules (planner)", rules))
    print(line("model (2 completions)", model))
    print(f"model turn overhead: median {(statistics.median(model) - statistics.median(rules)) * 1000:.1f} ms "
          "more than a rules turn (the model answering instantly)")
    imports = [float(subprocess.run([sys.executable, "-c", IMPORT], capture_output=True, text=True,
                                    cwd=Path(__file__).resolve().parents[1], check=True).stdout) for _ in range(3)]
    print(f"LiteLLM import at engine start: median {statistics.median(imports):.2f} s "
          f"(spread {min(imports):.2f}-{max(imports):.2f} s, n=3)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--turns", type=int, default=20, help="turns on each side")
    asyncio.run(main_async(ap.parse_args().turns))


if __name__ == "__main__":
    main()
