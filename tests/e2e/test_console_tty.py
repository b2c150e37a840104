"""The console in a real terminal (a pseudo-terminal): the status line is rewritten in place."""

from __future__ import annotations

import asyncio
import os
import pty
import subprocess
import sys
import time
from pathlib import Path

from tests.e2e.test_restart import ROOT, bot_env
from tests.fakes.nemo import FakeNemo, Sleep, Text, ToolCall


async def read_until(fd: int, needle: bytes, timeout: float) -> bytes:
    seen = b""
    deadline = time.monotonic() + timeout
    while needle not in seen:
        if time.monotonic() > deadline:
            raise AssertionError(f"{needle!r} not shown; the terminal shows {seen[-600:]!r}")
        try:
            chunk = os.read(fd, 65536)
        except BlockingIOError:
            await asyncio.sleep(0.05)
            continue
        seen += chunk
    return seen


async def test_a_terminal_sees_one_status_line_rewritten_in_place(nemo: FakeNemo, tmp_path: Path) -> None:
    clip = tmp_path / "clip.mp4"
    clip.write_bytes(b"v" * 2000)
    # a step that lasts past the status interval (5 s) is shown while it runs
    nemo.script_chat(ToolCall("edit_multitrack", {"op": "trim"}), Sleep(7.0), Text("Trimmed."))
    master, slave = pty.openpty()
    os.set_blocking(master, False)
    bot = subprocess.Popen([sys.executable, "-m", "bots.cli", "console"], cwd=ROOT, env=bot_env(nemo, tmp_path / "b.db"),
                           stdin=slave, stdout=slave, stderr=subprocess.DEVNULL)
    os.close(slave)
    try:
        await read_until(master, b"type an instruction", 20)
        os.write(master, f"/upload {clip}\n".encode())
        await read_until(master, b"Uploaded clip.mp4", 20)
        os.write(master, b"trim the start\n")
        shown = await read_until(master, b"Trimmed.", 20)
        os.write(master, b"/quit\n")
        await asyncio.to_thread(bot.wait, 20)
    finally:
        bot.kill()
        os.close(master)
    edit = shown[shown.rindex(b"trim the start"):]
    assert b"\r\x1b[2K" in edit                       # the status line was rewritten, not repeated
    assert b"applying edit_multitrack" in edit and b"[Cancel]" in edit
    assert bot.returncode == 0


async def test_log_lines_stay_out_of_the_terminal(nemo: FakeNemo, tmp_path: Path) -> None:
    nemo.script_chat(ToolCall("edit_multitrack", {"op": "trim"}), Sleep(0.6), Text("Trimmed."))
    master, slave = pty.openpty()
    os.set_blocking(master, False)
    bot = subprocess.Popen([sys.executable, "-m", "bots.cli", "console"], cwd=ROOT, env=bot_env(nemo, tmp_path / "b.db"),
                           stdin=slave, stdout=slave, stderr=slave)  # one terminal, as a person runs it
    os.close(slave)
    try:
        banner = await read_until(master, b"/quit.", 20)
        os.write(master, b"trim the start\n")
        shown = banner + await read_until(master, b"Trimmed.", 20)
        os.write(master, b"/quit\n")
        await asyncio.to_thread(bot.wait, 20)
    finally:
        bot.kill()
        os.close(master)
    log = (tmp_path / "console.log").read_text()
    assert "INFO" in log and "NEMO token" in log             # the operator's lines went to the file ...
    assert b" INFO " not in shown and b"core." not in shown  # ... and none into the conversation
    assert str(tmp_path / "console.log").encode() in banner  # the banner says where they are
    status = shown[shown.rindex(b"trim the start"):]
    assert b"[Cancel]" in status and b"Trimmed." in status
