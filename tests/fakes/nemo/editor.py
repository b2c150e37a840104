"""Draft helpers and the default reply: a tiny, deterministic timeline editor."""

from __future__ import annotations

import copy
import hashlib
import re
from typing import Any

from .script import EmptyData, Heartbeat, Partial, SetDraft, Step, ToolCall, ToolResult

VIDEO, AUDIO, TEXT = 0, 1, 7

SUPPORTED: dict[str, str] = {
    **dict.fromkeys(("mp4", "mov", "avi", "webm", "mkv"), "video"),
    **dict.fromkeys(("jpg", "png", "gif", "webp"), "image"),
    **dict.fromkeys(("mp3", "wav", "m4a", "aac"), "audio"),
}

_QUOTED = re.compile(r"[\"'“‘「]([^\"'”’」]+)[\"'”’」]")
_MUSIC_WORDS = ("music", "bgm", "soundtrack", "音乐", "配乐")


def file_type(filename: str) -> str | None:
    """"video" / "image" / "audio", or None when the extension is not supported."""
    _, dot, ext = filename.rpartition(".")
    return SUPPORTED.get(ext.lower()) if dot else None


def draft_has_content(draft: Any) -> bool:
    """True when some track has a non-empty `sg` list (what NEMO needs to export)."""
    if not isinstance(draft, dict) or not isinstance(draft.get("t"), list):
        return False
    return any(isinstance(track, dict) and track.get("sg") for track in draft["t"])


def draft_seconds(draft: Any) -> float:
    """The draft's length: its longest track, from the segments' `d` (ms)."""
    if not isinstance(draft, dict) or not isinstance(draft.get("t"), list):
        return 0.0
    longest = 0.0
    for track in draft["t"]:
        segments = track.get("sg") if isinstance(track, dict) else None
        total = sum(
            float(seg["d"]) for seg in segments or []
            if isinstance(seg, dict) and isinstance(seg.get("d"), (int, float))
        )
        longest = max(longest, total)
    return longest / 1000


def with_segment(draft: dict[str, Any], track_type: int, segment: dict[str, Any]) -> dict[str, Any]:
    """A copy of `draft` with `segment` appended to the first track of `track_type` (created if needed)."""
    new = copy.deepcopy(draft) if isinstance(draft, dict) else {}
    tracks = new.setdefault("t", [])
    for track in tracks:
        if isinstance(track, dict) and track.get("tt") == track_type:
            track.setdefault("sg", []).append(segment)
            return new
    tracks.append({"tt": track_type, "sg": [segment]})
    return new


def silent_close(seed: int, share: float, message: str, index: int) -> bool:
    """Whether the `index`-th unscripted edit of a session, for `message`, closes without any text.

    A hash of the three, not a shared random sequence: the same test gets the same answer whatever
    else runs at the same time.
    """
    digest = hashlib.sha256(f"{seed}:{index}:{message}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64 < share


def chunks_of(text: str, pieces: int = 3) -> list[str]:
    """`text` cut at spaces into about `pieces` chunks that join back to it."""
    words = text.split(" ")
    size = max(1, -(-len(words) // pieces))
    groups = [words[i:i + size] for i in range(0, len(words), size)]
    return [" ".join(g) + (" " if i < len(groups) - 1 else "") for i, g in enumerate(groups)]


def default_reply(message: str, draft: dict[str, Any], *, silent: bool = False) -> list[Step]:
    """Steps for a chat message no test scripted: add music or a title, then invite an export.

    As NEMO does: heartbeats and empty `data:` lines while it works, the reply streamed as `partial`
    chunks then the whole text; a `silent` reply changes the state and closes with no event at all.
    """
    if any(word in message.lower() for word in _MUSIC_WORDS):
        segment = {"d": 10000, "m": {"title": "Lo-fi", "volume": 0.35}}
        new = with_segment(draft, AUDIO, segment)
        args: dict[str, Any] = {"op": "add_bgm", "title": "Lo-fi"}
        reply = "Background music 'Lo-fi' added at 35% volume. Click Export when you are ready."
    else:
        quoted = _QUOTED.search(message)
        label = (quoted.group(1) if quoted else message).strip()[:40] or "Title"
        new = with_segment(draft, TEXT, {"d": 3000, "m": {"text": label}})
        args = {"op": "add_text", "text": label}
        reply = f"Added text '{label}'. Click Export when you are ready."
    if silent:
        return [Heartbeat(), SetDraft(new), EmptyData()]
    return [
        Heartbeat(),
        ToolCall("edit_multitrack", args),
        EmptyData(),
        ToolResult("edit_multitrack", {"ok": True}, {"draft": new}),
        Partial(chunks_of(reply)),
    ]
