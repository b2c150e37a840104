"""The bad-input table (``test_bad_input.CASES``) through the real python-telegram-bot client against the
strict Telegram stand-in: each row as a Telegram user would send it (a text, a command, a document with
that name and those bytes, a button press with that callback data), in a chat of its own, to one bot
reused for the module. The user reads the expected answer in their language, nothing crashed, nothing
private or raw reached the chat, and the conversation goes on (its credits are answered).

Rows a Telegram user cannot produce are skipped with the reason (an empty message, a text over
Telegram's 4096 characters, a file with no declared size, a download that breaks midway).
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import pytest_asyncio
from pydantic import SecretStr

from bots.app import running_core
from bots.telegram.app import running_bot
from core.conversation import Core
from core.ports import Attachment, Incoming, Target
from core.settings import TelegramSettings
from tests.conftest import cloud_settings
from tests.e2e.test_bad_input import CASES, INTERNAL_EN, INTERNAL_ZH, Case
from tests.fakes.nemo import FakeNemo
from tests.fakes.telegram import CLOUD_DOWNLOAD_LIMIT, FakeTelegram, SentMessage

pytestmark = [pytest.mark.asyncio(loop_scope="module"),
              pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")]

TEXT_LIMIT = 4096  # a Telegram client splits anything longer before the bot sees it
BOB = 99_999


@dataclass
class Bot:
    tg: FakeTelegram
    nemo: FakeNemo
    core: Core


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def bot(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Bot]:
    async with FakeNemo() as nemo, FakeTelegram() as tg:
        settings = cloud_settings(nemo.url, Path(tmp_path_factory.mktemp("bad-input-tg")) / "bot.db")
        settings.telegram = TelegramSettings(token=SecretStr(tg.token), api_base_url=tg.base_url,
                                             file_base_url=tg.base_file_url)
        async with running_core(settings) as core, running_bot(core, settings):
            yield Bot(tg, nemo, core)


def _unsendable(case: Case, incomings: list[Incoming]) -> str | None:
    """Why a Telegram user cannot send this row, or None."""
    for incoming in incomings:
        text = f"/{incoming.command} {incoming.args}".strip() if incoming.command else incoming.text
        if incoming.button is None and not incoming.attachments and not text.strip("\x00\x07\x1b\x7f\r"):
            return "Telegram has no empty messages"
        if len(text.encode("utf-16-le")) // 2 > TEXT_LIMIT:
            return "a Telegram client splits a text over 4096 characters before the bot sees it"
        for att in incoming.attachments:
            if att.size is None:
                return "Telegram always declares a file's size"
            if att.size > CLOUD_DOWNLOAD_LIMIT:
                return "Telegram's 20 MB download limit answers first (test_telegram covers it)"
    if case.id == "download-breaks-midway":
        return "the stand-in serves whole files; a broken download is covered by test_faults"
    return None


async def _bytes(att: Attachment) -> bytes:
    assert att.open is not None
    return b"".join([chunk async for chunk in att.open()])


async def _send(tg: FakeTelegram, chat: int, incoming: Incoming, language: str) -> None:
    if incoming.button is not None:
        owner = {None: "", "ann": str(chat), "bob": str(BOB)}.get(incoming.button_owner, incoming.button_owner)
        tg.user_sends(chat, chat, "status", language_code=language)  # a bot message to press on
        await tg.wait_for(lambda: tg.chat_log(chat))
        message = tg.chat_log(chat)[-1]
        tg.user_presses(chat, chat, message.message_id, f"a:{incoming.button}:{owner}", language_code=language,
                        check_button=False)
        return
    if incoming.attachments:
        for att in incoming.attachments:
            data = await _bytes(att)
            if att.size != len(data):
                pytest.skip("Telegram serves a file whole, at the size it declares")
            file_id = tg.add_file(data, name=att.filename, mime="application/octet-stream")
            tg.user_sends(chat, chat, document=file_id, language_code=language)
        return
    text = f"/{incoming.command} {incoming.args}".strip() if incoming.command else incoming.text
    tg.user_sends(chat, chat, text, language_code=language)


def _shown(messages: list[SentMessage]) -> list[str]:
    return [m.text or m.caption or "" for m in messages]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
async def test_bad_input_through_telegram(bot: Bot, case: Case) -> None:
    tg = bot.tg
    chat = 70_000 + CASES.index(case)
    language = "zh-hans" if case.zh else "en"
    incomings = case.send(Target("telegram", str(chat), str(chat)), language)
    reason = _unsendable(case, incomings)
    if reason:
        pytest.skip(reason)
    case.setup(bot.nemo)
    for incoming in incomings:
        await _send(tg, chat, incoming, language)
    if case.notice:
        answers = await tg.wait_for(lambda: [a for q, a in tg.answered_callbacks.items()
                                             if tg.callback_queries[q][1]["message"]["chat"]["id"] == chat])
        shown = answers[-1][0] or ""
    else:
        found = await tg.wait_for(lambda: next((t for t in _shown(tg.chat_log(chat)) if case.expect in t), None),
                                  timeout=15)
        shown = found
    assert case.expect in shown, shown
    if case.zh:
        assert re.search(r"[\u4e00-\u9fff]", shown), shown
    await bot.core.idle(timeout=10)
    everything = _shown(tg.chat_log(chat)) + [e for m in tg.chat_log(chat) for e in m.edits]
    assert not any(INTERNAL_EN in t or INTERNAL_ZH in t for t in everything), everything
    assert not any(tg.token in t or "Traceback" in t or '{"' in t for t in everything), everything
    before = len(tg.chat_log(chat))
    tg.user_sends(chat, chat, "积分" if case.zh else "credits", language_code=language)  # nothing is lost
    answer = await tg.wait_for(lambda: next((t for t in _shown(tg.chat_log(chat)[before:])
                                             if t.startswith("积分：" if case.zh else "Credits:")), None))
    assert answer
