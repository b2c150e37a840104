"""Discord's rate limits through the real discord.py client: the bot goes on answering after them."""

from __future__ import annotations

from core.settings import Settings
from tests.e2e.test_discord import content, running_bot, with_discord
from tests.fakes.discord import FakeDiscord
from tests.fakes.nemo import FakeNemo, Sleep, Text


async def test_a_request_stopped_while_it_waits_out_a_global_rate_limit_does_not_silence_the_bot(
    settings: Settings, nemo: FakeNemo
) -> None:
    """Discord answers the DM's "typing" with a global 429 (retry after 5 s). The answer is ready
    sooner, so the status ticker that sent "typing" is stopped in the middle of that wait. The
    answer still arrives, and the next message is answered too (discord.py alone would keep every
    later request of the process waiting for a gate nobody opens: the user sees "Working…" forever)."""
    nemo.script_chat(Sleep(0.5), Text("Cut the pauses."))
    nemo.script_chat(Text("Added a title."))
    async with FakeDiscord() as dc, running_bot(with_discord(settings, dc), dc):
        dc.rate_limit(f"/channels/{dc.dm_channel_id(dc.user_id)}/typing", retry_after=5.0, is_global=True)
        dc.user_message("cut the pauses", dm=True)
        await dc.wait_for(lambda: dc.count_429 == 1)
        await dc.wait_for(lambda: any(content(m).startswith("Cut the pauses.") for m in dc.dm_messages()))
        dc.user_message("add a title", dm=True)
        await dc.wait_for(lambda: any(content(m).startswith("Added a title.") for m in dc.dm_messages()))
