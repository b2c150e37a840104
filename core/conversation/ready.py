""""Ready to export": once the backend has rendered an edit's draft ahead, the edit's answer says so.

Only a backend that announces it does this (the built-in engine's ``X-Render-Ahead``; ``NemoClient.render_ahead``):
after an edit's answer, the conversation asks every ``POLL_S`` whether the draft is rendered and, when it is,
adds a line to that answer (an edit of the message, no new one). It stops asking when the user moves on (any
newer work in the conversation), when nothing is being rendered ahead (the engine is busy with real renders, or
the draft cannot be), or after ``WATCH_S``. NEMO's cloud renders only what is exported: nothing is asked there.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING

from core.i18n import add_texts, say
from core.nemo.errors import NemoError
from core.nemo.models import AHEAD_READY, AHEAD_RENDERING
from core.nemo.session import NemoSession
from core.ports import Button, MessageRef

from .state import Conversation

if TYPE_CHECKING:
    from .context import Context

log = logging.getLogger(__name__)

POLL_S = 1.5
WATCH_S = 900.0  # a render-ahead takes about as long as the export; after this the answer is left as it is
LONGEST_ANSWER = 3000  # a longer answer goes as several messages: no line is added to it

add_texts({
    "ready_to_export": {"en": "⚡ Ready to export: say “export” and the video comes at once.",
                        "zh": "⚡ 已提前渲染好：说“导出”立即拿到视频。"},
})


class ReadyNotices:
    """One watch per conversation, for its latest edit's answer."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self._watches: dict[str, asyncio.Task[None]] = {}

    def watch(self, conv: Conversation, nemo: NemoSession, answer: MessageRef | None, text: str,
              buttons: Sequence[Button], lang: str) -> None:
        """After an edit's ``answer`` (its ``text`` and ``buttons``): add the line once the draft is rendered."""
        if self.ctx.client.render_ahead is not True or answer is None or len(text) > LONGEST_ANSWER:
            return
        key = conv.record.key
        previous = self._watches.pop(key, None)
        if previous is not None:
            previous.cancel()
        task = asyncio.create_task(self._watch(conv, nemo, answer, text, list(buttons), lang), name=f"ready:{key}")
        self._watches[key] = task
        task.add_done_callback(lambda done: self._watches.pop(key, None) if self._watches.get(key) is done else None)

    async def _watch(self, conv: Conversation, nemo: NemoSession, answer: MessageRef, text: str,
                     buttons: list[Button], lang: str) -> None:
        record, op = conv.record, conv.running  # any newer work replaces the record (queue._work) or the op

        def moved_on() -> bool:
            return conv.record is not record or bool(conv.queue) or conv.running not in (None, op)

        deadline = time.monotonic() + WATCH_S
        try:
            while time.monotonic() < deadline and not moved_on():
                state = await nemo.call(lambda t, s: nemo.client.ahead_state(t, s, skill=nemo.skill))
                if moved_on():
                    return
                if state == AHEAD_READY:
                    await self.ctx.port(answer.target).edit(answer, f"{text}\n\n{say(lang, 'ready_to_export')}",
                                                            buttons)
                    return
                if state != AHEAD_RENDERING:
                    return
                await asyncio.sleep(POLL_S)
        except NemoError as exc:  # only the extra line is lost
            log.info("render-ahead state unreadable in %s: %s", conv.record.key, exc)
        except Exception:
            log.warning("could not say 'ready to export' in %s", conv.record.key, exc_info=True)

    async def stop(self) -> None:
        watches = list(self._watches.values())
        for task in watches:
            task.cancel()
        await asyncio.gather(*watches, return_exceptions=True)
