"""The engine's process runner ends: a command that outlives its timeout, or whose output pipes stay open
after it exits, is given up on with an error instead of holding a render (and its user) forever."""

from __future__ import annotations

import time

import pytest

from engine import ffmpeg
from engine.errors import FfmpegError


async def test_a_command_past_its_timeout_is_killed() -> None:
    started = time.monotonic()
    with pytest.raises(FfmpegError, match="timed out"):
        await ffmpeg.run(["sleep", "30"], timeout=0.5)
    assert time.monotonic() - started < 10


async def test_a_command_whose_pipes_stay_open_is_given_up_on(monkeypatch: pytest.MonkeyPatch) -> None:
    # the shell exits at once; the background sleep keeps its stdout and stderr open for 30 s
    monkeypatch.setattr(ffmpeg, "KILL_GRACE_S", 0.5)  # timing is the point: the grace the runner waits
    started = time.monotonic()
    with pytest.raises(FfmpegError, match="timed out"):
        await ffmpeg.run(["sh", "-c", "sleep 30 & exit 0"], timeout=0.5)
    assert time.monotonic() - started < 10


async def test_a_command_that_ends_gives_its_output() -> None:
    out = await ffmpeg.run(["sh", "-c", "echo done >&2"], timeout=10)
    assert out == "done"
