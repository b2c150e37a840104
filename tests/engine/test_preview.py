"""Previews over HTTP: a small, quick look at the session's draft, cached by its content, by signed link."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from core.nemo.models import PREVIEW_HEADER
from engine import preview as pv
from engine.ffmpeg import find_ffmpeg
from engine.sample import make_sample_clip
from engine.server import EngineServer

from .conftest import Api, gray_frame, media_info, region

pytestmark = pytest.mark.slow


async def _preview(api: Api, audio: bool = True) -> dict:
    r = await api.http.post(f"/api/preview/nemo_agent/me/{api.sid}", json={"audio": audio}, headers=api.auth)
    assert r.headers.get(PREVIEW_HEADER) == "1"  # announced: the bot offers previews where it sees this
    body = r.json()
    assert body["code"] == 0, body
    return body["data"]


def _decode_errors(path: Path) -> str:
    out = subprocess.run([find_ffmpeg(), "-v", "error", "-i", str(path), "-f", "null", "-"],
                         capture_output=True, text=True, check=False)
    return out.stderr.strip()


async def test_preview_of_a_portrait_draft_is_small_plays_and_is_cached(api: Api, engine: EngineServer,
                                                                        tmp_path: Path) -> None:
    phone = make_sample_clip(tmp_path / "phone.mp4", 10, (720, 1280))
    await api.upload(phone)
    await api.chat("cut the first 2 seconds")
    await api.chat("add the title 'Weekend' for 3 seconds")
    data = await _preview(api, audio=False)
    assert (data["width"], data["height"]) == (480, 854) and not data["cached"]
    assert abs(data["duration"] - 8.0) < 0.2
    r = await api.http.get(data["url"])
    assert r.status_code == 200 and r.headers["content-type"] == "video/mp4"
    assert len(r.content) == data["size"] < 1_000_000
    out = tmp_path / "preview.mp4"
    out.write_bytes(r.content)
    info = media_info(out)
    assert (info.width, info.height) == (480, 854) and not info.has_audio  # a Telegram animation: no sound
    assert abs(info.duration - 8.0) < 0.3
    assert _decode_errors(out) == ""
    band = (0.1, 0.42, 0.9, 0.58)  # the title is drawn in the preview as in the export
    with_title = region(gray_frame(out, 1.5, (480, 854)), (480, 854), band)
    assert sum(1 for p in with_title if p > 235) > 200

    again = await _preview(api, audio=False)  # the same draft: the same file, not rendered again
    assert again["cached"] and again["url"].split("?")[0] == data["url"].split("?")[0]
    sound = await _preview(api, audio=True)
    assert not sound["cached"] and media_info(await _fetch(api, sound, tmp_path / "s.mp4")).has_audio is True
    unsigned = await api.http.get(data["url"].split("?")[0])
    assert unsigned.status_code == 403
    proxies = [p for p in (engine.data_dir / "renders").glob("preview_src_*.mp4") if ".part" not in p.name]
    assert len(proxies) == 1  # the upload's small copy, made once, that the previews decode
    assert media_info(proxies[0]).width <= 480


async def _fetch(api: Api, data: dict, dest: Path) -> Path:
    dest.write_bytes((await api.http.get(data["url"])).content)
    return dest


async def test_preview_is_capped_in_length_and_needs_footage(api: Api, clips: dict[str, Path],
                                                             monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    r = await api.http.post(f"/api/preview/nemo_agent/me/{api.sid}", json={}, headers=api.auth)
    assert r.status_code == 400 and "upload" in r.json()["message"]
    monkeypatch.setattr(pv, "PREVIEW_MAX_SECONDS", 5.0)
    await api.upload(clips["talk"])
    data = await _preview(api)
    assert abs(data["duration"] - 5.0) < 0.1
    info = media_info(await _fetch(api, data, tmp_path / "capped.mp4"))
    assert abs(info.duration - 5.0) < 0.3 and info.has_audio
    assert (info.width, info.height) == (320, 180)  # never upscaled past the footage
