"""ADK events from NEMO's ``/run_sse`` stream, as typed values.

One SSE ``data:`` payload is one ADK event (compact camelCase JSON). It becomes zero or more
of the values below. ``EventReader`` adds the stream-level rules: ``partial`` text chunks and
the final event that repeats them are shown once, text of a new agent turn is marked as such
(a new event that is not a ``partial`` continuation, or text after a tool call or response),
and error lines raise ``StreamFailed``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from core.nemo.errors import StreamFailed


@dataclass(frozen=True, slots=True)
class Text:
    """Text for the user (a chunk of it when streamed). ``continues``: the chunk belongs to the
    same agent turn as the text before it (join them); otherwise it starts a new paragraph."""

    text: str
    continues: bool = False


@dataclass(frozen=True, slots=True)
class Thought:
    """The model's reasoning: never shown to the user."""

    text: str


@dataclass(frozen=True, slots=True)
class ToolCall:
    id: str
    name: str
    args: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ToolResult:
    id: str
    name: str
    response: Any = None


@dataclass(frozen=True, slots=True)
class StateDelta:
    """``actions.stateDelta``: keys of the session state that changed (``draft`` among them)."""

    delta: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Heartbeat:
    """Keep-alive: an empty ``data:`` line, a heartbeat object, or an event with nothing to show."""


@dataclass(frozen=True, slots=True)
class TurnComplete:
    """ADK's ``turnComplete``: the agent has finished its turn."""


StreamEvent = Text | Thought | ToolCall | ToolResult | StateDelta | Heartbeat | TurnComplete

HEARTBEAT = Heartbeat()


@dataclass(frozen=True, slots=True)
class _PartialText:
    text: str


_Parsed = StreamEvent | _PartialText


def _error_text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        return str(value.get("error_message") or value.get("message") or "")
    return ""


def parse_event(data: str) -> list[_Parsed]:
    """Turn one SSE data payload into typed values; raise ``StreamFailed`` for an error line.

    Unknown shapes are read as heartbeats: an odd line never stops the stream.
    """
    data = data.strip()
    if not data:
        return [HEARTBEAT]
    try:
        obj = json.loads(data)
    except (ValueError, RecursionError):  # RecursionError: nesting deeper than the parser goes
        if data.startswith('{"error"'):
            # Older ADK writes ``{"error": "<message>"}`` without escaping: not always JSON.
            raise StreamFailed(data[len('{"error"'):].strip(' :"}')[:300]) from None
        return [HEARTBEAT]
    if not isinstance(obj, dict):
        return [HEARTBEAT]
    if "error" in obj and "content" not in obj:
        details = obj.get("error_details")
        message = _error_text(details) or _error_text(obj["error"])
        raise StreamFailed(message[:300])
    if obj.get("errorCode"):
        raise StreamFailed(str(obj.get("errorMessage") or obj["errorCode"])[:300], code=_code(obj["errorCode"]))

    out: list[_Parsed] = []
    content = obj.get("content")
    parts = content.get("parts") if isinstance(content, dict) else None
    partial = bool(obj.get("partial"))
    for part in parts if isinstance(parts, list) else []:
        if not isinstance(part, dict):
            continue
        if part.get("thought") is True and isinstance(part.get("text"), str):
            out.append(Thought(part["text"]))
        elif isinstance(part.get("thought"), str):
            out.append(Thought(part["thought"]))
        elif isinstance(part.get("text"), str):
            out.append(_PartialText(part["text"]) if partial else Text(part["text"]))
        elif isinstance(part.get("functionCall"), dict):
            call = part["functionCall"]
            args = call.get("args")
            out.append(ToolCall(str(call.get("id", "")), str(call.get("name", "")), args if isinstance(args, dict) else {}))
        elif isinstance(part.get("functionResponse"), dict):
            resp = part["functionResponse"]
            out.append(ToolResult(str(resp.get("id", "")), str(resp.get("name", "")), resp.get("response")))
    actions = obj.get("actions")
    if isinstance(actions, dict) and isinstance(actions.get("stateDelta"), dict) and actions["stateDelta"]:
        out.append(StateDelta(actions["stateDelta"]))
    if obj.get("turnComplete") is True:
        out.append(TurnComplete())
    return out or [HEARTBEAT]


def _code(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError, OverflowError):
        return None


class EventReader:
    """Feeds SSE payloads through ``parse_event`` and shows streamed text once.

    Partial chunks come out as ``Text`` at once; the final event repeating them is dropped
    (or only its unseen tail is kept). Chunks of one turn (the partial run, its tail, the text
    parts of one event) are marked ``continues``; a tool call or response ends the turn.
    """

    def __init__(self) -> None:
        self._streamed = ""

    def feed(self, data: str) -> list[StreamEvent]:
        out: list[StreamEvent] = []
        shown_here = False  # this event already showed text: its next text part continues it
        for event in parse_event(data):
            if isinstance(event, _PartialText):
                if event.text:
                    out.append(Text(event.text, continues=bool(self._streamed) or shown_here))
                    shown_here = True
                self._streamed += event.text
            elif isinstance(event, Text) and self._streamed:
                streamed, self._streamed = self._streamed, ""
                if event.text.startswith(streamed):
                    tail = event.text[len(streamed):]
                    if tail:
                        out.append(Text(tail, continues=True))
                elif event.text.strip() != streamed.strip():
                    out.append(Text(event.text, continues=shown_here))
                shown_here = True
            elif isinstance(event, Text):
                out.append(Text(event.text, continues=shown_here))
                shown_here = True
            else:
                if isinstance(event, (ToolCall, ToolResult)):
                    self._streamed = ""  # a turn that ends in a tool call starts afresh after it
                out.append(event)
        return out


def paragraphs(texts: list[Text]) -> str:
    """The texts of a reply as the user reads them: one paragraph per agent turn."""
    turns: list[str] = []
    for text in texts:
        if text.continues and turns:
            turns[-1] += text.text
        else:
            turns.append(text.text)
    return "\n\n".join(turn.strip() for turn in turns if turn.strip())
