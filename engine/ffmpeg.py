"""Finding ffmpeg and running it without blocking the event loop."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import subprocess
from collections import deque
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from core.media.ffmpeg import find_ffmpeg

from .errors import FfmpegError

__all__ = ["filter_path", "find_ffmpeg", "run", "run_sync"]

KILL_GRACE_S = 5.0  # how long a killed ffmpeg may take to be reaped before the run gives up on it


def run_sync(args: Sequence[str], timeout: float = 600) -> subprocess.CompletedProcess[bytes]:
    """Run ffmpeg synchronously (for scripts and test helpers, never on the event loop)."""
    return subprocess.run(list(args), capture_output=True, timeout=timeout, check=False)


async def run(
    args: Sequence[str],
    *,
    on_stdout_line: Callable[[str], None] | None = None,
    timeout: float | None = None,
    cancel_event: asyncio.Event | None = None,
    on_start: Callable[[int], None] | None = None,
) -> str:
    """Run a command (ffmpeg) as an asyncio subprocess; return stderr; raise FfmpegError on failure.

    Stdout is read line by line (``-progress pipe:1``); the process is killed when the
    task is cancelled, ``cancel_event`` is set, or ``timeout`` passes. ``on_start`` is told the
    process id (render-ahead renices it).
    """
    proc = await asyncio.create_subprocess_exec(
        *args,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        start_new_session=True,
    )
    if on_start is not None:
        on_start(proc.pid)
    tail: deque[str] = deque(maxlen=400)

    async def read_stderr() -> None:
        assert proc.stderr is not None
        async for raw in proc.stderr:
            tail.append(raw.decode("utf-8", "replace").rstrip())

    async def read_stdout() -> None:
        assert proc.stdout is not None
        async for raw in proc.stdout:
            if on_stdout_line is not None:
                on_stdout_line(raw.decode("utf-8", "replace").strip())

    readers = asyncio.gather(read_stderr(), read_stdout())
    waiters: list[asyncio.Task] = [asyncio.ensure_future(proc.wait())]
    cancel_task = asyncio.ensure_future(cancel_event.wait()) if cancel_event is not None else None
    if cancel_task is not None:
        waiters.append(cancel_task)
    try:
        done, _ = await asyncio.wait(waiters, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
        if waiters[0] in done:
            await readers
    except BaseException:
        await _give_up(proc, readers)
        raise
    finally:
        for waiter in waiters:
            waiter.cancel()
    if waiters[0] not in done:
        await _give_up(proc, readers)
        reason = "cancelled" if cancel_task is not None and cancel_task in done else "timed out"
        raise FfmpegError(f"ffmpeg {reason}")
    stderr = "\n".join(tail)
    if proc.returncode != 0:
        raise FfmpegError(f"ffmpeg exited with {proc.returncode}", "\n".join(list(tail)[-12:]))
    return stderr


async def _give_up(proc: asyncio.subprocess.Process, readers: asyncio.Future[Any]) -> None:
    """Kill the process and let go of it. Bounded: ``wait()`` also waits for the output pipes to close,
    which a process it left behind could hold open; its transport is then closed here."""
    _kill(proc)
    with contextlib.suppress(Exception):  # TimeoutError: the grace is over
        await asyncio.wait_for(proc.wait(), KILL_GRACE_S)
    readers.cancel()
    with contextlib.suppress(BaseException):
        await readers
    transport = getattr(proc, "_transport", None)  # asyncio's Process offers no public close
    if transport is not None:
        transport.close()


def _kill(proc: asyncio.subprocess.Process) -> None:
    if proc.returncode is None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, 9)
        with contextlib.suppress(ProcessLookupError):
            proc.kill()


def filter_path(path: Path | str) -> str:
    """A path quoted for use as an option value inside a filtergraph."""
    s = str(path)
    for ch in ("\\", ":", "'", ",", ";", "[", "]", "="):
        s = s.replace(ch, "\\" + ch)
    return s


def renice(pid: int, nice: int) -> None:
    """Every thread of a running ffmpeg to ``nice`` (Linux keeps a nice value per thread; lowering it needs
    the privilege, else it stays as it was)."""
    try:
        threads = [int(t) for t in os.listdir(f"/proc/{pid}/task")]
    except OSError:
        threads = [pid]
    for tid in threads:
        with contextlib.suppress(OSError):
            os.setpriority(os.PRIO_PROCESS, tid, nice)


def remove_work_dir(path: Path) -> None:
    """A render's work directory: its scratch files (a copying render's pieces each have a folder)."""
    shutil.rmtree(path, ignore_errors=True)
