"""Values the NEMO client returns. Each keeps the raw JSON beside what was parsed."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from core.nemo.draft import Draft


@dataclass(frozen=True, slots=True)
class AnonymousToken:
    token: str
    user_id: str
    expires_at: datetime | None
    credits: float | None

    def __repr__(self) -> str:  # never print the token
        return f"AnonymousToken(user_id={self.user_id!r}, expires_at={self.expires_at!r})"


@dataclass(frozen=True, slots=True)
class SessionInfo:
    session_id: str
    task_id: str
    raw: Any = None


@dataclass(frozen=True, slots=True)
class UploadedFile:
    filename: str
    file_type: str = ""
    cdn_url: str = ""
    duration: float | None = None
    width: int | None = None
    height: int | None = None
    raw: Any = None


@dataclass(frozen=True, slots=True)
class Credits:
    available: float
    frozen: float
    total: float
    unlimited: bool = False  # the built-in engine does not count (it says so with "unlimited": true)


@dataclass(frozen=True, slots=True)
class SessionState:
    draft: Draft
    raw: Any = None
    video_infos: list[Any] = field(default_factory=list)


RENDER_DONE = "completed"
RENDER_FAILED = "failed"
RENDER_CANCELLED = "cancelled"
RENDER_FINAL = frozenset({RENDER_DONE, RENDER_FAILED, RENDER_CANCELLED})
# A server that can hold a render-status request until the render moves says so in this header (the
# seconds it can wait); the cloud does not, and is polled at its documented cadence instead.
RENDER_WAIT_HEADER = "X-Render-Wait"
PREVIEW_HEADER = "X-Preview"  # on the built-in engine's answers: it makes previews (POST /api/preview/...)
# on the built-in engine's answers while it renders drafts ahead: GET /api/render-ahead/... says whether the
# session's current draft is rendered (an export then answers at once)
RENDER_AHEAD_HEADER = "X-Render-Ahead"
AHEAD_READY, AHEAD_RENDERING, AHEAD_NONE = "ready", "rendering", "none"
FROM_RENDER = "fromRender"  # in a render request's output: re-encode that earlier render's file (the local
# engine does, with ``maxBytes``: a smaller version of exactly that render; NEMO's cloud ignores it)


@dataclass(frozen=True, slots=True)
class PreviewFile:
    """A small, quick look at the session's draft (the built-in engine's ``POST /api/preview/...``)."""

    url: str
    size: int
    duration: float
    width: int
    height: int


@dataclass(frozen=True, slots=True)
class RenderStatus:
    id: str
    status: str
    progress: float = 0.0
    url: str | None = None
    error: str = ""
    size: int | None = None
    duration: float | None = None
    raw: Any = None
    wait_max: float = 0.0  # seconds the server can hold the next status request (0: poll instead)
    error_code: int | None = None  # a failed render's error table code, where the backend gives one

    @property
    def final(self) -> bool:
        return self.status in RENDER_FINAL
