"""Records, ids and the JSON shapes the fake Discord hands to discord.py.

Payload builders here are pure functions over small dataclasses; the shapes follow what
discord.py 2.7 parses (``discord/types/*.py``, ``Message.__init__``, ``Guild._from_data``,
``Interaction._from_data``). Snowflakes are strings in every payload.
"""

from __future__ import annotations

import copy
import datetime as dt
import io
import itertools
import mimetypes
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from PIL import Image, UnidentifiedImageError

DISCORD_EPOCH_MS = 1420070400000
MiB = 1024 * 1024
DEFAULT_ATTACHMENT_LIMIT = 10 * MiB  # per file, reported as attachment_size_limit
DEFAULT_REQUEST_LIMIT = 25 * MiB  # all files of one request
ALL_PERMISSIONS = str((1 << 51) - 1)

# Gateway intents (discord.Intents bit values).
INTENT_GUILDS = 1 << 0
INTENT_GUILD_MEMBERS = 1 << 1
INTENT_GUILD_PRESENCES = 1 << 8
INTENT_GUILD_MESSAGES = 1 << 9
INTENT_DIRECT_MESSAGES = 1 << 12
INTENT_MESSAGE_CONTENT = 1 << 15
PRIVILEGED_INTENTS = INTENT_GUILD_MEMBERS | INTENT_GUILD_PRESENCES | INTENT_MESSAGE_CONTENT

# Message flags.
FLAG_EPHEMERAL = 1 << 6
FLAG_LOADING = 1 << 7

# Channel types.
CHANNEL_GUILD_TEXT = 0
CHANNEL_DM = 1

JSON = dict[str, Any]


class Clock:
    """Wall and monotonic time with an offset tests can advance (``FakeDiscord.advance_time``)."""

    def __init__(self) -> None:
        self.offset = 0.0

    def monotonic(self) -> float:
        return time.monotonic() + self.offset

    def time(self) -> float:
        return time.time() + self.offset

    def advance(self, seconds: float) -> None:
        self.offset += seconds


class SnowflakeFactory:
    """Increasing Discord snowflakes built from the (possibly advanced) wall clock."""

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._last = 0
        self._counter = itertools.count()

    def __call__(self) -> int:
        with self._lock:
            ms = int(self._clock.time() * 1000) - DISCORD_EPOCH_MS
            value = (ms << 22) | (1 << 17) | (next(self._counter) & 0xFFF)
            if value <= self._last:
                value = self._last + 1
            self._last = value
            return value


def iso(ts: float) -> str:
    """ISO-8601 timestamp with a UTC offset, as Discord sends them."""
    return dt.datetime.fromtimestamp(ts, tz=dt.UTC).isoformat()


def guess_content_type(filename: str) -> str:
    return mimetypes.guess_type(filename)[0] or "application/octet-stream"


# --------------------------------------------------------------------------- records


@dataclass
class RestCall:
    """One HTTP request made to the REST API (``/api/v10``)."""

    method: str
    path: str  # relative to the API base, without the query string
    json: Any = None  # JSON body, or payload_json of a multipart body
    files: list[tuple[str, int]] = field(default_factory=list)  # (filename, size)
    time: float = 0.0  # FakeDiscord clock, monotonic seconds
    status: int = 0
    query: dict[str, str] = field(default_factory=dict)
    authorized: bool = False  # carried ``Authorization: Bot <our token>``
    response: Any = None


@dataclass
class CdnCall:
    """One request to the attachment CDN."""

    path: str
    status: int
    range: str | None
    time: float


@dataclass
class GatewayFrame:
    """A gateway frame sent ("out") or received ("in")."""

    direction: str
    op: int
    t: str | None
    s: int | None
    time: float
    d: Any = None
    shard: int | None = None  # the shard of the session on that connection (None before IDENTIFY)


@dataclass
class FakeAttachment:
    """File a fake user attaches (``FakeDiscord.attachment``); its bytes are served by the CDN."""

    id: int
    filename: str
    data: bytes
    size: int
    content_type: str
    description: str | None = None

    def payload(self, url: str, *, ephemeral: bool = False) -> JSON:
        out: JSON = {
            "id": str(self.id),
            "filename": self.filename,
            "size": self.size,
            "url": url,
            "proxy_url": url.replace("/attachments/", "/media/attachments/", 1),
            "content_type": self.content_type,
        }
        if self.description is not None:
            out["description"] = self.description
        if self.content_type.startswith("image/"):  # Discord measures images it can read
            try:
                with Image.open(io.BytesIO(self.data)) as image:
                    out["width"], out["height"] = image.width, image.height
            except (UnidentifiedImageError, OSError):
                pass
        if ephemeral:
            out["ephemeral"] = True
        return out


