"""Quick answers: credits and the timeline's status, answered at once, outside the queue."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from core.i18n import say
from core.nemo.draft import timeline_summary
from core.nemo.errors import NemoError
from core.nemo.session import NemoSession
from core.ports import Target

from .context import Context, restarted
from .state import Conversation

log = logging.getLogger(__name__)

Answer = Callable[[Conversation, NemoSession, str], Awaitable[str]]


class QuickAnswers:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    async def credits(self, conv: Conversation, lang: str, target: Target) -> None:
        await self._answer(conv, lang, credits_text, target)

    async def status(self, conv: Conversation, lang: str, target: Target) -> None:
        await self._answer(conv, lang, status_text, target)

    async def _answer(self, conv: Conversation, lang: str, action: Answer, target: Target) -> None:
        """Answer a quick request where it came from (``target`` keeps the surface's reply details)."""
        ctx = self.ctx
        nemo = ctx.nemo(conv, lang)
        try:
            text = restarted(nemo, lang, await action(conv, nemo, lang))
        except NemoError as exc:
            text = ctx.error_text(exc, lang, nemo)
        except Exception:
            log.exception("request failed in %s", conv.record.key)
            text = say(lang, "error_internal")
        await ctx.reply(target, text, ctx.main_buttons(lang, target.user_id))


async def credits_text(conv: Conversation, nemo: NemoSession, lang: str) -> str:
    credits = await nemo.authed(lambda t: nemo.client.credits(t, skill=nemo.skill))
    return say(lang, "credits", available=_number(credits.available), frozen=_number(credits.frozen),
               total=_number(credits.total))


async def status_text(conv: Conversation, nemo: NemoSession, lang: str) -> str:
    if not conv.record.session_id:
        return say(lang, "timeline_empty")
    state = await nemo.call(lambda t, s: nemo.client.state(t, s, skill=nemo.skill))
    if not state.draft.ready:
        return say(lang, "timeline_empty")
    return say(lang, "timeline", summary=timeline_summary(state.draft))


def _number(value: float) -> str:
    return str(int(value)) if value == int(value) else f"{value:.1f}"
