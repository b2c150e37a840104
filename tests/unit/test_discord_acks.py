"""Acknowledging before working: an interaction's work waits while other interactions are being
acknowledged, and an interaction Discord has already forgotten is counted, not raised."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace

import discord

from bots.discord.acks import UNKNOWN_INTERACTION, Acknowledgements


async def test_work_waits_until_the_acknowledgements_in_flight_are_done() -> None:
    acks = Acknowledgements()
    await asyncio.wait_for(acks.settled(), 1)  # none in flight: no wait
    order: list[str] = []
    release = asyncio.Event()

    async def acknowledge(name: str) -> None:
        async with acks.acknowledging():
            await release.wait()
            order.append(f"ack {name}")
        await acks.settled()
        order.append(f"work {name}")

    first = asyncio.create_task(acknowledge("a"))
    second = asyncio.create_task(acknowledge("b"))
    await asyncio.sleep(0)
    assert acks.pending == 2
    release.set()
    await asyncio.gather(first, second)
    assert order[:2] == ["ack a", "ack b"] and sorted(order[2:]) == ["work a", "work b"]
    assert acks.pending == 0


def refusal(status: int, code: int) -> discord.HTTPException:
    response = SimpleNamespace(status=status, reason="Not Found")
    return discord.NotFound(response, {"code": code, "message": "Unknown interaction"})  # type: ignore[arg-type]


def test_an_expired_interaction_is_counted_and_other_refusals_are_not() -> None:
    acks = Acknowledgements()
    assert acks.too_late(refusal(404, UNKNOWN_INTERACTION))
    assert not acks.too_late(refusal(404, 10008))  # unknown message: a real error, raised
    assert acks.expired == 1
