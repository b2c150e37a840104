"""Previews: a small, quick look at a session's current draft before it is exported.

The draft is rendered by ``render.build_command`` itself (the same filter graph as an export, so titles,
cuts and looks are what the export will show) at the "low" quality canvas and ``PREVIEW_FPS`` (the draft's
own ``fx.fps``, set on a copy), from proxies of its videos: each upload once at ``PREVIEW_BOX`` and
``PREVIEW_FPS`` with a short GOP (made at the first preview that needs it, or ahead by ``prepare``), so a
preview decodes a few hundred small frames, not a phone's 1080p. Only the command's output end is
changed: the picture fitted in ``PREVIEW_BOX``, x264 ``superfast`` at a high CRF under a bitrate cap (``PREVIEW_MAX_BYTES``), at most
``PREVIEW_MAX_SECONDS``, without sound (a Telegram animation) or with a thin AAC track. ffmpeg runs niced,
one at a time, outside the render queue: a preview never waits behind exports, and exports keep the
cores.

The file is named after the draft's content (the draft, the files it uses, the audio choice): the same
draft asked twice is one render, and the pruner removes it with the other leftovers of ``renders/``.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import shutil
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from core.locks import KeyedLocks

from . import draft as dr
from . import effects as ef
from .ffmpeg import find_ffmpeg, renice, run
from .render import RenderCommand, SourceFile, build_command

PREVIEW_BOX = (480, 854)  # the largest: 480x854 for 9:16, 854x480 for 16:9
PREVIEW_BOXES = (PREVIEW_BOX, (360, 640), (270, 480))  # smaller ones for long previews (short, long side)
MIN_BITS_PER_PIXEL = 0.025  # per frame, below which a smaller picture looks better than a blockier one
PREVIEW_PRESET = "superfast"  # ultrafast has no CABAC nor deblocking: blocks at this bitrate
PREVIEW_FPS = 12
PREVIEW_CRF = 33
PREVIEW_AUDIO_KBPS = 32
PREVIEW_MAX_SECONDS = 60.0
PREVIEW_MAX_BYTES = 900_000  # a cap on the bitrate keeps a busy minute under 1 MB (CRF alone may not)
PREVIEW_NICE = 10  # below exports (0), above render-ahead (19)
PROXY_AHEAD_NICE = 19  # proxies made ahead, after an upload: only with cores nothing else wants
PREVIEW_PREFIX = "preview_"
FAST_DECODE = ("-skip_loop_filter", "all", "-flags2", "+fast")  # decoder options, before each input
PROXY_CRF = 26
VERSION = "2"  # part of the cache key: a change of the recipe above makes new files


@dataclass(frozen=True)
class Preview:
    path: Path
    duration: float
    width: int
    height: int
    size: int
    audio: bool
    cached: bool  # the same draft's preview was already made


def preview_key(draft: dr.Draft, sources: dict[str, SourceFile], audio: bool) -> str:
    """What names a preview: the draft's content and the files it uses (their path, size, mtime)."""
    files = []
    for fid in sorted(sources):
        path = sources[fid].path
        try:
            st = path.stat()
            files.append([fid, str(path), st.st_size, int(st.st_mtime)])
        except OSError:
            files.append([fid, str(path), 0, 0])
    blob = json.dumps([VERSION, draft, files, audio], sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(blob.encode()).hexdigest()[:32]


def fit_box(w: int, h: int, video_kbps: int | None = None) -> tuple[int, int]:
    """``w`` x ``h`` scaled into ``PREVIEW_BOX`` (either way round), never up, even sides; with a bitrate,
    into the largest of ``PREVIEW_BOXES`` it carries (``MIN_BITS_PER_PIXEL``), so a long preview is smaller
    rather than blockier."""
    boxes = [b for b in PREVIEW_BOXES if video_kbps is None
             or video_kbps * 1000 / (b[0] * b[1] * PREVIEW_FPS) >= MIN_BITS_PER_PIXEL] or [PREVIEW_BOXES[-1]]
    short_box, long_box = boxes[0]
    k = min(1.0, long_box / max(w, h), short_box / min(w, h))
    return max(2, round(w * k / 2) * 2), max(2, round(h * k / 2) * 2)


def preview_command(cmd: RenderCommand, out: Path, *, audio: bool, nice: int = PREVIEW_NICE) -> RenderCommand:
    """An MP4 render command of ``render.build_command`` turned into a preview's: the same filter graph,
    with the picture thinned and fitted after it, and its own output options."""
    args = list(cmd.args)
    at = args.index("-filter_complex")
    seconds = min(cmd.duration, PREVIEW_MAX_SECONDS)
    kbps = max(48, int(PREVIEW_MAX_BYTES * 8 * 0.85 / max(seconds, 1.0) / 1000) - (PREVIEW_AUDIO_KBPS if audio else 0))
    w, h = fit_box(cmd.width, cmd.height, kbps)
    graph = args[at + 1] + f";[vout]fps={PREVIEW_FPS},scale={w}:{h}:flags=bilinear,setsar=1[pvout]"
    if not audio:
        graph += ";[aout]anullsink"
    head: list[str] = []
    for i, arg in enumerate(args[:at]):
        if arg == "-i" and i > 0:
            head.extend(FAST_DECODE)
        head.append(arg)
    head = [*_niced(nice), *head]
    tail = ["-map", "[pvout]", "-c:v", "libx264", "-preset", PREVIEW_PRESET, "-crf", str(PREVIEW_CRF),
            "-maxrate", f"{kbps}k", "-bufsize", f"{kbps * 4}k", "-x264-params", "vbv-init=0.9", "-pix_fmt",
            "yuv420p", "-r", str(PREVIEW_FPS)]
    if audio:
        tail += ["-map", "[aout]", "-c:a", "aac", "-b:a", f"{PREVIEW_AUDIO_KBPS}k", "-ar", "24000", "-ac", "1"]
    else:
        tail += ["-an"]
    tail += ["-movflags", "+faststart", "-t", f"{seconds:.3f}", "-progress", "pipe:1", str(out)]
    return RenderCommand([*head, "-filter_complex", graph, *tail], round(seconds, 3), w, h, cmd.text_files, "mp4")


def preview_draft(draft: dr.Draft) -> dr.Draft:
    """The draft as a preview renders it: at ``PREVIEW_FPS``, at the canvas of "low" quality (a resolution
    or a size cap set on it is the export's business)."""
    d = dr.clone(draft)
    fx = ef.effects(d)
    fx["fps"] = PREVIEW_FPS
    fx.pop("res", None)
    d["fx"] = fx
    return dr.set_max_mb(d, None)


def proxy_command(source: SourceFile, out: Path, ffmpeg: str | None = None, nice: int = PREVIEW_NICE) -> list[str]:
    """One upload made small for previews: fitted in ``PREVIEW_BOX``, ``PREVIEW_FPS``, a key frame a second."""
    w, h = fit_box(source.width, source.height)
    args = [*_niced(nice), find_ffmpeg(ffmpeg), "-hide_banner", "-nostdin", "-nostats", "-loglevel", "error", "-y",
            *FAST_DECODE, "-i", str(source.path), "-map", "0:v:0", "-vf",
            f"fps={PREVIEW_FPS},scale={w}:{h}:flags=bilinear", "-c:v", "libx264", "-preset", "ultrafast",
            "-crf", str(PROXY_CRF), "-g", str(PREVIEW_FPS), "-pix_fmt", "yuv420p"]
    if source.has_audio:
        args += ["-map", "0:a:0", "-c:a", "aac", "-b:a", "96k"]
    return [*args, "-movflags", "+faststart", str(out)]



def _niced(nice: int = PREVIEW_NICE) -> list[str]:
    nice_bin = shutil.which("nice") if nice > 0 else None
    return [nice_bin, "-n", str(nice)] if nice_bin else []


class Previews:
    """Makes (or finds) the preview of a draft: one preview render at a time, each proxy made once (a
    preview that needs a proxy being made ahead raises that ffmpeg's priority to its own, and waits)."""

    def __init__(self, renders_dir: Path, sources: Callable[[dict[str, Any]], Awaitable[dict[str, SourceFile]]],
                 *, ffmpeg: str | None = None, font_latin: Path | None = None, font_cjk: Path | None = None) -> None:
        self.renders_dir = renders_dir
        self._sources = sources
        self._ffmpeg = ffmpeg
        self._fonts = (font_latin, font_cjk)
        self._one = asyncio.Lock()
        self._proxy_locks = KeyedLocks()  # one per proxy being made or waited for
        self._proxy_pids: dict[Path, int] = {}  # proxies being made, by the ffmpeg making them

    async def make(self, draft: dr.Draft, *, audio: bool) -> Preview:
        """The draft's preview (``render.RenderError`` when it has nothing to show)."""
        sources = await self._sources(draft)
        key = preview_key(draft, sources, audio)
        out = self.renders_dir / f"{PREVIEW_PREFIX}{key}.mp4"
        meta = out.with_suffix(".json")
        if not (out.is_file() and meta.is_file()):
            sources = await self._proxies(sources)
        async with self._one:
            cached = out.is_file() and meta.is_file()
            if cached:
                os.utime(out)  # kept as long as it is asked for
            else:
                await self._render(draft, sources, out, audio)
            facts = json.loads(meta.read_text())
        return Preview(out, float(facts["duration"]), int(facts["width"]), int(facts["height"]),
                       out.stat().st_size, audio, cached)

    async def prepare(self, draft: dr.Draft) -> None:
        """Make the proxies of the draft's videos ahead (after an upload), so its first preview is quick."""
        await self._proxies(await self._sources(draft), PROXY_AHEAD_NICE)

    async def _proxies(self, sources: dict[str, SourceFile], nice: int = PREVIEW_NICE) -> dict[str, SourceFile]:
        """``sources`` with each video larger than a preview read from its proxy (made when missing); the
        sizes stay the upload's, so the canvas is the export's."""
        out = dict(sources)
        for fid, src in sources.items():
            if src.file_type != "video" or src.width * src.height <= PREVIEW_BOX[0] * PREVIEW_BOX[1]:
                continue
            st = src.path.stat()
            name = hashlib.sha256(f"{VERSION}|{src.path}|{st.st_size}|{int(st.st_mtime)}".encode()).hexdigest()[:24]
            proxy = self.renders_dir / f"{PREVIEW_PREFIX}src_{name}.mp4"
            if proxy in self._proxy_pids and nice < PROXY_AHEAD_NICE:
                renice(self._proxy_pids[proxy], nice)  # made ahead and now waited for
            async with self._proxy_locks(str(proxy)):
                if proxy.is_file():
                    os.utime(proxy)
                else:
                    await self._make_proxy(src, proxy, nice)
            out[fid] = replace(src, path=proxy)
        return out

    async def _make_proxy(self, src: SourceFile, proxy: Path, nice: int) -> None:
        self.renders_dir.mkdir(parents=True, exist_ok=True)
        part = proxy.with_name(f"{proxy.stem}.part.mp4")
        try:
            await run(proxy_command(src, part, self._ffmpeg, nice), timeout=max(300.0, src.duration * 5),
                      on_start=lambda pid: self._proxy_pids.__setitem__(proxy, pid))
            part.replace(proxy)
        finally:
            self._proxy_pids.pop(proxy, None)
            part.unlink(missing_ok=True)

    async def _render(self, draft: dr.Draft, sources: dict[str, SourceFile], out: Path, audio: bool) -> None:
        self.renders_dir.mkdir(parents=True, exist_ok=True)
        work = self.renders_dir / f"{out.stem}.work"
        part = out.with_name(f"{out.stem}.part.mp4")
        try:
            full = await asyncio.to_thread(  # off the loop: font lookup may ask fontconfig
                build_command, preview_draft(draft), sources, part, work, ffmpeg=self._ffmpeg, preset="ultrafast",
                crf=PREVIEW_CRF, quality="low", font_latin=self._fonts[0], font_cjk=self._fonts[1])
            cmd = preview_command(full, part, audio=audio)
            for path, text in cmd.text_files:
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(text, encoding="utf-8")
            await run(cmd.args, timeout=max(120.0, cmd.duration * 10))
            out.with_suffix(".json").write_text(json.dumps(
                {"duration": cmd.duration, "width": cmd.width, "height": cmd.height, "made": time.time()}))
            part.replace(out)
        finally:
            part.unlink(missing_ok=True)
            shutil.rmtree(work, ignore_errors=True)
