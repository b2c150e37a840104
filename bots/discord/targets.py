"""Discord addresses as the core's plain, JSON-serialisable ``Target`` and ``MessageRef``.

A target made from an interaction carries what is needed to answer it later, even after a
restart: the application id, the interaction token and when the interaction was created (the
token lives ``interaction_lifetime`` seconds), the channel, the guild, the original response's
message id, the upload limit Discord reported and the user's locale. A target made from a plain
message (a DM or a mention) carries the channel and the message to reply to.

Message references say how a message can be edited:

* ``hook``: an interaction response or follow-up, edited with the interaction token;
* ``channel``: a message the bot posted with its bot token (after the token ran out, or for
  DMs and mentions), edited with the bot token.
"""

from __future__ import annotations

import time
from typing import Any

import discord

from core.ports import MessageRef, Target

PLATFORM = "discord"
HOOK = "hook"
CHANNEL = "channel"
DEFAULT_UPLOAD_LIMIT = 10 * 1024 * 1024  # per file, bots included, unless the interaction says more
MAX_MARGIN = 60.0  # stop using the interaction token this long before it runs out


def switch_margin(lifetime: float) -> float:
    """How long before the token's end to move to a bot-token message: 60 s of the real
    15 minutes, proportionally less for the shortened lifetimes of tests."""
    return min(MAX_MARGIN, lifetime * 0.4)


def interaction_target(interaction: discord.Interaction[Any], original_id: int | None) -> Target:
    """The target of an interaction (a slash command or a button press)."""
    guild_id = interaction.guild_id
    channel_id = interaction.channel_id or 0
    extra: dict[str, Any] = {
        "iid": str(interaction.id),
        "app": str(interaction.application_id),
        "token": interaction.token,
        "created": interaction.created_at.timestamp(),
        "channel": str(channel_id),
        "guild": str(guild_id) if guild_id else None,
        "limit": int(getattr(interaction, "filesize_limit", 0) or DEFAULT_UPLOAD_LIMIT),
        "locale": str(interaction.locale),
    }
    if original_id is not None:
        extra["original"] = str(original_id)
    return Target(PLATFORM, str(channel_id), str(interaction.user.id), group=guild_id is not None, extra=extra)


def message_target(message: discord.Message) -> Target:
    """The target of a plain message (a DM, or a mention in a guild channel)."""
    guild = message.guild
    limit = guild.filesize_limit if guild is not None else DEFAULT_UPLOAD_LIMIT
    extra: dict[str, Any] = {
        "channel": str(message.channel.id),
        "guild": str(guild.id) if guild is not None else None,
        "reply_to": str(message.id),
        "limit": int(limit or DEFAULT_UPLOAD_LIMIT),
        "locale": str(guild.preferred_locale) if guild is not None else None,
    }
    return Target(PLATFORM, str(message.channel.id), str(message.author.id), group=guild is not None, extra=extra)


def hook_usable(target: Target, lifetime: float, now: float | None = None) -> bool:
    """Whether the target's interaction token may still be used (with the safety margin)."""
    extra = target.extra
    if not extra.get("token") or not extra.get("app"):
        return False
    created = float(extra.get("created") or 0.0)
    return (now if now is not None else time.time()) < created + lifetime - switch_margin(lifetime)


def hook_ref(target: Target, message_id: int | str) -> MessageRef:
    return MessageRef(target, str(message_id), {"kind": HOOK})


def channel_ref(target: Target, channel_id: int | str, message_id: int | str) -> MessageRef:
    return MessageRef(target, str(message_id), {"kind": CHANNEL, "channel": str(channel_id)})


def upload_limit(target: Target) -> int:
    try:
        return int(target.extra.get("limit") or DEFAULT_UPLOAD_LIMIT)
    except (TypeError, ValueError):
        return DEFAULT_UPLOAD_LIMIT
