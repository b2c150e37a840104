"""The fake Discord (tests/fakes/discord) against the real discord.py client."""

from __future__ import annotations

import asyncio
import contextlib
import io
import time
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import discord
import discord.http
import pytest
from discord import app_commands

from tests.fakes.discord import FakeDiscord

VIDEO = bytes(range(256)) * 40  # 10 KiB of "video"
RETRY_ID = "nemobot:retry"


class RetryView(discord.ui.View):
    """A persistent view: no timeout, a fixed custom_id."""

    def __init__(self, bot: Bot) -> None:
        super().__init__(timeout=None)
        self.bot = bot

    @discord.ui.button(label="Retry", style=discord.ButtonStyle.primary, custom_id=RETRY_ID)
    async def retry(self, interaction: discord.Interaction, button: discord.ui.Button[RetryView]) -> None:
        await interaction.response.edit_message(content=f"retrying for {interaction.user.id}", view=None)
        self.bot.events.put_nowait(("button", interaction.user.id))


class Bot(discord.Client):
    def __init__(self, dc: FakeDiscord, *, intents: discord.Intents | None = None, **options: Any) -> None:
        super().__init__(intents=intents or discord.Intents.default(), guild_ready_timeout=0.05, **options)
        self.dc = dc
        self.tree = app_commands.CommandTree(self)
        self.events: asyncio.Queue[tuple[str, Any]] = asyncio.Queue()
        self.messages: asyncio.Queue[discord.Message] = asyncio.Queue()
        guild = discord.Object(dc.guild_id)

        @self.tree.command(name="edit", description="Edit a video", guild=guild)
        @app_commands.describe(prompt="what to do", video="the video")
        async def edit(interaction: discord.Interaction, prompt: str, video: discord.Attachment) -> None:
            await interaction.response.defer(thinking=True)
            data = await video.read()
            await interaction.edit_original_response(content=f"read {len(data)} bytes: {prompt}")
            await interaction.followup.send("done", file=discord.File(io.BytesIO(b"rendered"), "out.mp4"))
            self.events.put_nowait(("edit", (prompt, data, video.size, interaction.filesize_limit)))

        @self.tree.command(name="ping", description="Are you there?")
        async def ping(interaction: discord.Interaction) -> None:
            await interaction.response.send_message("pong")
            self.events.put_nowait(("ping", interaction.channel_id))

        @self.tree.command(name="slow", description="Answers late", guild=guild)
        async def slow(interaction: discord.Interaction) -> None:
            self.events.put_nowait(("slow", interaction))

    async def setup_hook(self) -> None:
        self.add_view(RetryView(self))
        await self.tree.sync(guild=discord.Object(self.dc.guild_id))
        await self.tree.sync()

    async def before_identify_hook(self, shard_id: int | None, *, initial: bool = False) -> None:
        """discord.py waits 5 s before a re-IDENTIFY (Discord's identify rate limit); not here."""

    async def on_message(self, message: discord.Message) -> None:
        if message.author.id != self.dc.bot_user_id:
            self.messages.put_nowait(message)


@pytest.fixture
async def dc() -> AsyncIterator[FakeDiscord]:
    async with FakeDiscord(heartbeat_interval_ms=1000) as fake:
        with fake.point_discord_py_here():
            yield fake


@contextlib.asynccontextmanager
async def running(dc: FakeDiscord, **kwargs: Any) -> AsyncIterator[Bot]:
    bot = Bot(dc, **kwargs)
    task = asyncio.create_task(bot.start(dc.bot_token))
    try:
        await dc.wait_ready(timeout=10)
        await asyncio.wait_for(bot.wait_until_ready(), timeout=10)
        yield bot
    finally:
        await bot.close()
        await asyncio.wait_for(task, timeout=10)


async def next_event(bot: Bot, kind: str, timeout: float = 5.0) -> Any:
    got, value = await asyncio.wait_for(bot.events.get(), timeout=timeout)
    assert got == kind
    return value


