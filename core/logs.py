"""Logging set-up: secrets redacted from every line, plain or JSON output."""

from __future__ import annotations

import json
import logging
import re
import sys
from collections.abc import Iterable

_PATTERNS = (
    re.compile(r"nmv_[A-Za-z0-9]+_[A-Za-z0-9_\-]+"),          # NEMO tokens
    re.compile(r"\b\d{6,12}:[A-Za-z0-9_\-]{30,}\b"),           # Telegram bot tokens
    re.compile(r"(?i)(bearer\s+)[A-Za-z0-9._\-]+"),            # Authorization headers
    re.compile(r"(/bot)\d{6,12}:[A-Za-z0-9_\-]+"),              # tokens inside Bot API URLs
    re.compile(r"[MNO][A-Za-z\d_\-]{23,25}\.[A-Za-z\d_\-]{6}\.[A-Za-z\d_\-]{27,}"),  # Discord bot tokens
    re.compile(r"(/webhooks/\d+/)[A-Za-z0-9_\-.]{20,}"),        # Discord interaction tokens in URLs
    re.compile(r"(/interactions/\d+/)[A-Za-z0-9_\-.]{20,}"),
)
MASK = "[redacted]"


class Redactor(logging.Filter):
    """Replaces known secrets and anything shaped like a token in every record."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self.secrets = sorted({s for s in secrets if s and len(s) >= 6}, key=len, reverse=True)

    def redact(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, MASK)
        for pattern in _PATTERNS:
            text = pattern.sub(lambda m: (m.group(1) if m.groups() else "") + MASK, text)
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        record.msg, record.args = self.redact(message), None
        if record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        data = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_text:
            data["exception"] = record.exc_text
        return json.dumps(data, ensure_ascii=False)


def setup_logging(level: str = "INFO", *, json_lines: bool = False, secrets: Iterable[str] = ()) -> Redactor:
    """Log to stderr through the redactor; returns it so more secrets can be added."""
    redactor = Redactor(secrets)
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(redactor)
    handler.setFormatter(JsonFormatter() if json_lines else logging.Formatter(
        "%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper())
    for noisy in ("httpx", "httpcore", "aiohttp.access", "discord.gateway", "telegram.ext.Updater"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))
    return redactor
