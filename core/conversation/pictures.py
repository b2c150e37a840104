"""Pictures in the conversation: which to make (the footage after an upload, the timeline on /status and,
when the chat asked for it, after an edit; a reel's picked moments before it renders; a render's poster),
from what (the draft, and the user's own uploads the store remembers), and how they go out: a picture
carries the answer as its caption, and when it cannot be made or sent the answer goes as text."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from functools import partial
from typing import TYPE_CHECKING

from core.i18n import say
from core.nemo.draft import Draft
from core.pictures import PictureMaker
from core.pictures.slots import PictureSlots
from core.ports import Button, Picture, Target
from core.skills import HIGHLIGHTS_SKILL
from core.status import StatusMessage

from .state import Conversation

if TYPE_CHECKING:
    from .context import Context

log = logging.getLogger(__name__)

PICTURE_TIMEOUT = 15.0  # ffmpeg's time for one picture's frames; past it, the answer goes without
SHEETS_PER_UPLOAD = 4  # an album of more files shows the first four
ON, OFF = ("on", "true", "yes", "1", "开", "开启", "打开"), ("off", "false", "no", "0", "关", "关闭")


def _fetchable(url: str) -> bool:
    """Only links are handed to ffmpeg: never a path or another of its protocols from a stored value."""
    return url.startswith(("https://", "http://"))


class ConversationPictures:
    def __init__(self, ctx: Context, maker: PictureMaker | None = None, slots: PictureSlots | None = None) -> None:
        self.ctx = ctx
        self.maker = maker or PictureMaker(timeout=PICTURE_TIMEOUT)
        self.slots = slots or PictureSlots()  # a picture per core; the rest wait (until the user moves on)

    # -- which pictures -----------------------------------------------------------------------------

    def after_edits(self, conv: Conversation) -> bool:
        """Does this conversation want the timeline drawn after each edit?"""
        wanted = conv.record.pictures
        return self.ctx.settings.bot.pictures if wanted is None else wanted

    async def sources(self, conv: Conversation) -> dict[str, str]:
        """The user's own uploads by file name (the latest of a name wins), links only."""
        uploads = await self.ctx.store.uploads(conv.record.key)
        return {name: self.ctx.inside(url) for name, url in uploads if _fetchable(url)}

    async def timeline(self, conv: Conversation, draft: Draft, lang: str, *,
                       of_work: bool = True) -> Picture | None:
        """The timeline drawn; ``of_work``: for the running operation, so none once the user moved on (a
        quick answer, /status, is not one: it waits its turn whatever is queued)."""
        if not draft.ready:
            return None
        sources = await self.sources(conv)
        return await self.slots.make("timeline picture", lambda: self.maker.timeline(draft, lang, sources),
                                     conv.moved_on if of_work else None)

    async def highlights(self, conv: Conversation, draft: Draft, lang: str, skill: str) -> Picture | None:
        """A reel's picked moments: the local engine marks them in the draft; NEMO's cloud does not, so
        there every segment of a draft its highlights skill made is one."""
        reel = self.ctx.settings.bot.backend == "cloud" and skill == HIGHLIGHTS_SKILL
        sources = await self.sources(conv)
        return await self.slots.make("highlights picture",
                                     lambda: self.maker.highlights(draft, lang, sources, reel), conv.moved_on)

    async def sheets(self, conv: Conversation, uploaded: Sequence[tuple[str, str]], lang: str) -> list[Picture]:
        """Contact sheets of uploaded files (name, link): those made before the user moved on."""
        made = []
        for name, url in [u for u in uploaded if _fetchable(u[1])][:SHEETS_PER_UPLOAD]:
            source = self.ctx.inside(url)
            sheet = await self.slots.make("contact sheet", partial(self.maker.contact_sheet, source, name, lang),
                                          conv.moved_on)
            if sheet is not None:
                made.append(sheet)
        return made

    async def poster(self, url: str, duration: float | None) -> Picture | None:
        """A finished render's poster frame: it goes with the render whatever the user did meanwhile."""
        if not _fetchable(url):
            return None
        source = self.ctx.inside(url)
        return await self.slots.make("poster frame", lambda: self.maker.poster(source, duration))

    # -- sending them -------------------------------------------------------------------------------

    async def answer(self, target: Target, text: str, buttons: Sequence[Button], pictures: Sequence[Picture]) -> None:
        """The pictures, the last one captioned with ``text`` and carrying the buttons; the answer goes as
        text when there are none or they cannot be sent."""
        port = self.ctx.port(target)
        for index, picture in enumerate(pictures):
            last = index == len(pictures) - 1
            try:
                await port.send_picture(target, picture, text if last else "", buttons if last else ())
            except Exception:
                log.warning("could not send a picture to %s", target.conversation, exc_info=True)
                break
            if last:
                return
        await self.ctx.reply(target, text, buttons)

    async def show(self, target: Target, picture: Picture) -> None:
        """A picture on its own (its words are drawn in it); not sending it is only logged."""
        try:
            await self.ctx.port(target).send_picture(target, picture)
        except Exception:
            log.warning("could not send a picture to %s", target.conversation, exc_info=True)

    async def finish(self, status: StatusMessage, text: str, buttons: Sequence[Button],
                     pictures: Sequence[Picture]) -> None:
        """End a status message in the answer, its pictures with it where the surface puts them (attached
        to it, or right under it); when they cannot go, the answer alone. Never a "done" line of its own
        above a second message."""
        if not pictures:
            await status.finish(text, buttons)
            return
        await status.stop()
        if status.message is None:  # the status message never showed: the pictures carry the answer
            await self.answer(status.target, text, buttons, pictures)
            return
        try:
            status.message = await self.ctx.port(status.target).finish(status.message, text, buttons, pictures)
        except Exception:
            log.warning("could not show the pictures with the answer in %s", status.target.conversation,
                        exc_info=True)
            await status.finish(text, buttons)

    # -- /pictures on|off ---------------------------------------------------------------------------

    async def command(self, conv: Conversation, args: str, target: Target, lang: str) -> None:
        choice = args.strip().lower()
        if choice in ON or choice in OFF:
            conv.record.pictures = choice in ON
            await self.ctx.store.save_conversation(conv.record, only=("pictures",))
        elif choice:
            await self.ctx.reply(target, say(lang, "pictures_usage"))
            return
        key = "pictures_on" if self.after_edits(conv) else "pictures_off"
        await self.ctx.reply(target, say(lang, key))
