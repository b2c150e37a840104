"""``FakeDiscord``: a stand-in Discord on 127.0.0.1 that the real discord.py client talks to.

One aiohttp server carries the REST API (``/api/v10``), the gateway WebSocket (``/gateway``, and
``/resume-gateway`` given as READY's ``resume_gateway_url``) and the attachment CDN
(``/attachments/...``). The methods here play the Discord users: invoke slash commands, press
buttons, write messages; and let tests read back what the bot did.
"""

from __future__ import annotations

import asyncio
import base64
import inspect
import secrets
from collections.abc import Callable, Mapping
from types import TracebackType
from typing import Any, Self

from aiohttp import web

from . import control
from .cdn import Cdn
from .gateway import Gateway
from .models import (
    DEFAULT_ATTACHMENT_LIMIT,
    DEFAULT_REQUEST_LIMIT,
    JSON,
    CdnCall,
    Clock,
    FakeAttachment,
    GatewayFrame,
    InteractionRecord,
    RestCall,
    SnowflakeFactory,
    User,
    guild_create_payload,
    member_payload,
    message_payload,
)
from .rest import RestApi
from .state import DiscordState

# Application flags: GATEWAY_MESSAGE_CONTENT / GATEWAY_MESSAGE_CONTENT_LIMITED, APPLICATION_COMMAND_BADGE.
_FLAG_MESSAGE_CONTENT = 1 << 18
_FLAG_MESSAGE_CONTENT_LIMITED = 1 << 19
_FLAG_COMMAND_BADGE = 1 << 23

# Option types of chat-input commands.
_SUB_COMMAND, _SUB_GROUP, _STRING, _INTEGER, _BOOLEAN, _USER, _CHANNEL, _NUMBER, _ATTACHMENT = (
    1, 2, 3, 4, 5, 6, 7, 10, 11)


class DiscordPyPatch:
    """Points discord.py at the fake; ``restore()`` (or leaving the ``with`` block) undoes it."""

    def __init__(self, api_base: str, gateway_url: str) -> None:
        import discord.gateway
        import discord.http
        import yarl

        self._route = discord.http.Route
        self._ws = discord.gateway.DiscordWebSocket
        self._saved = (self._route.BASE, self._ws.DEFAULT_GATEWAY)
        self._route.BASE = api_base
        self._ws.DEFAULT_GATEWAY = yarl.URL(gateway_url)
        self.active = True

    def restore(self) -> None:
        if self.active:
            self._route.BASE, self._ws.DEFAULT_GATEWAY = self._saved
            self.active = False

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.restore()


