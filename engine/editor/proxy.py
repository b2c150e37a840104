"""Small proxies of the footage for the editing page: 360p H.264 at a low bitrate with mono AAC, the
index at the front (``+faststart``) so a phone on a weak connection starts playing at once. Made once
per uploaded file, one ffmpeg at a time per file, beside the file's analyses
(``<data_dir>/analysis/<file id>.proxy.mp4``): the pruner removes it with its upload."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path

from ..ffmpeg import find_ffmpeg, run
from ..store import FileRecord

SHORT_SIDE = 360
VIDEO_KBPS = 100
AUDIO_KBPS = 24


def proxy_args(source: Path, target: Path, has_audio: bool, ffmpeg: str | None = None) -> list[str]:
    """The ffmpeg command that makes ``target`` from ``source`` (pure)."""
    scale = (
        f"scale='if(gt(iw,ih),-2,min({SHORT_SIDE},iw))':'if(gt(iw,ih),min({SHORT_SIDE},ih),-2)',"
        "format=yuv420p"
    )
    args = [
        find_ffmpeg(ffmpeg), "-hide_banner", "-nostdin", "-nostats", "-loglevel", "error", "-y",
        "-i", str(source), "-map", "0:v:0", "-vf", scale, "-r", "24",
        "-c:v", "libx264", "-preset", "veryfast", "-profile:v", "main", "-crf", "33",
        "-maxrate", f"{VIDEO_KBPS}k", "-bufsize", f"{VIDEO_KBPS * 2}k", "-g", "48",
    ]
    if has_audio:
        args += ["-map", "0:a:0", "-c:a", "aac", "-b:a", f"{AUDIO_KBPS}k", "-ac", "1", "-ar", "32000"]
    return args + ["-movflags", "+faststart", "-f", "mp4", str(target)]


class Proxies:
    """The proxy of each uploaded video, made on first need and kept."""

    def __init__(self, directory: Path, ffmpeg: str | None = None) -> None:
        self.directory = directory
        self.ffmpeg = ffmpeg
        self._making: dict[str, asyncio.Task[Path]] = {}

    def path(self, file_id: str) -> Path:
        return self.directory / f"{file_id}.proxy.mp4"

    async def of(self, rec: FileRecord) -> Path:
        """The proxy of ``rec`` (a video), made now if it is not yet."""
        target = self.path(rec.id)
        if target.exists():
            return target
        task = self._making.get(rec.id)
        if task is None:
            task = asyncio.ensure_future(self._make(rec, target))
            self._making[rec.id] = task
            task.add_done_callback(lambda _t: self._making.pop(rec.id, None))
        return await asyncio.shield(task)

    def warm(self, rec: FileRecord) -> None:
        """Start making the proxy without waiting for it (an editing link was just handed out)."""
        if rec.file_type == "video" and not self.path(rec.id).exists() and rec.id not in self._making:
            task = asyncio.ensure_future(self.of(rec))
            task.add_done_callback(lambda t: t.cancelled() or t.exception())

    async def _make(self, rec: FileRecord, target: Path) -> Path:
        self.directory.mkdir(parents=True, exist_ok=True)
        part = target.with_name(f"{rec.id}.proxy.part.mp4")
        try:
            await run(proxy_args(rec.path, part, bool(rec.info.get("has_audio")), self.ffmpeg), timeout=600)
            part.replace(target)
        finally:
            with contextlib.suppress(FileNotFoundError):
                part.unlink()
        return target