async def test_slash_command_defer_read_edit_followup(dc: FakeDiscord) -> None:
    async with running(dc) as bot:
        guild_cmds = dc.registered_commands(dc.guild_id)
        assert [c["name"] for c in guild_cmds] == ["edit", "slow"]
        assert {o["name"]: o["type"] for o in guild_cmds[0]["options"]} == {"prompt": 3, "video": 11}
        assert [c["name"] for c in dc.registered_commands()] == ["ping"]

        iid = dc.invoke_slash("edit", {"prompt": "cut the pauses", "video": dc.attachment(VIDEO, "clip.mp4")})
        prompt, data, size, limit = await next_event(bot, "edit")
        assert (prompt, data, size, limit) == ("cut the pauses", VIDEO, len(VIDEO), 10 * 1024 * 1024)

        rec = dc.interaction(iid)
        assert rec.deferred and rec.callback_type == 5 and rec.deferred_at is not None
        assert rec.original is not None and rec.original["content"] == "read 10240 bytes: cut the pauses"
        assert not rec.original["flags"] & 128  # no longer "thinking"
        assert [e["content"] for e in rec.original_edits] == ["read 10240 bytes: cut the pauses"]
        [followup] = rec.followups
        assert followup["content"] == "done"
        [att] = followup["attachments"]
        assert (att["filename"], att["size"]) == ("out.mp4", 8)

        callback = next(c for c in dc.calls if c.path.endswith("/callback"))
        assert callback.json == {"type": 5} and callback.query.get("with_response") == "1"
        post = next(c for c in dc.calls if c.method == "POST" and c.path.startswith("/webhooks/"))
        assert post.files == [("out.mp4", 8)] and post.json["content"] == "done"
        assert dc.cdn_calls[0].status == 200  # Attachment.read() went to the fake CDN

        async with aiohttp.ClientSession() as http, http.get(att["url"]) as resp:  # the bot's upload too
            assert resp.status == 200 and await resp.read() == b"rendered"


async def test_button_reaches_persistent_view(dc: FakeDiscord) -> None:
    async with running(dc) as bot:
        channel = bot.get_channel(dc.channel_id)
        assert isinstance(channel, discord.TextChannel)
        msg = await channel.send("job 7 finished", view=RetryView(bot))
    assert dc.channel_messages(dc.channel_id)[0]["components"][0]["components"][0]["custom_id"] == RETRY_ID

    async with running(dc) as bot:  # a restarted bot: only the persistent view from setup_hook
        someone = dc.add_user("alice")
        iid = dc.press_button(msg.id, RETRY_ID, someone)
        assert await next_event(bot, "button") == someone
        assert dc.interaction(iid).callback_type == 7
        assert await dc.wait_for(lambda: dc.message(msg.id)["content"] == f"retrying for {someone}")
        assert dc.message(msg.id)["components"] == []
        assert dc.identify_count == 2
        with pytest.raises(LookupError):
            dc.press_button(msg.id, "no-such-button", someone)


async def test_resume_replays_missed_interaction(dc: FakeDiscord) -> None:
    async with running(dc) as bot:
        await dc.drop_gateway(resumable=True, hold=30)
        iid = dc.invoke_slash("ping")  # the bot is offline: buffered in its session
        dc.release_gateway()
        assert await next_event(bot, "ping") == dc.channel_id
        assert (dc.identify_count, dc.resume_count) == (1, 1)
        assert dc.gateway.connect_paths == ["/gateway", "/resume-gateway"]
        assert dc.interaction(iid).original["content"] == "pong"
        sent = [f.t for f in dc.gateway_frames if f.direction == "out" and f.op == 0]
        assert sent.index("RESUMED") == sent.index("INTERACTION_CREATE") + 1  # replayed, then RESUMED


async def test_not_resumable_identifies_again(dc: FakeDiscord) -> None:
    async with running(dc) as bot:
        await dc.drop_gateway(resumable=False)
        await dc.wait_for(lambda: dc.identify_count == 2 and dc.gateway.is_ready())
        assert dc.resume_count == 0
        dc.invoke_slash("ping", guild=False)  # a DM, global command
        assert await next_event(bot, "ping") == dc.dm_channel_id(dc.user_id)


async def test_each_shard_gets_its_guilds_events_and_dms_go_to_shard_0(dc: FakeDiscord) -> None:
    guilds = [dc.guild_id]
    while {(g >> 22) % 2 for g in guilds} != {0, 1}:  # a guild on each shard (the id's time decides)
        await asyncio.sleep(0.002)
        guilds.append(dc.add_guild())
    bots = [Bot(dc, shard_id=i, shard_count=2) for i in (0, 1)]  # as two processes would run them
    tasks = [asyncio.create_task(bot.start(dc.bot_token)) for bot in bots]
    try:
        await dc.wait_ready(timeout=10)
        for shard, bot in enumerate(bots):
            await asyncio.wait_for(bot.wait_until_ready(), timeout=10)
            assert {g.id for g in bot.guilds} == {g for g in guilds if (g >> 22) % 2 == shard}
        for gid in guilds:
            iid = dc.invoke_slash("ping", guild_id=gid)
            assert await next_event(bots[(gid >> 22) % 2], "ping") == dc.guild_channel_ids(gid)[0]
            await dc.wait_for(lambda iid=iid: dc.interaction(iid).original is not None)  # type: ignore[misc]
        dc.invoke_slash("ping", guild=False)
        assert await next_event(bots[0], "ping") == dc.dm_channel_id(dc.user_id)
        assert bots[0].events.empty() and bots[1].events.empty()  # each event went to one shard only
        sent = [f for f in dc.gateway_frames if f.t == "INTERACTION_CREATE"]
        assert [f.shard for f in sent] == [(g >> 22) % 2 for g in guilds] + [0]
    finally:
        for bot in bots:
            await bot.close()
        await asyncio.wait_for(asyncio.gather(*tasks), timeout=10)


