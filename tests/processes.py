"""Processes of a scaled-out deployment on this machine: `nemobot engine --worker`, `nemobot telegram` on
a webhook, and the round-robin proxy in front of the webhooks (Caddy's job in compose.yaml)."""

from __future__ import annotations

import asyncio
import itertools
import os
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Self

import aiohttp
from aiohttp import web

ROOT = Path(__file__).resolve().parents[1]
BANNER_WAIT_S = 60.0


def clean_env(**settings: str) -> dict[str, str]:
    """This process's environment without any nemobot, NEMO, Telegram or Discord setting, plus ``settings``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NEMO", "TELEGRAM_", "DISCORD_"))}
    env.update(settings, PYTHONUNBUFFERED="1")
    return env


@asynccontextmanager
async def nemobot_process(log: Path, banner: str, *args: str, **env: str) -> AsyncIterator[subprocess.Popen]:
    """``python -m bots.cli ARGS`` with ``env`` as its whole nemobot environment, its output in ``log``;
    yields once ``banner`` is in the log; stopped with SIGTERM afterwards (if still alive)."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "bots.cli", *args], cwd=ROOT, env=clean_env(**env), stdout=out,
            stderr=subprocess.STDOUT, text=True,
        )
    try:
        deadline = time.monotonic() + BANNER_WAIT_S
        while banner not in log.read_text() and proc.poll() is None and time.monotonic() < deadline:
            await asyncio.sleep(0.1)
        assert proc.poll() is None and banner in log.read_text(), log.read_text()[-3000:]
        yield proc
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                await asyncio.to_thread(proc.wait, 30)
            except subprocess.TimeoutExpired:
                proc.kill()


def engine_worker(database: str, data_dir: Path, **settings: str):  # type: ignore[no-untyped-def]
    """`nemobot engine --worker` on the shared database and data dir; ``settings`` as NEMOBOT_ENGINE_*."""
    env = {f"NEMOBOT_ENGINE_{k.upper()}": v for k, v in settings.items()}
    env |= {"NEMOBOT_ENGINE_DATABASE_URL": database, "NEMOBOT_ENGINE_DATA_DIR": str(data_dir)}
    log = data_dir.parent / f"worker-{time.monotonic_ns()}.log"
    return nemobot_process(log, "nemobot engine worker", "engine", "--worker", **env)


def worker_of(rid: str, workers: list[subprocess.Popen]) -> int | None:
    """The pid of the worker process whose ffmpeg writes the render ``rid`` (read from /proc)."""
    pids = {w.pid for w in workers}
    for proc in Path("/proc").iterdir():
        try:
            cmdline = (proc / "cmdline").read_bytes()
            status = (proc / "status").read_text()
        except OSError:
            continue
        parent = int(next(ln.split()[1] for ln in status.splitlines() if ln.startswith("PPid:")))
        if parent in pids and b"ffmpeg" in cmdline and (not rid or rid.encode() in cmdline):
            return parent
    return None


class RoundRobin:
    """A loopback HTTP proxy that hands each request to the next upstream, skipping dead ones."""

    def __init__(self) -> None:
        self.upstreams: list[str] = []
        self.url = ""
        self._next = itertools.count()
        self._runner: web.AppRunner | None = None
        self._http: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> Self:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._forward)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}"
        self._http = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30))
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._http is not None and self._runner is not None
        await self._http.close()
        await self._runner.cleanup()

    async def _forward(self, request: web.Request) -> web.Response:
        assert self._http is not None
        body = await request.read()
        headers = {k: v for k, v in request.headers.items() if k.lower() not in ("host", "content-length")}
        for _ in range(len(self.upstreams)):
            upstream = self.upstreams[next(self._next) % len(self.upstreams)]
            try:
                async with self._http.request(
                    request.method, upstream + request.path_qs, data=body, headers=headers
                ) as resp:
                    return web.Response(status=resp.status, body=await resp.read())
            except aiohttp.ClientConnectionError:
                continue  # a dead replica: the next one
        return web.Response(status=502)
