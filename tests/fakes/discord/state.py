"""The fake's world: users, guilds, channels, messages, interactions and application commands.

No I/O here. REST handlers and the public ``FakeDiscord`` methods call into ``DiscordState``;
failures are raised as ``ApiError`` carrying Discord's status, code and message.
"""

from __future__ import annotations

import copy
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .models import (
    CHANNEL_DM,
    CHANNEL_GUILD_TEXT,
    FLAG_EPHEMERAL,
    FLAG_LOADING,
    JSON,
    Channel,
    Clock,
    FakeAttachment,
    Guild,
    InteractionRecord,
    SnowflakeFactory,
    StoredMessage,
    User,
    guess_content_type,
    iso,
    member_payload,
    message_payload,
    resolve_embeds,
)

MAX_CONTENT = 2000
MAX_ROWS = 5
MAX_ROW_ITEMS = 5
MAX_CUSTOM_ID = 100
# Flags a bot may set when sending: SUPPRESS_EMBEDS, EPHEMERAL, SUPPRESS_NOTIFICATIONS, IS_COMPONENTS_V2.
SENDABLE_FLAGS = (1 << 2) | FLAG_EPHEMERAL | (1 << 12) | (1 << 15)
_COMMAND_NAME = re.compile(r"^[-_'\w]{1,32}$")
_UNSAFE_FILENAME = re.compile(r"[^A-Za-z0-9._-]")  # Discord replaces spaces and the like with "_"


class ApiError(Exception):
    """An error answer of the REST API: HTTP status plus Discord's JSON error body."""

    def __init__(self, status: int, code: int, message: str, errors: JSON | None = None) -> None:
        super().__init__(f"{status} {code} {message}")
        self.status = status
        self.code = code
        self.message = message
        self.errors = errors
        self.headers: dict[str, str] = {}  # rate-limit headers of the route, when it has a bucket

    def body(self) -> JSON:
        out: JSON = {"message": self.message, "code": self.code}
        if self.errors is not None:
            out["errors"] = self.errors
        return out


def form_error(errors: JSON) -> ApiError:
    return ApiError(400, 50035, "Invalid Form Body", errors)


def _err(code: str, message: str) -> JSON:
    return {"_errors": [{"code": code, "message": message}]}


def unknown_message() -> ApiError:
    return ApiError(404, 10008, "Unknown Message")


def unknown_channel() -> ApiError:
    return ApiError(404, 10003, "Unknown Channel")


@dataclass
class Upload:
    """One ``files[n]`` part of a multipart request."""

    index: int
    filename: str
    data: bytes
    content_type: str | None


class Blobs:
    """Bytes the CDN serves, by attachment id; ``url`` builds the signed URL."""

    def __init__(self, url: Callable[[int, int, str], str]) -> None:
        self.url = url
        self.files: dict[int, FakeAttachment] = {}

    def add(self, att: FakeAttachment) -> None:
        self.files[att.id] = att