async def test_sessions_of_one_shard_run_side_by_side_and_each_gets_its_events(dc: FakeDiscord) -> None:
    """A deployment handing over: the new process's session runs beside the old one (Discord allows
    it), both get the shard's events until the old one closes; then only the new one."""
    old, new = Bot(dc), Bot(dc)
    old_task = asyncio.create_task(old.start(dc.bot_token))
    await asyncio.wait_for(old.wait_until_ready(), timeout=10)
    new_task = asyncio.create_task(new.start(dc.bot_token))
    try:
        await asyncio.wait_for(new.wait_until_ready(), timeout=10)
        first = dc.user_message("hello")
        for bot in (old, new):
            assert (await asyncio.wait_for(bot.messages.get(), timeout=5)).id == first
        await old.close()
        await asyncio.wait_for(old_task, timeout=10)
        second = dc.user_message("hello again")
        assert (await asyncio.wait_for(new.messages.get(), timeout=5)).id == second
        assert old.messages.empty()
    finally:
        for bot in (old, new):
            await bot.close()
        await asyncio.wait_for(asyncio.gather(old_task, new_task), timeout=10)


async def test_an_identify_with_a_shard_outside_its_count_is_refused(dc: FakeDiscord) -> None:
    async with aiohttp.ClientSession() as http, http.ws_connect(dc.gateway_url) as ws:
        assert (await ws.receive_json())["op"] == 10  # HELLO
        await ws.send_json({"op": 2, "d": {"token": dc.bot_token, "intents": 1, "shard": [2, 2],
                                          "properties": {}}})
        await ws.receive()
        assert ws.close_code == 4010  # Discord's "Invalid shard"


async def test_expired_token_then_channel_post(dc: FakeDiscord) -> None:
    async with running(dc) as bot:
        iid = dc.invoke_slash("slow")
        interaction: discord.Interaction = await next_event(bot, "slow")
        await interaction.response.defer(thinking=True)
        dc.advance_time(901)  # past the 15 minute token lifetime
        with pytest.raises(discord.HTTPException) as err:
            await interaction.edit_original_response(content="late")
        assert (err.value.status, err.value.code) == (401, 50027)
        channel = bot.get_channel(dc.channel_id)
        assert isinstance(channel, discord.TextChannel)
        await channel.send("your video is ready")
        assert [m["content"] for m in dc.channel_messages()] == ["your video is ready"]
        assert dc.interaction(iid).original_edits == []


async def test_a_callback_after_3s_is_an_unknown_interaction() -> None:
    async with FakeDiscord(heartbeat_interval_ms=1000) as dc:
        with dc.point_discord_py_here():
            async with running(dc) as bot:
                dc.invoke_slash("slow")
                interaction: discord.Interaction = await next_event(bot, "slow")
                dc.advance_time(3.5)
                with pytest.raises(discord.NotFound) as err:
                    await interaction.response.defer()
                assert err.value.code == 10062


async def test_rate_limit_and_too_large(dc: FakeDiscord) -> None:
    async with running(dc) as bot:
        channel = bot.get_channel(dc.channel_id)
        assert isinstance(channel, discord.TextChannel)
        dc.rate_limit("/channels/", 1, retry_after=0.05)
        await channel.send("after a 429")
        assert dc.count_429 == 1
        assert [c.status for c in dc.calls if c.path.startswith("/channels/")] == [429, 200]

        big = discord.File(io.BytesIO(b"\0" * (10 * 1024 * 1024 + 1)), "big.mp4")
        with pytest.raises(discord.HTTPException) as err:
            await channel.send("too big", file=big)
        assert (err.value.status, err.value.code) == (413, 40005)


async def test_message_content_gating(dc: FakeDiscord) -> None:
    async with running(dc) as bot:
        att = dc.attachment(b"abc", "a.mp4")
        dc.user_message("cut it", attachments=[att])
        plain = await asyncio.wait_for(bot.messages.get(), 5)
        assert (plain.content, plain.attachments) == ("", [])  # no Message Content intent
        dc.user_message("cut it", attachments=[att], mention_bot=True)
        mention = await asyncio.wait_for(bot.messages.get(), 5)
        assert mention.content.endswith("cut it") and bot.user in mention.mentions
        assert await mention.attachments[0].read() == b"abc"
        dc.user_message("in a DM", dm=True)
        dm = await asyncio.wait_for(bot.messages.get(), 5)
        assert dm.content == "in a DM" and isinstance(dm.channel, discord.DMChannel)
        await dm.channel.send("hello back")
        assert [m["content"] for m in dc.dm_messages(dc.user_id)] == ["hello back"]


