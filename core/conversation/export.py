"""Export: the timeline submitted as a render, followed to the end with its progress in the
status message (the result is handed over by ``Delivery``), or cancelled."""

from __future__ import annotations

import logging
import time
from typing import Any

from core.i18n import say
from core.nemo.draft import Draft
from core.nemo.errors import NemoError
from core.nemo.models import RenderStatus
from core.nemo.session import NemoSession
from core.ports import SMALLER, Incoming
from core.quotas import RENDER_SECONDS
from core.renders import RenderWatcher
from core.status import StatusMessage
from core.store.base import RenderJob

from .context import Context
from .delivery import Delivery
from .state import Conversation

log = logging.getLogger(__name__)
SMALLER_SHARE = 0.97  # of the surface's limit a smaller version aims at
RENDERED_DRAFT = "draft"  # in a render job's extra: the draft it renders


class Exports:
    def __init__(self, ctx: Context, renders: RenderWatcher, delivery: Delivery) -> None:
        self.ctx = ctx
        self.renders = renders
        self.delivery = delivery

    async def run(self, conv: Conversation, nemo: NemoSession, incoming: Incoming,
                  status: StatusMessage, lang: str, render_id: str | None = None) -> None:
        """``render_id``: the id to submit the render under, chosen when the job was noted (a process that
        takes the job over submits the same id, which the backend takes once)."""
        if incoming.command == SMALLER:
            await self._smaller(conv, nemo, incoming, status, lang, render_id)
            return
        if not conv.record.session_id:
            await status.finish(say(lang, "export_empty"))
            return
        state = await nemo.call(lambda t, s: nemo.client.state(t, s, skill=nemo.skill), retry_on_new_session=False)
        if not state.draft.ready:
            await status.finish(say(lang, "export_empty"))
            return
        strip = await self.ctx.pictures.highlights(conv, state.draft, lang, nemo.skill)  # a reel: its moments
        if strip is not None:
            await self.ctx.pictures.show(incoming.target, strip)
        await self._render(conv, nemo, incoming, status, lang, None, state.draft.raw, render_id=render_id)

    async def _smaller(self, conv: Conversation, nemo: NemoSession, incoming: Incoming,
                       status: StatusMessage, lang: str, new_id: str | None) -> None:
        """The render a "smaller version" button came with, again, under this surface's limit: its file
        re-encoded (the built-in engine), else its own draft (kept with it) rendered; never the timeline
        as it is now."""
        render_id = incoming.text.strip()
        job = await self.ctx.store.get_render(render_id) if render_id else None
        draft = job.extra.get(RENDERED_DRAFT) if job is not None and job.conversation == conv.record.key else None
        if job is None or draft is None:
            await status.finish(say(lang, "smaller_gone"), self.ctx.main_buttons(lang, incoming.target.user_id))
            return
        limit = self.ctx.ports[incoming.target.platform].send_limit(incoming.target)
        await self._render(conv, nemo, incoming, status, lang, job.session_id, draft,
                           int(limit * SMALLER_SHARE) if limit else None, render_id=new_id, from_render=job.id)

    async def _render(self, conv: Conversation, nemo: NemoSession, incoming: Incoming, status: StatusMessage,
                      lang: str, session_id: str | None, draft: Any, max_bytes: int | None = None, *,
                      render_id: str | None = None, from_render: str | None = None) -> None:
        """Submit ``draft`` as a render of ``session_id`` (None: the conversation's session), or as
        ``from_render``'s file re-encoded under ``max_bytes`` where the backend can, and follow it to the
        end (the result is delivered by ``Delivery``); the draft is kept with the render, for a smaller
        version of it later."""
        store = self.ctx.store
        refusal = await self.ctx.quotas.take(incoming.target, RENDER_SECONDS, Draft.parse(draft).duration_ms / 1000)
        if refusal is not None:
            await status.finish(refusal.text(lang), self.ctx.main_buttons(lang, incoming.target.user_id))
            return
        status.set_step(say(lang, "step_rendering", progress=0), "upload_video")
        render_id = await nemo.call(
            lambda t, s: nemo.client.submit_render(t, session_id or s, draft, skill=nemo.skill, max_bytes=max_bytes,
                                                   render_id=render_id, from_render=from_render),
            retry_on_new_session=False)
        job = RenderJob(
            id=render_id, conversation=conv.record.key, session_id=session_id or conv.record.session_id or "",
            skill=nemo.skill, target=incoming.target.to_json(),
            status_message=status.message.to_json() if status.message else None,
            created_at=time.time(), extra={"lang": lang, RENDERED_DRAFT: draft},
        )
        await self.renders.add(job)
        conv.render_id = render_id

        shown_progress = False

        async def progress(update: RenderStatus) -> None:
            nonlocal shown_progress
            status.set_step(say(lang, "step_rendering", progress=int(update.progress)))
            if update.progress >= 1 and not shown_progress:  # the first real percentage: now, not at the next tick
                shown_progress = True
                await status.refresh()
            moved = status.message.to_json() if status.message else None
            if moved != job.status_message:  # the surface moved it (Discord, past the token's life)
                job.status_message = moved
                await store.update_render(job)

        self.delivery.live[render_id] = status
        try:
            await self.renders.wait(job, progress)
        finally:
            self.delivery.live.pop(render_id, None)
        conv.render_id = None

    async def cancel(self, conv: Conversation, nemo: NemoSession) -> None:
        """Stop the conversation's render at NEMO and close its job (nothing is delivered)."""
        render_id, conv.render_id = conv.render_id, None
        if render_id is None:
            return
        self.renders.cancel(render_id)
        try:
            await nemo.client.cancel_render(await nemo.token(), render_id, skill=nemo.skill)
        except NemoError:
            log.warning("render %s: cancel failed", render_id)
        job = await self.ctx.store.get_render(render_id)
        if job is not None:
            job.status = "cancelled"
            await self.ctx.store.update_render(job)
            await self.ctx.store.claim_delivery(render_id)
