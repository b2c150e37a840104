"""Signed file links: ``/files/...?exp=<unix time>&sig=<HMAC-SHA256 of path and expiry>``.

A link cannot be guessed from a file name, stops working at its expiry, and keeps working across
restarts because the secret is a setting or is generated once and kept in the engine's data dir.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
import time
from pathlib import Path

SECRET_FILE = "link_secret"


class LinkSigner:
    """Signs paths with an expiry and checks signed paths."""

    def __init__(self, secret: bytes, ttl: float) -> None:
        self._secret = secret
        self.ttl = ttl

    def _mac(self, path: str, expires: int) -> str:
        digest = hmac.new(self._secret, f"{path}\n{expires}".encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()

    def sign(self, path: str, *, now: float | None = None, ttl: float | None = None) -> str:
        """``path`` with its expiry (``ttl`` seconds from now, default this signer's) and signature as a
        query string."""
        expires = int((time.time() if now is None else now) + (self.ttl if ttl is None else ttl))
        return f"{path}?exp={expires}&sig={self._mac(path, expires)}"

    def valid(self, path: str, expires: str | None, signature: str | None, *, now: float | None = None) -> bool:
        """True when ``signature`` is this signer's for ``path`` and ``expires`` has not passed."""
        if not expires or not signature or not expires.isdigit():
            return False
        if int(expires) < (time.time() if now is None else now):
            return False
        return hmac.compare_digest(self._mac(path, int(expires)), signature)


def load_secret(configured: str | None, data_dir: Path) -> bytes:
    """The configured secret, else the one kept in ``data_dir`` (created once, readable by its owner only)."""
    if configured:
        return configured.encode()
    path = data_dir / SECRET_FILE
    if path.exists():
        return path.read_bytes().strip()
    value = secrets.token_urlsafe(32).encode()
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another engine on the same data dir wrote it first
        return path.read_bytes().strip()
    with os.fdopen(fd, "wb") as fh:
        fh.write(value)
    return value
