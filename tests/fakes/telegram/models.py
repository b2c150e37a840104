"""Value types, records and limits of the fake Telegram Bot API."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

JSON = dict[str, Any]

MB = 1024 * 1024
CLOUD_DOWNLOAD_LIMIT = 20 * MB  # getFile on api.telegram.org
CLOUD_UPLOAD_LIMIT = 50 * MB  # sendVideo/sendDocument on api.telegram.org
LOCAL_UPLOAD_LIMIT = 2000 * MB  # telegram-bot-api --local
TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
CALLBACK_DATA_LIMIT = 64  # bytes
CALLBACK_ANSWER_WINDOW = 15.0  # seconds after the press
KEEP_UPLOAD_BYTES = 64 * MB  # uploads larger than this are counted, not kept

DEFAULT_TOKEN = "123456:TEST-fake-token-for-tests-only-xxxxxxxxx"


class ApiError(Exception):
    """A Bot API error answer: HTTP status == error_code, JSON body with description."""

    def __init__(self, code: int, description: str, parameters: JSON | None = None) -> None:
        super().__init__(f"{code} {description}")
        self.code = code
        self.description = description
        self.parameters = parameters

    def payload(self) -> JSON:
        body: JSON = {"ok": False, "error_code": self.code, "description": self.description}
        if self.parameters:
            body["parameters"] = self.parameters
        return body


def bad_request(detail: str) -> ApiError:
    """400 with Telegram's "Bad Request: ..." prefix."""
    return ApiError(400, f"Bad Request: {detail}")


class Clock:
    """Wall clock that tests can move forward (e.g. to expire a callback query)."""

    def __init__(self) -> None:
        self.offset = 0.0

    def now(self) -> float:
        return time.time() + self.offset

    def advance(self, seconds: float) -> None:
        self.offset += seconds


@dataclass
class Call:
    """One Bot API request as the fake received it."""

    method: str
    params: JSON
    files: dict[str, tuple[str, int]]  # multipart part name -> (filename, size)
    time: float
    status: int = 200  # HTTP status answered; 0 = connection dropped


@dataclass
class SentMessage:
    """A message the bot sent; `text`/`caption`/`edits` hold what the user sees (markup parsed)."""

    chat_id: int
    message_id: int
    kind: str  # "text" | "video" | "document" | "photo" | "animation" | "audio"
    text: str | None = None
    caption: str | None = None
    reply_markup: JSON | None = None
    edits: list[str] = field(default_factory=list)
    file_id: str | None = None
    file_size: int | None = None
    file_name: str | None = None
    parse_mode: str | None = None
    raw_text: str | None = None  # text or caption exactly as the bot sent it
    media_group_id: str | None = None
    reply_to_message_id: int | None = None
    thumbnail_id: str | None = None  # a video's thumbnail, when Telegram took it
    deleted: bool = False
    raw: JSON = field(default_factory=dict)  # the Message object as last returned to the bot

    @property
    def buttons(self) -> list[JSON]:
        """Inline keyboard buttons, row by row."""
        rows = (self.reply_markup or {}).get("inline_keyboard") or []
        return [button for row in rows for button in row]

    @property
    def button_data(self) -> list[str]:
        """callback_data of the inline buttons."""
        return [b["callback_data"] for b in self.buttons if "callback_data" in b]


@dataclass
class FakeFile:
    """A file known to the fake server; `size` may exceed the bytes actually held."""

    file_id: str
    file_unique_id: str
    size: int
    name: str
    mime: str
    data: bytes | None = None
    path: Path | None = None
    duration: int = 5
    width: int = 1280
    height: int = 720
    local_path: Path | None = None  # written on getFile in local mode

    @property
    def folder(self) -> str:
        """Directory Telegram uses in file_path for this kind of file."""
        major = self.mime.split("/", 1)[0]
        return {"video": "videos", "image": "photos", "audio": "music"}.get(major, "documents")

    @property
    def extension(self) -> str:
        suffix = Path(self.name).suffix
        return suffix if suffix else ""

    def content(self) -> bytes:
        """The bytes, zero-padded up to `size`."""
        data = self.path.read_bytes() if self.path is not None else (self.data or b"")
        return data + b"\0" * max(0, self.size - len(data))


@dataclass
class Upload:
    """A multipart file part received from the bot."""

    filename: str
    size: int
    content_type: str
    data: bytes | None  # None when larger than KEEP_UPLOAD_BYTES


@dataclass
class Fault:
    """An injected failure for the next `times` matching calls."""

    kind: Literal["429", "network"]
    method: str | None  # None: any method except getUpdates
    times: int
    retry_after: int = 1
    after: bool = False  # network only: process the call, then drop the connection

    def matches(self, method: str) -> bool:
        if self.times <= 0:
            return False
        if self.method is None:
            return method != "getUpdates"
        return self.method.lower() == method.lower()
