"""The console front-end end to end against the stand-in NEMO: upload, edit, silent edit, export."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator, Iterable
from pathlib import Path

import pytest

from bots.console.app import run_console
from core.conversation import Core
from tests.fakes.nemo import FakeNemo, SetDraft, Text, ToolCall, ToolResult


async def lines(items: Iterable[str]) -> AsyncIterator[str]:
    for item in items:
        yield item + "\n"


@pytest.mark.renders_done_when_polled  # render time is not this test's subject
async def test_scripted_console_uploads_edits_exports_and_prints_the_link(
    core: Core, nemo: FakeNemo, tmp_path: Path
) -> None:
    clip = tmp_path / "holiday.mp4"
    clip.write_bytes(b"\x00\x00\x00\x18ftypmp42" + b"x" * 5000)
    nemo.script_chat(
        ToolCall("edit_multitrack", {"op": "add_text"}),
        ToolResult("edit_multitrack", {"ok": True}, state_delta={"draft": {"t": [
            {"tt": 0, "sg": [{"d": 10000, "m": {"name": "holiday.mp4"}}]},
            {"tt": 7, "sg": [{"st": 0, "d": 3000, "m": {"text": "Urban Dreams"}}]},
        ]}}),
        Text("Title added. Click Export when you are ready."),
    )
    nemo.script_chat(SetDraft({"t": [
        {"tt": 0, "sg": [{"d": 10000, "m": {"name": "holiday.mp4"}}]},
        {"tt": 7, "sg": [{"st": 0, "d": 3000, "m": {"text": "Urban Dreams"}}]},
        {"tt": 1, "sg": [{"st": 0, "d": 10000, "m": {"title": "Lo-fi", "vol": 0.35}}]},
    ]}))
    out = io.StringIO()
    await run_console(core, lines([
        f"/upload {clip}",
        "add the title 'Urban Dreams' for 3 seconds",
        "add lo-fi music at 35%",
        "export",
    ]), out, tty=False, user="tester")
    printed = out.getvalue()
    assert "Uploaded holiday.mp4" in printed
    assert "Title added. Say “export” (or press Export) when you are ready." in printed          # GUI talk translated
    assert "added music 'Lo-fi' 0-10s" in printed                          # silent close: state diff
    assert "Your video is ready" in printed and f"{nemo.url}/files/" in printed
    assert [m for m in nemo.chat_messages] == [
        "add the title 'Urban Dreams' for 3 seconds", "add lo-fi music at 35%"]
    uploads = [r for r in nemo.requests if r.path.startswith("/api/upload-video/")]
    assert uploads[0].files == [("files", "holiday.mp4", clip.stat().st_size)]


async def test_console_pasted_path_is_an_upload_and_status_shows_the_timeline(
    core: Core, nemo: FakeNemo, tmp_path: Path
) -> None:
    clip = tmp_path / "beach.mov"
    clip.write_bytes(b"y" * 2048)
    out = io.StringIO()
    await run_console(core, lines([str(clip), "status", "credits"]), out, tty=False, user="tester")
    printed = out.getvalue()
    assert "Uploaded beach.mov" in printed
    assert "Timeline (1 track): 1. Video: beach.mov" in printed
    assert "Credits:" in printed and "available" in printed
