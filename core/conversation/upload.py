"""Uploads: files by URL or streamed, links fetched by NEMO, and a caption run as the next edit."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import replace

from core.i18n import say
from core.nemo.client import check_upload
from core.nemo.errors import NemoError
from core.nemo.session import NemoSession
from core.nemo.upload import UploadSource, safe_filename
from core.ports import Attachment, Incoming
from core.quotas import UPLOADS
from core.routing import find_urls, instruction_after_upload, link_problem
from core.status import StatusMessage

from .chat import Chat
from .context import Context, restarted
from .state import Conversation

log = logging.getLogger(__name__)


class Uploads:
    def __init__(self, ctx: Context, chat: Chat) -> None:
        self.ctx = ctx
        self.chat = chat

    async def run(self, conv: Conversation, nemo: NemoSession, incoming: Incoming,
                  status: StatusMessage, lang: str) -> None:
        uploaded: list[tuple[str, str]] = []  # (name, link) of each file NEMO took
        # a user's file name travels in a multipart header and comes back in messages: made safe once
        attachments = [replace(a, filename=safe_filename(a.filename)) for a in incoming.attachments]
        count = len(attachments) or (0 if link_problem(incoming.text) else len(find_urls(incoming.text)))
        refusal = await self.ctx.quotas.take(incoming.target, UPLOADS, count)
        if refusal is not None:
            await status.finish(refusal.text(lang), self.ctx.main_buttons(lang, incoming.target.user_id))
            return
        for attachment in attachments:
            if attachment.url:
                status.set_step(say(lang, "step_uploading", name=attachment.filename[:60]), "upload_video")
                uploaded.extend(await self._upload_one(conv, nemo, attachment))
        streamed = [a for a in attachments if not a.url]
        if streamed:  # in one request: an album is one upload
            label = ", ".join(a.filename for a in streamed)
            status.set_step(say(lang, "step_uploading", name=label[:60]), "upload_video")
            uploaded.extend(await self._upload_streamed(conv, nemo, streamed))
        urls = find_urls(incoming.text)
        refused = link_problem(incoming.text) if urls and not incoming.attachments else None
        if refused:  # checked when the request came in; never ask NEMO to fetch a private address
            await status.finish(say(lang, refused))
            return
        if urls and not incoming.attachments:
            status.set_step(say(lang, "step_uploading", name=urls[0][:60]), "upload_video")
            files = await nemo.call(lambda t, s: nemo.client.upload_urls(t, s, urls, skill=nemo.skill))
            for f in files:
                await self.ctx.store.add_upload(conv.record.key, f.filename, f.cdn_url, None)
            uploaded.extend((f.filename, f.cdn_url) for f in files)
        instruction = instruction_after_upload(incoming.text, bool(incoming.attachments))
        status.set_step(say(lang, "step_pictures"))
        sheets = await self.ctx.pictures.sheets(conv, uploaded, lang)
        if instruction:  # the footage first, then the edit the caption asked for
            for sheet in sheets:
                await self.ctx.pictures.show(incoming.target, sheet)
            await self.chat.run(conv, nemo, instruction, status, lang)
            return
        text = say(lang, "uploaded", names=", ".join(name for name, _ in uploaded) or "?")
        await self.ctx.pictures.finish(status, restarted(nemo, lang, text),
                                       self.ctx.main_buttons(lang, incoming.target.user_id), sheets)

    async def _upload_one(self, conv: Conversation, nemo: NemoSession, attachment: Attachment,
                          ) -> list[tuple[str, str]]:
        check_upload(attachment.filename, attachment.size)
        files = None
        if attachment.url:
            try:
                files = await nemo.call(lambda t, s: nemo.client.upload_urls(t, s, [attachment.url or ""], skill=nemo.skill))
            except NemoError as exc:
                if attachment.open is None:
                    raise
                log.info("upload by URL failed (%s); streaming the file instead", exc)
        if files is None:
            if attachment.open is None:
                raise ValueError("attachment has neither a URL nor a way to read it")
            source = UploadSource(attachment.filename, attachment.open, attachment.size, attachment.content_type)
            files = await nemo.call(lambda t, s: nemo.client.upload_files(t, s, [source], skill=nemo.skill))
        for f in files:
            await self.ctx.store.add_upload(conv.record.key, f.filename or attachment.filename, f.cdn_url,
                                            attachment.size)
        return [(f.filename or attachment.filename, f.cdn_url) for f in files] or [(attachment.filename, "")]

    async def _upload_streamed(self, conv: Conversation, nemo: NemoSession,
                               attachments: Sequence[Attachment]) -> list[tuple[str, str]]:
        """Attachments without a URL, streamed to NEMO in one multipart request."""
        for attachment in attachments:
            check_upload(attachment.filename, attachment.size)
            if attachment.open is None:
                raise ValueError("attachment has neither a URL nor a way to read it")
        sources = [UploadSource(a.filename, a.open, a.size, a.content_type) for a in attachments if a.open]
        files = await nemo.call(lambda t, s: nemo.client.upload_files(t, s, sources, skill=nemo.skill))
        sizes = {a.filename: a.size for a in attachments}
        for f in files:
            await self.ctx.store.add_upload(conv.record.key, f.filename, f.cdn_url, sizes.get(f.filename))
        return [(f.filename, f.cdn_url) for f in files if f.filename] or [(a.filename, "") for a in attachments]
