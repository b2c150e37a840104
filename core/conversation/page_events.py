"""What the user did on the hand-editing page, in the conversation the page was opened from.

The built-in engine, running in this process, tells the core (``bots/app.py`` wires its hook): an applied
hand edit is said in the chat in the user's language (with the timeline drawn when the chat has /pictures
on), and the page's Export is the chat's own export (its status message ticks, the video is delivered
here). Only for the conversation's current session: a page of an earlier one is not told here.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from core.i18n import say
from core.nemo.errors import NemoError
from core.ports import Incoming, Target

from .context import Context
from .state import Conversation

log = logging.getLogger(__name__)


class PageEvents:
    def __init__(self, ctx: Context, handle: Callable[[Incoming], Awaitable[None]]) -> None:
        self.ctx = ctx
        self.handle = handle  # ``Core.handle``: the page's Export enters as the user's "export"

    async def _current(self, target: Target, session_id: str) -> Conversation | None:
        """The conversation, when the page's session is still its own and its surface runs here."""
        if target.platform not in self.ctx.ports:
            return None
        conv = await self.ctx.conversation(target)
        return conv if session_id and conv.record.session_id == session_id else None

    async def applied(self, target: Target, session_id: str, en: str, zh: str) -> bool:
        """Say what the hand edit did (``en``/``zh``: the engine's sentences); the new draft is the
        baseline the next chat edit's changes are measured from."""
        conv = await self._current(target, session_id)
        if conv is None:
            return False
        ctx = self.ctx
        lang = ctx.language(conv)
        text = say(lang, "page_applied", changes=zh if lang == "zh" else en)
        pictures = []
        nemo = ctx.nemo(conv, lang)
        try:
            draft = (await nemo.call(lambda t, s: nemo.client.state(t, s, skill=nemo.skill))).draft
        except NemoError as exc:  # the edit is applied: say it without the picture
            log.warning("state after a hand edit unreadable in %s: %s", conv.record.key, exc)
        else:
            conv.record.draft = draft.raw
            await ctx.store.save_conversation(conv.record, only=("draft",))
            if ctx.pictures.after_edits(conv):
                picture = await ctx.pictures.timeline(conv, draft, lang, of_work=False)
                pictures = [picture] if picture is not None else []
        await ctx.pictures.answer(target, text, ctx.main_buttons(lang, target.user_id), pictures)
        return True

    async def export(self, target: Target, session_id: str) -> bool:
        """The page's Export: the conversation's export, as if typed."""
        if await self._current(target, session_id) is None:
            return False
        await self.handle(Incoming(target, command="export"))
        return True