def resolve_embeds(embeds: list[JSON], attachments: list[JSON]) -> list[JSON]:
    """``attachment://name`` in an embed's image or thumbnail becomes that attachment's URL, as Discord
    does; a name the message has no attachment for leaves the embed without that image."""
    by_name = {a.get("filename"): a for a in attachments}
    out = []
    for embed in embeds:
        embed = copy.deepcopy(embed)
        for key in ("image", "thumbnail"):
            url = str((embed.get(key) or {}).get("url") or "")
            if not url.startswith("attachment://"):
                continue
            found = by_name.get(url.removeprefix("attachment://"))
            if found is None:
                embed.pop(key)
            else:
                embed[key] = {"url": found["url"], "proxy_url": found["proxy_url"],
                              **{k: found[k] for k in ("width", "height") if k in found}}
        out.append(embed)
    return out


@dataclass
class User:
    id: int
    username: str
    global_name: str | None = None
    bot: bool = False

    def payload(self) -> JSON:
        out: JSON = {
            "id": str(self.id),
            "username": self.username,
            "discriminator": "0",
            "global_name": self.global_name,
            "avatar": None,
            "public_flags": 0,
            "flags": 0,
            "banner": None,
            "accent_color": None,
            "avatar_decoration_data": None,
        }
        if self.bot:
            out["bot"] = True
        return out


@dataclass
class Channel:
    id: int
    type: int
    name: str | None = None
    guild_id: int | None = None
    recipient_id: int | None = None  # DMs
    position: int = 0
    topic: str | None = None
    last_message_id: int | None = None
    message_ids: list[int] = field(default_factory=list)

    def payload(self, users: dict[int, User] | None = None, *, with_guild_id: bool = True) -> JSON:
        last = str(self.last_message_id) if self.last_message_id else None
        if self.type == CHANNEL_DM:
            recipients = []
            if users is not None and self.recipient_id in users:
                recipients = [users[self.recipient_id].payload()]
            return {"id": str(self.id), "type": CHANNEL_DM, "last_message_id": last, "flags": 0,
                    "recipients": recipients}
        out: JSON = {
            "id": str(self.id),
            "type": self.type,
            "name": self.name,
            "position": self.position,
            "parent_id": None,
            "topic": self.topic,
            "nsfw": False,
            "rate_limit_per_user": 0,
            "last_message_id": last,
            "permission_overwrites": [],
            "flags": 0,
        }
        if with_guild_id and self.guild_id is not None:
            out["guild_id"] = str(self.guild_id)
        return out


@dataclass
class Guild:
    id: int
    name: str
    owner_id: int
    locale: str = "en-US"
    channel_ids: list[int] = field(default_factory=list)
    member_ids: list[int] = field(default_factory=list)
    joined_at: float = 0.0


def member_payload(user: User, joined_at: float, *, with_user: bool = True,
                   permissions: str | None = None) -> JSON:
    out: JSON = {
        "roles": [],
        "joined_at": iso(joined_at),
        "premium_since": None,
        "deaf": False,
        "mute": False,
        "flags": 0,
        "pending": False,
        "nick": None,
        "avatar": None,
        "communication_disabled_until": None,
    }
    if with_user:
        out["user"] = user.payload()
    if permissions is not None:
        out["permissions"] = permissions
    return out


