"""A scriptable stand-in for NEMO's video API, served on 127.0.0.1 for tests.

    async with FakeNemo() as nemo:
        nemo.script_chat(ToolCall("edit_multitrack", {"op": "trim"}), Text("Done."))
        nemo.fail_next("upload", code=4002)
        ...  # point the client at nemo.url; inspect nemo.requests, nemo.sessions, nemo.chat_messages

Without a script, `/run_sse` behaves like NEMO as the seeds describe it: a small editor (adds a title
or music to the draft) that sends heartbeats and empty `data:` lines while it works, streams its reply as
`partial` chunks, and closes about 30% of edits with no text at all (the state changed; which ones is
fixed by `seed`, so a test is repeatable; `silent_share=0` only where always getting text is the point).
URL uploads are really fetched, and renders take time: `RenderPlan.speed` seconds per second of video.
`python -m tests.fakes.nemo --port 8765` serves it standalone.
"""

from .script import (
    Comment,
    Drop,
    EmptyData,
    ErrorEvent,
    ErrorLine,
    Heartbeat,
    Partial,
    RawEvent,
    RenderPlan,
    SetDraft,
    Sleep,
    Step,
    Text,
    Thought,
    ToolCall,
    ToolResult,
)
from .server import FakeNemo
from .state import FakeSession, Recorded

__all__ = [
    "Comment", "Drop", "EmptyData", "ErrorEvent", "ErrorLine", "FakeNemo", "FakeSession", "Heartbeat",
    "Partial", "RawEvent", "Recorded", "RenderPlan", "SetDraft", "Sleep", "Step", "Text", "Thought",
    "ToolCall", "ToolResult",
]
