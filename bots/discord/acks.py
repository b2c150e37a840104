"""Acknowledging comes before working. Discord forgets an interaction not acknowledged within 3 s, and
the event loop runs callbacks first come, first served: in a burst (a thousand slash commands at once)
the work after each early acknowledgement (status message, uploads, NEMO calls) would run ahead of the
acknowledgements still waiting, and the late ones would miss the 3 s. So an interaction's work starts
only once every interaction already being acknowledged has been (for at most ``ACK_WAIT``: a slow
acknowledgement never holds the others' work for long)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Any

import discord

log = logging.getLogger(__name__)
ACK_WAIT = 3.0  # Discord's own deadline: past it the acknowledgements still in flight are lost anyway
UNKNOWN_INTERACTION = 10062  # Discord's code for an interaction past its 3 s (or unknown)
ALREADY_ACKNOWLEDGED = 40060  # another session answered it first (two sessions of a shard, during a deploy)


class Acknowledgements:
    """How many interactions are being acknowledged, and a wait for none."""

    def __init__(self) -> None:
        self.pending = 0
        self.expired = 0  # interactions Discord had forgotten by the time we acknowledged them
        self._none = asyncio.Event()
        self._none.set()

    @contextlib.asynccontextmanager
    async def acknowledging(self) -> AsyncIterator[None]:
        self.pending += 1
        self._none.clear()
        try:
            yield
        finally:
            self.pending -= 1
            if self.pending == 0:
                self._none.set()

    async def settled(self) -> None:
        """Returns once no acknowledgement is in flight (or after ``ACK_WAIT``)."""
        if self.pending:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._none.wait(), ACK_WAIT)

    def too_late(self, exc: Any) -> bool:
        """Was this acknowledgement refused because the interaction had expired? (Counted and logged
        in one line: nothing can answer it any more, and a traceback per interaction under a burst
        only costs the loop more.)"""
        if isinstance(exc, discord.NotFound) and exc.code == UNKNOWN_INTERACTION:
            self.expired += 1
            log.warning("an interaction expired before it was acknowledged (%d so far)", self.expired)
            return True
        return False

    @staticmethod
    def taken(exc: Any) -> bool:
        """Was this interaction answered first by another session of our shard? While a deploy hands a
        shard from the old process to the new one, Discord sends each interaction to both sessions;
        the first acknowledgement wins and the other is refused, which is no failure: the winner does
        the work and answers."""
        if isinstance(exc, discord.HTTPException) and exc.code == ALREADY_ACKNOWLEDGED:
            log.info("an interaction was acknowledged by another session of this shard; it answers it")
            return True
        return False
