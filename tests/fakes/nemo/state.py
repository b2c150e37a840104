"""What the fake remembers: requests, tokens, sessions, injected failures."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

# Names accepted by FakeNemo.fail_next (the route names of the server).
ENDPOINTS: tuple[str, ...] = (
    "token", "session", "chat", "upload", "credits", "state", "export", "render_status", "cancel", "files",
)

CODE_MESSAGES: dict[int, str] = {
    1001: "token expired or invalid",
    1002: "session not found",
    2001: "insufficient credits",
    4001: "unsupported file type",
    4002: "file too large",
    402: "free plan export blocked",
}

HTTP_DETAILS: dict[int, str] = {
    400: "missing X-Client-Id",
    401: "unauthorized",
    404: "not found",
    422: "unprocessable entity",
    429: "rate limited",
}


@dataclass(frozen=True)
class Recorded:
    """One request as received. `time` is `time.monotonic()`; header keys are lower case."""

    method: str
    path: str
    headers: dict[str, str]
    json: Any = None
    form_fields: dict[str, str] = field(default_factory=dict)
    files: list[tuple[str, str, int]] = field(default_factory=list)
    time: float = 0.0


@dataclass
class TokenRecord:
    """An issued (or static) bearer token."""

    token: str
    user_id: str
    client_id: str | None
    expires_at: float  # wall clock, seconds
    credits: int
    revoked: bool = False

    def valid(self, now: float | None = None) -> bool:
        return not self.revoked and (now if now is not None else time.time()) < self.expires_at


@dataclass
class FakeSession:
    """A NEMO session: its draft (timeline) and uploaded media."""

    session_id: str
    task_id: str
    task_name: str
    token: str
    language: str | None = None
    draft: dict[str, Any] = field(default_factory=lambda: {"t": []})
    video_infos: list[dict[str, Any]] = field(default_factory=list)
    generated_media: list[dict[str, Any]] = field(default_factory=list)
    unscripted_edits: int = 0  # how many chat messages the default editor answered


@dataclass
class Failure:
    """An injected failure for the next call(s) of one endpoint."""

    code: int | None
    http_status: int | None
    message: str | None
    times: int

    def body(self) -> tuple[int, dict[str, Any]]:
        """The HTTP status and JSON body to answer with."""
        if self.code is not None:
            message = self.message or CODE_MESSAGES.get(self.code, f"error {self.code}")
            return self.http_status or 200, {"code": self.code, "message": message}
        status = self.http_status or 500
        detail = self.message or HTTP_DETAILS.get(status, "internal server error")
        return status, {"detail": detail}
