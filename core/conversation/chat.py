"""The chat stream: one message to NEMO, its events read, and the reply the user sees.

When the stream closes without a word, drops, or ends in an error, the user is told what
changed on the timeline (the diff between the state before and after), never asked to resend
blindly, and that state becomes the baseline the next edit's changes are measured from.
"""

from __future__ import annotations

import logging
import re

from core.i18n import describe_change, say, timeline_summary
from core.metrics import error_label
from core.nemo.draft import Draft, draft_changes
from core.nemo.errors import NemoError, StreamDropped, StreamFailed
from core.nemo.events import StateDelta, Text, ToolCall, paragraphs
from core.nemo.session import NemoSession
from core.ports import Button
from core.routing import SAY, translate_gui
from core.status import StatusMessage

from .context import Context, restarted
from .jobs import SENT
from .previews import changes_picture
from .state import Conversation

log = logging.getLogger(__name__)

_TEMPORARY_ISSUE = re.compile(r"\s*I encountered a temporary issue[^\n]*$", re.IGNORECASE)


class Chat:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    async def run(self, conv: Conversation, nemo: NemoSession, text: str, status: StatusMessage, lang: str) -> None:
        ctx = self.ctx
        await nemo.session_id()
        before = await self._draft_before(conv, nemo)
        status.set_step(say(lang, "step_thinking"), "typing")
        texts: list[Text] = []
        latest: Draft | None = None
        owner = status.target.user_id
        started = False
        await ctx.job_stage(conv, SENT)  # from here on, taken over by another process, it is not sent twice
        try:
            async for event in nemo.chat(text):
                started = True
                if isinstance(event, Text):
                    texts.append(event)
                elif isinstance(event, ToolCall):
                    status.set_step(say(lang, "step_tool", name=event.name[:40] or "edit"))
                elif isinstance(event, StateDelta) and "draft" in event.delta:
                    latest = Draft.parse(event.delta["draft"])
        except NemoError as exc:
            # once NEMO has the message, an error may come after an edit applied: read what did
            if not (started or isinstance(exc, (StreamDropped, StreamFailed))):
                raise
            await self._after_error(conv, nemo, before, exc, status, lang)
            return
        reply = paragraphs(texts)
        if reply and latest is not None:
            reply = _TEMPORARY_ISSUE.sub("", reply).strip() or reply
        if latest is None:
            try:
                latest = (await nemo.call(lambda t, s: nemo.client.state(t, s, skill=nemo.skill))).draft
            except NemoError as state_error:  # the edit is done: keep its reply, never invite a resend
                log.warning("state after an edit unreadable in %s: %s", conv.record.key, state_error)
                if not reply:
                    await status.finish(say(lang, "edit_unconfirmed"), ctx.main_buttons(lang, owner))
                    return
        if latest is not None:
            await self.remember(conv, latest)
        buttons = ctx.main_buttons(lang, owner)
        if reply:
            translated = translate_gui(reply, lang)
            text_out = translated.text
            buttons = [Button(choice, action=SAY + choice, owner=owner) for choice in translated.choices] + buttons
            if translated.show_timeline and latest is not None:
                text_out += "\n" + timeline_summary(latest, lang)
        elif latest is not None:
            changes = changes_text(before, latest, lang)
            key = "silent_changes" if changes else "silent_nothing"
            text_out = say(lang, key, changes=changes, summary=timeline_summary(latest, lang))
        pictures = []
        if latest is not None and ctx.pictures.after_edits(conv) and draft_changes(before, latest):
            status.set_step(say(lang, "step_pictures"))
            picture = await ctx.pictures.timeline(conv, latest, lang)
            pictures = [picture] if picture is not None else []
        answer = restarted(nemo, lang, text_out)
        await ctx.pictures.finish(status, answer, buttons, pictures)
        if latest is not None and draft_changes(before, latest):  # rendered ahead, the answer will say so
            ctx.ready.watch(conv, nemo, status.message, answer, buttons, lang)
        if latest is not None and ctx.previews.after_edits(conv) and changes_picture(before, latest):
            await ctx.previews.show(conv, status.target, lang)  # /preview on: a look at what the edit did

    async def _after_error(self, conv: Conversation, nemo: NemoSession, before: Draft, exc: NemoError,
                           status: StatusMessage, lang: str) -> None:
        """The stream broke or failed after NEMO got the message: say what did apply."""
        self.ctx.metrics.nemo_errors.labels(error_label(exc)).inc()
        log.warning("chat stream failed in %s: %r", conv.record.key, exc)
        await self.report_applied(conv, nemo, before, status, lang, "dropped" if isinstance(exc, StreamDropped) else "failed")

    async def report_applied(self, conv: Conversation, nemo: NemoSession, before: Draft, status: StatusMessage,
                             lang: str, kind: str) -> None:
        """NEMO got a message whose answer was not read (the stream broke, or the process reading it died):
        say what changed since ``before`` (texts ``{kind}_changes`` / ``{kind}_nothing``), never resend it."""
        ctx = self.ctx
        owner = status.target.user_id
        try:
            after = (await nemo.call(lambda t, s: nemo.client.state(t, s, skill=nemo.skill))).draft
        except NemoError as state_error:  # the message went out: never say "try again" blindly
            log.warning("state after an unread answer unreadable in %s: %s", conv.record.key, state_error)
            await status.finish(say(lang, "edit_unconfirmed"), ctx.main_buttons(lang, owner))
            return
        await self.remember(conv, after)
        changes = changes_text(before, after, lang)
        key = f"{kind}_changes" if changes else f"{kind}_nothing"
        text = say(lang, key, changes=changes, summary=timeline_summary(after, lang))
        await status.finish(restarted(nemo, lang, text), ctx.main_buttons(lang, owner))

    async def _draft_before(self, conv: Conversation, nemo: NemoSession) -> Draft:
        if conv.record.draft is not None or not conv.record.session_id:
            return Draft.parse(conv.record.draft)
        state = await nemo.call(lambda t, s: nemo.client.state(t, s, skill=nemo.skill))
        return state.draft

    async def remember(self, conv: Conversation, draft: Draft) -> None:
        """Keep ``draft`` as the baseline the next edit's changes are measured from."""
        conv.record.draft = draft.raw
        await self.ctx.store.save_conversation(conv.record)


def changes_text(before: Draft, after: Draft, lang: str) -> str:
    return "; ".join(describe_change(lang, c) for c in draft_changes(before, after)[:12])
