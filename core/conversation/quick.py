"""Quick answers: credits and the timeline's status, answered at once, outside the queue."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from core.i18n import say, timeline_summary
from core.nemo.errors import NemoError
from core.nemo.session import NemoSession
from core.ports import Button, Picture, Target

from .context import Context, restarted
from .state import Conversation

log = logging.getLogger(__name__)



@dataclass(frozen=True, slots=True)
class Reply:
    """A quick answer: its text, the pictures it shows (the text is their caption), buttons of its own."""

    text: str
    pictures: list[Picture] = field(default_factory=list)
    buttons: list[Button] = field(default_factory=list)
    editable: bool = False  # a timeline with something on it: it can be edited by hand too


Answer = Callable[[Conversation, NemoSession, str], Awaitable[Reply]]


class QuickAnswers:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    async def credits(self, conv: Conversation, lang: str, target: Target) -> None:
        await self._answer(conv, lang, credits_reply, target)

    async def status(self, conv: Conversation, lang: str, target: Target) -> None:
        async def answer(conv: Conversation, nemo: NemoSession, lang: str) -> Reply:
            reply = await self._status(conv, nemo, lang)
            if reply.editable:  # where the backend has a page for it
                reply.buttons.extend(await editor_buttons(nemo, target, lang))
            return reply

        await self._answer(conv, lang, answer, target)

    async def _status(self, conv: Conversation, nemo: NemoSession, lang: str) -> Reply:
        """The timeline in words, and drawn."""
        if not conv.record.session_id:
            return Reply(say(lang, "timeline_empty"))
        state = await nemo.call(lambda t, s: nemo.client.state(t, s, skill=nemo.skill))
        if not state.draft.ready:
            return Reply(say(lang, "timeline_empty"))
        picture = await self.ctx.pictures.timeline(conv, state.draft, lang, of_work=False)
        return Reply(say(lang, "timeline", summary=timeline_summary(state.draft, lang)),
                     [picture] if picture is not None else [], editable=True)

    async def _answer(self, conv: Conversation, lang: str, action: Answer, target: Target) -> None:
        """Answer a quick request where it came from (``target`` keeps the surface's reply details)."""
        ctx = self.ctx
        nemo = ctx.nemo(conv, lang)
        reply = Reply("")
        try:
            reply = await action(conv, nemo, lang)
            text = restarted(nemo, lang, reply.text)
        except NemoError as exc:
            text = ctx.error_text(exc, lang, nemo)
        except Exception:
            log.exception("request failed in %s", conv.record.key)
            text = say(lang, "error_internal")
        await ctx.pictures.answer(target, text, reply.buttons + ctx.main_buttons(lang, target.user_id),
                                  reply.pictures)


async def editor_buttons(nemo: NemoSession, target: Target, lang: str) -> list[Button]:
    """The "Edit by hand" button: the backend's page for this conversation, signed for this user (the
    built-in engine; none on NEMO's cloud, which has no such page)."""
    if not nemo.record.session_id:
        return []
    url = await nemo.authed(lambda t: nemo.client.editor_url(
        t, nemo.record.session_id or "", skill=nemo.skill, platform=target.platform, user=target.user_id,
        chat=target.chat_id, group=target.group))
    return [Button(say(lang, "button_edit_by_hand"), url=url, owner=target.user_id, app=True)] if url else []


async def credits_reply(conv: Conversation, nemo: NemoSession, lang: str) -> Reply:
    credits = await nemo.authed(lambda t: nemo.client.credits(t, skill=nemo.skill))
    if credits.unlimited:
        return Reply(say(lang, "credits_unlimited"))
    return Reply(say(lang, "credits", available=_number(credits.available), frozen=_number(credits.frozen),
                     total=_number(credits.total)))


def _number(value: float) -> str:
    return str(int(value)) if value == int(value) else f"{value:.1f}"
