"""The discord.py client: slash commands, buttons, DMs and mentions, handed to the core.

Every interaction is answered within Discord's 3 seconds: refusals (allowlist, another user's
button, a stale button, a file NEMO cannot take) at once and ephemerally, everything else with
``defer(thinking=True)`` before any slow work; the core then fills the deferred response.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import aiohttp
import discord
from discord import app_commands

from bots.discord.acks import Acknowledgements
from bots.discord.buttons import OwnedAction, SharedActions, is_ours
from bots.discord.commands import CommandTranslator, all_commands
from bots.discord.files import core_attachment
from bots.discord.global_limit import guard
from bots.discord.heartbeat import install as true_gateway_latency
from bots.discord.port import PLATFORM, DiscordPort
from bots.discord.targets import interaction_target, message_target
from core.conversation import Core
from core.i18n import say
from core.nemo.client import check_upload
from core.nemo.errors import NemoError
from core.ports import Attachment, Incoming, Target
from core.settings import Settings

log = logging.getLogger(__name__)
DEFAULT_GATEWAY = "wss://gateway.discord.gg/"
TEXT_COMMANDS = frozenset({"start", "help", "export", "status", "credits", "new", "mode", "lang", "language",
                           "cancel", "upload", "preview"})
_MENTION = re.compile(r"<@!?(\d+)>")


def intents_for(message_content: bool) -> discord.Intents:
    """Only what the bot uses: guilds (commands), guild and DM messages; Message Content if set."""
    intents = discord.Intents.none()
    intents.guilds = True
    intents.guild_messages = True
    intents.dm_messages = True
    intents.message_content = message_content
    return intents


class NemoBotMixin:
    """The bot's behaviour, shared by the plain and the auto-sharded client."""

    core: Core
    port: DiscordPort

    def __init__(self, core: Core, settings: Settings, *, identify_delay: float = 5.0, **options: Any) -> None:
        true_gateway_latency()  # discord.py's latency is one beat off when the gateway answers at once
        self.core = core
        self.settings = settings
        self.discord_settings = settings.discord
        self.identify_delay = identify_delay
        super().__init__(  # type: ignore[call-arg]
            intents=intents_for(settings.discord.message_content), max_messages=None,
            chunk_guilds_at_startup=False, member_cache_flags=discord.MemberCacheFlags.none(), **options)
        guard(self._client)
        self.tree: app_commands.CommandTree[Any] = app_commands.CommandTree(self)  # type: ignore[arg-type]
        for command in all_commands():
            self.tree.add_command(command)
        self.tree.on_error = self._on_command_error  # type: ignore[method-assign]
        self.port = DiscordPort(self, core, settings.discord)  # type: ignore[arg-type]
        self.acks = Acknowledgements()  # every interaction acknowledged before any one's work
        self.buttons_handler = self
        self.http_session: aiohttp.ClientSession | None = None

    @property
    def _client(self) -> discord.Client:
        return self  # type: ignore[return-value]

    # -- lifecycle --------------------------------------------------------------------------

    async def setup_hook(self) -> None:
        """Buttons, commands and the port; runs after login, before the gateway connects
        (so never ``wait_until_ready`` here)."""
        self.http_session = aiohttp.ClientSession()
        self.port.session = self.http_session
        client = self._client
        client.add_dynamic_items(OwnedAction)
        client.add_view(SharedActions())
        await self.tree.set_translator(CommandTranslator())
        await self._sync_commands()
        await self._shard_count()
        self.core.register(self.port)

    async def _sync_commands(self) -> None:
        guilds = self.discord_settings.dev_guilds
        for guild_id in guilds:  # guild commands appear at once
            guild = discord.Object(guild_id)
            self.tree.copy_global_to(guild=guild)
            try:
                synced = await self.tree.sync(guild=guild)
                log.info("synced %d commands to guild %s", len(synced), guild_id)
            except discord.HTTPException as exc:
                log.error("could not sync commands to guild %s: %s", guild_id, exc)
        if not guilds:  # global commands can take up to an hour to appear
            try:
                synced = await self.tree.sync()
                log.info("synced %d global commands", len(synced))
            except discord.HTTPException as exc:  # the commands of the last sync stay registered
                log.error("could not sync the global commands: %s", exc)

    async def _shard_count(self) -> None:
        """With a custom gateway URL, keep discord.py from using the one ``/gateway/bot`` names."""
        client = self._client
        if isinstance(client, discord.AutoShardedClient) and client.shard_count is None and \
                self.discord_settings.gateway_url.rstrip("/") != DEFAULT_GATEWAY.rstrip("/"):
            count, _, _ = await client.http.get_bot_gateway()
            client.shard_count = count

    async def before_identify_hook(self, shard_id: int | None, *, initial: bool = False) -> None:
        # discord.py waits 5 s before identifying again (Discord's identify rate limit)
        if not initial and self.identify_delay > 0:
            await asyncio.sleep(self.identify_delay)

    async def close(self) -> None:
        await super().close()  # type: ignore[misc]
        if self.http_session is not None:
            await self.http_session.close()

    # -- who may use the bot ----------------------------------------------------------------

    def allowed(self, user_id: int, guild_id: int | None) -> bool:
        """Everyone, unless an allowlist is set: then a listed user, or anyone in a listed guild."""
        users, guilds = self.discord_settings.allowed_users, self.discord_settings.allowed_guilds
        if not users and not guilds:
            return True
        return user_id in users or (guild_id is not None and guild_id in guilds)

    async def refuse(self, interaction: discord.Interaction[Any], key: str, **values: object) -> None:
        """An ephemeral answer only the person who acted sees (instead of deferring)."""
        target = interaction_target(interaction, None)
        lang = await self.core.language_for(target, str(interaction.locale))
        text = say(lang, key, **values)
        if interaction.response.is_done():
            await interaction.followup.send(text, ephemeral=True)
            return
        try:
            await interaction.response.send_message(text, ephemeral=True)
        except discord.HTTPException as exc:
            if not self.acks.taken(exc):
                raise

    # -- slash commands ---------------------------------------------------------------------

    async def run_command(self, interaction: discord.Interaction[Any], *, command: str | None = None,
                          text: str = "", args: str = "",
                          attachments: Sequence[discord.Attachment] = ()) -> None:
        """Defer, then hand the command to the core (which answers in the deferred response)."""
        if not self.allowed(interaction.user.id, interaction.guild_id):
            await self.refuse(interaction, "discord_not_allowed")
            return
        files = [core_attachment(a, self._session()) for a in attachments]
        problem = _file_problem(files)
        if problem is not None:
            await self.refuse(interaction, problem.key, detail=problem.message[:200])
            return
        target = await self._defer(interaction, thinking=True)
        if target is None:
            return
        incoming = Incoming(target, text=text, command=command, args=args, attachments=files,
                            locale=str(interaction.locale), order=interaction.id)
        await self._handle(incoming, cancel=command == "cancel")

    async def _defer(self, interaction: discord.Interaction[Any], *, thinking: bool) -> Target | None:
        """Acknowledge at once, then wait until the interactions being acknowledged alongside have been
        (``acks``); the target to answer in, ``None`` when Discord had already forgotten the interaction
        or another session of the shard took it.
        ``thinking``: a "thinking…" response the first answer fills."""
        async with self.acks.acknowledging():
            try:
                callback = await interaction.response.defer(thinking=thinking)
            except discord.HTTPException as exc:
                if self.acks.too_late(exc) or self.acks.taken(exc):
                    return None
                raise
        target = interaction_target(interaction, callback.message_id if callback and thinking else None)
        if thinking:
            self.port.expect_original(target)
        await self.acks.settled()
        return target

    async def _handle(self, incoming: Incoming, *, cancel: bool = False) -> None:
        target = incoming.target
        try:
            await self.core.handle(incoming)
            if cancel:  # stopping a running job edits that job's message; answer this one too
                lang = await self.core.language_for(target, incoming.locale)
                await self.port.close_original(target, say(lang, "cancelled"))
        except Exception:
            log.exception("could not handle a Discord %s", "button" if incoming.button else "command")
            lang = await self.core.language_for(target, incoming.locale)
            try:
                await self.port.send(target, say(lang, "error_internal"))
            except Exception:
                log.warning("could not report the failure", exc_info=True)

    async def _on_command_error(self, interaction: discord.Interaction[Any],
                                error: app_commands.AppCommandError) -> None:
        log.error("slash command failed", exc_info=error)
        try:
            await self.refuse(interaction, "error_internal")
        except discord.HTTPException:
            log.warning("could not report the failure", exc_info=True)

    # -- buttons ----------------------------------------------------------------------------

    async def on_button(self, interaction: discord.Interaction[Any], action: str, owner: str) -> None:
        """A press of one of our buttons (``owner`` empty: anyone may press it)."""
        presser = str(interaction.user.id)
        if owner and owner != presser:
            await self.refuse(interaction, "not_yours")
            return
        if not self.allowed(interaction.user.id, interaction.guild_id):
            await self.refuse(interaction, "discord_not_allowed")
            return
        # cancel: no new message, the job's own status message says "Cancelled."
        target = await self._defer(interaction, thinking=action != "cancel")
        if target is None:
            return
        await self._handle(Incoming(target, button=action, button_owner=owner or presser,
                                    locale=str(interaction.locale), order=interaction.id))

    async def on_interaction(self, interaction: discord.Interaction[Any]) -> None:
        """Component presses no registered button handles: stale (an old layout) or forged."""
        if interaction.type is not discord.InteractionType.component:
            return
        custom_id = str(interaction.data.get("custom_id", "")) if interaction.data else ""
        if not is_ours(custom_id):
            log.info("stale or unknown button pressed")
            await self.refuse(interaction, "stale_button")

    # -- DMs and mentions -------------------------------------------------------------------

    async def on_message(self, message: discord.Message) -> None:
        if message.author.bot or message.webhook_id is not None:
            return
        me = self._client.user
        if me is None:
            return
        direct = message.guild is None
        mentioned = any(user.id == me.id for user in message.mentions)
        if not (direct or mentioned or self._replies_to_me(message, me.id)):
            return  # guild chatter (without the Message Content intent it arrives empty anyway)
        if not await self.core.first_receipt(PLATFORM, message.id):
            return  # another session of the shard has it (a deploy's handover)
        target = message_target(message)
        if not self.allowed(message.author.id, message.guild.id if message.guild else None):
            if direct:
                lang = await self.core.language_for(target)
                await self.port.send(target, say(lang, "discord_not_allowed"))
            return
        text = _MENTION.sub(lambda m: "" if int(m.group(1)) == me.id else m.group(0), message.content).strip()
        files = [core_attachment(a, self._session()) for a in message.attachments]
        await self._handle(replace(_message_incoming(target, text, files), order=message.id))

    def _replies_to_me(self, message: discord.Message, my_id: int) -> bool:
        """With the Message Content intent, a reply to one of the bot's messages counts too."""
        if not self.discord_settings.message_content or message.reference is None:
            return False
        resolved = message.reference.resolved
        return isinstance(resolved, discord.Message) and resolved.author.id == my_id

    def _session(self) -> aiohttp.ClientSession:
        if self.http_session is None:
            raise RuntimeError("setup_hook has not run")
        return self.http_session


class NemoBot(NemoBotMixin, discord.Client):
    """One gateway connection (enough below 2,500 guilds)."""


class ShardedNemoBot(NemoBotMixin, discord.AutoShardedClient):
    """As many shards as Discord recommends."""


def _file_problem(files: Sequence[Attachment]) -> NemoError | None:
    for attachment in files:
        try:
            check_upload(attachment.filename, attachment.size)
        except NemoError as exc:
            return exc
    return None


def _message_incoming(target: Target, text: str, files: list[Attachment]) -> Incoming:
    """A DM or a mention: ``/command args`` typed as text works like the slash command."""
    if text.startswith("/"):
        name, _, args = text[1:].partition(" ")
        if name.lower() in TEXT_COMMANDS:
            return Incoming(target, command=name.lower(), args=args.strip(), attachments=files,
                            locale=target.extra.get("locale"))
    return Incoming(target, text=text, attachments=files, locale=target.extra.get("locale"))
