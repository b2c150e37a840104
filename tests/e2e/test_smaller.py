"""'Smaller version' re-encodes the render it was offered with: the draft of that render, kept with it,
not the timeline as it is when the button is pressed; a press for a render the bot no longer has (or one of
another conversation) says so and renders nothing."""

from __future__ import annotations

import pytest

from core.conversation import Core
from core.ports import Incoming, Target, smaller_action
from tests.fakes.nemo import FakeNemo, SetDraft, Text
from tests.recording import RecordingPort

ANN = Target("test", "chat-1", "ann")
BOB = Target("test", "chat-2", "bob")
pytestmark = pytest.mark.renders_done_when_polled  # render time is not these tests' subject


class SmallChat(RecordingPort):
    """A chat surface that takes files up to 1 KB and opens no loopback link."""

    local = False

    def send_limit(self, target: Target) -> int | None:
        return 1024


def timeline(seconds: int) -> dict[str, object]:
    return {"t": [{"tt": 0, "sg": [{"d": seconds * 1000, "m": {"name": "clip.mp4", "in": 0}}]}]}


async def test_the_press_re_encodes_the_render_it_came_with_not_the_edited_timeline(
        core: Core, nemo: FakeNemo) -> None:
    port = SmallChat()
    core.register(port)
    nemo.render_plan.shape, nemo.render_plan.url_location = "top", "output.url"
    nemo.render_plan.content = b"v" * 4096  # over the chat's limit
    nemo.script_chat(SetDraft(timeline(10)), Text("Added the clip."))
    await core.handle(Incoming(ANN, text="use the clip"))
    await core.idle()
    await core.handle(Incoming(ANN, command="export"))
    await core.idle()
    [(_, offer, video)] = port.deliveries
    assert "Smaller version" in offer and video is None
    [smaller] = [b for b in port.messages[-1].buttons if b.label == "Smaller version"]
    first = next(iter(nemo.renders))
    assert smaller.action == smaller_action(first)

    nemo.script_chat(SetDraft(timeline(4)), Text("Kept the first 4 seconds."))  # edited before the press
    await core.handle(Incoming(ANN, text="keep the first 4 seconds"))
    await core.idle()
    await core.handle(Incoming(ANN, button=smaller.action, button_owner="ann"))
    await core.idle()

    assert len(nemo.renders) == 2
    again = list(nemo.renders.values())[1]
    assert again.draft == nemo.renders[first].draft == timeline(10)
    assert len(port.deliveries) == 2


async def test_a_press_for_a_render_it_does_not_have_renders_nothing(core: Core, port: RecordingPort,
                                                                      nemo: FakeNemo) -> None:
    nemo.script_chat(SetDraft(timeline(10)), Text("Added the clip."))
    await core.handle(Incoming(BOB, text="use the clip"))
    await core.idle()
    await core.handle(Incoming(BOB, command="export"))
    await core.idle()
    bobs = next(iter(nemo.renders))

    for action in (smaller_action("render_0_gone"), smaller_action(bobs)):  # unknown; another chat's
        await core.handle(Incoming(ANN, button=action, button_owner="ann"))
        await core.idle()
        assert port.last().startswith("I no longer have that render")

    assert len(nemo.renders) == 1
