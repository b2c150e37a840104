"""A queued operation as the store keeps it with its job row (JSON), and back: what another process, or
this one after a restart, needs to run it again (the surface's request, its status message)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

from core.ports import Attachment, Incoming, MessageRef, Target
from core.routing import Route

from .state import Operation

PAYLOAD_VERSION = 1

STARTED = "started"  # its status message is up; nothing sent to NEMO yet that a rerun would repeat
SENT = "sent"        # a chat message went to NEMO: a rerun would apply the edit twice



def payload_of(op: Operation) -> dict[str, Any]:
    incoming = op.incoming
    return {
        "v": PAYLOAD_VERSION, "kind": op.kind.value, "target": incoming.target.to_json(), "text": incoming.text,
        "command": incoming.command, "args": incoming.args, "locale": incoming.locale,
        "attachments": [a.to_json() for a in incoming.attachments],
        "message": op.message.to_json() if op.message else None, "render_id": op.render_id,
    }


def operation_of(payload: dict[str, Any]) -> Operation:
    """The operation a payload describes (its files not readable yet: ``reattached``). Raises
    ``ValueError`` for a payload this version cannot run."""
    if payload.get("v") != PAYLOAD_VERSION:
        raise ValueError(f"unknown job payload version {payload.get('v')!r}")
    try:
        attachments = [Attachment.from_json(a) for a in payload.get("attachments") or ()]
        incoming = Incoming(
            Target.from_json(payload["target"]), str(payload.get("text") or ""), command=payload.get("command"),
            args=str(payload.get("args") or ""), attachments=attachments, locale=payload.get("locale"),
        )
        message = MessageRef.from_json(payload["message"]) if payload.get("message") else None
        render_id = payload.get("render_id")
        return Operation(Route(payload["kind"]), incoming, message=message,
                         render_id=None if render_id is None else str(render_id))
    except (KeyError, TypeError) as exc:
        raise ValueError(f"unreadable job payload: {exc!r}") from None


def reattached(incoming: Incoming, port: object) -> Incoming:
    """``incoming`` with its files made readable again by their surface (``reattach``), or left to their URL."""
    reattach: Callable[[Attachment], Attachment] | None = getattr(port, "reattach", None)
    if reattach is None or not incoming.attachments:
        return incoming
    return replace(incoming, attachments=[reattach(a) for a in incoming.attachments])
