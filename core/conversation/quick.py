"""Quick answers: credits and the timeline's status, answered at once, outside the queue."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from core.i18n import say, timeline_summary
from core.nemo.errors import NemoError
from core.nemo.session import NemoSession
from core.ports import Picture, Target

from .context import Context, restarted
from .state import Conversation

log = logging.getLogger(__name__)



@dataclass(frozen=True, slots=True)
class Reply:
    """A quick answer: its text, and the pictures it shows (the text is their caption)."""

    text: str
    pictures: list[Picture] = field(default_factory=list)


Answer = Callable[[Conversation, NemoSession, str], Awaitable[Reply]]


class QuickAnswers:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    async def credits(self, conv: Conversation, lang: str, target: Target) -> None:
        await self._answer(conv, lang, credits_reply, target)

    async def status(self, conv: Conversation, lang: str, target: Target) -> None:
        await self._answer(conv, lang, self._status, target)

    async def _status(self, conv: Conversation, nemo: NemoSession, lang: str) -> Reply:
        """The timeline in words, and drawn."""
        if not conv.record.session_id:
            return Reply(say(lang, "timeline_empty"))
        state = await nemo.call(lambda t, s: nemo.client.state(t, s, skill=nemo.skill))
        if not state.draft.ready:
            return Reply(say(lang, "timeline_empty"))
        picture = await self.ctx.pictures.timeline(conv, state.draft, lang)
        return Reply(say(lang, "timeline", summary=timeline_summary(state.draft, lang)),
                     [picture] if picture is not None else [])

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
        await ctx.pictures.answer(target, text, ctx.main_buttons(lang, target.user_id), reply.pictures)


async def credits_reply(conv: Conversation, nemo: NemoSession, lang: str) -> Reply:
    credits = await nemo.authed(lambda t: nemo.client.credits(t, skill=nemo.skill))
    if credits.unlimited:
        return Reply(say(lang, "credits_unlimited"))
    return Reply(say(lang, "credits", available=_number(credits.available), frozen=_number(credits.frozen),
                     total=_number(credits.total)))


def _number(value: float) -> str:
    return str(int(value)) if value == int(value) else f"{value:.1f}"