async def test_cdn_signing_range_and_expiry(dc: FakeDiscord) -> None:
    att = dc.attachment(VIDEO, "my clip.mp4")
    url = dc.state.attachment_payload(att, dc.channel_id)["url"]
    assert "/my_clip.mp4?ex=" in url
    async with aiohttp.ClientSession() as http:
        async with http.get(url, headers={"Range": "bytes=10-19"}) as resp:
            assert resp.status == 206 and await resp.read() == VIDEO[10:20]
            assert resp.headers["Content-Range"] == f"bytes 10-19/{len(VIDEO)}"
        async with http.get(url.replace("hm=", "hm=0")) as resp:
            assert resp.status == 404
        async with http.get(url.split("?")[0]) as resp:
            assert resp.status == 404
        async with http.get(dc.api_base + "/gateway") as resp:
            assert resp.headers["Content-Type"] == "application/json"
        dc.advance_time(86401)
        async with http.get(url) as resp:
            assert resp.status == 404


async def test_reconnect_opcode_and_ephemeral(dc: FakeDiscord) -> None:
    async with running(dc) as bot:
        await dc.request_reconnect()  # op 7: the client closes and RESUMEs
        await dc.wait_for(lambda: dc.resume_count == 1 and dc.gateway.is_ready())
        iid = dc.invoke_slash("slow")
        interaction: discord.Interaction = await next_event(bot, "slow")
        await interaction.response.send_message("only you", ephemeral=True)
        await interaction.delete_original_response()
        rec = dc.interaction(iid)
        assert rec.callback_type == 4 and rec.original is None
        assert dc.channel_messages(include_all=True) == []  # ephemeral: never in the channel
        with pytest.raises(discord.NotFound):
            await interaction.original_response()


async def test_bad_token_and_disallowed_intents() -> None:
    async with FakeDiscord(allow_privileged_intents=False) as dc:
        with dc.point_discord_py_here():
            bot = Bot(dc)
            with pytest.raises(discord.LoginFailure):
                await bot.start("not-the-token")
            await bot.close()
            intents = discord.Intents.default()
            intents.message_content = True
            bot = Bot(dc, intents=intents)
            with pytest.raises(discord.PrivilegedIntentsRequired):
                await asyncio.wait_for(bot.start(dc.bot_token), timeout=10)
            await bot.close()
    assert discord.http.Route.BASE == "https://discord.com/api/v10"  # restored


async def test_buckets_carry_discords_headers_and_discord_py_waits_instead_of_overrunning(dc: FakeDiscord) -> None:
    async with running(dc) as bot:
        channel = bot.get_channel(dc.channel_id)
        assert isinstance(channel, discord.TextChannel)
        started = time.monotonic()
        for n in range(7):  # the channel's bucket holds 5 messages a 5 s window
            await channel.send(f"message {n}")
        assert time.monotonic() - started >= 3.0  # discord.py read Remaining 0 and waited for the reset
        posts = [c for c in dc.calls if c.method == "POST" and c.path.endswith("/messages")]
        assert [c.status for c in posts] == [200] * 7 and dc.count_429 == 0


async def test_over_a_bucket_or_the_global_limit_is_a_429_with_discords_body_and_headers(dc: FakeDiscord) -> None:
    url = f"{dc.api_base}/channels/{dc.channel_id}/messages"
    headers = {"Authorization": f"Bot {dc.bot_token}"}
    async with aiohttp.ClientSession() as http:
        answers = []
        for n in range(6):
            async with http.post(url, json={"content": f"m{n}"}, headers=headers) as r:
                answers.append((r.status, dict(r.headers), await r.json()))
        assert [a[0] for a in answers] == [200] * 5 + [429]
        first, refused = answers[0], answers[5]
        assert first[1]["X-RateLimit-Limit"] == "5" and first[1]["X-RateLimit-Remaining"] == "4"
        assert float(first[1]["X-RateLimit-Reset-After"]) <= 5.0 and first[1]["X-RateLimit-Bucket"]
        assert float(first[1]["X-RateLimit-Reset"]) > time.time()
        assert refused[2]["message"] == "You are being rate limited." and refused[2]["global"] is False
        assert 0 < refused[2]["retry_after"] <= 5.0 and refused[1]["X-RateLimit-Scope"] == "user"
        assert int(refused[1]["Retry-After"]) >= 1

        statuses = []  # 60 requests, each to a bucket of its own (a channel each): the global 50/s
        for n in range(60):
            async with http.get(f"{dc.api_base}/channels/{n}", headers=headers) as r:
                statuses.append((r.status, r.headers.get("X-RateLimit-Scope"), await r.json()))
        refused_global = [s for s in statuses if s[0] == 429 and s[1] == "global"]
        assert refused_global and refused_global[0][2]["global"] is True
