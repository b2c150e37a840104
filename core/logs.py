"""Logging set-up: secrets redacted from every line, plain or JSON output."""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Iterable
from pathlib import Path

from core.secrets import Redactor


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


def setup_logging(level: str = "INFO", *, json_lines: bool = False, secrets: Iterable[str] = (),
                  path: Path | None = None) -> Redactor:
    """Log to stderr (or to the file at ``path``) through the redactor; returns it so more secrets can
    be added."""
    redactor = Redactor(secrets)
    handler: logging.Handler
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        handler = logging.FileHandler(path, encoding="utf-8")
    else:
        handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(redactor)
    handler.setFormatter(JsonFormatter() if json_lines else logging.Formatter(
        "%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper())
    for noisy in ("httpx", "httpcore", "aiohttp.access", "discord.gateway", "telegram.ext.Updater",
                  "telegram.ext.Application"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))
    return redactor


def redact_more(secrets: Iterable[str]) -> None:
    """Teach the redactors of the root logger's handlers more secrets (settings loaded after set-up)."""
    values = [s for s in secrets if s]
    for handler in logging.getLogger().handlers:
        for f in handler.filters:
            if isinstance(f, Redactor):
                f.add(values)
