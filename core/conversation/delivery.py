"""Delivery: a finished render handed to its surface (the link always, the file where it fits),
its status message closed; also after a restart, when nobody is waiting on the export any more."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence
from dataclasses import replace

from core.i18n import elapsed_text, say
from core.nemo.errors import NemoError
from core.nemo.models import RenderStatus
from core.ports import Button, ChatPort, MessageRef, Target
from core.renders import job_status_message, job_target, render_buttons, video_of
from core.sizes import MB, megabytes
from core.status import StatusMessage
from core.store.base import RenderJob

from .context import Context

log = logging.getLogger(__name__)

PORT_WAIT = 120.0


class Delivery:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.live: dict[str, StatusMessage] = {}
        """Status messages of renders whose export is still being followed, by render id."""

    async def deliver(self, job: RenderJob, result: RenderStatus | None, error: NemoError | None) -> None:
        """Hand a finished render to its surface: the link always, the file where it fits."""
        ctx = self.ctx
        target = job_target(job)
        lang = str(job.extra.get("lang") or ctx.settings.bot.language)
        ready = ctx.port_ready.setdefault(target.platform, asyncio.Event())
        async with asyncio.timeout(PORT_WAIT):  # after a restart the surface may still be starting
            await ready.wait()
        port = ctx.ports[target.platform]
        live = self.live.pop(job.id, None)
        if live is not None:
            await live.stop()
        message = live.message if live is not None else job_status_message(job)
        if error is not None or result is None or not result.url:
            log.warning("render %s ended without a video: %r", job.id, error)
            text = ctx.error_text(error, lang) if error else say(lang, "error_render_failed", detail="?")
            await finish_message(port, target, message, text, [])
            return
        size = size_text(result.size)
        key = "export_done_size" if size else "export_done"
        text = say(lang, key, url=result.url, size=size)
        ctx.metrics.renders.observe(max(time.time() - job.created_at, 0.0))
        await finish_message(port, target, message, say(lang, "done", elapsed=_ago(job.created_at)), [])
        video = video_of(result)
        video = replace(video, poster=await ctx.pictures.poster(video.url, video.duration))
        await port.deliver(target, text, video, render_buttons(lang, target.user_id, result.url))


async def finish_message(port: ChatPort, target: Target, message: MessageRef | None, text: str,
                         buttons: Sequence[Button]) -> None:
    """Put ``text`` in the status message (a new message when there is none or it can't be edited)."""
    try:
        if message is not None:
            await port.edit(message, text, buttons)
        else:
            await port.send(target, text, buttons)
    except Exception:
        log.warning("could not update the status message", exc_info=True)
        if message is not None:
            await port.send(target, text, buttons)


def size_text(size: int | None) -> str:
    if not size:
        return ""
    return f"{megabytes(size)} MB" if size >= MB else f"{max(size // 1024, 1)} KB"


def _ago(created_at: float) -> str:
    return elapsed_text(max(time.time() - created_at, 0))
