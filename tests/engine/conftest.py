"""Fixtures for the engine tests: generated clips, an engine on a loopback port, an API client, and
probes of rendered MP4s (duration, size, audio level, pixels of a frame)."""

from __future__ import annotations

import asyncio
import json
import re
import subprocess
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from engine.ffmpeg import find_ffmpeg
from engine.probe import MediaInfo, parse_ffmpeg_info
from engine.sample import make_sample_clip, make_tone
from engine.server import EngineServer
from engine.settings import EngineSettings

ATTRIBUTION = {
    "X-Skill-Source": "free-editing-with-ai",
    "X-Skill-Version": "1.0.0",
    "X-Skill-Platform": "unknown",
}


@pytest.fixture(scope="session")
def clips(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Small generated media, made once: a 20 s and a 40 s landscape sample, a 6 s portrait sample, music."""
    d = tmp_path_factory.mktemp("clips")
    return {
        "talk": make_sample_clip(d / "talk.mp4", 20, (320, 180)),
        "long": make_sample_clip(d / "long.mp4", 40, (320, 180)),
        "portrait": make_sample_clip(d / "portrait.mp4", 6, (180, 320)),
        "music": make_tone(d / "music.mp3", 8, 523.0, 0.5),
    }


def engine_settings(tmp_path: Path, **kw: Any) -> EngineSettings:
    # render-ahead off unless a test asks for it: background renders would compete with every test's own
    base = {"port": 0, "data_dir": tmp_path / "engine-data", "allow_private_urls": True, "render_ahead": False}
    base.update(kw)
    return EngineSettings(**base)


@pytest.fixture
async def engine(tmp_path: Path) -> AsyncIterator[EngineServer]:
    async with EngineServer(engine_settings(tmp_path)) as eng:
        yield eng


@dataclass
class Stream:
    """The parsed lines of one /run_sse answer."""

    raw: list[str]
    events: list[dict[str, Any]] = field(default_factory=list)
    heartbeats: int = 0

    @property
    def texts(self) -> list[str]:
        return [p["text"] for e in self.events for p in e.get("content", {}).get("parts", []) if "text" in p]

    @property
    def calls(self) -> list[dict[str, Any]]:
        return [
            p["functionCall"]
            for e in self.events
            for p in e.get("content", {}).get("parts", [])
            if "functionCall" in p
        ]

    @property
    def responses(self) -> list[dict[str, Any]]:
        return [
            p["functionResponse"]
            for e in self.events
            for p in e.get("content", {}).get("parts", [])
            if "functionResponse" in p
        ]

    @property
    def last_draft(self) -> dict[str, Any] | None:
        drafts = [
            e["actions"]["stateDelta"]["draft"]
            for e in self.events
            if "draft" in e.get("actions", {}).get("stateDelta", {})
        ]
        return drafts[-1] if drafts else None


class Api:
    """A NEMO client for tests: token, session, upload, chat, state, render."""

    def __init__(self, http: httpx.AsyncClient) -> None:
        self.http = http
        self.token = ""
        self.sid = ""

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    async def login(self, language: str | None = "en") -> Api:
        """A new token and session; ``language`` is the session's (None: the request does not say)."""
        r = await self.http.post("/api/auth/anonymous-token", headers={"X-Client-Id": str(uuid.uuid4())})
        self.token = r.json()["data"]["token"]
        body = {"task_name": "project"} | ({"language": language} if language else {})
        r = await self.http.post(
            "/api/tasks/me/with-session/nemo_agent",
            json=body,
            headers=self.auth,
        )
        self.sid = r.json()["data"]["session_id"]
        return self

    async def upload(self, *paths: Path) -> list[dict[str, Any]]:
        handles = [p.open("rb") for p in paths]
        try:
            files = [("files", (p.name, h, "application/octet-stream")) for p, h in zip(paths, handles)]
            r = await self.http.post(
                f"/api/upload-video/nemo_agent/me/{self.sid}", files=files, headers=self.auth
            )
        finally:
            for h in handles:
                h.close()
        body = r.json()
        assert body["code"] == 0, body
        return body["data"]["files"]

    async def chat(self, text: str, *, streaming: bool = False) -> Stream:
        body: dict[str, Any] = {
            "app_name": "nemo_agent",
            "user_id": "me",
            "session_id": self.sid,
            "new_message": {"parts": [{"text": text}]},
        }
        if streaming:
            body["streaming"] = True
        raw: list[str] = []
        async with self.http.stream(
            "POST", "/run_sse", json=body, headers={**self.auth, "Accept": "text/event-stream"}
        ) as resp:
            assert resp.status_code == 200, await resp.aread()
            assert resp.headers["content-type"].startswith("text/event-stream")
            async for chunk in resp.aiter_text():
                raw.append(chunk)
        text_all = "".join(raw)
        stream = Stream(text_all.split("\n"))
        assert text_all == "" or text_all.endswith("\n\n")
        for block in text_all.split("\n\n"):
            if not block:
                continue
            assert block.startswith("data: ") and "\n" not in block, block
            payload = json.loads(block[6:])
            if payload.get("type") == "heartbeat":
                stream.heartbeats += 1
            else:
                assert "error" not in payload, payload
                stream.events.append(payload)
        return stream

    async def state(self) -> dict[str, Any]:
        r = await self.http.get(f"/api/state/nemo_agent/me/{self.sid}/latest", headers=self.auth)
        return r.json()["data"]["state"]

    async def submit(self, render_id: str | None = None, draft: dict | None = None) -> str:
        rid = render_id or f"render_{uuid.uuid4().hex[:10]}"
        if draft is None:
            draft = (await self.state())["draft"]
        r = await self.http.post(
            "/api/render/proxy/lambda",
            headers={**self.auth, **ATTRIBUTION},
            json={
                "id": rid,
                "sessionId": self.sid,
                "draft": draft,
                "output": {"format": "mp4", "quality": "high"},
            },
        )
        assert r.json()["code"] == 0, r.json()
        return rid

    async def status(self, rid: str, past: dict[str, Any] | None = None, wait: float = 25) -> dict[str, Any]:
        """The render's status; with ``past`` (an earlier status), held until the render moves past it."""
        params = {} if past is None else {"wait": wait, "status": past["status"], "progress": past["progress"]}
        r = await self.http.get(f"/api/render/proxy/lambda/{rid}", headers=self.auth, params=params)
        return r.json()

    async def wait(self, rid: str, timeout: float = 90) -> dict[str, Any]:
        """Follow the render through the engine's held status requests until it ends."""
        loop = asyncio.get_running_loop()
        end = loop.time() + timeout
        data: dict[str, Any] | None = None
        while loop.time() < end:
            data = (await self.status(rid, data))["data"]
            if data["status"] in ("completed", "failed", "cancelled"):
                return data
        raise AssertionError(f"render {rid} did not finish")

    async def export(self, dest: Path) -> Path:
        """Render the session's draft and download the MP4 to ``dest``."""
        data = await self.wait(await self.submit())
        assert data["status"] == "completed", data
        r = await self.http.get(data["output"]["url"])
        assert r.status_code == 200
        dest.write_bytes(r.content)
        return dest


@pytest.fixture
async def api(engine: EngineServer) -> AsyncIterator[Api]:
    async with httpx.AsyncClient(base_url=engine.url, timeout=60) as http:
        yield await Api(http).login()


# probes of output files ----------------------------------------------------------------------------


def media_info(path: Path) -> MediaInfo:
    out = subprocess.run([find_ffmpeg(), "-hide_banner", "-i", str(path)], capture_output=True, text=True, check=False)
    return parse_ffmpeg_info(out.stderr, path.suffix.lstrip("."))


def audio_levels(
    path: Path, start: float | None = None, duration: float | None = None
) -> tuple[float, float]:
    """(mean dB, max dB) of the audio, or of a window of it."""
    args = [find_ffmpeg(), "-hide_banner", "-nostats"]
    if start is not None:
        args += ["-ss", f"{start}"]
    if duration is not None:
        args += ["-t", f"{duration}"]
    args += ["-i", str(path), "-vn", "-af", "volumedetect", "-f", "null", "-"]
    err = subprocess.run(args, capture_output=True, text=True, check=False).stderr
    mean = re.search(r"mean_volume: (-?[\d.]+|-inf) dB", err)
    peak = re.search(r"max_volume: (-?[\d.]+|-inf) dB", err)
    assert mean and peak, err[-500:]
    return float(mean.group(1)), float(peak.group(1))


def gray_frame(path: Path, t: float, size: tuple[int, int]) -> bytes:
    """The frame at ``t`` seconds as 8-bit grey pixels, row by row."""
    w, h = size
    out = subprocess.run(
        [
            find_ffmpeg(),
            "-v",
            "error",
            "-ss",
            f"{t}",
            "-i",
            str(path),
            "-frames:v",
            "1",
            "-f",
            "rawvideo",
            "-pix_fmt",
            "gray",
            "-s",
            f"{w}x{h}",
            "-",
        ],
        capture_output=True,
        check=False,
    )
    assert len(out.stdout) == w * h, out.stderr[-300:]
    return out.stdout


def region(frame: bytes, size: tuple[int, int], box: tuple[float, float, float, float]) -> list[int]:
    """Pixels of the box (x0, y0, x1, y1 as fractions of the frame)."""
    w, h = size
    x0, y0, x1, y1 = int(box[0] * w), int(box[1] * h), int(box[2] * w), int(box[3] * h)
    return [frame[y * w + x] for y in range(y0, y1) for x in range(x0, x1)]


def mean(values: list[int]) -> float:
    return sum(values) / max(1, len(values))


def yuv_frame(path: Path, t: float, size: tuple[int, int]) -> tuple[bytes, bytes, bytes]:
    """The frame at ``t`` seconds as full-resolution Y, U and V planes (8-bit, row by row)."""
    w, h = size
    out = subprocess.run(
        [find_ffmpeg(), "-v", "error", "-ss", f"{t}", "-i", str(path), "-frames:v", "1"]
        + ["-f", "rawvideo", "-pix_fmt", "yuv444p", "-s", f"{w}x{h}", "-"],
        capture_output=True,
        check=False,
    )
    n = w * h
    assert len(out.stdout) == 3 * n, out.stderr[-300:]
    return out.stdout[:n], out.stdout[n : 2 * n], out.stdout[2 * n :]


def loudness(path: Path) -> float:
    """Integrated loudness (LUFS, EBU R128) of a file's sound."""
    args = [
        find_ffmpeg(),
        "-hide_banner",
        "-nostats",
        "-i",
        str(path),
        "-vn",
        "-af",
        "ebur128",
        "-f",
        "null",
        "-",
    ]
    err = subprocess.run(args, capture_output=True, text=True, check=False).stderr
    found = re.findall(r"I:\s+(-?[\d.]+) LUFS", err)
    assert found, err[-500:]
    return float(found[-1])