class DiscordState:
    def __init__(self, *, clock: Clock, ids: SnowflakeFactory, blobs: Blobs, bot_token: str,
                 application_id: int, bot_user: User, attachment_size_limit: int) -> None:
        self.clock = clock
        self.ids = ids
        self.blobs = blobs
        self.bot_token = bot_token
        self.application_id = application_id
        self.bot_user = bot_user
        self.attachment_size_limit = attachment_size_limit
        self.application_flags = 0
        self.users: dict[int, User] = {bot_user.id: bot_user}
        self.guilds: dict[int, Guild] = {}
        self.channels: dict[int, Channel] = {}
        self.dm_channels: dict[int, int] = {}  # user id -> DM channel id
        self.messages: dict[int, StoredMessage] = {}
        self.interactions: dict[int, InteractionRecord] = {}
        self.tokens: dict[str, int] = {}  # interaction token -> interaction id
        self.global_commands: list[JSON] = []
        self.guild_commands: dict[int, list[JSON]] = {}
        self._command_ids: dict[tuple[int | None, str, int], int] = {}

    # ------------------------------------------------------------------ users, guilds, channels

    def user(self, user_id: int) -> User:
        found = self.users.get(user_id)
        if found is None:
            found = self.users[user_id] = User(id=user_id, username=f"user{user_id % 100000}",
                                               global_name=f"User {user_id % 100000}")
        return found

    def add_user(self, username: str, *, global_name: str | None = None, bot: bool = False) -> User:
        user = User(id=self.ids(), username=username, global_name=global_name, bot=bot)
        self.users[user.id] = user
        return user

    def add_guild(self, name: str, *, owner_id: int, channel_name: str = "general",
                  locale: str = "en-US") -> Guild:
        guild = Guild(id=self.ids(), name=name, owner_id=owner_id, locale=locale,
                      joined_at=self.clock.time())
        self.guilds[guild.id] = guild
        guild.member_ids.append(self.bot_user.id)
        self.ensure_member(guild.id, owner_id)
        self.add_channel(guild.id, channel_name)
        return guild

    def add_channel(self, guild_id: int, name: str) -> Channel:
        guild = self.guild(guild_id)
        channel = Channel(id=self.ids(), type=CHANNEL_GUILD_TEXT, name=name, guild_id=guild.id,
                          position=len(guild.channel_ids))
        self.channels[channel.id] = channel
        guild.channel_ids.append(channel.id)
        return channel

    def guild(self, guild_id: int) -> Guild:
        try:
            return self.guilds[guild_id]
        except KeyError:
            raise ApiError(404, 10004, "Unknown Guild") from None

    def channel(self, channel_id: int) -> Channel:
        try:
            return self.channels[channel_id]
        except KeyError:
            raise unknown_channel() from None

    def ensure_member(self, guild_id: int, user_id: int) -> None:
        guild = self.guild(guild_id)
        self.user(user_id)
        if user_id not in guild.member_ids:
            guild.member_ids.append(user_id)

    def dm_channel(self, user_id: int) -> Channel:
        cid = self.dm_channels.get(user_id)
        if cid is None:
            self.user(user_id)
            channel = Channel(id=self.ids(), type=CHANNEL_DM, recipient_id=user_id)
            self.channels[channel.id] = channel
            self.dm_channels[user_id] = cid = channel.id
        return self.channels[cid]

    def channel_payload(self, channel: Channel) -> JSON:
        return channel.payload(self.users)

    # ------------------------------------------------------------------ attachments

    def attachment(self, data: bytes, filename: str, *, size: int | None = None,
                   content_type: str | None = None, description: str | None = None) -> FakeAttachment:
        filename = _UNSAFE_FILENAME.sub("_", filename) or "unknown"
        att = FakeAttachment(id=self.ids(), filename=filename, data=data,
                             size=len(data) if size is None else size,
                             content_type=content_type or guess_content_type(filename),
                             description=description)
        self.blobs.add(att)
        return att

    def attachment_payload(self, att: FakeAttachment, channel_id: int, *, ephemeral: bool = False) -> JSON:
        return att.payload(self.blobs.url(channel_id, att.id, att.filename), ephemeral=ephemeral)

    # ------------------------------------------------------------------ messages

    def message(self, message_id: int) -> StoredMessage:
        found = self.messages.get(message_id)
        if found is None or found.deleted:
            raise unknown_message()
        return found

    def _attachments(self, channel_id: int, meta: list[JSON] | None, uploads: list[Upload],
                     existing: list[JSON], *, ephemeral: bool, editing: bool) -> list[JSON]:
        by_index = {u.index: u for u in uploads}
        used: set[int] = set()
        out: list[JSON] = []
        kept_ids = {a["id"]: a for a in existing}
        if meta is None:
            out.extend(existing if editing else [])
            meta = []
        for item in meta:
            raw_id = str(item.get("id", ""))
            if raw_id in kept_ids:  # an attachment the message already has
                out.append(kept_ids[raw_id])
                continue
            try:
                index = int(raw_id)
            except ValueError:
                raise form_error({"attachments": _err("ATTACHMENT_NOT_FOUND", "Unknown attachment")}) from None
            upload = by_index.get(index)
            if upload is None:
                raise form_error({"attachments": _err("ATTACHMENT_NOT_FOUND", "Unknown attachment")})
            used.add(index)
            filename = item.get("filename") or upload.filename
            out.append(self._stored_upload(channel_id, upload, filename, item.get("description"), ephemeral))
        for upload in uploads:  # files without attachment metadata are appended
            if upload.index not in used:
                out.append(self._stored_upload(channel_id, upload, upload.filename, None, ephemeral))
        return out

    def _stored_upload(self, channel_id: int, upload: Upload, filename: str, description: str | None,
                       ephemeral: bool) -> JSON:
        att = self.attachment(upload.data, filename, content_type=upload.content_type
                              if upload.content_type not in (None, "application/octet-stream") else None,
                              description=description)
        return self.attachment_payload(att, channel_id, ephemeral=ephemeral)

    def create_message(self, channel_id: int, body: JSON, uploads: list[Upload], *, source: str,
                       author: User | None = None, type: int = 0, interaction_id: int | None = None,
                       extra_flags: int = 0, extra: JSON | None = None, validate: bool = True) -> StoredMessage:
        channel = self.channel(channel_id)
        if validate:
            validate_message(body, uploads, creating=True)
        flags = (int(body.get("flags") or 0) & SENDABLE_FLAGS) | extra_flags
        ephemeral = bool(flags & FLAG_EPHEMERAL)
        mid = self.ids()
        more: JSON = dict(extra or {})
        if body.get("message_reference"):
            ref = dict(body["message_reference"])
            ref.setdefault("channel_id", str(channel_id))
            if channel.guild_id is not None:
                ref.setdefault("guild_id", str(channel.guild_id))
            more["message_reference"] = ref
            ref_id = ref.get("message_id")
            if ref_id is not None and int(ref_id) in self.messages:
                more["referenced_message"] = self.messages[int(ref_id)].snapshot()
            if type == 0:
                type = 19
        if body.get("nonce") is not None:
            more["nonce"] = body["nonce"]
        attachments = self._attachments(channel_id, body.get("attachments"), uploads, [],
                                        ephemeral=ephemeral, editing=False)
        payload = message_payload(
            message_id=mid, channel_id=channel_id, author=author or self.bot_user,
            content=body.get("content") or "", created=self.clock.time(), type=type, flags=flags,
            attachments=attachments,
            embeds=resolve_embeds(list(body.get("embeds") or []), attachments), components=list(body.get("components") or []),
            webhook_id=self.application_id if source == "webhook" else None,
            application_id=self.application_id if source == "webhook" else None,
            extra=more,
        )
        if body.get("tts"):
            payload["tts"] = True
        stored = StoredMessage(payload=payload, source=source, interaction_id=interaction_id)
        self.messages[mid] = stored
        if not ephemeral:
            channel.message_ids.append(mid)
            channel.last_message_id = mid
        return stored

    def edit_message(self, stored: StoredMessage, body: JSON, uploads: list[Upload]) -> StoredMessage:
        payload = copy.deepcopy(stored.payload)
        for key in ("content", "embeds", "components"):
            if key in body:
                value = body[key]
                payload[key] = (value or "") if key == "content" else list(value or [])
        if "flags" in body and body["flags"] is not None:
            keep = payload.get("flags", 0) & ~(1 << 2)
            payload["flags"] = keep | (int(body["flags"]) & (1 << 2))
        payload["flags"] = payload.get("flags", 0) & ~FLAG_LOADING
        if "attachments" in body or uploads:
            payload["attachments"] = self._attachments(
                stored.channel_id, body.get("attachments"), uploads, payload.get("attachments", []),
                ephemeral=stored.ephemeral, editing=True)
        payload["embeds"] = resolve_embeds(payload.get("embeds") or [], payload.get("attachments") or [])
        validate_message(payload, [], creating=False)
        payload["edited_timestamp"] = iso(self.clock.time())
        stored.payload = payload
        self._sync_originals(stored)
        return stored

    def delete_message(self, stored: StoredMessage) -> None:
        stored.deleted = True
        channel = self.channels.get(stored.channel_id)
        if channel is not None and stored.id in channel.message_ids:
            channel.message_ids.remove(stored.id)
        for record in self.interactions.values():
            if record.original_message_id == stored.id:
                record.original = None

    def _sync_originals(self, stored: StoredMessage) -> None:
        for record in self.interactions.values():
            if record.original_message_id == stored.id:
                record.original = stored.snapshot()

    def gateway_message(self, stored: StoredMessage) -> JSON:
        """The MESSAGE_CREATE/UPDATE shape: the message plus guild_id and member in guilds."""
        data = stored.snapshot()
        channel = self.channels.get(stored.channel_id)
        if channel is not None and channel.guild_id is not None:
            guild = self.guilds[channel.guild_id]
            data["guild_id"] = str(guild.id)
            author_id = int(data["author"]["id"])
            if author_id in guild.member_ids and stored.source != "webhook":
                data["member"] = member_payload(self.user(author_id), guild.joined_at, with_user=False)
        return data

    def channel_message_list(self, channel_id: int, source: str | None) -> list[JSON]:
        channel = self.channel(channel_id)
        out = []
        for mid in channel.message_ids:
            stored = self.messages[mid]
            if source is None or stored.source == source:
                out.append(stored.snapshot())
        return out

    # ------------------------------------------------------------------ interactions

    def new_interaction(self, *, type: int, data: JSON, user_id: int, channel: Channel, locale: str,
                        message: JSON | None = None) -> InteractionRecord:
        iid = self.ids()
        token = "aW50ZXJhY3Rpb246" + secrets.token_urlsafe(48)
        user = self.user(user_id)
        payload: JSON = {
            "id": str(iid),
            "application_id": str(self.application_id),
            "type": type,
            "data": data,
            "channel_id": str(channel.id),
            "token": token,
            "version": 1,
            "locale": locale,
            "app_permissions": "2251799813685247",
            "entitlements": [],
            "entitlement_sku_ids": [],
            "attachment_size_limit": self.attachment_size_limit,
        }
        if channel.guild_id is not None:
            guild = self.guilds[channel.guild_id]
            self.ensure_member(guild.id, user_id)
            payload["guild_id"] = str(guild.id)
            payload["guild"] = {"id": str(guild.id), "locale": guild.locale, "features": []}
            payload["guild_locale"] = guild.locale
            payload["channel"] = self.channel_payload(channel)
            payload["member"] = member_payload(user, guild.joined_at, permissions="2251799813685247")
            payload["authorizing_integration_owners"] = {"0": str(guild.id)}
            payload["context"] = 0
        else:
            payload["channel"] = self.channel_payload(channel)
            payload["user"] = user.payload()
            payload["authorizing_integration_owners"] = {"0": "0"}
            payload["context"] = 1
        if message is not None:
            payload["message"] = message
        record = InteractionRecord(id=iid, token=token, type=type, payload=payload, user_id=user_id,
                                   channel_id=channel.id, guild_id=channel.guild_id,
                                   created_at=self.clock.monotonic())
        self.interactions[iid] = record
        self.tokens[token] = iid
        return record

    def interaction(self, iid: int | str) -> InteractionRecord:
        try:
            return self.interactions[int(iid)]
        except (KeyError, ValueError):
            raise KeyError(f"no interaction {iid!r}") from None

    # ------------------------------------------------------------------ application commands

    def commands(self, guild_id: int | None) -> list[JSON]:
        if guild_id is None:
            return self.global_commands
        return self.guild_commands.get(guild_id, [])

    def overwrite_commands(self, guild_id: int | None, commands: Any) -> list[JSON]:
        if not isinstance(commands, list):
            raise form_error({"_errors": [{"code": "LIST_TYPE_CONVERT", "message": "Must be an array."}]})
        if guild_id is not None:
            self.guild(guild_id)
        errors: JSON = {}
        seen: set[tuple[str, int]] = set()
        for i, cmd in enumerate(commands):
            problem = validate_command(cmd)
            key = (str(cmd.get("name")), int(cmd.get("type", 1)))
            if problem is None and key in seen:
                problem = {"name": _err("APPLICATION_COMMANDS_DUPLICATE_NAME", "Application command names must be unique")}
            seen.add(key)
            if problem:
                errors[str(i)] = problem
        if errors:
            raise form_error(errors)
        out: list[JSON] = []
        for cmd in commands:
            ctype = int(cmd.get("type", 1))
            ident = (guild_id, cmd["name"], ctype)
            cid = self._command_ids.setdefault(ident, self.ids())
            stored = copy.deepcopy(cmd)
            stored.update({
                "id": str(cid),
                "application_id": str(self.application_id),
                "version": str(self.ids()),
                "type": ctype,
                "description": cmd.get("description", ""),
                "default_member_permissions": cmd.get("default_member_permissions"),
                "nsfw": cmd.get("nsfw", False),
                "options": cmd.get("options", []),
            })
            if guild_id is None:
                stored.setdefault("contexts", cmd.get("contexts") or [0, 1, 2])
                stored.setdefault("integration_types", cmd.get("integration_types") or [0])
            else:
                stored["guild_id"] = str(guild_id)
            out.append(stored)
        if guild_id is None:
            self.global_commands = out
        else:
            self.guild_commands[guild_id] = out
        return out

    def find_command(self, name: str, guild_id: int | None) -> tuple[JSON, int | None]:
        """The registered chat-input command ``name`` usable in ``guild_id`` (None: a DM).

        Guild commands win over global ones, like in the Discord client. Returns the command and
        the guild id it is registered in (None for global).
        """
        if guild_id is not None:
            for cmd in self.guild_commands.get(guild_id, []):
                if cmd["name"] == name and cmd["type"] == 1:
                    return cmd, guild_id
        for cmd in self.global_commands:
            if cmd["name"] == name and cmd["type"] == 1:
                contexts = cmd.get("contexts") or [0, 1, 2]
                if guild_id is None and 1 not in contexts:
                    continue
                if guild_id is not None and 0 not in contexts:
                    continue
                return cmd, None
        where = f"guild {guild_id}" if guild_id is not None else "DMs (global, context 1)"
        raise LookupError(f"no chat-input command {name!r} registered for {where}; sync the command tree first")


