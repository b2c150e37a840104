"""A Telegram bot as a user of the default install gets it: the real PTB client against the Telegram
stand-in, on the built-in engine at default settings (the engine on a free port, beside the test)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from pydantic import SecretStr

from bots.app import running_core
from bots.telegram.app import running_bot
from core.conversation import Core
from core.settings import BotSettings, Settings, TelegramSettings
from tests.fakes.telegram import FakeTelegram


@dataclass
class Bot:
    tg: FakeTelegram
    core: Core
    engine_url: str


@asynccontextmanager
async def bot(tmp_path: Path, bot_settings: dict[str, object] | None = None, **telegram: object,
              ) -> AsyncIterator[Bot]:
    """``bot_settings``: the few settings a test changes from the defaults (``[bot]``)."""
    async with FakeTelegram() as tg:
        settings = Settings(bot=BotSettings(backend="engine", db_path=tmp_path / "bot.db",
                                            **(bot_settings or {})))  # type: ignore[arg-type]
        settings.telegram = TelegramSettings(token=SecretStr(tg.token), api_base_url=tg.base_url,
                                             file_base_url=tg.base_file_url, **telegram)  # type: ignore[arg-type]
        async with running_core(settings, engine_dir=tmp_path / "engine", engine_port=0) as core, \
                running_bot(core, settings):
            yield Bot(tg, core, core.client.base_url)
