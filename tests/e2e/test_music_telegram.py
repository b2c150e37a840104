"""Music without bringing any, through a real Telegram client on the built-in engine: a user sends a
silent clip, asks for upbeat music in English or Chinese, exports, and the MP4 they get has music in it."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from engine.ffmpeg import find_ffmpeg
from engine.probe import probe
from tests.e2e.telegram_engine import bot
from tests.renders import exported

pytestmark = [pytest.mark.slow, pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")]


def _silent_clip(path: Path) -> Path:
    subprocess.run([find_ffmpeg(), "-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i",
                    "color=c=teal:s=160x90:r=10:d=4", "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt",
                    "yuv420p", str(path)], check=True, capture_output=True, timeout=60)
    return path


def _mean_volume(path: Path) -> float:
    err = subprocess.run([find_ffmpeg(), "-hide_banner", "-nostats", "-i", str(path), "-vn", "-af", "volumedetect",
                          "-f", "null", "-"], capture_output=True, text=True, check=False).stderr
    m = re.search(r"mean_volume: (-?[\d.]+|-inf) dB", err)
    return float(m.group(1)) if m and m.group(1) != "-inf" else -120.0


@pytest.mark.parametrize(("language", "ask", "added", "export"), [
    ("en", "add some upbeat music", "Sunny Steps", "export"),
    ("zh", "加点欢快的音乐", "阳光步伐", "导出"),
])
async def test_telegram_user_gets_library_music_under_a_silent_clip(
        tmp_path: Path, language: str, ask: str, added: str, export: str) -> None:
    clip = _silent_clip(tmp_path / "silent.mp4")
    async with bot(tmp_path) as b:
        tg = b.tg
        video = tg.add_file(path=clip, name="silent.mp4", mime="video/mp4")
        tg.user_sends(7, 7, video=video, language_code=language)
        await tg.wait_for(lambda: tg.chat_log(7), timeout=60)
        await b.core.idle(timeout=60)
        tg.user_sends(7, 7, ask, language_code=language)
        await tg.wait_for(lambda: any(added in (m.text or "") for m in tg.chat_log(7)), timeout=90)
        tg.user_sends(7, 7, export, language_code=language)
        await tg.wait_for(lambda: tg.calls_to("sendVideo"), timeout=120)
        await b.core.idle(timeout=60)
        sent = tg.last_message(7)
    render = exported(tmp_path / "engine")
    assert sent is not None and sent.kind == "video" and sent.file_size == render.stat().st_size
    info = await probe(render)
    assert info.has_audio and abs(info.duration - 4) < 0.3
    assert _mean_volume(render) > -40  # the clip has no sound of its own: this is the music
