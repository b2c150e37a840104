"""A queued operation kept with its job row and read back by the process that takes it over."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from core.conversation.jobs import operation_of, payload_of, reattached
from core.conversation.state import Operation
from core.ports import Attachment, Incoming, MessageRef, Target
from core.routing import Route

ANN = Target("telegram", "42", "7", extra={"reply_to": 3})


async def chunks():  # type: ignore[no-untyped-def]
    yield b"clip"


def test_an_upload_with_its_caption_file_and_status_message_reads_back_as_it_was_asked() -> None:
    clip = Attachment("clip.mp4", 2048, "video/mp4", open=chunks, ref="BAADfile-id")
    op = Operation(Route.UPLOAD, Incoming(ANN, "make it vertical", attachments=[clip], locale="zh-hans", order=901),
                   message=MessageRef(ANN, "55"))
    stored = json.loads(json.dumps(payload_of(op)))  # as the store keeps it
    again = operation_of(stored)
    assert again.kind is Route.UPLOAD and again.message == op.message
    assert again.incoming.target == ANN and again.incoming.text == "make it vertical"
    assert again.incoming.locale == "zh-hans"
    assert [(a.filename, a.size, a.content_type, a.ref) for a in again.incoming.attachments] == [
        ("clip.mp4", 2048, "video/mp4", "BAADfile-id")]
    assert again.incoming.attachments[0].open is None  # readable again only through its surface


def test_an_export_keeps_the_render_id_it_will_submit_under() -> None:
    op = Operation(Route.EXPORT, Incoming(ANN, "", command="smaller", args="render_1"), render_id="render_2")
    again = operation_of(json.loads(json.dumps(payload_of(op))))
    assert (again.kind, again.render_id, again.incoming.command, again.incoming.args) == (
        Route.EXPORT, "render_2", "smaller", "render_1")


def test_a_file_is_made_readable_again_by_its_surface() -> None:
    class Port:
        def reattach(self, attachment: Attachment) -> Attachment:
            return replace(attachment, open=chunks)

    incoming = Incoming(ANN, attachments=[Attachment("a.mp4", ref="id-1")])
    assert reattached(incoming, Port()).attachments[0].open is chunks
    assert reattached(incoming, object()) is incoming  # a surface without it: the file goes by its URL


@pytest.mark.parametrize("payload", [{}, {"v": 99, "kind": "chat"}, {"v": 1, "kind": "dance", "target": ANN.to_json()},
                                     {"v": 1, "kind": "chat"}])
def test_a_payload_this_version_cannot_run_is_refused_with_a_value_error(payload: dict) -> None:
    with pytest.raises(ValueError):
        operation_of(payload)
