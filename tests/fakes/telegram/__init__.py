"""A stand-in Telegram Bot API server (real HTTP on 127.0.0.1) for tests with the real PTB client."""

from .fake import FakeTelegram
from .limits import FloodLimits, Refusal
from .models import (
    CALLBACK_ANSWER_WINDOW,
    CLOUD_DOWNLOAD_LIMIT,
    CLOUD_UPLOAD_LIMIT,
    DEFAULT_TOKEN,
    Call,
    FakeFile,
    SentMessage,
)

__all__ = [
    "CALLBACK_ANSWER_WINDOW",
    "CLOUD_DOWNLOAD_LIMIT",
    "CLOUD_UPLOAD_LIMIT",
    "DEFAULT_TOKEN",
    "Call",
    "FakeFile",
    "FakeTelegram",
    "FloodLimits",
    "Refusal",
    "SentMessage",
]
