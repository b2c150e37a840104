"""The Telegram bot's own send budgets (bots/telegram/pacing.py) and the status interval they stretch."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence

import pytest

from bots.telegram.pacing import GROUP_RESERVE, Budgets, Pacer, Priority
from core.ports import Behind, Button, MessageRef, PacedPort, Target
from core.status import MAX_STRETCH, StatusMessage, stretch


async def test_the_overall_budget_is_never_exceeded_in_any_second() -> None:
    pacer = Pacer()  # default: 25 a second
    sent: list[float] = []

    async def one(chat: int) -> None:
        await pacer.take(chat)
        sent.append(time.monotonic())

    await asyncio.gather(*(one(chat) for chat in range(60)))
    assert len(sent) == 60
    assert max(sum(1 for t in sent if start <= t < start + 1.0) for start in sent) <= 25
    assert sent[-1] - sent[0] >= 2.0  # 60 messages at 25 a second


async def test_a_chat_gets_a_burst_of_two_then_one_a_second() -> None:
    pacer = Pacer()
    started = time.monotonic()
    for _ in range(2):
        await pacer.take(7)
    assert time.monotonic() - started < 0.2
    await pacer.take(7)
    assert 0.9 <= time.monotonic() - started < 1.5
    await pacer.take(8)  # another chat is not held up
    assert time.monotonic() - started < 1.5


async def test_progress_edits_are_skipped_not_queued_when_behind() -> None:
    pacer = Pacer()
    urgent = [asyncio.create_task(pacer.take(chat)) for chat in range(40)]
    await asyncio.sleep(0)
    assert pacer.behind and pacer.pressure(1000) > 1.0
    with pytest.raises(Behind):
        await pacer.take(1000, Priority.PROGRESS)
    await asyncio.gather(*urgent)
    await asyncio.sleep(1.05)
    assert pacer.pressure(1000) == 0.0
    await pacer.take(1000, Priority.PROGRESS)  # shrinks back: a tick goes out again
    assert pacer.progress_skipped == 1


async def test_a_group_keeps_its_last_messages_of_the_minute_for_answers() -> None:
    # relaxed per-chat bucket: this test is about the group's minute only
    pacer = Pacer(Budgets(chat_burst=100, chat_per_second=100.0))
    group = -100500
    for _ in range(pacer.budgets.group_per_minute - GROUP_RESERVE):
        await pacer.take(group, Priority.PROGRESS)
    with pytest.raises(Behind):
        await pacer.take(group, Priority.PROGRESS)
    for _ in range(GROUP_RESERVE):
        await pacer.take(group)  # answers still go out
    assert pacer.pressure(group) == 1.0
    waiting = asyncio.create_task(pacer.take(group))  # the 19th waits for the minute to roll over
    await asyncio.sleep(0.2)
    assert not waiting.done()
    waiting.cancel()


def test_the_interval_stretches_with_pressure_and_is_capped() -> None:
    assert stretch(0.0) == stretch(0.5) == 1.0
    assert stretch(1.0) == 4.0
    assert stretch(50.0) == MAX_STRETCH


class LoadedPort:
    """A surface that reports a set pressure and records progress edits."""

    platform = "test"

    def __init__(self, pressure: float) -> None:
        self.load = pressure
        self.progress: list[str] = []
        self.behind = False

    def pressure(self, target: Target) -> float:
        return self.load

    async def send(self, target: Target, text: str, buttons: Sequence[Button] = ()) -> MessageRef:
        return MessageRef(target, "1")

    async def edit(self, message: MessageRef, text: str, buttons: Sequence[Button] = ()) -> MessageRef:
        return message

    async def edit_progress(self, message: MessageRef, text: str, buttons: Sequence[Button] = ()) -> MessageRef:
        if self.behind:
            raise Behind("test")
        self.progress.append(text)
        return message

    async def deliver(self, *args: object) -> None: ...

    async def working(self, target: Target, action: str) -> None: ...


async def test_a_status_message_ticks_slower_under_load_and_shows_its_latest_state_after_a_skip() -> None:
    port = LoadedPort(pressure=1.0)
    assert isinstance(port, PacedPort)
    status = StatusMessage(port, Target("test", "1", "1"), "en", interval=5.0, still_after=60.0)
    assert status.current_interval() == 20.0
    port.load = 0.0
    assert status.current_interval() == 5.0
    await status.start()
    port.behind = True
    status.set_step("uploading")
    await status._show(status.text(), (), progress=True)
    assert port.progress == []
    port.behind = False
    status.set_step("rendering")
    await status._show(status.text(), (), progress=True)
    assert len(port.progress) == 1 and "rendering" in port.progress[0]
    await status.stop()
