"""The render queue: jobs persisted in the store, run one or two at a time, cancellable, resumed on start.

Renders are taken per user in turn: a render's priority is minus the number of its user's renders
already queued or running (higher first, arrival order among equals), so a user with ten exports queued
delays another user's one export by at most the render under way (``render_order = "arrival"`` turns
this off). Both queues below order by that same priority.

Alone (no ``database_url``) the queue is in this process. With one, renders are queued in PostgreSQL
(engine/workers.py) and any worker instance runs them; the render's row is then the only news another
instance has of it, so waits on a render read the row every ``ROW_POLL_S`` and a worker reads the row of
what it renders as often, to stop when it was cancelled elsewhere.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import math
import time
import weakref
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from core.nemo.models import FROM_RENDER

from . import smart_cut
from .errors import Code, EngineError, FfmpegError, FontNotFoundError
from .ffmpeg import remove_work_dir
from .probe import probe
from .render import (
    EXTENSIONS,
    RenderCommand,
    RenderError,
    SourceFile,
    build_command,
    output_format,
    reencode_command,
    render,
)
from .retention import expired_footage, footage_expired_text
from .settings import EngineSettings
from .store import RenderRecord, Store
from .workers import SharedRenders

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 3
ROW_POLL_S = 0.5  # how often a render's row is read when another instance may change it
TERMINAL = {"completed", "failed", "cancelled"}
FORMAT_OF_EXTENSION = {ext: fmt for fmt, ext in EXTENSIONS.items()}


class RenderQueue:
    """Runs renders with at most ``settings.concurrent_renders`` ffmpeg processes at a time."""

    def __init__(
        self,
        store: Store,
        settings: EngineSettings,
        renders_dir: Path,
        sources: Callable[[dict[str, Any]], Awaitable[dict[str, SourceFile]]],
        public_url: Callable[[str], str],
        *,
        database_url: str | None = None,
        renders_here: bool = True,
    ) -> None:
        self.store = store
        self.settings = settings
        self.renders_dir = renders_dir
        self._sources = sources
        self._public_url = public_url
        # (minus the priority, arrival number, render id): the highest priority first, then the earliest
        self._queue: asyncio.PriorityQueue[tuple[int, int, str]] = asyncio.PriorityQueue()
        self._arrival = itertools.count()
        self._workers: list[asyncio.Task] = []
        self._cancel: dict[str, asyncio.Event] = {}
        self._progress: dict[str, float] = {}
        # held weakly: an event nobody waits on (a finished render's last status read) leaves with its reader
        self._changed: weakref.WeakValueDictionary[str, asyncio.Event] = weakref.WeakValueDictionary()
        self._renders_here = renders_here
        self.before_real_render: Callable[[], None] | None = None  # render-ahead yields (engine/ahead.py)
        self._shared: SharedRenders | None = None
        if database_url:
            self._shared = SharedRenders(
                database_url,
                store,
                self._run_shared,
                concurrency=settings.concurrent_renders,
                lease=settings.render_lease,
            )

    @property
    def shared(self) -> SharedRenders | None:
        """The PostgreSQL queue, when renders are shared between instances."""
        return self._shared

    async def start(self) -> None:
        """Start the workers and requeue what a previous run left pending or half done."""
        self.renders_dir.mkdir(parents=True, exist_ok=True)
        if self._shared is not None:
            await self._shared.start(work=self._renders_here)
            return
        ahead: dict[str, int] = {}  # per user: that user's renders requeued so far (they are in arrival order)
        for rec in await self.store.renders_with_status("pending", "processing"):
            if rec.attempts >= MAX_ATTEMPTS:
                await self.store.update_render(
                    rec.id, status="failed", error="interrupted by engine restarts too many times"
                )
                continue
            await self.store.update_render(rec.id, status="pending", progress=0.0)
            turn = ahead.get(rec.user_id, 0)
            ahead[rec.user_id] = turn + 1
            self._put(rec.id, -turn if self.settings.render_order == "fair" else 0)
        for _ in range(self.settings.concurrent_renders):
            self._workers.append(asyncio.create_task(self._worker()))

    async def stop(self) -> None:
        for ev in self._cancel.values():
            ev.set()  # running ffmpegs die; their jobs stay "processing" in the store and rerun on start
        for w in self._workers:
            w.cancel()
        for w in self._workers:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await w
        self._workers.clear()
        if self._shared is not None:
            await self._shared.stop()

    async def submit(self, rec: RenderRecord) -> None:
        """Queue a render; refused (in the session's language) when the pruner removed its footage."""
        if await expired_footage(self.store, rec.draft):
            task = await self.store.get_task(rec.session_id)
            raise EngineError(Code.FOOTAGE_EXPIRED, footage_expired_text(task.language if task else "en"))
        if self.before_real_render is not None:
            self.before_real_render()
        await self.store.add_render(rec)
        priority = await self.priority(rec)
        if self._shared is not None:
            await self._shared.defer(rec.id, priority)
        else:
            self._put(rec.id, priority)

    async def priority(self, rec: RenderRecord) -> int:
        """The render's priority (higher goes first): minus the number of its user's other renders queued
        or running, so each user's first waiting render comes before anyone's second; 0 for all in
        arrival order."""
        if self.settings.render_order != "fair":
            return 0
        return -await self.store.renders_waiting_of(rec.user_id, rec.id)

    async def requeue(self, rec: RenderRecord) -> None:
        """Queue again a render whose record is stored (one that joined a render-ahead that did not finish)."""
        priority = await self.priority(rec)
        if self._shared is not None:
            await self._shared.defer(rec.id, priority)
        else:
            self._put(rec.id, priority)

    def busy(self) -> bool:
        """A real render is queued or running in this process."""
        return not self._queue.empty() or bool(self._progress)

    def report_progress(self, render_id: str, p: float) -> None:
        """The live progress of a render made outside the queue (one joined to a render-ahead)."""
        if int(p) != int(self._progress.get(render_id, -1.0)):
            self._notify(render_id)
        self._progress[render_id] = p

    def forget_progress(self, render_id: str) -> None:
        self._progress.pop(render_id, None)

    async def settle(self, render_id: str, **fields: Any) -> None:
        """Store a render's new fields and wake the requests waiting on it."""
        await self._update(render_id, **fields)

    async def sources_of(self, draft: dict[str, Any]) -> dict[str, SourceFile]:
        return await self._sources(draft)

    def draft_command(self, draft: dict[str, Any], sources: dict[str, SourceFile], out: Path, work: Path, *,
                      quality: str = "high", max_bytes: int | None = None, fmt: str = "mp4") -> RenderCommand:
        """The full render's command for ``draft`` with this engine's encoder settings."""
        return build_command(
            draft,
            sources,
            out,
            work,
            ffmpeg=self.settings.ffmpeg,
            preset=self.settings.preset,
            crf=self.settings.crf,
            quality=quality,
            font_latin=self.settings.font_latin,
            font_cjk=self.settings.font_cjk,
            max_bytes=max_bytes,
            output_format=fmt,
        )

    def _put(self, render_id: str, priority: int) -> None:
        self._queue.put_nowait((-priority, next(self._arrival), render_id))

    def live_progress(self, render_id: str) -> float | None:
        return self._progress.get(render_id)

    def change_event(self, render_id: str) -> asyncio.Event:
        """Set at the render's next change of status or whole-percent progress (take it before reading
        the render, so that a change in between is not missed)."""
        event = self._changed.get(render_id)
        if event is None:
            event = self._changed[render_id] = asyncio.Event()
        return event

    def news_within(self, render_id: str) -> float:
        """Seconds a wait on ``change_event`` may last before the render's row must be read again: a
        render done by another instance sets no event here."""
        return ROW_POLL_S if self._shared is not None and render_id not in self._progress else math.inf

    def _notify(self, render_id: str) -> None:
        event = self._changed.pop(render_id, None)
        if event is not None:
            event.set()

    async def _update(self, render_id: str, **fields: Any) -> None:
        await self.store.update_render(render_id, **fields)
        self._notify(render_id)

    async def cancel(self, render_id: str) -> RenderRecord | None:
        rec = await self.store.get_render(render_id)
        if rec is None or rec.status in TERMINAL:
            return rec
        await self._update(render_id, status="cancelled")
        ev = self._cancel.get(render_id)
        if ev is not None:
            ev.set()
        return await self.store.get_render(render_id)

    async def _worker(self) -> None:
        while True:
            _, _, render_id = await self._queue.get()
            try:
                await self._run(render_id)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("render %s crashed", render_id)
                with contextlib.suppress(Exception):
                    await self._update(render_id, status="failed", error="internal error")

    async def _run_shared(self, render_id: str) -> None:
        """A procrastinate job: render, and put the render back in the queue if this worker stops."""
        rec = await self.store.get_render(render_id)
        if await self._run(render_id) or rec is None or self._shared is None:
            return
        await self.store.update_render(render_id, status="pending", progress=0.0, attempts=rec.attempts)
        await self._shared.defer(render_id, await self.priority(rec))

    async def _watch_row(self, render_id: str, cancel: asyncio.Event) -> None:
        """Stop the render when its row says another instance cancelled it."""
        while not cancel.is_set():
            await asyncio.sleep(ROW_POLL_S)
            with contextlib.suppress(Exception):
                rec = await self.store.get_render(render_id)
                if rec is not None and rec.status == "cancelled":
                    cancel.set()

    async def _run(self, render_id: str) -> bool:
        """Render; False only when this engine stopped in the middle (the render is still to do)."""
        rec = await self.store.get_render(render_id)
        if rec is None or rec.status != "pending":
            return True
        if not await self.store.start_render(render_id, rec.attempts + 1):
            return True  # cancelled between the read and here
        self._notify(render_id)
        cancel = asyncio.Event()
        self._cancel[render_id] = cancel
        watcher = asyncio.create_task(self._watch_row(render_id, cancel)) if self._shared else None
        fmt = output_format(rec.draft, rec.output.get("format") if isinstance(rec.output, dict) else None)
        out = self.renders_dir / f"{render_id}.{EXTENSIONS[fmt]}"
        work = self.renders_dir / f"{render_id}.work"
        self._progress[render_id] = 0.0
        last_write = [0.0, 0.0]

        def on_progress(p: float) -> None:
            if int(p) != int(self._progress.get(render_id, 0.0)):
                self._notify(render_id)
            self._progress[render_id] = p
            now = time.monotonic()
            if now - last_write[0] >= 1.0 and p - last_write[1] >= 1.0:
                last_write[0], last_write[1] = now, p
                asyncio.get_running_loop().create_task(self._save_progress(render_id, p))

        try:
            output = rec.output if isinstance(rec.output, dict) else {}
            quality = str(output.get("quality", "high"))
            max_bytes = output.get("maxBytes")
            cap = int(max_bytes) if isinstance(max_bytes, (int, float)) and max_bytes > 0 else None
            earlier = await self._finished_mp4(rec, output.get(FROM_RENDER)) if cap and fmt == "mp4" else None
            sources: dict[str, SourceFile] = {}
            if cap and earlier is not None:  # a smaller version of that render: its file re-encoded
                cmd = reencode_command(earlier, out, cap, ffmpeg=self.settings.ffmpeg, preset=self.settings.preset,
                                       crf=self.settings.crf)
            else:
                sources = await self._sources(rec.draft)
                # off the loop: font lookup may ask fontconfig
                cmd = await asyncio.to_thread(
                    self.draft_command, rec.draft, sources, out, work, quality=quality, max_bytes=cap, fmt=fmt
                )
            copied = not cap and earlier is None and await smart_cut.render_copying(
                rec.draft, sources, cmd, out, work, self.settings, on_progress=on_progress, cancel_event=cancel
            )  # the untouched GOPs copied, when the draft allows it
            if not copied:
                await render(cmd, on_progress=on_progress, cancel_event=cancel)
        except (RenderError, FontNotFoundError, FfmpegError) as exc:
            current = await self.store.get_render(render_id)
            if current is not None and current.status == "cancelled":
                out.unlink(missing_ok=True)
            elif cancel.is_set():
                return False  # engine stopping: left "processing", rerun on the next start
            elif await expired_footage(self.store, rec.draft):  # the pruner took it after the render was queued
                task = await self.store.get_task(rec.session_id)
                log.info("render %s: its footage expired while it waited", render_id)
                await self._update(render_id, status="failed",
                                   error=footage_expired_text(task.language if task else "en"))
            else:
                log.warning("render %s failed: %s", render_id, exc)
                await self._update(render_id, status="failed", error=str(exc)[-500:])
            return True
        finally:
            if watcher is not None:
                watcher.cancel()
            self._cancel.pop(render_id, None)
            self._progress.pop(render_id, None)
            remove_work_dir(work)
        current = await self.store.get_render(render_id)
        if current is not None and current.status == "cancelled":
            out.unlink(missing_ok=True)
            return True
        await self._update(
            render_id,
            status="completed",
            progress=100.0,
            out_path=str(out),
            duration=cmd.duration,
            size=out.stat().st_size,
        )
        return True

    async def _finished_mp4(self, rec: RenderRecord, render_id: Any) -> SourceFile | None:
        """The MP4 of an earlier render of the same session (``output.fromRender``), when it is still
        there to re-encode; else None, and the render's draft is rendered instead."""
        if not isinstance(render_id, str) or not render_id:
            return None
        earlier = await self.store.get_render(render_id)
        if earlier is None or earlier.session_id != rec.session_id or earlier.status != "completed":
            return None
        path = Path(earlier.out_path or "")
        if path.suffix != ".mp4" or not path.is_file():
            return None
        try:
            info = await probe(path, self.settings.ffmpeg)
        except ValueError as exc:
            log.info("render %s: %s is no video to re-encode (%s); rendering its draft", rec.id, path.name, exc)
            return None
        if not info.has_video:
            return None
        return SourceFile(path, "video", info.duration, info.width, info.height, info.has_audio)

    async def _save_progress(self, render_id: str, p: float) -> None:
        with contextlib.suppress(Exception):
            rec = await self.store.get_render(render_id)
            if rec is not None and rec.status == "processing":
                await self.store.update_render(render_id, progress=round(p, 1))

    def status_body(self, rec: RenderRecord) -> dict[str, Any]:
        """The documented render status: ``{"success": true, "data": {...}}``."""
        progress = self.live_progress(rec.id)
        progress = rec.progress if progress is None else progress
        data: dict[str, Any] = {
            "id": rec.id,
            "taskId": rec.id,
            "sessionId": rec.session_id,
            "status": rec.status,
            "progress": int(progress if rec.status != "completed" else 100),
        }
        if rec.status == "completed" and rec.out_path:
            url = self._public_url(f"/files/renders/{Path(rec.out_path).name}")
            data["outputUrl"] = url
            data["output"] = {
                "url": url,
                "duration": rec.duration,
                "size": rec.size,
                "format": FORMAT_OF_EXTENSION.get(Path(rec.out_path).suffix.lstrip("."), "mp4"),
            }
        if rec.error:
            data["error"] = rec.error
            if rec.error in (footage_expired_text("en"), footage_expired_text("zh")):
                data["errorCode"] = int(Code.FOOTAGE_EXPIRED)  # the bot answers as for an expired draft
        return {"success": True, "data": data}
