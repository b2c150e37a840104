"""Delivery: a finished render handed to its surface (the link always, the file where it fits),
its status message closed; also after a restart, when nobody is waiting on the export any more."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence
from dataclasses import replace

from core.i18n import say
from core.nemo.errors import NemoError
from core.nemo.models import RenderStatus
from core.ports import Button, ChatPort, MessageRef, Target, Video, smaller_action
from core.renders import job_status_message, job_target, render_buttons, video_of
from core.routing import is_public_url
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
        ctx.metrics.renders.observe(max(time.time() - job.created_at, 0.0))
        text, video, buttons = result_message(port, target, lang, result)
        if video is not None:
            video = replace(video, inside_url=ctx.inside(video.url),
                            poster=await ctx.pictures.poster(video.url, video.duration))
        await port.deliver(target, text, video, buttons, message)


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


def result_message(port: ChatPort, target: Target, lang: str,
                   result: RenderStatus) -> tuple[str, Video | None, list[Button]]:
    """What a finished render shows: its link only where it opens for the people of ``port`` (a
    public host, or any host for a surface on this machine), else the file alone; a file over the
    surface's limit with no link to open gets the button for a version that fits."""
    url = result.url or ""
    size = size_text(result.size)
    limit = port.send_limit(target)
    thing = say(lang, f"result_{video_of(result).kind}")
    if port.local or is_public_url(url):
        text = say(lang, "export_done_size" if size else "export_done", url=url, size=size, thing=thing)
        return text, video_of(result), render_buttons(lang, target.user_id, url)
    if limit is not None and result.size is not None and result.size > limit:
        button, action = say(lang, "button_smaller"), smaller_action(result.id)
        key = "export_too_big" if action else "export_too_big_alone"
        text = say(lang, key, size=size, limit=size_text(limit), button=button, thing=thing)
        buttons = [Button(button, action=action, owner=target.user_id)] if action else []
        return f"{text}\n{say(lang, 'links_howto')}", None, buttons + render_buttons(lang, target.user_id, None)
    text = say(lang, "export_ready_size" if size else "export_ready", size=size, thing=thing)
    return text, video_of(result), render_buttons(lang, target.user_id, None)


def size_text(size: int | None) -> str:
    if not size:
        return ""
    return f"{megabytes(size)} MB" if size >= MB else f"{max(size // 1024, 1)} KB"
