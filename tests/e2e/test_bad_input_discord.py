"""The bad-input table (``test_bad_input.CASES``) through the real discord.py client against the strict
Discord stand-in: each row as a Discord user would send it in a DM to the bot (a text, a ``/command``
typed as text, a file attached with that name and those bytes, a button pressed with that custom_id),
one user per row, to one bot reused for the module. A Chinese row's user first says ``/lang zh``
(a DM carries no locale). The user reads the expected answer in their language, nothing crashed,
nothing raw reached the chat, and the conversation goes on (its credits are answered).

Rows a Discord user cannot produce are skipped with the reason.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import pytest_asyncio

from bots.discord.buttons import PREFIX
from bots.discord.client import TEXT_COMMANDS
from core.conversation import Core
from core.ports import Attachment, Incoming, Target
from tests.conftest import cloud_settings
from tests.e2e.test_bad_input import CASES, INTERNAL_EN, INTERNAL_ZH, Case
from tests.e2e.test_discord import running_bot, with_discord
from tests.fakes.discord import FakeDiscord
from tests.fakes.nemo import FakeNemo

pytestmark = pytest.mark.asyncio(loop_scope="module")

CONTENT_LIMIT = 4000  # a DM's content (Nitro); longer texts are sent as a file by the client
# Discord rewrites an attachment's name (path separators, control and non-ASCII characters become
# "_"), so the bot never sees the hostile names these rows are about (the recording table covers them).
RENAMED_BY_DISCORD = {"path-traversal-name", "windows-path-name", "crlf-header-injection-in-name", "nul-in-name",
                      "unicode-name-zh", "rtl-override-in-name"}
# A Discord attachment reaches NEMO by its signed URL, not by the upload these rows make fail.
FAILS_THE_UPLOAD = {"lying-extension-refused-by-nemo", "lying-extension-refused-by-nemo-zh"}
# Cancel shows only on a running job's status message and leaves it when the job ends, so a press of
# it with nothing running needs a message that still shows it (Discord only sends presses of buttons a
# message shows, and discord.py dispatches them from the message's components).
NEEDS_A_REAL_BUTTON = {"cancel-button-with-nothing-running"}


@dataclass
class Bot:
    dc: FakeDiscord
    nemo: FakeNemo
    core: Core


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def bot(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Bot]:
    async with FakeNemo() as nemo, FakeDiscord(heartbeat_interval_ms=1000) as dc:
        settings = cloud_settings(nemo.url, Path(tmp_path_factory.mktemp("bad-input-dc")) / "bot.db")
        async with running_bot(with_discord(settings, dc), dc) as (core, _client):
            yield Bot(dc, nemo, core)


def _unsendable(case: Case, incomings: list[Incoming]) -> str | None:
    for incoming in incomings:
        if incoming.command and incoming.command not in TEXT_COMMANDS:
            return "Discord offers only the bot's registered commands"
        text = f"/{incoming.command} {incoming.args}".strip() if incoming.command else incoming.text
        if incoming.button is None and not incoming.attachments and not text.strip("\x00\x07\x1b\x7f\r"):
            return "Discord has no empty messages"
        if len(text) > CONTENT_LIMIT:
            return "Discord's client sends a text over 4000 characters as a file"
        for att in incoming.attachments:
            if att.size is None:
                return "Discord always reports an attachment's size"
            if not att.filename:
                return "a Discord attachment always has a file name"
    if case.id == "download-breaks-midway":
        return "the stand-in's CDN serves whole files; a broken download is covered by test_faults"
    if case.id in RENAMED_BY_DISCORD:
        return "Discord rewrites the attachment's name before the bot sees it"
    if case.id in NEEDS_A_REAL_BUTTON:
        return "in a DM only the owner sees the bot's buttons, and a press needs a message that shows the button"
    if case.id in FAILS_THE_UPLOAD:
        return "a Discord attachment reaches NEMO by URL, not by the upload this row makes fail"
    return None


async def _bytes(att: Attachment) -> bytes:
    assert att.open is not None
    return b"".join([chunk async for chunk in att.open()])


def _bot_texts(dc: FakeDiscord, user: int) -> list[str]:
    """What the bot said to ``user``: DM messages, and answers to the user's button presses (in a DM
    or a guild)."""
    said = [str(m.get("content") or "") for m in dc.dm_messages(user)]
    for record in dc.state.interactions.values():
        if record.user_id == user:
            said += [str(m.get("content") or "") for m in [*([record.original] if record.original else []),
                                                            *record.followups]]
    return said


async def _send(bot: Bot, user: int, incoming: Incoming, locale: str) -> int:
    dc = bot.dc
    if incoming.button is not None and incoming.button_owner == "bob":
        # someone else's buttons: in a guild channel, where everyone sees the answer to bob's /help
        asked = dc.user_message("/help", user_id=dc.user_id, mention_bot=True)
        answer = await dc.wait_for(lambda: next(
            (m for m in dc.channel_messages() if str((m.get("message_reference") or {}).get("message_id")) == str(asked)
             and m.get("components")), None))
        return dc.press_button(int(answer["id"]), f"{PREFIX}:{incoming.button}:{dc.user_id}", user_id=user,
                               locale=locale)
    if incoming.button is not None:
        dc.user_message("credits", user_id=user, dm=True)  # a bot message to press on
        await dc.wait_for(lambda: dc.dm_messages(user))
        owner = {None: "", "ann": str(user), "bob": str(dc.user_id)}.get(incoming.button_owner,
                                                                        incoming.button_owner)
        custom_id = f"{PREFIX}:{incoming.button}:{owner}" if owner else f"{PREFIX}:{incoming.button}"
        message_id = int(dc.dm_messages(user)[-1]["id"])
        return dc.press_button(message_id, custom_id, user_id=user, guild=False, check=False)
    files = []
    for att in incoming.attachments:
        data = await _bytes(att)
        if att.size != len(data):
            pytest.skip("Discord serves an attachment whole, at the size it reports")
        files.append(dc.attachment(data, att.filename, content_type="application/octet-stream"))
    text = f"/{incoming.command} {incoming.args}".strip() if incoming.command else incoming.text
    return dc.user_message(text, user_id=user, dm=True, attachments=files or None)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
async def test_bad_input_through_discord(bot: Bot, case: Case) -> None:
    dc = bot.dc
    user = dc.add_user(f"row{CASES.index(case)}")
    incomings = case.send(Target("discord", str(user), str(user)), None)
    reason = _unsendable(case, incomings)
    if reason:
        pytest.skip(reason)
    if case.zh:
        dc.user_message("/lang zh", user_id=user, dm=True)
        await dc.wait_for(lambda: dc.dm_messages(user))
    case.setup(bot.nemo)
    before = len(dc.dm_messages(user))
    for incoming in incomings:
        await _send(bot, user, incoming, "zh-CN" if case.zh else "en-US")
    try:
        shown = await dc.wait_for(
            lambda: next((t for t in _bot_texts(dc, user)[before:] if case.expect in t), None), timeout=15)
    except TimeoutError:
        pytest.fail(f"{case.expect!r} not shown; the chat: {_bot_texts(dc, user)}")
    assert case.expect in shown, shown
    if case.zh:
        assert re.search(r"[\u4e00-\u9fff]", shown), shown
    await bot.core.idle(timeout=10)
    everything = _bot_texts(dc, user)
    assert not any(INTERNAL_EN in t or INTERNAL_ZH in t for t in everything), everything
    assert not any(dc.bot_token in t or "Traceback" in t or '{"' in t for t in everything), everything
    before = len(dc.dm_messages(user))
    dc.user_message("积分" if case.zh else "credits", user_id=user, dm=True)  # nothing is lost
    answer = await dc.wait_for(lambda: next((t for t in _bot_texts(dc, user)[before:]
                                             if t.startswith("积分：" if case.zh else "Credits:")), None))
    assert answer


async def test_the_table_stayed_under_discords_global_limit(bot: Bot) -> None:
    """The bot paces its bot-token requests itself: the whole table, one row after another, never
    meets Discord's global limit (a 429 there stops every request of the bot until it passes)."""
    assert bot.dc.calls, "the table ran first"
    assert not [r for r in bot.dc.rest.limits.refusals if r[2] == "global"]