class FakeDiscord:
    """A local Discord: REST + gateway + CDN. Use as ``async with FakeDiscord() as dc:``."""

    def __init__(
        self,
        *,
        interaction_ttl: float = 900.0,
        heartbeat_interval_ms: int = 41250,
        host: str = "127.0.0.1",
        port: int = 0,
        attachment_size_limit: int = DEFAULT_ATTACHMENT_LIMIT,
        request_size_limit: int = DEFAULT_REQUEST_LIMIT,
        attachment_url_ttl: float = 86400.0,
        allow_privileged_intents: bool = True,
        echo_bot_messages: bool = True,
        bot_name: str = "nemobot",
        bot_token: str | None = None,
        guild_name: str = "Fake Guild",
    ) -> None:
        self.host = host
        self._port = port
        self.clock = Clock()
        self._ids = SnowflakeFactory(self.clock)
        self._changed = asyncio.Event()
        self.cdn = Cdn(clock=self.clock, url_ttl=attachment_url_ttl, base_url=lambda: self.base_url,
                       on_call=self._notify)
        bot = User(id=self._ids(), username=bot_name, global_name=None, bot=True)
        token = bot_token or (base64.b64encode(str(bot.id).encode()).decode().rstrip("=") + "."
                 + secrets.token_urlsafe(4) + "." + secrets.token_urlsafe(27))
        self.state = DiscordState(clock=self.clock, ids=self._ids, blobs=self.cdn.blobs, bot_token=token,
                                  application_id=self._ids(), bot_user=bot,
                                  attachment_size_limit=attachment_size_limit)
        self.state.application_flags = _FLAG_COMMAND_BADGE | (
            _FLAG_MESSAGE_CONTENT if allow_privileged_intents else _FLAG_MESSAGE_CONTENT_LIMITED)
        tester = self.state.add_user("tester", global_name="Tester")
        self.user_id: int = tester.id
        guild = self.state.add_guild(guild_name, owner_id=tester.id)
        self.guild_id: int = guild.id
        self.channel_id: int = guild.channel_ids[0]
        self.gateway = Gateway(clock=self.clock, state=self.state, heartbeat_interval_ms=heartbeat_interval_ms,
                               allow_privileged_intents=allow_privileged_intents,
                               resume_url=lambda: self.resume_gateway_url, notify=self._notify)
        self.rest = RestApi(clock=self.clock, state=self.state, gateway=self.gateway,
                            interaction_ttl=interaction_ttl,
                            request_size_limit=request_size_limit, echo_bot_messages=echo_bot_messages,
                            gateway_url=lambda: self.gateway_url, notify=self._notify)
        self._runner: web.AppRunner | None = None
        self._patches: list[DiscordPyPatch] = []

    # ------------------------------------------------------------------ lifecycle

    async def start(self) -> None:
        app = web.Application(client_max_size=self.rest.request_size_limit * 4 + 1024 * 1024)
        self.rest.add_routes(app)
        for path in ("/gateway", "/gateway/", "/resume-gateway", "/resume-gateway/"):
            app.router.add_get(path, self.gateway.handle)
        self.cdn.add_routes(app)
        control.add_routes(app, self)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=2.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self._port)
        await site.start()
        self._port = self._runner.addresses[0][1]

    async def close(self) -> None:
        for patch in self._patches:
            patch.restore()
        self._patches.clear()
        await self.gateway.close_all()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        await self.close()

    # ------------------------------------------------------------------ addresses and identities

    @property
    def port(self) -> int:
        return self._port

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self._port}"

    @property
    def api_base(self) -> str:
        return f"{self.base_url}/api/v10"

    @property
    def gateway_url(self) -> str:
        return f"ws://{self.host}:{self._port}/gateway"

    @property
    def resume_gateway_url(self) -> str:
        return f"ws://{self.host}:{self._port}/resume-gateway"

    @property
    def bot_token(self) -> str:
        return self.state.bot_token

    @property
    def application_id(self) -> int:
        return self.state.application_id

    @property
    def bot_user_id(self) -> int:
        return self.state.bot_user.id

    def point_discord_py_here(self) -> DiscordPyPatch:
        """Set ``discord.http.Route.BASE`` and ``DiscordWebSocket.DEFAULT_GATEWAY`` to this server.

        Undo with ``dc.restore()``, ``patch.restore()``, a ``with`` block, or leaving ``FakeDiscord``.
        """
        patch = DiscordPyPatch(self.api_base, self.gateway_url)
        self._patches.append(patch)
        return patch

    def restore(self) -> None:
        """Undo every ``point_discord_py_here()``."""
        for patch in reversed(self._patches):
            patch.restore()
        self._patches.clear()

    def env(self) -> dict[str, str]:
        """Environment settings pointing nemobot's Discord front-end here (core.settings.DiscordSettings)."""
        return {
            "DISCORD_TOKEN": self.bot_token,
            "DISCORD_API_BASE_URL": self.api_base,
            "DISCORD_GATEWAY_URL": self.gateway_url,
            "DISCORD_DEV_GUILDS": f"[{self.guild_id}]",
        }

    # ------------------------------------------------------------------ world building

    def add_user(self, username: str, *, global_name: str | None = None) -> int:
        return self.state.add_user(username, global_name=global_name).id

    def add_guild(self, name: str = "Another Guild", *, channel_name: str = "general",
                  owner_id: int | None = None, locale: str = "en-US") -> int:
        """A new guild with one text channel; a connected bot gets GUILD_CREATE (it joined)."""
        guild = self.state.add_guild(name, owner_id=owner_id or self.user_id, channel_name=channel_name,
                                     locale=locale)
        channels = [self.state.channels[c] for c in guild.channel_ids]
        self.gateway.dispatch("GUILD_CREATE", guild_create_payload(guild, channels, self.state.users),
                              required=False)
        return guild.id

    def add_channel(self, guild_id: int | None = None, name: str = "channel") -> int:
        """A new text channel; a connected bot gets CHANNEL_CREATE."""
        channel = self.state.add_channel(guild_id or self.guild_id, name)
        self.gateway.dispatch("CHANNEL_CREATE", self.state.channel_payload(channel), required=False)
        return channel.id

    def guild_channel_ids(self, guild_id: int) -> list[int]:
        return list(self.state.guild(guild_id).channel_ids)

    def dm_channel_id(self, user_id: int) -> int:
        return self.state.dm_channel(user_id).id

    def attachment(self, data: bytes, filename: str = "clip.mp4", size: int | None = None, *,
                   content_type: str | None = None, description: str | None = None) -> FakeAttachment:
        """A file a user attaches. ``size`` overrides the reported size (the CDN serves ``data``)."""
        return self.state.attachment(data, filename, size=size, content_type=content_type,
                                     description=description)

    # ------------------------------------------------------------------ users acting

    def invoke_slash(self, name: str, options: Mapping[str, Any] | None = None, *, user_id: int | None = None,
                     guild: bool = True, guild_id: int | None = None, channel_id: int | None = None,
                     locale: str = "en-US") -> int:
        """A user runs ``/name`` (``"group sub"`` for sub-commands); returns the interaction id.

        The command must be registered (bulk overwrite) for that guild or globally (DMs: global
        with context 1). Option types come from the registered command; values: str, int, float,
        bool, ``FakeAttachment`` (type 11), a user id (type 6).
        """
        user_id = user_id or self.user_id
        if guild:
            channel = self.state.channel(channel_id or (self.state.guild(guild_id).channel_ids[0]
                                                        if guild_id else self.channel_id))
            if channel.guild_id is None:
                raise ValueError(f"channel {channel.id} is not a guild channel")
        else:
            channel = self.state.dm_channel(user_id)
        words = name.split()
        command, registered_in = self.state.find_command(words[0], channel.guild_id)
        resolved: JSON = {}
        defs: list[JSON] = command.get("options") or []
        nested: list[JSON] = []
        holder = nested
        for word in words[1:]:
            found = next((o for o in defs if o.get("name") == word and o.get("type") in (_SUB_COMMAND, _SUB_GROUP)),
                         None)
            if found is None:
                raise LookupError(f"/{words[0]} has no sub-command {word!r}")
            inner: list[JSON] = []
            holder.append({"name": word, "type": found["type"], "options": inner})
            holder, defs = inner, found.get("options") or []
        holder.extend(self._options(defs, dict(options or {}), channel.id, resolved))
        data: JSON = {"id": command["id"], "name": words[0], "type": 1, "options": nested}
        if resolved:
            data["resolved"] = resolved
        if registered_in is not None:
            data["guild_id"] = str(registered_in)
        record = self.state.new_interaction(type=2, data=data, user_id=user_id, channel=channel, locale=locale)
        self.gateway.dispatch("INTERACTION_CREATE", record.payload)
        return record.id

    def _options(self, defs: list[JSON], values: dict[str, Any], channel_id: int, resolved: JSON) -> list[JSON]:
        by_name = {d["name"]: d for d in defs}
        missing = [d["name"] for d in defs if d.get("required") and d["name"] not in values]
        if missing:
            raise ValueError(f"required options missing: {missing}")
        out: list[JSON] = []
        for key, value in values.items():
            spec = by_name.get(key)
            if spec is None and defs:
                raise ValueError(f"unknown option {key!r}; the command has {sorted(by_name)}")
            otype = spec["type"] if spec else _infer_type(value)
            if otype == _ATTACHMENT:
                if not isinstance(value, FakeAttachment):
                    raise TypeError(f"option {key!r} takes dc.attachment(...)")
                resolved.setdefault("attachments", {})[str(value.id)] = self.state.attachment_payload(
                    value, channel_id, ephemeral=True)
                value = str(value.id)
            elif otype == _USER:
                user = self.state.user(int(value))
                resolved.setdefault("users", {})[str(user.id)] = user.payload()
                channel = self.state.channels[channel_id]
                if channel.guild_id is not None:
                    self.state.ensure_member(channel.guild_id, user.id)
                    guild = self.state.guilds[channel.guild_id]
                    resolved.setdefault("members", {})[str(user.id)] = member_payload(
                        user, guild.joined_at, with_user=False, permissions="0")
                value = str(user.id)
            elif otype == _CHANNEL:
                target = self.state.channel(int(value))
                resolved.setdefault("channels", {})[str(target.id)] = dict(
                    self.state.channel_payload(target), permissions="0")
                value = str(target.id)
            elif otype == _BOOLEAN:
                value = bool(value)
            elif otype == _INTEGER:
                value = int(value)
            elif otype == _NUMBER:
                value = float(value)
            elif otype == _STRING:
                value = str(value)
            out.append({"name": key, "type": otype, "value": value})
        return out

    def press_button(self, message_id: int, custom_id: str, user_id: int | None = None, guild: bool = True, *,
                     component_type: int = 2, values: list[str] | None = None, locale: str = "en-US",
                     check: bool = True) -> int:
        """A user clicks a component of ``message_id``; returns the interaction id.

        The channel (guild or DM) is the message's own; ``guild`` only matters with ``check=False``
        for a message the fake does not know. With ``check`` the message must carry an enabled
        component with that ``custom_id``.
        """
        user_id = user_id or self.user_id
        stored = self.state.messages.get(message_id)
        if stored is None or stored.deleted:
            if check:
                raise LookupError(f"no message {message_id}")
            channel = self.state.channel(self.channel_id) if guild else self.state.dm_channel(user_id)
            message = message_payload(message_id=message_id, channel_id=channel.id, author=self.state.bot_user,
                                      created=self.clock.time(), components=[])
        else:
            channel = self.state.channel(stored.channel_id)
            message = stored.snapshot()
            if check:
                item = _find_component(message.get("components") or [], custom_id)
                if item is None:
                    raise LookupError(f"message {message_id} has no component with custom_id {custom_id!r}")
                if item.get("disabled"):
                    raise ValueError(f"component {custom_id!r} is disabled")
        data: JSON = {"custom_id": custom_id, "component_type": component_type}
        if values is not None:
            data["values"] = list(values)
        record = self.state.new_interaction(type=3, data=data, user_id=user_id, channel=channel, locale=locale,
                                            message=message)
        record.component_message_id = message_id if stored is not None else None
        self.gateway.dispatch("INTERACTION_CREATE", record.payload)
        return record.id

    def user_message(self, content: str, user_id: int | None = None,
                     attachments: list[FakeAttachment] | None = None, dm: bool = False,
                     mention_bot: bool = False, *, channel_id: int | None = None) -> int:
        """A user writes a message (MESSAGE_CREATE); returns its id.

        Like Discord, a guild message reaches the bot with empty content and no attachments unless
        the bot identified with the MESSAGE_CONTENT intent or the message mentions it.
        """
        user_id = user_id or self.user_id
        user = self.state.user(user_id)
        channel = self.state.dm_channel(user_id) if dm else self.state.channel(channel_id or self.channel_id)
        if channel.guild_id is not None:
            self.state.ensure_member(channel.guild_id, user_id)
        mentions: list[JSON] = []
        if mention_bot:
            content = f"<@{self.bot_user_id}> {content}"
            mention = self.state.bot_user.payload()
            if channel.guild_id is not None:
                guild = self.state.guilds[channel.guild_id]
                mention["member"] = member_payload(self.state.bot_user, guild.joined_at, with_user=False)
            mentions.append(mention)
        stored = self.state.create_message(channel.id, {"content": content}, [], source="user", author=user,
                                           validate=False)
        stored.payload["attachments"] = [self.state.attachment_payload(a, channel.id) for a in attachments or []]
        stored.payload["mentions"] = mentions
        self.gateway.dispatch_message("MESSAGE_CREATE", self.state.gateway_message(stored), author_id=user_id,
                                      mentions_bot=mention_bot)
        return stored.id

    # ------------------------------------------------------------------ what the bot did

    @property
    def calls(self) -> list[RestCall]:
        return self.rest.calls

    @property
    def count_429(self) -> int:
        return self.rest.count_429

    @property
    def cdn_calls(self) -> list[CdnCall]:
        return self.cdn.calls

    @property
    def gateway_frames(self) -> list[GatewayFrame]:
        return self.gateway.frames

    @property
    def identify_count(self) -> int:
        return self.gateway.identify_count

    @property
    def resume_count(self) -> int:
        return self.gateway.resume_count

    @property
    def intents(self) -> int:
        """Intents of the bot's current gateway session (0 before IDENTIFY)."""
        return self.gateway.intents

    def interaction(self, iid: int | str) -> InteractionRecord:
        return self.state.interaction(iid)

    def message(self, message_id: int) -> JSON:
        """Current state of any message the fake knows (KeyError if unknown)."""
        return self.state.messages[message_id].snapshot()

    def channel_messages(self, channel_id: int | None = None, *, include_all: bool = False) -> list[JSON]:
        """Messages the bot posted with the bot token, oldest first; ``include_all`` adds
        interaction responses and user messages (ephemeral ones are never in a channel)."""
        return self.state.channel_message_list(channel_id or self.channel_id, None if include_all else "bot")

    def dm_messages(self, user_id: int | None = None, *, include_all: bool = False) -> list[JSON]:
        cid = self.state.dm_channels.get(user_id or self.user_id)
        if cid is None:
            return []
        return self.state.channel_message_list(cid, None if include_all else "bot")

    def registered_commands(self, guild_id: int | None = None) -> list[JSON]:
        return list(self.state.commands(guild_id))

    # ------------------------------------------------------------------ faults and time

    def rate_limit(self, path_prefix: str, times: int = 1, *, retry_after: float = 0.5,
                   is_global: bool = False, method: str | None = None) -> None:
        """The next ``times`` REST requests whose path (after ``/api/v10``) starts with
        ``path_prefix`` get 429 with ``retry_after``; each counts in ``count_429``."""
        self.rest.rate_limit(path_prefix, times, retry_after, is_global, method)

    def fail(self, path_prefix: str, status: int = 500, times: int = 1, *, body: JSON | None = None,
             method: str | None = None) -> None:
        """The next ``times`` matching REST requests answer ``status`` with ``body``."""
        self.rest.fail(path_prefix, times, status, body, method)

    def advance_time(self, seconds: float) -> None:
        """Move the fake's clock: expires interaction tokens and attachment URLs without waiting."""
        self.clock.advance(seconds)

    async def drop_gateway(self, resumable: bool = True, *, code: int = 4000, hold: float | None = None) -> None:
        """Close the bot's gateway connection (close ``code``).

        Resumable: the client RESUMEs at ``resume_gateway_url`` and gets what it missed, then RESUMED.
        Not resumable: the session is invalidated; its RESUME gets op 9 and it IDENTIFYs again.
        ``hold``: new connections wait that many seconds (or until ``release_gateway()``) before
        HELLO, so a test can act while the bot is offline.
        """
        await self.gateway.drop(resumable=resumable, code=code, hold=hold)

    def release_gateway(self) -> None:
        self.gateway.release()

    async def request_reconnect(self) -> None:
        """Send op 7 RECONNECT; the client reconnects and RESUMEs."""
        await self.gateway.reconnect_request()

    # ------------------------------------------------------------------ waiting

    def _notify(self) -> None:
        self._changed.set()
        self._changed = asyncio.Event()

    async def wait_for(self, predicate: Callable[[], Any], timeout: float = 10.0) -> Any:
        """Wait until ``predicate()`` (sync or async) is truthy; return its value.

        Re-checked on every REST call, gateway frame and CDN request, and every 50 ms.
        Raises ``TimeoutError`` with the predicate's source on timeout.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            changed = self._changed
            value = predicate()
            if inspect.isawaitable(value):
                value = await value
            if value:
                return value
            remaining = deadline - loop.time()
            if remaining <= 0:
                try:
                    src = inspect.getsource(predicate).strip()
                except (OSError, TypeError):
                    src = repr(predicate)
                raise TimeoutError(f"condition not met within {timeout}s: {src}")
            try:
                await asyncio.wait_for(changed.wait(), timeout=min(remaining, 0.05))
            except TimeoutError:
                pass

    async def wait_ready(self, timeout: float = 10.0) -> None:
        """Wait until the bot has IDENTIFIED and READY plus every GUILD_CREATE went out to it."""
        await self.wait_for(self.gateway.is_ready, timeout=timeout)


def _infer_type(value: Any) -> int:
    if isinstance(value, FakeAttachment):
        return _ATTACHMENT
    if isinstance(value, bool):
        return _BOOLEAN
    if isinstance(value, int):
        return _INTEGER
    if isinstance(value, float):
        return _NUMBER
    return _STRING


def _find_component(components: list[JSON], custom_id: str) -> JSON | None:
    for comp in components:
        if comp.get("custom_id") == custom_id:
            return comp
        for key in ("components", "accessory"):
            inner = comp.get(key)
            if isinstance(inner, dict):
                inner = [inner]
            if isinstance(inner, list):
                found = _find_component(inner, custom_id)
                if found is not None:
                    return found
    return None


__all__ = ["DiscordPyPatch", "FakeDiscord"]
