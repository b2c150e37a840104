"""Slash commands (and the buttons that stand for them): help, language, mode, token, stats,
and the ones that queue work (export, new, upload, edit) or stop it (cancel)."""

from __future__ import annotations

import logging
import re

from core.i18n import LANGUAGES, pick_language, say
from core.nemo.errors import NemoError
from core.nemo.limits import SUPPORTED_FORMATS
from core.ports import SMALLER, Incoming, Target
from core.routing import Route, find_urls, link_problem, route
from core.sizes import disk_size, megabytes
from core.skills import find_skill, mode_names, skill_or_default

from .context import Context
from .queue import OperationQueue
from .quick import QuickAnswers
from .state import Conversation, Operation

log = logging.getLogger(__name__)

FORMATS = ", ".join(SUPPORTED_FORMATS)
_TOKEN_SHAPE = re.compile(r"[A-Za-z0-9_\-.]{8,512}")


class Commands:
    def __init__(self, ctx: Context, queue: OperationQueue, quick: QuickAnswers) -> None:
        self.ctx = ctx
        self.queue = queue
        self.quick = quick

    async def run(self, conv: Conversation, command: str, args: str, incoming: Incoming, lang: str) -> None:
        ctx = self.ctx
        target = incoming.target
        record = conv.record
        if command in ("start", "help"):
            key = "welcome" if command == "start" else "help"
            skill = skill_or_default(record.mode or ctx.settings.bot.mode)
            await ctx.reply(target, say(lang, key, mode=skill.alias, modes=mode_names(), formats=FORMATS,
                                        limit=megabytes(ctx.upload_limit(target))),
                            ctx.main_buttons(lang, target.user_id))
        elif command == "cancel":
            await self.queue.cancel(conv, lang, target)
        elif command in ("lang", "language"):
            choice = pick_language(args, "") if args else ""
            if choice not in LANGUAGES:
                await ctx.reply(target, say(lang, "lang_unknown"))
                return
            record.language = choice
            await ctx.store.save_conversation(record, only=("language",))
            await ctx.reply(target, say(choice, "lang_set"))
        elif command == "mode":
            current = skill_or_default(record.mode or ctx.settings.bot.mode)
            if not args:
                await ctx.reply(target, say(lang, "mode_list", mode=current.alias, modes=mode_names()))
                return
            chosen = find_skill(args)
            if chosen is None:
                await ctx.reply(target, say(lang, "mode_unknown", mode=args[:40], modes=mode_names()))
                return
            record.mode = chosen.source
            await ctx.store.save_conversation(record, only=("mode",))
            about = chosen.about_zh if lang == "zh" else chosen.about_en
            await ctx.reply(target, say(lang, "mode_set", mode=f"{chosen.alias} ({about})"))
        elif command == "token":
            await self._own_token(conv, args, target, lang)
        elif command == "pictures":
            await ctx.pictures.command(conv, args, target, lang)
        elif command == "preview" and args:
            await ctx.previews.command(conv, args, target, lang)
        elif command == "preview":  # one now, in turn after the edits before it
            await self.queue.enqueue(conv, Operation(Route.PREVIEW, Incoming(
                target, "", locale=incoming.locale, order=incoming.order)))
        elif command == "stats":
            await self._stats(conv, target, lang)
        elif command == "credits":
            await self.quick.credits(conv, lang, target)
        elif command == "status":
            await self.quick.status(conv, lang, target)
        elif command in ("export", SMALLER, "new", "upload"):
            kind = {"export": Route.EXPORT, SMALLER: Route.EXPORT, "new": Route.CHAT, "upload": Route.UPLOAD}[command]
            op = Operation(kind, Incoming(target, args, command=command if command in ("new", SMALLER) else None,
                                          attachments=incoming.attachments, locale=incoming.locale,
                                          order=incoming.order))
            if kind is Route.UPLOAD and not incoming.attachments:
                refused = link_problem(args) or (None if find_urls(args) else "upload_nothing")
                if refused:
                    await ctx.reply(target, say(lang, refused))
                    return
            await self.queue.enqueue(conv, op)
        elif command == "edit":
            if not args and not incoming.attachments:
                await ctx.reply(target, say(lang, "empty_message"))
                return
            # a file given with /edit is the footage to edit: the upload starts a fresh timeline from it;
            # a link alone is fetched as it is when typed (never read as an instruction about "mp4")
            linked = not incoming.attachments and route(args) is Route.UPLOAD and bool(find_urls(args))
            refused = link_problem(args) if linked else None
            if refused:
                await ctx.reply(target, say(lang, refused))
                return
            kind = Route.UPLOAD if incoming.attachments or linked else Route.CHAT
            edit = Incoming(target, args, attachments=incoming.attachments,
                            command="edit" if incoming.attachments else None, locale=incoming.locale,
                            order=incoming.order)
            await self.queue.enqueue(conv, Operation(kind, edit))
        else:
            name = command if len(command) <= 32 else command[:32] + "…"
            await ctx.reply(target, say(lang, "unknown_command", command=name) + "\n\n"
                            + say(lang, "help", modes=mode_names(), formats=FORMATS,
                                  limit=megabytes(ctx.upload_limit(target))))

    async def _own_token(self, conv: Conversation, args: str, target: Target, lang: str) -> None:
        """/token: bring your own NEMO token (private chats only; never shown back)."""
        ctx = self.ctx
        if target.group:
            await ctx.reply(target, say(lang, "token_private_only"))
        elif not args:
            await ctx.reply(target, say(lang, "token_usage"))
        elif args.lower() in ("clear", "reset", "off"):
            await ctx.tokens.set_own(conv.record.key, None)
            await ctx.reply(target, say(lang, "token_cleared"))
        elif not _TOKEN_SHAPE.fullmatch(args):
            await ctx.reply(target, say(lang, "token_invalid"))
        else:
            ctx.redactor.add([args])
            await ctx.tokens.set_own(conv.record.key, args)
            await ctx.reply(target, say(lang, "token_saved"))

    def is_operator(self, target: Target) -> bool:
        return f"{target.platform}:{target.user_id}" in self.ctx.settings.bot.operators

    async def _stats(self, conv: Conversation, target: Target, lang: str) -> None:
        ctx = self.ctx
        if not self.is_operator(target):
            await ctx.notify(target, say(lang, "operators_only"))
            return
        counts = await ctx.store.stats()
        convs = list(ctx.conversations.values())
        engine = ""
        if ctx.settings.bot.backend == "engine":
            nemo = ctx.nemo(conv, lang)
            try:
                seen = await nemo.authed(lambda t: nemo.client.engine_stats(t, skill=nemo.skill))
            except NemoError as exc:
                log.warning("the engine's stats could not be read: %s", exc)
                seen = None
            if seen is not None:
                engine = "\n" + say(lang, "stats_engine", queued=seen.get("renders_queued", 0),
                                    running=seen.get("renders_running", 0), hour=seen.get("renders_last_hour", 0),
                                    used=disk_size(seen.get("disk_used_bytes", 0)),
                                    budget=disk_size(seen.get("disk_budget_bytes", 0)),
                                    pruned=seen.get("pruned_files", 0))
        await ctx.reply(target, say(
            lang, "stats", active=sum(1 for c in convs if c.running or c.queue), over_quota=await ctx.quotas.users_over(),
            running=sum(1 for c in convs if c.running), queued=sum(len(c.queue) for c in convs), **counts) + engine)
