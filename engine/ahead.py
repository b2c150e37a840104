"""Render-ahead: a session's draft rendered in the background after an edit, while the engine is idle.

The result is kept by the draft's content hash (``draft_key``: canonical JSON of the draft, the render
options, the footage's SHA-256 and the encoder settings) as ``renders/ahead-<key>.mp4``, so the same draft
rendered twice is one file. An export of a draft already rendered answers at once with that file (a new
render record, completed, pointing to it); of a draft being rendered ahead, it joins that render (the
ffmpeg is reniced to normal priority, its progress is the export's) instead of starting another.

One render-ahead at a time, at the lowest CPU priority (``nice -n 19``). It waits while a real render is
queued or running or while less than ``render_ahead_idle_share`` of the cores is idle, and one that runs
is stopped at once by a newer edit or undo of its session or by a real render (it then waits for idle
again). Only where renders run in this process (no ``database_url``): elsewhere every export renders.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import hashlib
import json
import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from core.nemo.models import AHEAD_NONE, AHEAD_READY, AHEAD_RENDERING
from core.recent import Recent

from . import draft as dr
from . import smart_cut
from .effects import referenced_files
from .errors import FfmpegError, FontNotFoundError
from .ffmpeg import remove_work_dir, renice
from .render import RenderError, output_format, render
from .store import RenderRecord, Store

if TYPE_CHECKING:
    from .jobs import RenderQueue
    from .settings import EngineSettings

log = logging.getLogger(__name__)

PREFIX = "ahead-"
DEFAULT_OUTPUT: dict[str, Any] = {"format": "mp4", "quality": "high"}
KEY_VERSION = 1
POLL_S = 0.25  # how often a waiting or running render-ahead looks at the engine's load
NICE = ["nice", "-n", "19"]
LATEST_KEPT = 4096  # sessions whose latest draft's key is remembered (for ``state_of``), newest kept


def canonical_output(output: Any) -> dict[str, Any] | None:
    """The render options a render-ahead can stand for (a plain MP4 export), else None."""
    out = output if isinstance(output, dict) else DEFAULT_OUTPUT
    if set(out) - {"format", "quality"} or out.get("format", "mp4") != "mp4":
        return None
    return {"format": "mp4", "quality": str(out.get("quality", "high"))}


def draft_key(draft: Any, output: dict[str, Any], hashes: dict[str, str], settings: EngineSettings) -> str:
    """The draft's content hash: the same draft, options and footage give the same key."""
    body = {"v": KEY_VERSION, "draft": draft, "output": output, "files": hashes,
            "encoder": [settings.preset, settings.crf, settings.smart_cut, str(settings.font_latin or ""),
                        str(settings.font_cjk or "")]}
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def idle_share(interval: float = 0.5) -> float:
    """The share of all cores idle over ``interval`` seconds (/proc/stat); 1.0 where it cannot be read."""
    def sample() -> tuple[int, int]:
        fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
        values = [int(v) for v in fields]
        return sum(values), values[3] + (values[4] if len(values) > 4 else 0)

    try:
        total0, idle0 = sample()
        time.sleep(interval)
        total1, idle1 = sample()
    except (OSError, ValueError, IndexError):
        return 1.0
    return (idle1 - idle0) / max(1, total1 - total0)


@dataclass
class _Run:
    key: str
    session_id: str
    draft: dict[str, Any]
    output: dict[str, Any]
    stop: asyncio.Event = field(default_factory=asyncio.Event)  # the running ffmpeg dies
    pids: set[int] = field(default_factory=set)
    joined: list[str] = field(default_factory=list)  # export records waiting for this file
    task: asyncio.Task | None = None
    running: bool = False
    progress: float = 0.0