def guild_create_payload(guild: Guild, channels: list[Channel], users: dict[int, User]) -> JSON:
    """GUILD_CREATE for a guild the bot is in: roles, channels and members included."""
    return {
        "id": str(guild.id),
        "name": guild.name,
        "icon": None,
        "splash": None,
        "discovery_splash": None,
        "banner": None,
        "description": None,
        "owner_id": str(guild.owner_id),
        "afk_channel_id": None,
        "afk_timeout": 300,
        "verification_level": 0,
        "default_message_notifications": 0,
        "explicit_content_filter": 0,
        "mfa_level": 0,
        "nsfw_level": 0,
        "premium_tier": 0,
        "premium_subscription_count": 0,
        "premium_progress_bar_enabled": False,
        "system_channel_id": str(guild.channel_ids[0]) if guild.channel_ids else None,
        "system_channel_flags": 0,
        "rules_channel_id": None,
        "public_updates_channel_id": None,
        "safety_alerts_channel_id": None,
        "vanity_url_code": None,
        "preferred_locale": guild.locale,
        "features": [],
        "application_id": None,
        "max_members": 500000,
        "max_video_channel_users": 25,
        "nsfw": False,
        "large": False,
        "lazy": True,
        "unavailable": False,
        "joined_at": iso(guild.joined_at),
        "member_count": len(guild.member_ids),
        "roles": [{
            "id": str(guild.id), "name": "@everyone", "permissions": "1071698660929", "position": 0,
            "color": 0, "colors": {"primary_color": 0, "secondary_color": None, "tertiary_color": None},
            "hoist": False, "managed": False, "mentionable": False, "flags": 0, "icon": None,
            "unicode_emoji": None,
        }],
        "emojis": [],
        "stickers": [],
        "channels": [c.payload(users, with_guild_id=False) for c in channels],
        "threads": [],
        "members": [member_payload(users[uid], guild.joined_at) for uid in guild.member_ids],
        "voice_states": [],
        "presences": [],
        "stage_instances": [],
        "guild_scheduled_events": [],
        "soundboard_sounds": [],
    }


def message_payload(
    *,
    message_id: int,
    channel_id: int,
    author: User,
    content: str = "",
    created: float,
    type: int = 0,
    flags: int = 0,
    attachments: list[JSON] | None = None,
    embeds: list[JSON] | None = None,
    components: list[JSON] | None = None,
    mentions: list[JSON] | None = None,
    webhook_id: int | None = None,
    application_id: int | None = None,
    extra: JSON | None = None,
) -> JSON:
    """A full message object (the REST shape; gateway events add guild_id/member)."""
    out: JSON = {
        "id": str(message_id),
        "channel_id": str(channel_id),
        "author": author.payload(),
        "content": content,
        "timestamp": iso(created),
        "edited_timestamp": None,
        "tts": False,
        "mention_everyone": False,
        "mentions": mentions or [],
        "mention_roles": [],
        "mention_channels": [],
        "attachments": attachments or [],
        "embeds": embeds or [],
        "reactions": [],
        "pinned": False,
        "type": type,
        "flags": flags,
        "components": components or [],
        "sticker_items": [],
        "position": 0,
    }
    if webhook_id is not None:
        out["webhook_id"] = str(webhook_id)
    if application_id is not None:
        out["application_id"] = str(application_id)
    if extra:
        out.update(extra)
    return out


@dataclass
class StoredMessage:
    """A message the fake knows about, with who made it."""

    payload: JSON
    source: str  # "bot" (bot token REST), "webhook" (interaction response/follow-up), "user"
    interaction_id: int | None = None
    deleted: bool = False

    @property
    def id(self) -> int:
        return int(self.payload["id"])

    @property
    def channel_id(self) -> int:
        return int(self.payload["channel_id"])

    @property
    def ephemeral(self) -> bool:
        return bool(self.payload.get("flags", 0) & FLAG_EPHEMERAL)

    def snapshot(self) -> JSON:
        return copy.deepcopy(self.payload)


@dataclass
class InteractionRecord:
    """What the bot did with one interaction."""

    id: int
    token: str
    type: int  # 2 application command, 3 component
    payload: JSON  # the INTERACTION_CREATE data sent to the bot
    user_id: int
    channel_id: int
    guild_id: int | None
    created_at: float  # FakeDiscord clock, monotonic seconds
    deferred: bool = False
    deferred_at: float | None = None
    callback_type: int | None = None
    callback_at: float | None = None
    callback_data: JSON | None = None  # the callback's ``data`` (modal, autocomplete choices, ...)
    original: JSON | None = None  # current state of the original response message
    original_edits: list[JSON] = field(default_factory=list)  # message snapshot after each PATCH @original
    followups: list[JSON] = field(default_factory=list)  # follow-up messages as created
    component_message_id: int | None = None  # type 3: the message holding the component
    original_message_id: int | None = None
    message_ids: set[int] = field(default_factory=set)  # messages reachable with this token

    @property
    def acknowledged(self) -> bool:
        return self.callback_type is not None

    @property
    def ephemeral(self) -> bool:
        return bool(self.original and self.original.get("flags", 0) & FLAG_EPHEMERAL)
