"""``nemobot demo``: the whole product offline. A generated clip goes through the console to
the local engine ("make a 15-second highlight reel, 9:16, with the title 'Demo'"), is exported,
and the MP4 is downloaded, probed and described."""

from __future__ import annotations

import re
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path

import httpx

from bots.app import running_core
from bots.console.app import run_console
from core.settings import Settings

INSTRUCTION = "make a 15-second highlight reel, 9:16, with the title 'Demo'"
_LINK = re.compile(r"https?://\S+\.mp4\S*")


class _Tee:
    """Writes to the terminal and keeps a copy, to find the link in what the bot said."""

    def __init__(self) -> None:
        self.parts: list[str] = []

    def write(self, text: str) -> int:
        self.parts.append(text)
        return sys.stdout.write(text)

    def flush(self) -> None:
        sys.stdout.flush()

    def getvalue(self) -> str:
        return "".join(self.parts)


async def _script(clip: Path) -> AsyncIterator[str]:
    for line in (f"/upload {clip}", INSTRUCTION, "export"):
        print(f"> {line}", flush=True)
        yield line


async def _download(url: str, path: Path) -> None:
    async with httpx.AsyncClient(timeout=60) as http, http.stream("GET", url) as response:
        response.raise_for_status()
        with path.open("wb") as fh:
            async for chunk in response.aiter_bytes():
                fh.write(chunk)


async def run_demo(settings: Settings, out: Path, seconds: float = 40.0) -> int:
    from engine.probe import probe
    from engine.sample import make_sample_clip_async

    started = time.monotonic()
    out.mkdir(parents=True, exist_ok=True)
    settings.bot.backend = "engine"
    settings.bot.db_path = out / "nemobot.db"
    clip = out / "sample.mp4"
    print(f"Generating a {seconds:.0f}-second sample clip (shot changes, loud bursts, silences)…", flush=True)
    await make_sample_clip_async(clip, seconds)
    tee = _Tee()
    result = out / "demo.mp4"
    async with running_core(settings, engine_dir=out / "engine", engine_port=0) as core:  # one-shot: any free port
        await run_console(core, _script(clip), tee, tty=False, user="demo")  # type: ignore[arg-type]
        links = _LINK.findall(tee.getvalue())
        if not links:
            print("The demo did not produce a video: see the messages above.", file=sys.stderr)
            return 1
        await _download(links[-1], result)
    info = await probe(result)
    print(
        f"\nLink: {links[-1]}\nMP4:  {result.resolve()}\n"
        f"      {info.duration:.1f} s, {info.width}x{info.height}, {result.stat().st_size / 1e6:.1f} MB, "
        f"audio: {'yes' if info.has_audio else 'no'}\n"
        f"Demo finished in {time.monotonic() - started:.0f} s.",
        flush=True,
    )
    return 0