class RenderAhead:
    """Background renders of sessions' drafts, and exports answered from them."""

    def __init__(self, store: Store, settings: EngineSettings, renders_dir: Path, queue: RenderQueue) -> None:
        self.store = store
        self.settings = settings
        self.renders_dir = renders_dir
        self.queue = queue
        self._runs: dict[str, _Run] = {}  # per session: its draft's render-ahead, waiting or running
        self._latest: Recent[str, str] = Recent(LATEST_KEPT)  # per session: its latest draft's key
        self._slot = asyncio.Lock()  # one render-ahead at a time
        self.started = 0  # counters, for tests and the bench
        self.stopped = 0
        self.finished = 0
        queue.before_real_render = self.yield_to_real_render

    @property
    def enabled(self) -> bool:
        return self.settings.render_ahead and self.queue.shared is None

    def path_of(self, key: str) -> Path:
        return self.renders_dir / f"{PREFIX}{key}.mp4"

    async def key_of(self, draft: Any, output: Any) -> str | None:
        """The content hash of rendering ``draft`` with ``output``; None when no render-ahead stands for it."""
        out = canonical_output(output)
        if out is None or not isinstance(draft, dict) or output_format(draft, out["format"]) != "mp4":
            return None  # a GIF, an MP3 or a cover asked for on the draft itself: rendered when exported
        hashes: dict[str, str] = {}
        for fid in referenced_files(draft):
            rec = await self.store.get_file(fid)
            if rec is None:
                return None
            hashes[fid] = rec.hash
        return draft_key(draft, out, hashes, self.settings)

    def state_of(self, session_id: str) -> str:
        """Whether the session's current draft is rendered ahead (``ready``: an export answers at once),
        being rendered or waiting for idle (``rendering``), or neither (``none``)."""
        key = self._latest.get(session_id)
        if key is None:
            return AHEAD_NONE
        if self.path_of(key).exists():
            return AHEAD_READY
        return AHEAD_RENDERING if any(r.key == key for r in self._runs.values()) else AHEAD_NONE

    def _remember(self, session_id: str, key: str | None) -> None:
        if key is None:
            self._latest.pop(session_id, None)
        else:
            self._latest[session_id] = key

    # after an edit ------------------------------------------------------------------------------
    async def draft_changed(self, session_id: str, draft: Any) -> None:
        """The session's draft is now ``draft``: render it ahead unless it is rendered or being rendered."""
        if not self.enabled or not isinstance(draft, dict) or not dr.segments(dr.clone(draft), dr.VIDEO):
            self._remember(session_id, None)
            return
        key = await self.key_of(draft, DEFAULT_OUTPUT)
        self._remember(session_id, key)
        current = self._runs.get(session_id)
        if key is None or self.path_of(key).exists() or any(r.key == key for r in self._runs.values()):
            if current is not None and current.key != key and not current.joined:
                self._drop(current)
            return
        if current is not None and not current.joined:
            self._drop(current)
        run = _Run(key, session_id, dr.clone(draft), dict(DEFAULT_OUTPUT))
        self._runs[session_id] = run
        run.task = asyncio.create_task(self._render(run))

    def _drop(self, run: _Run) -> None:
        run.stop.set()
        if run.task is not None:
            run.task.cancel()
        if self._runs.get(run.session_id) is run:
            del self._runs[run.session_id]

    def yield_to_real_render(self) -> None:
        """A real render was queued: a running render-ahead (not joined) stops at once and waits."""
        for run in self._runs.values():
            if run.running and not run.joined:
                run.stop.set()

    async def stop_all(self) -> None:
        runs = list(self._runs.values())
        for run in runs:
            self._drop(run)
        for run in runs:
            if run.task is not None:
                with contextlib.suppress(BaseException):
                    await run.task

    # exports --------------------------------------------------------------------------------------
    async def serve(self, rec: RenderRecord) -> bool:
        """Answer an export from a render-ahead: completed at once with its file, or joined to the one under
        way (the record is stored here). False: the export is queued as usual."""
        if not self.enabled:
            return False
        key = await self.key_of(rec.draft, rec.output)
        if key is None:
            return False
        path = self.path_of(key)
        if path.exists():
            rec.status, rec.progress, rec.out_path = "completed", 100.0, str(path)
            rec.size = path.stat().st_size
            rec.duration = await self._duration(path, rec.draft)
            await self.store.add_render(rec)
            log.info("render %s answered by render-ahead %s", rec.id, key)
            return True
        run = next((r for r in self._runs.values() if r.key == key and r.running and not r.stop.is_set()), None)
        if run is None:
            return False
        rec.status = "processing"
        await self.store.add_render(rec)
        run.joined.append(rec.id)
        self.queue.report_progress(rec.id, run.progress)
        for pid in run.pids:  # now a real render: back to normal priority where the system allows it
            renice(pid, 0)
        log.info("render %s joined render-ahead %s", rec.id, key)
        return True

    async def _duration(self, path: Path, draft: Any) -> float:
        return round(dr.total_ms(dr.relayout(dr.clone(draft))) / 1000.0, 3)

    # the background render ------------------------------------------------------------------------
    def _busy(self) -> bool:
        return self.queue.busy()

    async def _wait_for_idle(self, run: _Run) -> None:
        while True:
            if not self._busy():
                idle = await asyncio.to_thread(idle_share, POLL_S)
                if idle >= self.settings.render_ahead_idle_share and not self._busy():
                    return
            else:
                await asyncio.sleep(POLL_S)

    async def _render(self, run: _Run) -> None:
        try:
            async with self._slot:
                while not self.path_of(run.key).exists():
                    await self._wait_for_idle(run)
                    run.stop = asyncio.Event()
                    if await self._attempt(run):
                        break
        except asyncio.CancelledError:
            pass
        except Exception:
            log.exception("render-ahead %s failed", run.key)
        finally:
            if self._runs.get(run.session_id) is run:
                del self._runs[run.session_id]
            await self._settle_joined(run)

    async def _attempt(self, run: _Run) -> bool:
        """One try; True when done (or failed for good), False when stopped by a real render."""
        out = self.path_of(run.key)
        part = out.with_name(out.stem + ".part.mp4")
        work = self.renders_dir / f"{PREFIX}{run.key}.work"
        sources = await self.queue.sources_of(run.draft)
        run.running = True
        self.started += 1
        watcher = asyncio.create_task(self._watch(run))

        def on_start(pid: int) -> None:
            run.pids.add(pid)
            if run.joined:
                renice(pid, 0)

        def on_progress(p: float) -> None:
            run.progress = p
            for rid in run.joined:
                self.queue.report_progress(rid, p)

        try:
            cmd = await asyncio.to_thread(self.queue.draft_command, run.draft, sources, part, work)
            prefix = [] if run.joined else NICE
            if not await smart_cut.render_copying(run.draft, sources, cmd, part, work, self.settings,
                                                  on_progress=on_progress, cancel_event=run.stop,
                                                  prefix=prefix, on_start=on_start):
                niced = dataclasses.replace(cmd, args=[*prefix, *cmd.args])
                await render(niced, on_progress=on_progress, cancel_event=run.stop, on_start=on_start)
            part.replace(out)
            self.finished += 1
            return True
        except (RenderError, FontNotFoundError, FfmpegError) as exc:
            part.unlink(missing_ok=True)
            if run.stop.is_set() and not run.joined:
                self.stopped += 1
                return False  # a real render came: wait for idle again
            log.info("render-ahead %s failed: %s", run.key, exc)
            return True
        finally:
            run.running = False
            run.pids.clear()
            watcher.cancel()
            remove_work_dir(work)

    async def _watch(self, run: _Run) -> None:
        """Stop the render-ahead (not joined) when a real render is queued or running."""
        while not run.stop.is_set():
            await asyncio.sleep(POLL_S)
            if not run.joined and self._busy():
                run.stop.set()

    async def _settle_joined(self, run: _Run) -> None:
        """The exports that joined get the file, or are queued as usual when it was not made."""
        out = self.path_of(run.key)
        for rid in run.joined:
            self.queue.forget_progress(rid)
            rec = await self.store.get_render(rid)
            if rec is None or rec.status != "processing":
                continue
            if out.exists():
                await self.queue.settle(rid, status="completed", progress=100.0, out_path=str(out),
                                        duration=await self._duration(out, rec.draft), size=out.stat().st_size)
            else:
                await self.store.update_render(rid, status="pending", progress=0.0)
                await self.queue.requeue(rec)