def validate_message(body: JSON, uploads: list[Upload], *, creating: bool) -> None:
    errors: JSON = {}
    content = body.get("content")
    if content is not None and not isinstance(content, str):
        errors["content"] = _err("STRING_TYPE_CONVERT", "Could not interpret as string.")
    elif content and len(content) > MAX_CONTENT:
        errors["content"] = _err("BASE_TYPE_MAX_LENGTH", f"Must be {MAX_CONTENT} or fewer in length.")
    embeds = body.get("embeds") or []
    if len(embeds) > 10:
        errors["embeds"] = _err("BASE_TYPE_MAX_LENGTH", "Must be 10 or fewer in length.")
    components = body.get("components") or []
    if not (body.get("flags") or 0) & (1 << 15):  # classic components only
        if len(components) > MAX_ROWS:
            errors["components"] = _err("BASE_TYPE_MAX_LENGTH", f"Must be {MAX_ROWS} or fewer in length.")
        for r, row in enumerate(components):
            items = row.get("components") or []
            if row.get("type") != 1 or not items:
                errors.setdefault("components", {})[str(r)] = _err("COMPONENT_LAYOUT_WIDTH_EXCEEDED" if items
                                                                   else "BASE_TYPE_REQUIRED",
                                                                   "Invalid action row")
                continue
            buttons = [c for c in items if c.get("type") == 2]
            if len(items) > MAX_ROW_ITEMS or (len(buttons) != len(items) and len(items) > 1):
                errors.setdefault("components", {})[str(r)] = _err(
                    "COMPONENT_LAYOUT_WIDTH_EXCEEDED", "The specified component exceeds the maximum width")
            for c, item in enumerate(items):
                custom_id = item.get("custom_id")
                if item.get("type") == 2 and item.get("style") in (5, 6):
                    continue  # link and premium buttons carry no custom_id
                if not isinstance(custom_id, str) or not 1 <= len(custom_id) <= MAX_CUSTOM_ID:
                    row_errors = errors.setdefault("components", {}).setdefault(str(r), {})
                    row_errors.setdefault("components", {})[str(c)] = {
                        "custom_id": _err("BASE_TYPE_BAD_LENGTH", f"Must be between 1 and {MAX_CUSTOM_ID} in length.")}
    if errors:
        raise form_error(errors)
    empty = (not content and not embeds and not components and not uploads and not body.get("attachments")
             and not body.get("sticker_ids") and not body.get("poll"))
    if empty and not (body.get("flags", 0) & FLAG_LOADING):
        raise ApiError(400, 50006, "Cannot send an empty message")


