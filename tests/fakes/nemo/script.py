"""Steps a test queues for the next `/run_sse` reply, and the plan every new render follows."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal, TypeAlias


@dataclass(frozen=True)
class Text:
    """A final model text event."""

    text: str


@dataclass(frozen=True)
class Partial:
    """`partial: true` text events, one per chunk, then one final event repeating the whole text."""

    chunks: list[str]


@dataclass(frozen=True)
class Thought:
    """A model thought part (`{"text": ..., "thought": true}`); never meant for the user."""

    text: str


@dataclass(frozen=True)
class ToolCall:
    """A `functionCall` event; `id` defaults to a fresh `adk-…` id."""

    name: str
    args: dict[str, Any] = field(default_factory=dict)
    id: str | None = None


@dataclass(frozen=True)
class ToolResult:
    """A `functionResponse` event (role "user"); a `draft` key in `state_delta` replaces the session draft.

    Its id is `id`, else the id of the last ToolCall with the same name in this reply.
    """

    name: str
    response: dict[str, Any] = field(default_factory=lambda: {"ok": True})
    state_delta: dict[str, Any] | None = None
    id: str | None = None


@dataclass(frozen=True)
class RawEvent:
    """Any ADK event: `fields` are laid over the standard invocationId/author/id/timestamp fields."""

    fields: dict[str, Any]


@dataclass(frozen=True)
class ErrorEvent:
    """An event carrying `errorCode` / `errorMessage` (the stream goes on with the next step)."""

    code: str | int
    message: str


@dataclass(frozen=True)
class Heartbeat:
    """A gateway heartbeat: `data: {"type":"heartbeat"}`."""


@dataclass(frozen=True)
class Comment:
    """An SSE comment line (`: <text>`)."""

    text: str = "keepalive"


@dataclass(frozen=True)
class EmptyData:
    """A `data:` line with nothing after it."""


@dataclass(frozen=True)
class Sleep:
    """Wait before the next step."""

    seconds: float


@dataclass(frozen=True)
class ErrorLine:
    """`data: <raw>` (raw may be invalid JSON), then a clean end of the stream."""

    raw: str


@dataclass(frozen=True)
class Drop:
    """Abort the connection: the client sees a broken chunked body, not a clean end."""


@dataclass(frozen=True)
class SetDraft:
    """Replace the session draft without any event (for silent-close tests)."""

    draft: dict[str, Any]


Step: TypeAlias = (
    Text | Partial | Thought | ToolCall | ToolResult | RawEvent | ErrorEvent
    | Heartbeat | Comment | EmptyData | Sleep | ErrorLine | Drop | SetDraft
)

UrlLocation: TypeAlias = Literal["output.url", "outputUrl", "data.outputUrl", "data.output.url"]

# A tiny MP4-looking payload: an `ftyp` box, then filler. Tests needing a playable file set their own.
DEFAULT_CONTENT: bytes = (
    b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + bytes(range(256)) * 16
)


@dataclass
class RenderPlan:
    """How a render created from now on behaves when polled.

    By default a render takes time, as NEMO's do: `speed` seconds per second of the draft's video
    (0.2: a 10 s clip renders in 2 s), reported as `processing` with progress by elapsed time, then
    `completed` (or `failed` when `fail`), however often it is polled. A test that scripts `steps`
    counts polls instead: the next `steps` polls answer `processing` with rising progress, the poll
    after that ends it (`steps=0`: finished when first polled). Either way the first `pending_polls`
    polls answer `pending`, and `stuck` keeps it processing forever. The bot polls at once, then every
    30 s (NEMO's documented cadence): a test whose subject is not render time uses `steps=0` (the
    `renders_done_when_polled` marker); one that follows a render lets it span a poll or two.
    `url_location` is the path of the MP4 URL from the body root; `shape` is
    "envelope" (`{"success":true,"data":{…}}`) or "top" (`{"taskId",…,"output":{…}}`).
    """

    steps: int | None = None
    speed: float = 0.2
    fail: bool = False
    shape: Literal["envelope", "top"] = "envelope"
    url_location: UrlLocation = "data.outputUrl"
    stuck: bool = False
    pending_polls: int = 0
    error: str = "render failed: encoder crashed"
    content: bytes = DEFAULT_CONTENT
    duration: float = 10.0
