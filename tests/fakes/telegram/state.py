"""In-memory world of the fake: chats, messages, files, callback queries, and the user's side."""

from __future__ import annotations

import copy
import itertools
import secrets
from pathlib import Path
from typing import Any

from .limits import FloodControl, FloodLimits
from .models import JSON, Call, Clock, FakeFile, Fault, SentMessage
from .payloads import MEDIA_KINDS, chat_payload, kind_for_mime, message_media, user_payload
from .updates import UpdateQueue


class TelegramState:
    """Everything the fake server remembers; tests read these attributes directly."""

    def __init__(self, token: str, bot_username: str, local_mode: bool, limits: FloodLimits | None = None) -> None:
        head = token.split(":", 1)[0]
        self.token = token
        self.bot_id = int(head) if head.isdigit() else 1
        self.bot_username = bot_username
        self.bot_first_name = "NEMO Test Bot"
        self.local_mode = local_mode
        self.clock = Clock()
        self.updates = UpdateQueue(self.clock)
        self.calls: list[Call] = []
        self.messages: dict[tuple[int, int], SentMessage] = {}
        self.user_messages: dict[tuple[int, int], JSON] = {}
        self.files: dict[str, FakeFile] = {}
        self.file_paths: dict[str, str] = {}  # cloud file_path -> file_id
        self.chats: dict[int, JSON] = {}
        self.blocked_chats: set[int] = set()
        self.callback_queries: dict[str, tuple[float, JSON]] = {}  # id -> (press time, query)
        self.answered_callbacks: dict[str, tuple[str | None, bool]] = {}
        self.chat_actions: list[tuple[int, str, float]] = []
        self.commands: dict[str, list[JSON]] = {}  # scope/language key -> BotCommand list
        self.faults: list[Fault] = []
        self.count_429 = 0  # scripted (force_429) and the fake's own (flood.refusals)
        self.flood = FloodControl(limits or FloodLimits())
        self.count_network_failures = 0
        self._message_ids: dict[int, int] = {}
        self._ids = itertools.count(1)

    # ---- bookkeeping -------------------------------------------------------------------------

    def now(self) -> int:
        """Message dates: whole seconds."""
        return int(self.clock.now())

    def next_message_id(self, chat_id: int) -> int:
        """Per-chat increasing ids, shared by the user's and the bot's messages."""
        self._message_ids[chat_id] = self._message_ids.get(chat_id, 0) + 1
        return self._message_ids[chat_id]

    def chat(self, chat_id: int, chat_type: str = "private", name: str | None = None) -> JSON:
        """The Chat object for chat_id, created on first use (name: user's first name or group title)."""
        if chat_id not in self.chats:
            default = "Ann" if chat_type == "private" else f"Group {chat_id}"
            self.chats[chat_id] = chat_payload(chat_id, chat_type, name or default)
        return self.chats[chat_id]

    def find_message(self, chat_id: int, message_id: int) -> JSON | None:
        """A bot or user message as a Message dict, or None (deleted or unknown)."""
        sent = self.messages.get((chat_id, message_id))
        if sent is not None:
            return None if sent.deleted else sent.raw
        return self.user_messages.get((chat_id, message_id))

    def chat_log(self, chat_id: int, include_deleted: bool = False) -> list[SentMessage]:
        """Messages the bot sent to chat_id, oldest first."""
        found = [
            m for (c, _), m in self.messages.items() if c == chat_id and (include_deleted or not m.deleted)
        ]
        return sorted(found, key=lambda m: m.message_id)

    def last_message(self, chat_id: int) -> SentMessage | None:
        log = self.chat_log(chat_id)
        return log[-1] if log else None

    def calls_to(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method.lower() == method.lower()]

    # ---- faults and time ---------------------------------------------------------------------

    def force_429(self, method: str | None = None, times: int = 1, retry_after: int = 1) -> None:
        """The next `times` calls of `method` (None: any but getUpdates) answer 429 Too Many Requests."""
        self.faults.append(Fault("429", method, times, retry_after=retry_after))

    def fail_network(self, method: str | None = None, times: int = 1, *, after: bool = False) -> None:
        """Drop the connection of the next `times` calls; after=True processes the call first."""
        self.faults.append(Fault("network", method, times, after=after))

    def advance_time(self, seconds: float) -> None:
        """Move the fake clock (message dates, callback query expiry)."""
        self.clock.advance(seconds)

    def user_blocks_bot(self, chat_id: int) -> None:
        """Further sends to chat_id answer 403 "bot was blocked by the user"."""
        self.blocked_chats.add(chat_id)

    # ---- files -------------------------------------------------------------------------------

    def add_file(
        self,
        data: bytes | None = None,
        *,
        path: Path | None = None,
        size: int | None = None,
        name: str = "clip.mp4",
        mime: str = "video/mp4",
        duration: int = 5,
        width: int = 1280,
        height: int = 720,
    ) -> str:
        """Register a file users can send; `size` may exceed the bytes held (a huge fake file)."""
        if path is not None:
            path = Path(path)
            real_size = path.stat().st_size
        else:
            data = data if data is not None or size is not None else b"\0" * 1024
            real_size = len(data or b"")
        n = next(self._ids)
        file_id = f"FAKE{n:04d}{secrets.token_hex(6)}"
        self.files[file_id] = FakeFile(
            file_id=file_id,
            file_unique_id=f"U{n:04d}",
            size=size if size is not None else real_size,
            name=name,
            mime=mime,
            data=data,
            path=path,
            duration=duration,
            width=width,
            height=height,
        )
        return file_id

    # ---- the user's side ---------------------------------------------------------------------

    def user_sends(
        self,
        chat_id: int,
        user_id: int,
        text: str | None = None,
        *,
        caption: str | None = None,
        video: str | None = None,
        document: str | None = None,
        photo: str | None = None,
        animation: str | None = None,
        video_note: str | None = None,
        audio: str | None = None,
        media_group_id: str | None = None,
        chat_type: str = "private",
        chat_title: str | None = None,
        language_code: str | None = "en",
        reply_to_message_id: int | None = None,
        entities: list[JSON] | None = None,
        first_name: str = "Ann",
    ) -> JSON:
        """The user posts a message; enqueues a `message` update and returns the Message dict."""
        chat = self.chat(chat_id, chat_type, first_name if chat_type == "private" else chat_title)
        message: JSON = {
            "message_id": self.next_message_id(chat_id),
            "date": self.now(),
            "chat": chat,
            "from": user_payload(user_id, first_name, language_code),
        }
        if text is not None:
            message["text"] = text
            if entities is None and text.startswith("/"):
                command = text.split(maxsplit=1)[0]
                entities = [
                    {"type": "bot_command", "offset": 0, "length": len(command.encode("utf-16-le")) // 2}
                ]
            if entities:
                message["entities"] = entities
        media = {
            "video": video,
            "document": document,
            "photo": photo,
            "animation": animation,
            "video_note": video_note,
            "audio": audio,
        }
        for kind in MEDIA_KINDS:
            if media[kind] is not None:
                message.update(message_media(kind, self.files[media[kind]]))
        if caption is not None:
            message["caption"] = caption
        if media_group_id is not None:
            message["media_group_id"] = media_group_id
        if reply_to_message_id is not None:
            replied = self.find_message(chat_id, reply_to_message_id)
            if replied is None:
                raise KeyError(f"no message {reply_to_message_id} in chat {chat_id} to reply to")
            message["reply_to_message"] = copy.deepcopy(replied)
        self.user_messages[(chat_id, message["message_id"])] = message
        self.updates.push("message", message)
        return message

    def user_sends_album(
        self, chat_id: int, user_id: int, file_ids: list[str], caption: str | None = None, **kwargs: Any
    ) -> list[JSON]:
        """Several messages sharing one media_group_id; the caption rides on the first, as in Telegram."""
        group = f"{next(self._ids)}{secrets.randbelow(10**9):09d}"
        sent = []
        for index, file_id in enumerate(file_ids):
            kind = kind_for_mime(self.files[file_id].mime)
            item_caption = caption if index == 0 else None
            sent.append(
                self.user_sends(
                    chat_id, user_id, caption=item_caption, media_group_id=group, **{kind: file_id}, **kwargs
                )
            )
        return sent

    def user_command(self, chat_id: int, user_id: int, command: str, **kwargs: Any) -> JSON:
        """The user sends a command such as "/start" or "/edit make it red" (with a bot_command entity)."""
        if not command.startswith("/"):
            command = "/" + command
        return self.user_sends(chat_id, user_id, command, **kwargs)

    def user_presses(
        self,
        chat_id: int,
        user_id: int,
        message_id: int,
        data: str,
        *,
        first_name: str = "Ann",
        language_code: str | None = "en",
        check_button: bool = True,
    ) -> str:
        """The user taps an inline button on a bot message; enqueues a callback_query, returns its id."""
        sent = self.messages.get((chat_id, message_id))
        if sent is None or sent.deleted:
            raise KeyError(f"the bot has no message {message_id} in chat {chat_id}")
        if check_button and data not in sent.button_data:
            raise ValueError(
                f"message {message_id} has no button with callback_data {data!r}: {sent.button_data}"
            )
        query_id = str(4_000_000_000_000 + next(self._ids))
        query: JSON = {
            "id": query_id,
            "from": user_payload(user_id, first_name, language_code),
            "chat_instance": str(-(10**18) - chat_id),
            "message": copy.deepcopy(sent.raw),
            "data": data,
        }
        self.callback_queries[query_id] = (self.clock.now(), query)
        self.updates.push("callback_query", query)
        return query_id