def validate_command(cmd: Any) -> JSON | None:
    if not isinstance(cmd, dict):
        return _err("DICT_TYPE_CONVERT", "Only dictionaries may be used in a DictType")
    errors: JSON = {}
    ctype = int(cmd.get("type", 1))
    name = cmd.get("name")
    if not isinstance(name, str) or not name:
        errors["name"] = _err("BASE_TYPE_REQUIRED", "This field is required")
    elif ctype == 1 and (not _COMMAND_NAME.match(name) or name != name.lower()):
        errors["name"] = _err("APPLICATION_COMMAND_INVALID_NAME", "Command name is invalid")
    elif len(name) > 32:
        errors["name"] = _err("BASE_TYPE_BAD_LENGTH", "Must be between 1 and 32 in length.")
    if ctype == 1:
        desc = cmd.get("description")
        if not isinstance(desc, str) or not 1 <= len(desc) <= 100:
            errors["description"] = _err("BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100 in length.")
        opt_errors = _validate_options(cmd.get("options") or [])
        if opt_errors:
            errors["options"] = opt_errors
    return errors or None


def _validate_options(options: list[JSON]) -> JSON | None:
    if len(options) > 25:
        return _err("BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length.")
    errors: JSON = {}
    seen_optional = False
    for i, opt in enumerate(options):
        problem: JSON = {}
        name = opt.get("name")
        if not isinstance(name, str) or not _COMMAND_NAME.match(name) or name != name.lower():
            problem["name"] = _err("APPLICATION_COMMAND_INVALID_NAME", "Command name is invalid")
        desc = opt.get("description")
        if not isinstance(desc, str) or not 1 <= len(desc) <= 100:
            problem["description"] = _err("BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100 in length.")
        if opt.get("type") in (1, 2):
            sub = _validate_options(opt.get("options") or [])
            if sub:
                problem["options"] = sub
        else:
            if opt.get("required"):
                if seen_optional:
                    problem["required"] = _err("APPLICATION_COMMAND_OPTIONS_REQUIRED_INVALID",
                                               "Required options must be placed before non-required options")
            else:
                seen_optional = True
            if len(opt.get("choices") or []) > 25:
                problem["choices"] = _err("BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length.")
        if problem:
            errors[str(i)] = problem
    return errors or None
