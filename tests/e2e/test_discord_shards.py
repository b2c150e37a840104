"""Discord shards split across bot processes (issue 13): two `nemobot discord` processes, shard 0 and
shard 1 of 2, on one PostgreSQL store, against the stand-in Discord, which routes as Discord does (a
guild's events and interactions to the shard ``(guild_id >> 22) % 2``, DMs to shard 0).

Each command is answered by the process that owns its shard; a job is stopped by /cancel; and when the
shard-1 process is replaced by a new one (a deploy), a button pressed on a message the old process
answered works in the new one, from what the store kept."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from tests.e2e.test_discord import CLIP, content, custom_ids, final
from tests.fakes.discord import FakeDiscord
from tests.fakes.nemo import FakeNemo, Sleep, Text
from tests.postgres import PG_URL, needs_postgres, throwaway_database
from tests.processes import nemobot_process

pytestmark = needs_postgres
SHARDS = 2
READY_WAIT = 60.0  # a process's start-up on a loaded machine (imports, login, command sync, IDENTIFY)


def shard_of(guild_id: int) -> int:
    return (guild_id >> 22) % SHARDS  # Discord's formula


async def guilds_on_every_shard(dc: FakeDiscord) -> dict[int, int]:
    """A guild on each shard: shard id -> guild id (a snowflake's shard follows its creation time)."""
    guilds = {shard_of(dc.guild_id): dc.guild_id}
    while len(guilds) < SHARDS:
        await asyncio.sleep(0.002)
        gid = dc.add_guild()
        guilds.setdefault(shard_of(gid), gid)
    return guilds


def shards_told(dc: FakeDiscord, event_id: int, event: str = "INTERACTION_CREATE") -> list[int | None]:
    """The shards whose session was sent the interaction (or the message) ``event_id``."""
    return [f.shard for f in dc.gateway_frames
            if f.direction == "out" and f.t == event and str(f.d["id"]) == str(event_id)]


async def test_two_processes_split_the_shards_over_one_store(nemo: FakeNemo, tmp_path: Path) -> None:
    async with FakeDiscord() as dc, throwaway_database(PG_URL or "") as url:
        guilds = await guilds_on_every_shard(dc)
        users = {shard: dc.add_user(f"user-on-shard-{shard}") for shard in guilds}
        env = {**dc.env(), "DISCORD_DEV_GUILDS": json.dumps(sorted(guilds.values())),
               "DISCORD_SHARD_COUNT": str(SHARDS), "NEMOBOT_BACKEND": "cloud", "NEMO_BASE_URL": nemo.url,
               "NEMOBOT_DATABASE_URL": url, "NEMOBOT_DB_PATH": str(tmp_path / "unused.db")}

        @asynccontextmanager
        async def bot(shard: int, name: str) -> AsyncIterator[None]:
            """``nemobot discord`` running shard ``shard`` of 2, until its shard's session is ready."""
            async with nemobot_process(tmp_path / f"{name}.log", "synced", "discord",
                                       DISCORD_SHARD_IDS=f"[{shard}]", **env):
                await dc.wait_for(lambda: shard in dc.gateway.ready_shards(), timeout=READY_WAIT)
                yield

        def slash(shard: int, name: str, options: dict[str, object] | None = None) -> int:
            return dc.invoke_slash(name, options, user_id=users[shard], guild_id=guilds[shard])

        async with bot(0, "a"):
            async with bot(1, "b"):
                uploads = {}
                for shard in guilds:  # each guild's command reaches its shard's process alone, and is answered
                    uploads[shard] = slash(shard, "upload", {"video": dc.attachment(CLIP, "clip.mp4")})
                    await dc.wait_for(final(dc, uploads[shard], "Uploaded clip.mp4"), timeout=20)
                    assert shards_told(dc, uploads[shard]) == [shard]
                dm = dc.user_message("credits", user_id=users[1], dm=True)  # a DM: shard 0's process
                await dc.wait_for(lambda: any(content(m).startswith("Credits:") for m in dc.dm_messages(users[1])),
                                  timeout=20)
                assert shards_told(dc, dm, "MESSAGE_CREATE") == [0]

                nemo.script_chat(Sleep(30), Text("never"))  # a job in the shard-1 process, stopped by /cancel
                edit = slash(1, "edit", {"prompt": "slow edit"})
                await nemo.wait_for(lambda: nemo.chat_messages == ["slow edit"], timeout=20)
                cancel = slash(1, "cancel")
                await dc.wait_for(final(dc, edit, "Cancelled."), timeout=20)
                await dc.wait_for(final(dc, cancel, "Cancelled."), timeout=20)
                assert shards_told(dc, edit) == shards_told(dc, cancel) == [1]

            async with bot(1, "b2"):  # the shard-1 process replaced (a deploy)
                answered = dc.interaction(uploads[1]).original
                assert answered is not None
                status = next(c for c in custom_ids(answered) if c.startswith("nb:status"))
                press = dc.press_button(int(answered["id"]), status, users[1])
                await dc.wait_for(lambda: "clip.mp4" in content(dc.interaction(press).original), timeout=20)
                again = slash(1, "cancel")
                await dc.wait_for(final(dc, again, "Nothing is running."), timeout=20)
                assert shards_told(dc, press) == shards_told(dc, again) == [1]
        assert nemo.chat_messages == ["slow edit"]
